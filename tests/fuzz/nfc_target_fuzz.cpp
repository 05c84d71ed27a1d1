// Fuzz target for what idtap reads from a contactless card before any APDU: the ATS and ATQB
// fields (parse_ats, card_frame_size, synthesize_atr), the GET DATA pseudo-APDU answered from
// them, and pcscd device names. First byte picks the card type; the rest is split into fields.
#include <cstddef>
#include <cstdint>
#include <string>

#include "idtap/nfc/pcsc_bridge.h"
#include "idtap/nfc/target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace idtap;
  using namespace idtap::nfc;
  if (size < 2) return 0;
  const ByteView in(data, size);
  TargetInfo t;
  t.type = (in[0] & 1) ? TargetType::kIso14443B : TargetType::kIso14443A;
  t.sak = in[1];
  const ByteView rest = in.subspan(2);
  const size_t split = rest.empty() ? 0 : rest[0] % (rest.size() + 1);
  const ByteView first = rest.subspan(0, split), second = rest.subspan(split);
  t.ats = to_bytes(first);
  t.uid = to_bytes(first.subspan(0, std::min<size_t>(first.size(), 10)));
  t.application_data = to_bytes(first.subspan(0, std::min<size_t>(first.size(), 4)));
  t.protocol_info = to_bytes(second.subspan(0, std::min<size_t>(second.size(), 3)));
  t.attrib_res = second.empty() ? 0 : second.back();

  (void)parse_ats(first);
  (void)card_frame_size(t);
  auto atr = synthesize_atr(t);
  if (atr.ok() && (atr->size() < 5 || atr->size() > 20 || (*atr)[0] != 0x3B)) __builtin_trap();
  (void)t.iso_dep();
  (void)t.describe();
  auto answer = answer_pseudo_apdu(second, t);
  if (answer && answer->size() < 2) __builtin_trap();  // always at least a status word
  (void)connstring_for_device_name(std::string(second.begin(), second.end()), {"pn53x_usb:001:002"});
  return 0;
}
