// idtap/sim/vpcd.h: the simulated card as a vsmartcard virtual ICC, connected to pcscd's `vpcd`
// reader driver, so PC/SC programs see it as a card in a reader.
//
// The vpcd protocol (vsmartcard, virtualsmartcard/src/vpcd/vpcd.c): vpcd LISTENS on a TCP port
// (DEVICENAME /dev/null:PORT in pcscd's reader configuration; slot n on PORT+n) and the virtual
// card CONNECTS. Every message either way is a 2-byte big-endian length and a payload. A 1-byte
// payload from vpcd is a control code: 0 power off, 1 power on, 2 reset (no answer), 4 get ATR
// (answered with the ATR). Any other payload is a command APDU, answered with the response APDU.
// The card leaves the reader by closing the connection; vpcd accepts a new one when it next
// polls for presence.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "idtap/base/result.h"
#include "idtap/sim/card.h"

namespace idtap::sim {

// VpcdOptions: where vpcd listens and how the virtual card behaves on the link.
struct VpcdOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 35963;  // vsmartcard's default VPCDPORT
  // Reconnection backoff after a failed connect or a dropped connection (pcscd restarting):
  // starts at `backoff_min`, doubles up to `backoff_max`.
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{2000};
  // After the card left the field (the leave_after quirk), how long it stays away before it is
  // presented again.
  std::chrono::milliseconds return_after{1000};
  // How often a blocked wait checks the stop flag.
  std::chrono::milliseconds poll_interval{100};
  // log: receives one line per event and per APDU (no trailing newline): INS, lengths, SW;
  // never data. Empty: no logging.
  std::function<void(std::string_view line)> log;
};

// VpcdCounters: what serve_vpcd did, for its caller's summary.
struct VpcdCounters {
  uint64_t connections = 0;  // successful connects to vpcd
  uint64_t apdus = 0;        // command APDUs answered
  uint64_t removals = 0;     // times the card left the field
};

// parse_host_port: "HOST:PORT" (or ":PORT", HOST defaulting to 127.0.0.1) into `options`;
// kInvalidArgument naming the problem.
Status parse_host_port(std::string_view text, VpcdOptions& options);

// serve_vpcd: presents `card` to vpcd until `stop` becomes true, reconnecting with backoff
// whenever vpcd is not there (pcscd not started yet, or restarted). Returns ok after a stop;
// kInvalidArgument when the host does not resolve. `counters` (optional) is updated as it
// runs. The card's leave_after quirk makes it drop the connection after that many APDUs, once,
// and come back after options.return_after.
Status serve_vpcd(SimCard& card, const VpcdOptions& options, const std::atomic<bool>& stop,
                  VpcdCounters* counters = nullptr);

// describe_apdu_exchange: the log line for one exchange: "APDU CLA 0C INS B0 (SM) Nc 13 Ne 256
// -> 231 bytes SW 9000". Only header bytes and lengths: never data.
std::string describe_apdu_exchange(ByteView command, ByteView response);

}  // namespace idtap::sim
