#include "idtap/apdu/commands.h"

#include "idtap/apdu/tlv.h"

namespace idtap::apdu {
namespace {

Status check_ne(size_t ne) {
  if (ne == 0 || ne > kMaxExtendedNe) return make_error(ErrorCode::kInvalidArgument, "READ BINARY: Ne must be 1..65536");
  return ok_status();
}

}  // namespace

CommandApdu select_by_df_name(ByteView aid, bool want_fci) {
  CommandApdu c{0x00, 0xA4, 0x04, static_cast<uint8_t>(want_fci ? 0x00 : 0x0C), to_bytes(aid)};
  if (want_fci) c.ne = 256;
  return c;
}

CommandApdu select_by_fid(uint16_t fid, bool want_fci) {
  CommandApdu c{0x00, 0xA4, 0x02, static_cast<uint8_t>(want_fci ? 0x00 : 0x0C),
                Bytes{static_cast<uint8_t>(fid >> 8), static_cast<uint8_t>(fid)}};
  if (want_fci) c.ne = 256;
  return c;
}

CommandApdu select_mf() { return CommandApdu{0x00, 0xA4, 0x00, 0x0C, Bytes{0x3F, 0x00}}; }

Result<CommandApdu> read_binary(uint16_t offset, size_t ne) {
  if (offset > 0x7FFF) return make_error(ErrorCode::kInvalidArgument, "READ BINARY: offset over 32767 needs the odd INS");
  IDTAP_TRY(check_ne(ne));
  CommandApdu c{0x00, 0xB0, static_cast<uint8_t>(offset >> 8), static_cast<uint8_t>(offset)};
  c.ne = ne;
  return c;
}

Result<CommandApdu> read_binary_sfi(uint8_t sfi, uint8_t offset, size_t ne) {
  if (sfi == 0 || sfi > 30) return make_error(ErrorCode::kInvalidArgument, "READ BINARY: SFI must be 1..30");
  IDTAP_TRY(check_ne(ne));
  CommandApdu c{0x00, 0xB0, static_cast<uint8_t>(0x80 | sfi), offset};
  c.ne = ne;
  return c;
}

Result<CommandApdu> read_binary_odd(uint32_t offset, size_t ne) {
  if (offset > 0xFFFFFF) return make_error(ErrorCode::kInvalidArgument, "READ BINARY: offset beyond 2^24-1");
  IDTAP_TRY(check_ne(ne));
  Bytes off;
  if (offset > 0xFFFF) off.push_back(static_cast<uint8_t>(offset >> 16));
  off.push_back(static_cast<uint8_t>(offset >> 8));
  off.push_back(static_cast<uint8_t>(offset));
  CommandApdu c{0x00, 0xB1, 0x00, 0x00, encode_tlv(0x54, off)};
  c.ne = ne;
  return c;
}

CommandApdu get_challenge(size_t ne) {
  CommandApdu c{0x00, 0x84, 0x00, 0x00};
  c.ne = ne;
  return c;
}

CommandApdu get_response(size_t ne, uint8_t cla_of_command) {
  // ISO 7816-4 §5.4.1: the logical channel bits of the command whose data is fetched (first
  // interindustry CLA 0x0X: channels 0-3 in b2-b1; further interindustry 0x4X-0x7X: channels
  // 4-19 in b4-b1 with b7 set); no secure messaging, no chaining on GET RESPONSE itself.
  const uint8_t cla = (cla_of_command & 0x40) != 0 ? static_cast<uint8_t>(0x40 | (cla_of_command & 0x0F))
                                                   : static_cast<uint8_t>(cla_of_command & 0x03);
  CommandApdu c{cla, 0xC0, 0x00, 0x00};
  c.ne = ne;
  return c;
}

CommandApdu external_authenticate(ByteView data, size_t ne) {
  CommandApdu c{0x00, 0x82, 0x00, 0x00, to_bytes(data)};
  c.ne = ne;
  return c;
}

CommandApdu internal_authenticate(ByteView data, size_t ne) {
  CommandApdu c{0x00, 0x88, 0x00, 0x00, to_bytes(data)};
  c.ne = ne;
  return c;
}

CommandApdu mse_set_at(uint8_t p1, ByteView data) { return CommandApdu{0x00, 0x22, p1, 0xA4, to_bytes(data)}; }

CommandApdu mse_set_kat(ByteView data) { return CommandApdu{0x00, 0x22, 0x41, 0xA6, to_bytes(data)}; }

CommandApdu general_authenticate(ByteView template_content, bool chained, size_t ne) {
  CommandApdu c{static_cast<uint8_t>(chained ? 0x10 : 0x00), 0x86, 0x00, 0x00, encode_tlv(0x7C, template_content)};
  c.ne = ne;
  return c;
}

}  // namespace idtap::apdu
