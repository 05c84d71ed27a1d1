// idtap/reader/counting_transport.h: a Transport decorator that counts APDUs and bytes on the
// wire, for a read session's statistics.
#pragma once

#include <cstddef>

#include "idtap/apdu/transport.h"

namespace idtap::reader {

// WireStats: what crossed the wire below secure messaging.
struct WireStats {
  size_t apdus = 0;
  size_t bytes_sent = 0;      // encoded command APDUs
  size_t bytes_received = 0;  // response data + SW
};

// CountingTransport: forwards to `inner` (borrowed: it must outlive this object) and counts
// every exchange, failed ones included (a failed exchange counts its command only).
class CountingTransport : public apdu::Transport {
 public:
  explicit CountingTransport(apdu::Transport& inner) : inner_(inner) {}

  Result<apdu::ResponseApdu> transmit(const apdu::CommandApdu& command) override;
  Bytes atr() const override { return inner_.atr(); }
  apdu::TransportCaps capabilities() const override { return inner_.capabilities(); }
  Status reconnect(std::chrono::milliseconds timeout) override { return inner_.reconnect(timeout); }
  Status close() override { return inner_.close(); }
  std::string describe() const override { return inner_.describe(); }

  // CountingTransport::stats: the counts so far.
  const WireStats& stats() const { return stats_; }

 private:
  apdu::Transport& inner_;
  WireStats stats_;
};

}  // namespace idtap::reader
