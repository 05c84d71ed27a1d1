#include "idtap/apdu/response.h"

#include "idtap/apdu/status_words.h"

namespace idtap::apdu {

Bytes ResponseApdu::encode() const {
  Bytes out = data;
  out.push_back(sw1());
  out.push_back(sw2());
  return out;
}

Result<ResponseApdu> ResponseApdu::parse(ByteView wire) {
  if (wire.size() < 2)
    return make_error(ErrorCode::kMalformed, "response APDU shorter than its 2-byte status word");
  ResponseApdu r;
  r.data.assign(wire.begin(), wire.end() - 2);
  r.sw = static_cast<uint16_t>(wire[wire.size() - 2] << 8 | wire[wire.size() - 1]);
  return r;
}

Status ResponseApdu::status(const char* what) const {
  if (ok()) return ok_status();
  return card_status_error(sw, std::string(what) + ": " + sw::describe(sw));
}

}  // namespace idtap::apdu
