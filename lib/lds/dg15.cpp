#include "idtap/lds/dg15.h"

#include "idtap/apdu/tlv.h"

namespace idtap::lds {
namespace {
constexpr uint32_t kTagDg15 = 0x6F;
}  // namespace

Result<Dg15> parse_dg15(ByteView file) {
  IDTAP_ASSIGN_OR_RETURN(apdu::Tlv t, apdu::parse_single(file, kTagDg15));
  auto key = parse_subject_public_key_info(t.value);
  if (!key.ok()) return std::move(key).error().with_context("DG15");
  // ICAO 9303-11 §6.1: RSA or ECDSA.
  if (key->type != PublicKeyType::kRsa && key->type != PublicKeyType::kEc)
    return make_error(ErrorCode::kNotSupported, "DG15: Active Authentication key neither RSA nor EC");
  return Dg15{std::move(key).value()};
}

Result<Bytes> encode_dg15(ByteView spki_der) {
  auto key = parse_subject_public_key_info(spki_der);
  if (!key.ok() || (key->type != PublicKeyType::kRsa && key->type != PublicKeyType::kEc))
    return make_error(ErrorCode::kInvalidArgument, "DG15: not an RSA or EC SubjectPublicKeyInfo");
  return apdu::encode_tlv(kTagDg15, spki_der);
}

}  // namespace idtap::lds
