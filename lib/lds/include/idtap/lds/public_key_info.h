// idtap/lds/public_key_info.h: a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) described without
// OpenSSL: algorithm, curve, size. The DER is kept for the crypto layer (d2i_PUBKEY).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/lds/oid.h"

namespace idtap::lds {

// PublicKeyType: RSA (rsaEncryption), EC (id-ecPublicKey), DH (dhpublicnumber / id-PK-DH style),
// anything else.
enum class PublicKeyType { kRsa, kEc, kDh, kOther };

// public_key_type_name: "rsa", "ec", "dh", "other".
const char* public_key_type_name(PublicKeyType t);

// PublicKeyInfo: what a reader shows about a key.
struct PublicKeyInfo {
  Bytes der;                       // the whole SubjectPublicKeyInfo
  Oid algorithm;                   // e.g. 1.2.840.10045.2.1
  PublicKeyType type = PublicKeyType::kOther;
  std::optional<Oid> named_curve;  // EC with namedCurve parameters
  bool explicit_parameters = false;// EC (or DH) with the domain parameters written out
  size_t key_bits = 0;             // RSA modulus bits; EC field bits from the point; 0 unknown

  // PublicKeyInfo::curve_name: "brainpoolP256r1", "P-256", ... for known named curves, the
  // dotted OID for others, "explicit" or "" when not EC.
  std::string curve_name() const;
};

// parse_subject_public_key_info: decodes `der` (exactly one SEQUENCE, strict DER). kMalformed on
// bad DER, a BIT STRING with unused bits, an RSA key whose RSAPublicKey does not parse, or an EC
// point that is not 04 || X || Y (uncompressed) or 02/03 || X (compressed).
Result<PublicKeyInfo> parse_subject_public_key_info(ByteView der);

namespace oid {
// rsaEncryption 1.2.840.113549.1.1.1, id-ecPublicKey 1.2.840.10045.2.1, dhpublicnumber
// 1.2.840.10046.2.1.
inline const Oid kRsaEncryption = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01};
inline const Oid kEcPublicKey = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01};
inline const Oid kDhPublicNumber = {0x2A, 0x86, 0x48, 0xCE, 0x3E, 0x02, 0x01};
// Named curves: prime256v1 1.2.840.10045.3.1.7, secp384r1 1.3.132.0.34, secp521r1
// 1.3.132.0.35, brainpoolP256r1 1.3.36.3.3.2.8.1.1.7, brainpoolP384r1 ...1.11, brainpoolP512r1
// ...1.13.
inline const Oid kCurveP256 = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
inline const Oid kCurveP384 = {0x2B, 0x81, 0x04, 0x00, 0x22};
inline const Oid kCurveP521 = {0x2B, 0x81, 0x04, 0x00, 0x23};
inline const Oid kCurveBrainpoolP256r1 = {0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07};
inline const Oid kCurveBrainpoolP384r1 = {0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0B};
inline const Oid kCurveBrainpoolP512r1 = {0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0D};
}  // namespace oid

}  // namespace idtap::lds
