// idtap/lds/security_infos.h: SecurityInfos (BSI TR-03110-3 §A.1.1, ICAO 9303-11 §9.2) as found
// in EF.CardAccess, EF.CardSecurity and DG14.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/lds/oid.h"

namespace idtap::lds {

// Object identifiers (Oid, oid_to_string, oid_from_string, has_prefix) live in idtap/lds/oid.h,
// included here: they are kept as their DER content bytes and compared as bytes.

// PaceInfo: id-PACE-* protocol OID (ICAO 9303-11 §9.2.1), version (2), and the standardized
// domain parameter ID (0-2 DH, 8-18 ECDH) when present.
struct PaceInfo {
  Oid protocol;
  int version = 0;
  std::optional<int> parameter_id;
};

// PaceDomainParameterInfo: explicit (non-standardized) domain parameters, kept raw
// (AlgorithmIdentifier DER); idtap supports standardized parameters only and reports these.
struct PaceDomainParameterInfo {
  Oid protocol;
  Bytes domain_parameter;  // AlgorithmIdentifier, DER
  std::optional<int> parameter_id;
};

// ChipAuthenticationInfo: id-CA-* protocol, version (1 or 2), optional key ID.
struct ChipAuthenticationInfo {
  Oid protocol;
  int version = 0;
  std::optional<int64_t> key_id;
};

// ChipAuthenticationPublicKeyInfo: id-PK-DH / id-PK-ECDH, the chip's static public key as a
// SubjectPublicKeyInfo (DER), optional key ID.
struct ChipAuthenticationPublicKeyInfo {
  Oid protocol;
  Bytes subject_public_key_info;  // DER SubjectPublicKeyInfo
  std::optional<int64_t> key_id;
};

// ActiveAuthenticationInfo: id-AA with the ECDSA signature algorithm OID (ICAO 9303-11 §9.2.5).
struct ActiveAuthenticationInfo {
  Oid protocol;
  int version = 0;
  Oid signature_algorithm;
};

// TerminalAuthenticationInfo: id-TA, version (reported only).
struct TerminalAuthenticationInfo {
  Oid protocol;
  int version = 0;
};

// UnknownSecurityInfo: any other SecurityInfo, kept raw so nothing is silently dropped.
struct UnknownSecurityInfo {
  Oid protocol;
  Bytes raw;
};

// SecurityInfos: every SecurityInfo of a SET, by kind.
struct SecurityInfos {
  std::vector<PaceInfo> pace;
  std::vector<PaceDomainParameterInfo> pace_domain_parameters;
  std::vector<ChipAuthenticationInfo> chip_authentication;
  std::vector<ChipAuthenticationPublicKeyInfo> chip_authentication_public_keys;
  std::vector<ActiveAuthenticationInfo> active_authentication;
  std::vector<TerminalAuthenticationInfo> terminal_authentication;
  std::vector<UnknownSecurityInfo> unknown;
};

// parse_security_infos: decodes a DER SET OF SecurityInfo (the content of EF.CardAccess, or of
// DG14 inside its 6E tag: the caller strips that). kMalformed on bad DER or a known protocol
// whose fields do not parse.
Result<SecurityInfos> parse_security_infos(ByteView der);

// encode_security_infos: the DER SET OF SecurityInfo for `infos` (personalization).
Result<Bytes> encode_security_infos(const SecurityInfos& infos);

// Well-known OIDs (DER content bytes). id-PACE etc. from BSI TR-03110-3 / ICAO 9303-11 §9.2.
namespace oid {
// bsi-de 0.4.0.127.0.7, id-PACE = bsi-de.2.2.4, id-CA = .2.2.3, id-PK = .2.2.1, id-TA = .2.2.2
inline const Oid kPace = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04};
inline const Oid kCa = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03};
inline const Oid kPk = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x01};
inline const Oid kPkDh = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x01, 0x01};
inline const Oid kPkEcdh = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x01, 0x02};
inline const Oid kTa = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x02};
// id-AA 2.23.136.1.1.5 (ICAO)
inline const Oid kAa = {0x67, 0x81, 0x08, 0x01, 0x01, 0x05};

// The protocols personalization writes and the readers look for (ICAO 9303-11 §9.2.1, §9.2.4;
// BSI TR-03110-3 §A.1.1): id-PACE-{DH,ECDH}-{GM,IM}, id-PACE-ECDH-CAM, each with the cipher
// suffix .1 3DES-CBC-CBC, .2 AES-CBC-CMAC-128, .3 -192, .4 -256; id-CA-{DH,ECDH}-* likewise.
inline const Oid kPaceEcdhGmAes128 = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02};
inline const Oid kPaceEcdhGmAes256 = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x04};
inline const Oid kPaceEcdhImAes128 = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x04, 0x02};
inline const Oid kPaceEcdhImAes256 = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x04, 0x04};
inline const Oid kPaceEcdhCamAes128 = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x06, 0x02};
inline const Oid kPaceEcdhCamAes256 = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x06, 0x04};
inline const Oid kCaEcdhAes128 = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, 0x02};
inline const Oid kCaEcdhAes256 = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, 0x04};
inline const Oid kCaEcdh3Des = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, 0x01};
// ecdsa-plain-SHA* 0.4.0.127.0.7.1.1.4.1.{1..5} (BSI TR-03111 §5.2.1), the signature algorithms
// an ActiveAuthenticationInfo names (ICAO 9303-11 §9.2.5).
inline const Oid kEcdsaPlainSha1 = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x01, 0x01, 0x04, 0x01, 0x01};
inline const Oid kEcdsaPlainSha224 = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x01, 0x01, 0x04, 0x01, 0x02};
inline const Oid kEcdsaPlainSha256 = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x01, 0x01, 0x04, 0x01, 0x03};
inline const Oid kEcdsaPlainSha384 = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x01, 0x01, 0x04, 0x01, 0x04};
inline const Oid kEcdsaPlainSha512 = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x01, 0x01, 0x04, 0x01, 0x05};
}  // namespace oid

// Standardized domain parameter IDs (ICAO 9303-11 §9.5.1, BSI TR-03110-3 Table 4) for
// PaceInfo::parameter_id.
inline constexpr int kParamNistP256 = 12;
inline constexpr int kParamBrainpoolP256r1 = 13;
inline constexpr int kParamNistP384 = 15;
inline constexpr int kParamBrainpoolP384r1 = 16;
inline constexpr int kParamBrainpoolP512r1 = 17;
inline constexpr int kParamNistP521 = 18;

}  // namespace idtap::lds
