#include "idtap/lds/ef_sod.h"

#include "idtap/apdu/tlv.h"

namespace idtap::lds {
namespace {
constexpr uint32_t kTagSod = 0x77;
}  // namespace

Result<EfSod> parse_ef_sod(ByteView file, const EfSodOptions& options) {
  auto outer = apdu::parse_single(file, kTagSod, apdu::TlvMode::kDer);
  bool ber = false;
  if (!outer.ok() && options.allow_ber) {
    outer = apdu::parse_single(file, kTagSod, apdu::TlvMode::kBerLenient);
    ber = outer.ok();
  }
  if (!outer.ok()) return std::move(outer).error().with_context("EF.SOD");
  EfSod sod;
  auto sd = parse_signed_data(outer->value, SignedDataOptions{options.allow_ber});
  if (!sd.ok()) return std::move(sd).error().with_context("EF.SOD");
  sod.signed_data = std::move(sd).value();
  sod.signed_data.used_ber |= ber;
  // ICAO 9303-10 §4.6.2.2: eContentType is id-icao-mrtd-security-ldsSecurityObject. Some issuing
  // states write id-data (RFC 5652 §4) over the same LDSSecurityObject: a named leniency.
  if (sod.signed_data.econtent_type == oid::kData && options.allow_id_data_content_type) {
    sod.id_data_content_type = true;
  } else if (sod.signed_data.econtent_type != oid::kLdsSecurityObject) {
    return make_error(ErrorCode::kMalformed, "EF.SOD: eContentType is not id-icao-mrtd-security-ldsSecurityObject");
  }
  auto lso = parse_lds_security_object(sod.signed_data.econtent, apdu::TlvMode::kDer);
  if (!lso.ok() && options.allow_ber) {
    lso = parse_lds_security_object(sod.signed_data.econtent, apdu::TlvMode::kBerLenient);
    if (lso.ok()) sod.signed_data.used_ber = true;
  }
  if (!lso.ok()) return std::move(lso).error().with_context("EF.SOD");
  sod.security_object = std::move(lso).value();
  return sod;
}

Result<Bytes> create_ef_sod(const LdsSecurityObject& lso, const CmsSigner& signer) {
  IDTAP_ASSIGN_OR_RETURN(Bytes content, encode_lds_security_object(lso));
  IDTAP_ASSIGN_OR_RETURN(Bytes ci, create_signed_data(oid::kLdsSecurityObject, content, signer));
  return apdu::encode_tlv(kTagSod, ci);
}

}  // namespace idtap::lds
