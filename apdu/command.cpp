#include "idtap/apdu/command.h"

#include <string>

namespace idtap::apdu {

Result<Bytes> CommandApdu::encode() const {
  if (data.size() > kMaxExtendedNc)
    return make_error(ErrorCode::kInvalidArgument, "command data longer than 65535 bytes");
  if (ne > kMaxExtendedNe)
    return make_error(ErrorCode::kInvalidArgument, "Ne larger than 65536");
  Bytes out = {cla, ins, p1, p2};
  out.reserve(4 + 3 + data.size() + 3);
  const bool ext = needs_extended();
  if (!ext) {
    if (!data.empty()) {
      out.push_back(static_cast<uint8_t>(data.size()));
      append(out, data);
    }
    if (ne != 0) out.push_back(static_cast<uint8_t>(ne == 256 ? 0 : ne));
    return out;
  }
  // ISO 7816-4 §5.1: extended Lc is 00 Lc1 Lc2; extended Le follows as Le1 Le2 when Lc is
  // present, or as 00 Le1 Le2 when it is not.
  if (!data.empty()) {
    out.push_back(0);
    out.push_back(static_cast<uint8_t>(data.size() >> 8));
    out.push_back(static_cast<uint8_t>(data.size()));
    append(out, data);
  }
  if (ne != 0) {
    if (data.empty()) out.push_back(0);
    const size_t le = ne == kMaxExtendedNe ? 0 : ne;
    out.push_back(static_cast<uint8_t>(le >> 8));
    out.push_back(static_cast<uint8_t>(le));
  }
  return out;
}

Result<CommandApdu> CommandApdu::parse(ByteView w) {
  auto bad = [](const char* why) { return make_error(ErrorCode::kMalformed, std::string("command APDU: ") + why); };
  if (w.size() < 4) return bad("shorter than the 4-byte header");
  CommandApdu c;
  c.cla = w[0];
  c.ins = w[1];
  c.p1 = w[2];
  c.p2 = w[3];
  const size_t n = w.size();
  if (n == 4) return c;  // case 1
  if (n == 5) {          // case 2 short
    c.ne = w[4] == 0 ? 256 : w[4];
    return c;
  }
  if (w[4] != 0) {  // short Lc
    const size_t lc = w[4];
    if (n == 5 + lc) {
      c.data.assign(w.begin() + 5, w.end());
      return c;
    }
    if (n == 6 + lc) {
      c.data.assign(w.begin() + 5, w.begin() + 5 + lc);
      c.ne = w[n - 1] == 0 ? 256 : w[n - 1];
      return c;
    }
    return bad("Lc does not match the data length");
  }
  // w[4] == 0 and more than 5 bytes: extended length.
  if (n < 7) return bad("extended length field truncated");
  c.extended = true;
  if (n == 7) {  // case 2 extended
    const size_t le = size_t(w[5]) << 8 | w[6];
    c.ne = le == 0 ? kMaxExtendedNe : le;
    return c;
  }
  const size_t lc = size_t(w[5]) << 8 | w[6];
  if (lc == 0) return bad("extended Lc of zero");
  if (n == 7 + lc) {
    c.data.assign(w.begin() + 7, w.end());
    return c;
  }
  if (n == 9 + lc) {
    c.data.assign(w.begin() + 7, w.begin() + 7 + lc);
    const size_t le = size_t(w[n - 2]) << 8 | w[n - 1];
    c.ne = le == 0 ? kMaxExtendedNe : le;
    return c;
  }
  if (n == 8 + lc) return bad("extended length with a short Le");
  return bad("extended Lc does not match the data length");
}

}  // namespace idtap::apdu
