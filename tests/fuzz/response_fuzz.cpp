// libFuzzer target: response handling. apdu::exchange runs over a transport whose every answer
// comes from the fuzz input (61xx, 6Cxx, anything); it must end (no loop), never crash, and
// either succeed or fail with an error of its own. Also ResponseApdu::parse and the SW texts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "idtap/apdu/commands.h"
#include "idtap/apdu/exchange.h"
#include "idtap/apdu/response.h"
#include "idtap/apdu/status_words.h"
#include "idtap/apdu/transport.h"

using namespace idtap;
using namespace idtap::apdu;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

// FuzzedTransport: each transmit takes one length byte and that many bytes (clamped to what is
// left) from the input as the card's wire response; an exhausted input is a transport error.
class FuzzedTransport : public Transport {
 public:
  explicit FuzzedTransport(ByteView script) : script_(script) {}
  Result<ResponseApdu> transmit(const CommandApdu& command) override {
    require(command.encode().ok());  // exchange only sends encodable commands
    ++transmits_;
    if (script_.empty()) return make_error(ErrorCode::kTransport, "script exhausted");
    size_t n = script_[0];
    script_ = script_.subspan(1);
    if (n > script_.size()) n = script_.size();
    ByteView wire = script_.first(n);
    script_ = script_.subspan(n);
    return ResponseApdu::parse(wire);
  }
  Bytes atr() const override { return {}; }
  TransportCaps capabilities() const override { return {}; }
  Status close() override { return ok_status(); }
  std::string describe() const override { return "fuzzed"; }
  size_t transmits() const { return transmits_; }

 private:
  ByteView script_;
  size_t transmits_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t flags = data[0];
  ExchangeOptions options;
  options.follow_get_response = (flags & 1) != 0;
  options.resend_on_wrong_le = (flags & 2) != 0;
  options.max_get_response = (flags >> 2) & 0x0F;
  const CommandApdu commands[] = {get_challenge(), select_by_df_name(kEmrtdAid, true), read_binary(0, 256).value(),
                                  general_authenticate(Bytes{0x80, 0x00}, false)};
  const CommandApdu& command = commands[(flags >> 6) & 3];
  FuzzedTransport transport(ByteView(data + 1, size - 1));
  auto r = exchange(transport, command, options);
  // One command, at most one 6Cxx resend, at most max_get_response GET RESPONSEs (+1 refused).
  require(transport.transmits() <= 2 + options.max_get_response + 1);
  if (r.ok()) {
    require(!options.follow_get_response || !sw::is_more_data(r->sw));
    require(r->data.size() <= size);
    (void)sw::describe(r->sw);
    (void)r->status("fuzz");
    Bytes enc = r->encode();
    auto back = ResponseApdu::parse(enc);
    require(back.ok() && back->sw == r->sw && equal_bytes(back->data, r->data));
  } else {
    const ErrorCode c = r.error().code;
    require(c == ErrorCode::kTransport || c == ErrorCode::kMalformed);
  }
  // Every status word has a description.
  if (size >= 2) require(!sw::describe(static_cast<uint16_t>(data[0] << 8 | data[1])).empty());
  return 0;
}
