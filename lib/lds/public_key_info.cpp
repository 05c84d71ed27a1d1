#include "idtap/lds/public_key_info.h"

#include "idtap/apdu/tlv.h"
#include "idtap/lds/der.h"

namespace idtap::lds {
namespace {

using apdu::Tlv;
using apdu::TlvReader;

Error bad(const std::string& why) { return make_error(ErrorCode::kMalformed, "SubjectPublicKeyInfo: " + why); }

size_t bit_length(ByteView unsigned_be) {
  size_t i = 0;
  while (i < unsigned_be.size() && unsigned_be[i] == 0) ++i;
  if (i == unsigned_be.size()) return 0;
  size_t bits = (unsigned_be.size() - i) * 8;
  for (uint8_t top = unsigned_be[i]; (top & 0x80) == 0; top <<= 1) --bits;
  return bits;
}

}  // namespace

const char* public_key_type_name(PublicKeyType t) {
  switch (t) {
    case PublicKeyType::kRsa: return "rsa";
    case PublicKeyType::kEc: return "ec";
    case PublicKeyType::kDh: return "dh";
    case PublicKeyType::kOther: break;
  }
  return "other";
}

std::string PublicKeyInfo::curve_name() const {
  if (type != PublicKeyType::kEc) return "";
  if (!named_curve) return explicit_parameters ? "explicit" : "";
  const Oid& c = *named_curve;
  if (c == oid::kCurveP256) return "P-256";
  if (c == oid::kCurveP384) return "P-384";
  if (c == oid::kCurveP521) return "P-521";
  if (c == oid::kCurveBrainpoolP256r1) return "brainpoolP256r1";
  if (c == oid::kCurveBrainpoolP384r1) return "brainpoolP384r1";
  if (c == oid::kCurveBrainpoolP512r1) return "brainpoolP512r1";
  return oid_to_string(c).value_or("?");
}

Result<PublicKeyInfo> parse_subject_public_key_info(ByteView der) {
  PublicKeyInfo out;
  out.der = to_bytes(der);
  TlvReader top(der);
  IDTAP_ASSIGN_OR_RETURN(TlvReader spki, top.enter(der::kSequence));
  IDTAP_TRY(top.expect_end());
  IDTAP_ASSIGN_OR_RETURN(der::AlgorithmIdentifier alg, der::read_algorithm_identifier(spki));
  IDTAP_ASSIGN_OR_RETURN(Tlv bits, spki.read(der::kBitString));
  IDTAP_TRY(spki.expect_end());
  if (bits.value.empty() || bits.value[0] != 0) return bad("public key BIT STRING with unused bits");
  const ByteView key = bits.value.subspan(1);
  out.algorithm = alg.algorithm;
  if (alg.algorithm == oid::kRsaEncryption) {
    // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 §A.1.1)
    out.type = PublicKeyType::kRsa;
    TlvReader k(key);
    IDTAP_ASSIGN_OR_RETURN(TlvReader rsa, k.enter(der::kSequence));
    IDTAP_TRY(k.expect_end());
    IDTAP_ASSIGN_OR_RETURN(Tlv modulus, rsa.read(der::kInteger));
    IDTAP_ASSIGN_OR_RETURN(Tlv exponent, rsa.read(der::kInteger));
    IDTAP_TRY(rsa.expect_end());
    if (modulus.value.empty() || (modulus.value[0] & 0x80) != 0 || exponent.value.empty())
      return bad("RSA modulus or exponent not a positive INTEGER");
    out.key_bits = bit_length(modulus.value);
  } else if (alg.algorithm == oid::kEcPublicKey) {
    out.type = PublicKeyType::kEc;
    if (alg.parameters.empty()) return bad("EC key without parameters");
    TlvReader p(alg.parameters);
    IDTAP_ASSIGN_OR_RETURN(uint32_t tag, p.peek_tag());
    if (tag == der::kOid) {
      IDTAP_ASSIGN_OR_RETURN(Oid curve, der::read_oid(p));
      out.named_curve = std::move(curve);
    } else if (tag == der::kSequence) {
      out.explicit_parameters = true;  // ECParameters written out (BSI TR-03111 §5.1.1)
    } else {
      return bad("EC parameters neither a named curve nor explicit");
    }
    // ECPoint: 04 || X || Y or 02/03 || X (SEC 1 §2.3.3).
    if (key.size() >= 3 && key[0] == 0x04 && (key.size() - 1) % 2 == 0)
      out.key_bits = (key.size() - 1) / 2 * 8;
    else if (key.size() >= 2 && (key[0] == 0x02 || key[0] == 0x03))
      out.key_bits = (key.size() - 1) * 8;
    else
      return bad("EC point is not an uncompressed or compressed point");
  } else if (alg.algorithm == oid::kDhPublicNumber) {
    out.type = PublicKeyType::kDh;
    out.explicit_parameters = !alg.parameters.empty();
    TlvReader k(key);
    IDTAP_ASSIGN_OR_RETURN(Tlv y, k.read(der::kInteger));
    IDTAP_TRY(k.expect_end());
    out.key_bits = bit_length(y.value);
  }
  return out;
}

}  // namespace idtap::lds
