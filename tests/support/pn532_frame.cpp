#include "support/pn532_frame.h"

#include <algorithm>

namespace idtap::testing::pn532 {

Bytes information_frame(uint8_t tfi, ByteView payload, bool force_extended) {
  const size_t len = payload.size() + 1;  // TFI + payload
  Bytes out;
  out.reserve(len + 10);
  for (uint8_t b : {0x00, 0x00, 0xFF}) out.push_back(b);  // preamble, start code
  if (len <= 255 && !force_extended) {
    out.push_back(static_cast<uint8_t>(len));
    out.push_back(static_cast<uint8_t>(0x100 - len));
  } else {
    const uint8_t hi = static_cast<uint8_t>(len >> 8), lo = static_cast<uint8_t>(len);
    for (uint8_t b : {uint8_t{0xFF}, uint8_t{0xFF}, hi, lo, static_cast<uint8_t>(0x100 - ((hi + lo) & 0xFF))}) out.push_back(b);
  }
  out.push_back(tfi);
  uint8_t sum = tfi;
  for (uint8_t b : payload) {
    out.push_back(b);
    sum = static_cast<uint8_t>(sum + b);
  }
  out.push_back(static_cast<uint8_t>(0x100 - sum));
  out.push_back(0x00);
  return out;
}

TakenFrame take_host_frame(Bytes& in) {
  TakenFrame taken;
  // Skip to a start code 00 FF; 0x55 bytes on the way are the HSU wake-up preamble (§6.2.2).
  size_t start = 0;
  while (start + 1 < in.size() && !(in[start] == 0x00 && in[start + 1] == 0xFF)) {
    if (in[start] == 0x55) taken.woke = true;
    ++start;
  }
  if (start + 1 >= in.size()) {
    // Keep a trailing 00 (it may be the first half of a start code).
    if (!in.empty() && in.back() == 0x00) in.erase(in.begin(), in.end() - 1); else in.clear();
    return taken;
  }
  in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(start));  // in = 00 FF ...
  if (in.size() < 4) return taken;
  auto drop = [&](size_t n) { in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(std::min(n, in.size()))); };
  const uint8_t len = in[2], lcs = in[3];
  if (len == 0x00 && lcs == 0xFF) {  // ACK: 00 FF 00 FF 00 (after the preamble 00)
    drop(5);
    taken.frame = HostFrame{.kind = HostFrame::Kind::kAck};
    return taken;
  }
  if (len == 0xFF && lcs == 0x00) {  // NACK: 00 FF FF 00 00
    drop(5);
    taken.frame = HostFrame{.kind = HostFrame::Kind::kNack};
    return taken;
  }
  size_t header = 4, body = 0;  // body = TFI + data
  bool extended = false;
  if (len == 0xFF && lcs == 0xFF) {  // extended: 00 FF FF FF LENM LENL LCS
    if (in.size() < 7) return taken;
    if (static_cast<uint8_t>(in[4] + in[5] + in[6]) != 0) {
      drop(2);
      taken.frame = HostFrame{.kind = HostFrame::Kind::kBadLength};
      return taken;
    }
    body = static_cast<size_t>(in[4]) << 8 | in[5];
    header = 7;
    extended = true;
  } else {
    if (static_cast<uint8_t>(len + lcs) != 0) {
      drop(2);
      taken.frame = HostFrame{.kind = HostFrame::Kind::kBadLength};
      return taken;
    }
    body = len;
  }
  if (in.size() < header + body + 2) return taken;  // wait for the rest (DCS and postamble)
  const ByteView whole(in.data(), header + body + 2);
  uint8_t sum = 0;
  for (size_t i = header; i < header + body + 1; ++i) sum = static_cast<uint8_t>(sum + whole[i]);
  const bool good = body >= 2 && sum == 0 && whole[header] == 0xD4;
  HostFrame f{.kind = good ? HostFrame::Kind::kInformation : HostFrame::Kind::kBadBody, .extended = extended};
  if (good)
    f.payload.assign(whole.begin() + static_cast<std::ptrdiff_t>(header + 1),
                     whole.begin() + static_cast<std::ptrdiff_t>(header + body));
  f.raw.assign(whole.begin(), whole.end());
  drop(header + body + 2);
  taken.frame = std::move(f);
  return taken;
}

}  // namespace idtap::testing::pn532
