// idtap/auth/passive_auth.h: Passive Authentication (ICAO 9303-11 §5.1, 9303-12): EF.SOD's
// signature, the Document Signer's chain to a trusted CSCA, and every data group's hash.
#pragma once

#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "idtap/auth/trust_store.h"
#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/crypto/hash.h"
#include "idtap/lds/ef_sod.h"
#include "idtap/lds/security_infos.h"

namespace idtap::auth {

// PassiveStatus: the overall answer. kValid needs the signature, the chain and (checked per data
// group) the hashes; kNoTrustAnchor means the signature verified with the certificate inside
// EF.SOD but nothing trusted issued that certificate; kInvalid names what failed in `reason`.
enum class PassiveStatus { kValid, kInvalid, kNoTrustAnchor };

// passive_status_name: "valid", "invalid", "no_trust_anchor".
const char* passive_status_name(PassiveStatus status);

// Leniencies: the named departures from ICAO 9303 and RFC 5652 that genuine documents are known to
// need, each accepted only as narrowly as described here and reported with the verdict (a
// verdict never forgives anything silently).
struct Leniencies {
  // ber: BER indefinite lengths (X.690 §8.1.3.6) where ICAO 9303-10 §4.6.2 says DER.
  bool ber = false;
  // id_data_content_type: EF.SOD's eContentType is id-data (RFC 5652 §4) instead of
  // id-icao-mrtd-security-ldsSecurityObject (ICAO 9303-10 §4.6.2.2); the content is still an
  // LDSSecurityObject and the signed contentType attribute still equals the eContentType.
  bool id_data_content_type = false;
  // explicit_ec_params: a Document Signer or CSCA key gives its EC domain parameters explicitly
  // (RFC 3279 §2.3.5 ecParameters, as BSI TR-03110 and several national PKIs do) instead of a
  // namedCurve; accepted only when they are a valid group equal to a standardized curve (NIST
  // P-192..P-521, brainpool r1). ChainVerdict::explicit_ec_params names the certificates.
  bool explicit_ec_params = false;
  // signer_issuer_rdn_order: the SignerInfo's issuerAndSerialNumber (RFC 5652 §5.3) names the
  // certificate EF.SOD carries with the same serial number and the same RDNs, byte for byte, but
  // with the RDNs in another order (OpenSSL, comparing Names whole, finds no signer).
  bool signer_issuer_rdn_order = false;
};

// leniency_names: the names of the leniencies used ("ber", "id_data_content_type",
// "explicit_ec_params", "signer_issuer_rdn_order"), in that order; empty when none.
std::vector<std::string> leniency_names(const Leniencies& leniencies);

// SignedFileCheck: what the signature of a signed file (EF.SOD, EF.CardSecurity) and its
// signer's chain prove. kValid needs both; kNoTrustAnchor means the signature verified with the
// certificate inside the file but nothing trusted issued that certificate; kInvalid names what
// failed in `reason`.
struct SignedFileCheck {
  PassiveStatus status = PassiveStatus::kInvalid;
  std::string reason;              // empty when kValid
  bool signature_ok = false;       // the CMS signature verified with the embedded certificate
  std::optional<ChainVerdict> chain;
  std::string signer_subject;
  Leniencies leniencies;           // what the file needed to verify (also when it did not)
};

// SodVerification: what EF.SOD proves before any data group is checked.
struct SodVerification : SignedFileCheck {
  crypto::HashAlg hash = crypto::HashAlg::kSha256;  // the LDSSecurityObject's digest algorithm
  std::map<int, Bytes> hashes;     // data group number -> signed hash
  bool used_ber = false;           // EF.SOD needed the BER leniency (= leniencies.ber)
};

// PassiveOptions: `trust` may be null (then the chain is not checked: kNoTrustAnchor);
// `when` is the time certificates must be valid at (now when nullopt).
struct PassiveOptions {
  const TrustStore* trust = nullptr;
  std::optional<std::time_t> when;
};

// verify_sod: parses EF.SOD (BER and an id-data eContentType accepted, reported in
// `leniencies`), verifies its CMS signature (and signed
// attributes: content type, message digest) with the Document Signer certificate it carries,
// chains that certificate with `options.trust`, and returns the signed hashes. A result with
// status kInvalid or kNoTrustAnchor is still returned (with the hashes when EF.SOD parsed), so
// data groups can be reported; errors are only kMalformed (EF.SOD unreadable) and kInternal.
Result<SodVerification> verify_sod(ByteView ef_sod, const PassiveOptions& options = {});

// DataGroupCheck: the outcome for one data group's raw bytes.
enum class DataGroupCheck { kHashOk, kHashMismatch, kNotSigned };

// check_data_group: compares the hash of `raw` (the file as read) with the signed one, in
// constant time. kNotSigned when EF.SOD lists no hash for `number`.
Result<DataGroupCheck> check_data_group(const SodVerification& sod, int number, ByteView raw);

// CardSecurityVerification: Passive Authentication of EF.CardSecurity (ICAO 9303-11 §4.4.3.5.2,
// §9.2.11): its CMS signature and the signer's chain, and the SecurityInfos it signs (the chip's
// static key for PACE-CAM).
struct CardSecurityVerification : SignedFileCheck {
  lds::SecurityInfos infos;  // filled whenever the file parsed, trusted only when kValid
};

// verify_card_security: parses EF.CardSecurity, verifies its CMS signature with the signer
// certificate it carries and chains that certificate with `options.trust`. Like verify_sod, a
// result that is not kValid is still returned; errors are only kMalformed and kInternal.
Result<CardSecurityVerification> verify_card_security(ByteView ef_card_security, const PassiveOptions& options = {});

}  // namespace idtap::auth
