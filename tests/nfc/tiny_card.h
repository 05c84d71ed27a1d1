// nfc/tiny_card.h: a very small card for the libnfc tests: the eMRTD application with an EF.COM
// and one large EF, answering SELECT (by DF name and by FID) and READ BINARY. It stands in for
// the simulated card where a test only needs APDUs to travel, and records what it saw.
#pragma once

#include <atomic>
#include <map>
#include <mutex>

#include "idtap/apdu/commands.h"
#include "idtap/apdu/status_words.h"
#include "idtap/apdu/transport.h"
#include "idtap/base/hex.h"

namespace idtap::testing {

class TinyCard : public apdu::Transport {
 public:
  TinyCard() {
    files_[0x011E] = hex_or_die("60145F0104303130375F36063034303030305C026175");  // EF.COM (LDS 1.7, DG1, DG2)
    Bytes big(1000);
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 7 + 3);
    files_[0x0102] = big;  // a 1000-byte EF (stands for DG2)
  }

  Result<apdu::ResponseApdu> transmit(const apdu::CommandApdu& c) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++apdus_;
    if (c.cla != 0x00) return apdu::ResponseApdu{{}, apdu::sw::kClaNotSupported};
    if (c.ins == 0xA4 && c.p1 == 0x04) {
      if (!equal_bytes(c.data, apdu::kEmrtdAid)) return apdu::ResponseApdu{{}, apdu::sw::kFileNotFound};
      app_selected_ = true;
      current_ = 0;
      return apdu::ResponseApdu{{}, apdu::sw::kOk};
    }
    if (c.ins == 0xA4 && c.p1 == 0x02 && c.data.size() == 2) {
      const uint16_t fid = static_cast<uint16_t>(c.data[0] << 8 | c.data[1]);
      if (!app_selected_ || !files_.count(fid)) return apdu::ResponseApdu{{}, apdu::sw::kFileNotFound};
      current_ = fid;
      return apdu::ResponseApdu{{}, apdu::sw::kOk};
    }
    if (c.ins == 0xB0) {
      if (current_ == 0) return apdu::ResponseApdu{{}, apdu::sw::kCommandNotAllowedNoEf};
      const Bytes& f = files_[current_];
      const size_t offset = static_cast<size_t>(c.p1 & 0x7F) << 8 | c.p2;
      if (offset > f.size()) return apdu::ResponseApdu{{}, apdu::sw::kWrongP1P2};
      const size_t n = std::min(c.ne, f.size() - offset);
      apdu::ResponseApdu r;
      r.data.assign(f.begin() + static_cast<std::ptrdiff_t>(offset), f.begin() + static_cast<std::ptrdiff_t>(offset + n));
      r.sw = n < c.ne ? apdu::sw::kEndOfFileReached : apdu::sw::kOk;
      return r;
    }
    return apdu::ResponseApdu{{}, apdu::sw::kInsNotSupported};
  }
  Bytes atr() const override { return {}; }
  apdu::TransportCaps capabilities() const override { return {}; }
  // reconnect: a new card session (the reader re-activated the card): nothing selected.
  Status reconnect(std::chrono::milliseconds) override {
    std::lock_guard<std::mutex> lock(mutex_);
    app_selected_ = false;
    current_ = 0;
    ++sessions_;
    return ok_status();
  }
  Status close() override { return ok_status(); }
  std::string describe() const override { return "tiny card"; }

  const Bytes& file(uint16_t fid) const { return files_.at(fid); }
  size_t apdus() const { std::lock_guard<std::mutex> lock(mutex_); return apdus_; }
  size_t fresh_sessions() const { std::lock_guard<std::mutex> lock(mutex_); return sessions_; }

 private:
  mutable std::mutex mutex_;
  std::map<uint16_t, Bytes> files_;
  bool app_selected_ = false;
  uint16_t current_ = 0;
  size_t apdus_ = 0;
  size_t sessions_ = 0;
};

}  // namespace idtap::testing
