// The simulated card as a vsmartcard virtual ICC (see vpcd.h for the protocol).
#include "idtap/sim/vpcd.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include "idtap/apdu/command.h"

namespace idtap::sim {
namespace {

using Clock = std::chrono::steady_clock;

// vsmartcard vpcd.h: VPCD_CTRL_OFF / ON / RESET / ATR.
constexpr uint8_t kCtrlOff = 0;
constexpr uint8_t kCtrlOn = 1;
constexpr uint8_t kCtrlReset = 2;
constexpr uint8_t kCtrlAtr = 4;

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() { reset(); }
  Socket(Socket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Socket& operator=(Socket&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  int fd() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // abort: closes with a TCP reset (SO_LINGER 0) rather than an orderly shutdown: vpcd turns an
  // orderly end of stream into an empty "successful" response, but reports a reset as the
  // communication error a card leaving the field is.
  void abort() {
    if (fd_ < 0) return;
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    reset();
  }

 private:
  int fd_ = -1;
};

void log_line(const VpcdOptions& o, const std::string& line) {
  if (o.log) o.log(line);
}

// sleep_unless_stopped: sleeps `d` in poll_interval steps; false when stop was set.
bool sleep_unless_stopped(const VpcdOptions& o, std::chrono::milliseconds d, const std::atomic<bool>& stop) {
  const auto until = Clock::now() + d;
  while (Clock::now() < until) {
    if (stop.load()) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    std::this_thread::sleep_for(std::min(left, o.poll_interval));
  }
  return !stop.load();
}

Result<Socket> connect_to(const VpcdOptions& o) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(o.port);
  int rc = ::getaddrinfo(o.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) return make_error(ErrorCode::kInvalidArgument, "vpcd host '" + o.host + "': " + ::gai_strerror(rc));
  Error last = make_error(ErrorCode::kTransport, "no address for " + o.host);
  for (addrinfo* a = res; a; a = a->ai_next) {
    Socket s(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
    if (!s.valid()) continue;
    if (::connect(s.fd(), a->ai_addr, a->ai_addrlen) == 0) {
      int yes = 1;
      ::setsockopt(s.fd(), IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
      ::freeaddrinfo(res);
      return s;
    }
    last = make_error(ErrorCode::kTransport, std::string("connect: ") + std::strerror(errno));
  }
  ::freeaddrinfo(res);
  return last;
}

enum class ReadResult { kOk, kClosed, kStopped };

// read_exact: fills `out` from the socket, checking `stop` between waits.
ReadResult read_exact(const Socket& s, uint8_t* out, size_t n, const VpcdOptions& o, const std::atomic<bool>& stop) {
  size_t got = 0;
  while (got < n) {
    if (stop.load()) return ReadResult::kStopped;
    pollfd p{s.fd(), POLLIN, 0};
    int pr = ::poll(&p, 1, static_cast<int>(o.poll_interval.count()));
    if (pr < 0) {
      if (errno == EINTR) continue;
      return ReadResult::kClosed;
    }
    if (pr == 0) continue;
    ssize_t r = ::recv(s.fd(), out + got, n - got, 0);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r <= 0) return ReadResult::kClosed;
    got += static_cast<size_t>(r);
  }
  return ReadResult::kOk;
}

bool send_message(const Socket& s, ByteView payload) {
  if (payload.size() > 0xFFFF) return false;
  Bytes frame;
  frame.reserve(payload.size() + 2);
  frame.push_back(static_cast<uint8_t>(payload.size() >> 8));
  frame.push_back(static_cast<uint8_t>(payload.size() & 0xFF));
  append(frame, payload);
  size_t sent = 0;
  while (sent < frame.size()) {
    ssize_t r = ::send(s.fd(), frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    sent += static_cast<size_t>(r);
  }
  return true;
}

enum class SessionEnd { kStopped, kDisconnected, kCardLeft };

// run_session: one connection to vpcd, until it drops, the card leaves, or stop.
SessionEnd run_session(SimCard& card, const Socket& s, const VpcdOptions& o, const std::atomic<bool>& stop,
                       VpcdCounters& counters, bool may_leave) {
  uint64_t apdus = 0;
  const size_t leave_after = card.config().quirks.leave_after;
  Bytes payload;
  for (;;) {
    uint8_t head[2];
    ReadResult r = read_exact(s, head, 2, o, stop);
    if (r == ReadResult::kStopped) return SessionEnd::kStopped;
    if (r == ReadResult::kClosed) return SessionEnd::kDisconnected;
    const size_t len = static_cast<size_t>(head[0]) << 8 | head[1];
    payload.assign(len, 0);
    if (len > 0) {
      r = read_exact(s, payload.data(), len, o, stop);
      if (r == ReadResult::kStopped) return SessionEnd::kStopped;
      if (r == ReadResult::kClosed) return SessionEnd::kDisconnected;
    }
    // After N APDUs the card is gone: whatever vpcd sends next (the next APDU, or a presence
    // poll) goes unanswered.
    if (may_leave && leave_after != 0 && apdus >= leave_after) return SessionEnd::kCardLeft;
    if (len == 1) {
      switch (payload[0]) {
        case kCtrlOff:
          card.power_off();
          log_line(o, "power off");
          break;
        case kCtrlOn:
          card.power_on();
          log_line(o, "power on");
          break;
        case kCtrlReset:
          card.power_on();
          log_line(o, "reset");
          break;
        case kCtrlAtr:
          if (!send_message(s, card.config().atr)) return SessionEnd::kDisconnected;
          break;
        default: log_line(o, "unknown vpcd control code " + std::to_string(payload[0]) + " ignored");
      }
      continue;
    }
    Bytes response = card.process(payload);
    log_line(o, describe_apdu_exchange(payload, response));
    if (!send_message(s, response)) return SessionEnd::kDisconnected;
    ++counters.apdus;
    ++apdus;
  }
}

}  // namespace

Status parse_host_port(std::string_view text, VpcdOptions& options) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return make_error(ErrorCode::kInvalidArgument, "expected HOST:PORT, got '" + std::string(text) + "'");
  std::string_view host = text.substr(0, colon);
  std::string_view port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned long value = 0;
  if (port.empty() || port.size() > 5) return make_error(ErrorCode::kInvalidArgument, "bad port in '" + std::string(text) + "'");
  for (char c : port) {
    if (c < '0' || c > '9') return make_error(ErrorCode::kInvalidArgument, "bad port in '" + std::string(text) + "'");
    value = value * 10 + static_cast<unsigned long>(c - '0');
  }
  if (value == 0 || value > 65535) return make_error(ErrorCode::kInvalidArgument, "port out of 1..65535 in '" + std::string(text) + "'");
  options.host = host.empty() ? "127.0.0.1" : std::string(host);
  options.port = static_cast<uint16_t>(value);
  return ok_status();
}

std::string describe_apdu_exchange(ByteView command, ByteView response) {
  char buf[160];
  uint16_t sw = response.size() >= 2 ? static_cast<uint16_t>(response[response.size() - 2] << 8 | response.back()) : 0;
  size_t rdata = response.size() >= 2 ? response.size() - 2 : 0;
  auto parsed = apdu::CommandApdu::parse(command);
  if (!parsed.ok()) {
    std::snprintf(buf, sizeof buf, "APDU malformed (%zu bytes) -> SW %04X", command.size(), sw);
    return buf;
  }
  const auto& c = *parsed;
  std::snprintf(buf, sizeof buf, "APDU CLA %02X INS %02X%s Nc %zu Ne %zu -> %zu bytes SW %04X", c.cla, c.ins,
                c.is_secure_messaging() ? " (SM)" : "", c.data.size(), c.ne, rdata, sw);
  return buf;
}

Status serve_vpcd(SimCard& card, const VpcdOptions& o, const std::atomic<bool>& stop, VpcdCounters* counters_out) {
  VpcdCounters local;
  VpcdCounters& counters = counters_out ? *counters_out : local;
  auto backoff = o.backoff_min;
  bool waiting_logged = false;
  bool left_once = false;
  const std::string where = o.host + ":" + std::to_string(o.port);
  while (!stop.load()) {
    auto sock = connect_to(o);
    if (!sock.ok()) {
      if (sock.error().code == ErrorCode::kInvalidArgument) return sock.error();
      if (!waiting_logged) log_line(o, "waiting for vpcd at " + where + " (" + sock.error().context + ")");
      waiting_logged = true;
      if (!sleep_unless_stopped(o, backoff, stop)) break;
      backoff = std::min(backoff * 2, o.backoff_max);
      continue;
    }
    waiting_logged = false;
    backoff = o.backoff_min;
    ++counters.connections;
    log_line(o, "connected to vpcd at " + where + ": card inserted");
    SessionEnd end = run_session(card, *sock, o, stop, counters, !left_once);
    if (end == SessionEnd::kCardLeft) {
      sock->abort();
    } else {
      sock->reset();
    }
    card.power_off();
    if (end == SessionEnd::kStopped) break;
    if (end == SessionEnd::kCardLeft) {
      left_once = true;
      ++counters.removals;
      log_line(o, "card left the field after " + std::to_string(card.config().quirks.leave_after) + " APDUs; back in " +
                      std::to_string(o.return_after.count()) + " ms");
      if (!sleep_unless_stopped(o, o.return_after, stop)) break;
      continue;
    }
    log_line(o, "vpcd closed the connection (pcscd stopped or restarted?); reconnecting");
    if (!sleep_unless_stopped(o, backoff, stop)) break;
  }
  log_line(o, "stopped");
  return ok_status();
}

}  // namespace idtap::sim
