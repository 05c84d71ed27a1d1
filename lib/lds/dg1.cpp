#include "idtap/lds/dg1.h"

#include "idtap/apdu/tlv.h"

namespace idtap::lds {
namespace {
constexpr uint32_t kTagDg1 = 0x61;
constexpr uint32_t kTagMrz = 0x5F1F;
}  // namespace

Result<Dg1> parse_dg1(ByteView file, const MrzOptions& options) {
  apdu::TlvReader top(file);
  IDTAP_ASSIGN_OR_RETURN(apdu::TlvReader body, top.enter(kTagDg1));
  IDTAP_TRY(top.expect_end());
  IDTAP_ASSIGN_OR_RETURN(apdu::Tlv mrz, body.read(kTagMrz));
  IDTAP_TRY(body.expect_end());
  // ICAO 9303-10 §4.7.1: the MRZ characters without line separators (90, 72 or 88 bytes).
  if (mrz.value.size() != 90 && mrz.value.size() != 72 && mrz.value.size() != 88)
    return make_error(ErrorCode::kMalformed, "DG1: MRZ of " + std::to_string(mrz.value.size()) + " bytes");
  auto parsed = parse_mrz(string_of(mrz.value), options);
  if (!parsed.ok()) return std::move(parsed).error().with_context("DG1");
  return Dg1{std::move(parsed).value()};
}

Result<Bytes> encode_dg1(std::string_view mrz_text) {
  IDTAP_ASSIGN_OR_RETURN(std::string mrz, normalize_mrz(mrz_text));
  apdu::TlvWriter w;
  w.open(kTagDg1).add(kTagMrz, bytes_of(mrz)).close();
  return w.finish();
}

}  // namespace idtap::lds
