#include "idtap/lds/dg14.h"

#include "idtap/apdu/tlv.h"

namespace idtap::lds {
namespace {
constexpr uint32_t kTagDg14 = 0x6E;
}  // namespace

Result<SecurityInfos> parse_dg14(ByteView file) {
  IDTAP_ASSIGN_OR_RETURN(apdu::Tlv t, apdu::parse_single(file, kTagDg14));
  auto infos = parse_security_infos(t.value);
  if (!infos.ok()) return std::move(infos).error().with_context("DG14");
  return infos;
}

Result<Bytes> encode_dg14(const SecurityInfos& infos) {
  IDTAP_ASSIGN_OR_RETURN(Bytes set, encode_security_infos(infos));
  return apdu::encode_tlv(kTagDg14, set);
}

}  // namespace idtap::lds
