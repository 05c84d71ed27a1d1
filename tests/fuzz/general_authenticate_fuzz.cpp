// libFuzzer target: the terminal side of PACE against a hostile card. The input is a sequence
// of card responses (2-byte big-endian length, then that many bytes: data || SW); the terminal
// runs MSE:Set AT and the GENERAL AUTHENTICATE chain against them, which exercises the 7C
// parsers, nonce, point and DH value validation and the status word handling. The raw input is
// also fed to the data-object parsers directly.
#include <cstddef>
#include <cstdint>
#include <deque>

#include "idtap/apdu/transport.h"
#include "idtap/auth/pace.h"
#include "idtap/auth/pace_math.h"
#include "idtap/base/hex.h"

namespace {

using namespace idtap;

class FuzzCard : public apdu::Transport {
 public:
  FuzzCard(const uint8_t* data, size_t size) {
    while (size >= 2) {
      size_t len = static_cast<size_t>(data[0]) << 8 | data[1];
      data += 2;
      size -= 2;
      if (len > size) len = size;
      responses_.emplace_back(data, data + len);
      data += len;
      size -= len;
    }
  }
  Result<apdu::ResponseApdu> transmit(const apdu::CommandApdu&) override {
    if (responses_.empty()) return make_error(ErrorCode::kCardRemoved, "fuzz input exhausted");
    Bytes next = std::move(responses_.front());
    responses_.pop_front();
    return apdu::ResponseApdu::parse(next);
  }
  Bytes atr() const override { return {}; }
  apdu::TransportCaps capabilities() const override { return {65535, 65536, true}; }
  Status close() override { return ok_status(); }
  std::string describe() const override { return "fuzz"; }

 private:
  std::deque<Bytes> responses_;
};

const auth::Password& password() {
  static const auth::Password p = auth::Password::can("123456").value();
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView input(data, size);
  for (uint32_t tag : {0x80u, 0x82u, 0x84u}) (void)auth::parse_dynamic_authentication_data(input, tag);
  (void)auth::parse_mutual_authentication_data(input);

  // The protocol: the first input byte picks the PACEInfo (GM, IM, CAM on brainpoolP256r1; DH-GM).
  if (size == 0) return 0;
  static const char* kOids[] = {"04007F00070202040202", "04007F00070202040402", "04007F00070202040602",
                                "04007F00070202040102"};
  const uint8_t pick = data[0] & 3;
  const lds::PaceInfo info{hex_or_die(kOids[pick]), 2, pick == 3 ? 0 : 13};
  auto selection = auth::choose_pace({info});
  if (!selection.ok()) return 0;
  FuzzCard card(data + 1, size - 1);
  auto result = auth::run_pace(card, password(), *selection);
  (void)result;
  return 0;
}
