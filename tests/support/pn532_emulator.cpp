#include "support/pn532_emulator.h"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "idtap/apdu/command.h"
#include "idtap/base/hex.h"

namespace idtap::testing {
namespace {

// Every test binary that links tests/support sees only the libnfc devices a test names or
// configures (LIBNFC_DEVICE): no USB scan of the host's readers, and libnfc's error log off
// (tests provoke errors on purpose). Set before main(), hence before any nfc_init.
[[maybe_unused]] const bool kLibnfcQuiet = [] {
  ::setenv("LIBNFC_AUTO_SCAN", "false", 0);
  ::setenv("LIBNFC_LOG_LEVEL", "0", 0);
  return true;
}();

// PN532 command codes (UM0701-02 §7).
constexpr uint8_t kDiagnose = 0x00;
constexpr uint8_t kGetFirmwareVersion = 0x02;
constexpr uint8_t kGetGeneralStatus = 0x04;
constexpr uint8_t kReadRegister = 0x06;
constexpr uint8_t kWriteRegister = 0x08;
constexpr uint8_t kSetParameters = 0x12;
constexpr uint8_t kSamConfiguration = 0x14;
constexpr uint8_t kPowerDown = 0x16;
constexpr uint8_t kRfConfiguration = 0x32;
constexpr uint8_t kInDataExchange = 0x40;
constexpr uint8_t kInCommunicateThru = 0x42;
constexpr uint8_t kInDeselect = 0x44;
constexpr uint8_t kInListPassiveTarget = 0x4A;
constexpr uint8_t kInRelease = 0x52;
constexpr uint8_t kInSelect = 0x54;
constexpr uint8_t kInAutoPoll = 0x60;

// Status byte values (UM0701-02 §7.1, Table 15).
constexpr uint8_t kStatusOk = 0x00;
constexpr uint8_t kStatusTimeout = 0x01;       // the target has not answered
constexpr uint8_t kStatusWrongContext = 0x27;  // not acceptable in the current context

constexpr uint8_t kParamAutoRats = 0x10;  // SetParameters fAutomaticRATS

constexpr uint8_t kAck[] = {0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00};
constexpr uint8_t kSyntaxError[] = {0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00};

// frame: a PN532 information frame from the chip (TFI D5) around `payload`.
Bytes frame(ByteView payload) {
  const size_t len = payload.size() + 1;  // TFI + payload
  Bytes out = {0x00, 0x00, 0xFF};
  if (len <= 255) {
    out.push_back(static_cast<uint8_t>(len));
    out.push_back(static_cast<uint8_t>(0x100 - len));
  } else {
    const uint8_t hi = static_cast<uint8_t>(len >> 8), lo = static_cast<uint8_t>(len);
    out.insert(out.end(), {0xFF, 0xFF, hi, lo, static_cast<uint8_t>(0x100 - ((hi + lo) & 0xFF))});
  }
  out.push_back(0xD5);
  uint8_t sum = 0xD5;
  for (uint8_t b : payload) {
    out.push_back(b);
    sum = static_cast<uint8_t>(sum + b);
  }
  out.push_back(static_cast<uint8_t>(0x100 - sum));
  out.push_back(0x00);
  return out;
}

}  // namespace

Pn532Emulator::Pn532Emulator(Options options) : options_(options) {
  // Reset values of the registers libnfc reads back before masking writes.
  registers_[0x6302] = 0x80;  // CIU_TxMode: CRC on
  registers_[0x6303] = 0x80;  // CIU_RxMode: CRC on
}

Result<std::unique_ptr<Pn532Emulator>> Pn532Emulator::start(Options options) {
  std::unique_ptr<Pn532Emulator> emu(new Pn532Emulator(options));
  if (::pipe2(emu->stop_pipe_, O_CLOEXEC) != 0) return make_error(ErrorCode::kIo, "pipe2 failed");
  IDTAP_TRY(emu->plug_in());
  return emu;
}

Status Pn532Emulator::plug_in() {
  master_fd_ = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master_fd_ < 0) return make_error(ErrorCode::kIo, std::string("posix_openpt: ") + std::strerror(errno));
  if (grantpt(master_fd_) != 0 || unlockpt(master_fd_) != 0)
    return make_error(ErrorCode::kIo, std::string("grantpt/unlockpt: ") + std::strerror(errno));
  char name[128];
  if (ptsname_r(master_fd_, name, sizeof name) != 0)
    return make_error(ErrorCode::kIo, std::string("ptsname: ") + std::strerror(errno));
  pts_path_ = name;
  slave_fd_ = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave_fd_ < 0) return make_error(ErrorCode::kIo, std::string("open ") + name + ": " + std::strerror(errno));
  // Raw from the start: libnfc restores the settings it found when it closes the port, and an
  // echoing line discipline would hand our own answers back to us.
  termios t{};
  tcgetattr(slave_fd_, &t);
  cfmakeraw(&t);
  tcsetattr(slave_fd_, TCSANOW, &t);
  ::fcntl(master_fd_, F_SETFL, ::fcntl(master_fd_, F_GETFL) | O_NONBLOCK);
  if (options_.link_path.empty()) {
    tty_path_ = pts_path_;
  } else {
    // A stable name for the port, as udev gives a USB-serial adapter: replug() points it at
    // the new pseudo-terminal.
    const std::string tmp = options_.link_path + ".new";
    ::unlink(tmp.c_str());
    if (::symlink(pts_path_.c_str(), tmp.c_str()) != 0 || ::rename(tmp.c_str(), options_.link_path.c_str()) != 0)
      return make_error(ErrorCode::kIo, "cannot link " + options_.link_path + " to " + pts_path_);
    tty_path_ = options_.link_path;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    unplugged_ = false;
    asleep_ = true;  // a board that just got power starts in LowVbat
    input_.clear();
    target_active_ = false;
  }
  worker_ = std::thread([this] { run(); });
  return ok_status();
}

Status Pn532Emulator::replug() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!unplugged_) return make_error(ErrorCode::kState, "replug: the board is still plugged in");
  }
  // Drain the stop byte unplug() left in the pipe, so the new worker does not stop at once.
  uint8_t b = 0;
  ::fcntl(stop_pipe_[0], F_SETFL, ::fcntl(stop_pipe_[0], F_GETFL) | O_NONBLOCK);
  while (::read(stop_pipe_[0], &b, 1) > 0) {
  }
  return plug_in();
}

Pn532Emulator::~Pn532Emulator() {
  if (stop_pipe_[1] >= 0) {
    const uint8_t b = 1;
    (void)::write(stop_pipe_[1], &b, 1);
  }
  if (worker_.joinable()) worker_.join();
  for (int fd : {master_fd_, slave_fd_, stop_pipe_[0], stop_pipe_[1]})
    if (fd >= 0) ::close(fd);
  if (!options_.link_path.empty()) ::unlink(options_.link_path.c_str());
}

void Pn532Emulator::place_card(Pn532Card card) {
  std::lock_guard<std::mutex> lock(mutex_);
  card_ = std::move(card);
  remove_countdown_.reset();
  returning_card_.reset();
  card_was_activated_ = false;
  target_active_ = false;
}

void Pn532Emulator::remove_card() {
  std::lock_guard<std::mutex> lock(mutex_);
  card_.reset();  // the chip still holds its target: exchanges now time out, as on the air
  returning_card_.reset();
}

void Pn532Emulator::remove_card_at_apdu(size_t index, std::optional<std::chrono::milliseconds> back_after) {
  std::lock_guard<std::mutex> lock(mutex_);
  remove_countdown_ = index;
  remove_back_after_ = back_after;
}

void Pn532Emulator::unplug_at_apdu(size_t index) {
  std::lock_guard<std::mutex> lock(mutex_);
  unplug_countdown_ = index;
}

void Pn532Emulator::return_card_if_due() {
  if (!returning_card_ || card_ || std::chrono::steady_clock::now() < return_at_) return;
  card_ = std::move(*returning_card_);  // back in the field, idle until the next activation
  returning_card_.reset();
  card_was_activated_ = false;
  target_active_ = false;
}

void Pn532Emulator::close_link() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    unplugged_ = true;
    unplug_now_ = false;
    target_active_ = false;
  }
  ::close(master_fd_);
  master_fd_ = -1;
  ::close(slave_fd_);
  slave_fd_ = -1;
  if (!options_.link_path.empty()) ::unlink(options_.link_path.c_str());
}

void Pn532Emulator::unplug() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    unplugged_ = true;
  }
  const uint8_t b = 1;
  (void)::write(stop_pipe_[1], &b, 1);
  if (worker_.joinable()) worker_.join();
  // Both our ends go: the host's next read or write on the slave fails with EIO. (Already
  // closed when the worker unplugged the board itself: unplug_at_apdu.)
  if (master_fd_ >= 0) ::close(master_fd_);
  master_fd_ = -1;
  if (slave_fd_ >= 0) ::close(slave_fd_);
  slave_fd_ = -1;
  if (!options_.link_path.empty()) ::unlink(options_.link_path.c_str());  // the device node goes too
}

void Pn532Emulator::set_response_delay(std::chrono::milliseconds delay) {
  std::lock_guard<std::mutex> lock(mutex_);
  delay_ = delay;
}

Pn532Stats Pn532Emulator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

bool Pn532Emulator::target_active() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return target_active_;
}

void Pn532Emulator::run() {
  for (;;) {
    pollfd fds[2] = {{master_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    const int n = ::poll(fds, 2, 200);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || (fds[1].revents & POLLIN)) return;
    if (fds[0].revents & POLLIN) {
      uint8_t buf[512];
      const ssize_t got = ::read(master_fd_, buf, sizeof buf);
      if (got > 0) {
        std::unique_lock<std::mutex> lock(mutex_);
        input_.insert(input_.end(), buf, buf + got);
        lock.unlock();
        process_input();
        if (master_fd_ < 0) return;  // unplugged by unplug_at_apdu
      }
    }
  }
}

void Pn532Emulator::send_raw(ByteView bytes) {
  if (options_.trace) std::fprintf(stderr, "pn532 > %s\n", to_hex(bytes, true, ' ').c_str());
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t w = ::write(master_fd_, bytes.data() + off, bytes.size() - off);
    if (w > 0) {
      off += static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      pollfd p{master_fd_, POLLOUT, 0};
      if (::poll(&p, 1, 200) > 0) continue;
    }
    return;  // nobody reads: drop, as a wire would
  }
}

void Pn532Emulator::send_answer(ByteView payload) {
  Bytes f = frame(payload);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    last_answer_frame_ = f;
  }
  send_raw(f);
}

bool Pn532Emulator::wait_or_abort(std::chrono::milliseconds delay) {
  // true when the host sent something meanwhile (the pending answer is then dropped).
  const auto deadline = std::chrono::steady_clock::now() + delay;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!input_.empty()) return true;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd fds[2] = {{master_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, static_cast<int>(left.count())) <= 0) continue;
    if (fds[1].revents & POLLIN) return true;
    if (fds[0].revents & POLLIN) {
      uint8_t buf[512];
      const ssize_t got = ::read(master_fd_, buf, sizeof buf);
      if (got > 0) {
        std::lock_guard<std::mutex> lock(mutex_);
        input_.insert(input_.end(), buf, buf + got);
      }
    }
  }
}

void Pn532Emulator::process_input() {
  for (;;) {
    std::unique_lock<std::mutex> lock(mutex_);
    Bytes& in = input_;
    // Skip to a start code 00 FF; 0x55 bytes on the way are the HSU wake-up preamble.
    size_t start = 0;
    bool woke = false;
    while (start + 1 < in.size() && !(in[start] == 0x00 && in[start + 1] == 0xFF)) {
      if (in[start] == 0x55) woke = true;
      ++start;
    }
    if (woke) {
      ++stats_.wakeups;
      asleep_ = false;
    }
    if (start + 1 >= in.size()) {
      // Keep a trailing 00 (it may be the first half of a start code).
      if (!in.empty() && in.back() == 0x00) in.erase(in.begin(), in.end() - 1); else in.clear();
      return;
    }
    in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(start));  // in = 00 FF ...
    if (in.size() < 4) return;
    const uint8_t len = in[2], lcs = in[3];
    if (len == 0x00 && lcs == 0xFF) {  // ACK from the host: abort
      in.erase(in.begin(), in.begin() + std::min<size_t>(5, in.size()));
      ++stats_.host_acks;
      pending_out_.clear();
      continue;
    }
    if (len == 0xFF && lcs == 0x00) {  // NACK: send the last answer again
      in.erase(in.begin(), in.begin() + std::min<size_t>(5, in.size()));
      ++stats_.nacks;
      Bytes again = last_answer_frame_;
      lock.unlock();
      if (!again.empty()) send_raw(again);
      continue;
    }
    size_t header = 4, body = 0;  // body = TFI + data
    bool extended = false;
    if (len == 0xFF && lcs == 0xFF) {
      if (in.size() < 7) return;
      if (static_cast<uint8_t>(in[4] + in[5] + in[6]) != 0) {
        ++stats_.checksum_errors;
        in.erase(in.begin(), in.begin() + 2);
        continue;
      }
      body = static_cast<size_t>(in[4]) << 8 | in[5];
      header = 7;
      extended = true;
    } else {
      if (static_cast<uint8_t>(len + lcs) != 0) {
        ++stats_.checksum_errors;
        in.erase(in.begin(), in.begin() + 2);
        continue;
      }
      body = len;
    }
    if (in.size() < header + body + 2) return;  // wait for the rest
    const ByteView whole(in.data(), header + body + 2);
    uint8_t sum = 0;
    for (size_t i = header; i < header + body + 1; ++i) sum = static_cast<uint8_t>(sum + whole[i]);
    const bool good = body >= 2 && sum == 0 && whole[header] == 0xD4;
    Bytes payload(whole.begin() + static_cast<std::ptrdiff_t>(header + 1),
                  whole.begin() + static_cast<std::ptrdiff_t>(header + body));
    if (options_.trace) std::fprintf(stderr, "host  > %s\n", to_hex(whole, true, ' ').c_str());
    in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(header + body + 2));
    if (!good) {
      ++stats_.checksum_errors;  // dropped unanswered: the host times out and retries
      continue;
    }
    if (asleep_) {
      ++stats_.ignored_asleep;
      continue;
    }
    ++stats_.frames;
    if (extended) ++stats_.extended_frames;
    stats_.commands.push_back(payload[0]);
    const auto delay = delay_;
    lock.unlock();

    send_raw(kAck);
    std::optional<Bytes> answer = handle_command(payload);
    bool unplug_now = false;
    {
      std::lock_guard<std::mutex> l(mutex_);
      unplug_now = unplug_now_;
    }
    if (unplug_now) {  // the board goes between the ACK and the answer
      close_link();
      return;
    }
    if (!answer) {
      {
        std::lock_guard<std::mutex> l(mutex_);
        ++stats_.error_frames;
      }
      send_raw(kSyntaxError);
      continue;
    }
    if (delay.count() > 0 && wait_or_abort(delay)) {
      std::lock_guard<std::mutex> l(mutex_);
      ++stats_.aborted;
      continue;
    }
    send_answer(*answer);
    if (payload[0] == kPowerDown) {
      std::lock_guard<std::mutex> l(mutex_);
      asleep_ = true;
    }
  }
}

std::optional<Bytes> Pn532Emulator::handle_command(ByteView payload) {
  const uint8_t cmd = payload[0];
  const ByteView data = payload.subspan(1);
  Bytes out = {static_cast<uint8_t>(cmd + 1)};
  std::unique_lock<std::mutex> lock(mutex_);
  return_card_if_due();
  switch (cmd) {
    case kDiagnose: {
      if (data.empty()) return std::nullopt;
      if (data[0] == 0x00) {  // communication line test: echo NumTst and InParam
        append(out, data);
        return out;
      }
      if (data[0] == 0x06) {  // card presence detection (ISO/IEC 14443-4 presence check)
        out.push_back(target_active_ && card_ ? kStatusOk : kStatusTimeout);
        if (!card_) target_active_ = false;
        return out;
      }
      return std::nullopt;
    }
    case kGetFirmwareVersion:
      append(out, Bytes{0x32, 0x01, 0x06, 0x07});  // IC PN532, v1.6, ISO 14443-A, -B, 18092
      return out;
    case kGetGeneralStatus: {
      out.push_back(0x00);                      // last error
      out.push_back(field_on_ ? 0x01 : 0x00);   // external field? (our own here)
      out.push_back(target_active_ ? 1 : 0);
      if (target_active_) append(out, Bytes{0x01, 0x00, 0x00, static_cast<uint8_t>(card_ && card_->type == Pn532Card::Type::kB ? 0x03 : 0x00)});
      out.push_back(0x00);  // SAM status
      return out;
    }
    case kReadRegister:
      if (data.empty() || data.size() % 2 != 0) return std::nullopt;
      for (size_t i = 0; i < data.size(); i += 2) out.push_back(registers_[static_cast<uint16_t>(data[i] << 8 | data[i + 1])]);
      return out;
    case kWriteRegister:
      if (data.empty() || data.size() % 3 != 0) return std::nullopt;
      for (size_t i = 0; i < data.size(); i += 3) registers_[static_cast<uint16_t>(data[i] << 8 | data[i + 1])] = data[i + 2];
      return out;
    case kSetParameters:
      if (data.size() != 1) return std::nullopt;
      parameters_ = data[0];
      return out;
    case kSamConfiguration:
      if (data.empty() || data[0] < 0x01 || data[0] > 0x04) return std::nullopt;
      if (data[0] == 0x01) stats_.sam_configured = true;
      return out;
    case kPowerDown:
      if (data.empty()) return std::nullopt;
      target_active_ = false;
      field_on_ = false;
      out.push_back(kStatusOk);
      return out;
    case kRfConfiguration:
      if (data.empty()) return std::nullopt;
      if (data[0] == 0x01 && data.size() >= 2) {  // RF field
        field_on_ = (data[1] & 0x01) != 0;
        if (!field_on_) target_active_ = false;  // the card loses power
      }
      return out;
    case kInListPassiveTarget: {
      if (data.size() < 2 || data[0] < 1 || data[0] > 2) return std::nullopt;
      lock.unlock();
      std::optional<Bytes> target = activate(data[1], data.subspan(2), false, 0);
      out.push_back(target ? 1 : 0);
      if (target) append(out, *target);
      return out;
    }
    case kInAutoPoll: {
      if (data.size() < 3) return std::nullopt;
      lock.unlock();
      for (uint8_t type : data.subspan(2)) {
        std::optional<Bytes> target;
        if (type == 0x00 || type == 0x10 || type == 0x20) target = activate(0x00, {}, true, type);
        else if (type == 0x03 || type == 0x23) target = activate(0x03, Bytes{0x00}, true, type);
        if (target) {
          out.push_back(1);
          out.push_back(type);
          out.push_back(static_cast<uint8_t>(target->size()));
          append(out, *target);
          return out;
        }
      }
      out.push_back(0);
      return out;
    }
    case kInDataExchange:
      lock.unlock();
      return in_data_exchange(data);
    case kInCommunicateThru:
      lock.unlock();
      return in_communicate_thru(data);
    case kInSelect:
      if (data.size() != 1) return std::nullopt;
      out.push_back(card_ && card_was_activated_ && data[0] == 1 ? kStatusOk : kStatusWrongContext);
      if (out.back() == kStatusOk) target_active_ = true;
      return out;
    case kInDeselect:
    case kInRelease:
      if (data.size() != 1) return std::nullopt;
      target_active_ = false;
      pending_in_.clear();
      pending_out_.clear();
      out.push_back(kStatusOk);
      return out;
    default:
      return std::nullopt;
  }
}

std::optional<Bytes> Pn532Emulator::activate(uint8_t brty, ByteView initiator_data, bool, uint8_t poll_type) {
  std::shared_ptr<apdu::Transport> application;
  Bytes target_data = {0x01};  // Tg
  {
    std::lock_guard<std::mutex> lock(mutex_);
    field_on_ = true;
    target_active_ = false;
    pending_in_.clear();
    pending_out_.clear();
    if (!card_) return std::nullopt;
    const Pn532Card& c = *card_;
    if (brty == 0x00 && c.type == Pn532Card::Type::kA) {
      if (!initiator_data.empty() && !equal_bytes(initiator_data, c.nfcid1)) return std::nullopt;
      if (poll_type == 0x20 && !(c.sel_res & 0x20)) return std::nullopt;
      append(target_data, c.sens_res);
      target_data.push_back(c.sel_res);
      target_data.push_back(static_cast<uint8_t>(c.nfcid1.size()));
      append(target_data, c.nfcid1);
      if ((parameters_ & kParamAutoRats) && (c.sel_res & 0x20) && poll_type != 0x10) append(target_data, c.ats);
    } else if (brty == 0x03 && c.type == Pn532Card::Type::kB) {
      // InitiatorData: AFI (and optionally the polling method); AFI 00 addresses every card.
      if (initiator_data.empty()) return std::nullopt;
      append(target_data, c.atqb);
      target_data.push_back(static_cast<uint8_t>(c.attrib_res.size()));
      append(target_data, c.attrib_res);
    } else {
      return std::nullopt;
    }
    application = c.application;  // powered up and activated: a fresh card session
    card_was_activated_ = true;
    target_active_ = true;
    picc_block_number_ = 1;  // ISO/IEC 14443-4 §7.5.3.1 rule C: the PICC starts at 1
    last_i_block_.clear();
    ++stats_.activations;
  }
  if (application) (void)application->reconnect(std::chrono::milliseconds(0));
  return target_data;
}

Bytes Pn532Emulator::in_data_exchange(ByteView data) {
  const Bytes status_only = {static_cast<uint8_t>(kInDataExchange + 1)};
  auto answer = [&](uint8_t status, ByteView bytes) {
    Bytes out = status_only;
    out.push_back(status);
    append(out, bytes);
    return out;
  };
  std::shared_ptr<apdu::Transport> application;
  Bytes command;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (data.empty() || (data[0] & 0x3F) != 1) return answer(kStatusWrongContext, {});
    if (!target_active_) return answer(kStatusWrongContext, {});
    if (!card_) return answer(kStatusTimeout, {});  // the card left: nothing answers
    const bool more = (data[0] & 0x40) != 0;
    const ByteView chunk = data.subspan(1);
    if (chunk.empty() && !more && !pending_out_.empty()) {
      // The host asks for the next part of a long answer (MI chaining, UM0701-02 §7.3.8).
      const size_t n = std::min(pending_out_.size(), options_.max_frame_data);
      Bytes part(pending_out_.begin(), pending_out_.begin() + static_cast<std::ptrdiff_t>(n));
      pending_out_.erase(pending_out_.begin(), pending_out_.begin() + static_cast<std::ptrdiff_t>(n));
      const bool still_more = !pending_out_.empty();
      if (still_more) ++stats_.mi_chunks_out;
      return answer(static_cast<uint8_t>(kStatusOk | (still_more ? 0x40 : 0x00)), part);
    }
    append(pending_in_, chunk);
    if (more) {
      ++stats_.mi_chunks_in;
      return answer(kStatusOk, {});
    }
    command = std::move(pending_in_);
    pending_in_.clear();
    // Faults armed for this APDU: the board goes (no answer at all), or the card leaves.
    if (unplug_countdown_ && (*unplug_countdown_)-- == 0) {
      unplug_countdown_.reset();
      unplug_now_ = true;
      return answer(kStatusTimeout, {});  // never sent
    }
    if (remove_countdown_ && (*remove_countdown_)-- == 0) {
      remove_countdown_.reset();
      if (remove_back_after_) {
        returning_card_ = std::move(card_);
        return_at_ = std::chrono::steady_clock::now() + *remove_back_after_;
      }
      card_.reset();
      return answer(kStatusTimeout, {});  // the card left with the command on the air
    }
    application = card_->application;
  }
  Bytes response;
  if (!application) return answer(kStatusTimeout, {});
  auto parsed = apdu::CommandApdu::parse(command);
  if (!parsed.ok()) {
    response = {0x67, 0x00};  // the card rejects what it cannot parse: wrong length
  } else {
    auto r = application->transmit(*parsed);
    if (!r.ok()) return answer(kStatusTimeout, {});  // the card fell silent
    response = r->encode();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (!card_ || !target_active_) return answer(kStatusTimeout, {});  // removed while it worked
  ++stats_.apdus;
  picc_block_number_ ^= 1;  // one I-block exchange (rule D: the PICC toggles on each I-block)
  last_i_block_ = concat({Bytes{static_cast<uint8_t>(0x02 | picc_block_number_)}, response});
  if (response.size() <= options_.max_frame_data) return answer(kStatusOk, response);
  const size_t n = options_.max_frame_data;
  pending_out_.assign(response.begin() + static_cast<std::ptrdiff_t>(n), response.end());
  ++stats_.mi_chunks_out;
  return answer(kStatusOk | 0x40, ByteView(response).first(n));
}

}  // namespace idtap::testing

namespace idtap::testing {

Bytes Pn532Emulator::in_communicate_thru(ByteView data) {
  // Raw ISO/IEC 14443-4 blocks (CRC added and checked by the chip). libnfc's presence check
  // sends R(NAK); the card answers R(ACK) when the block number is its own, otherwise it sends
  // its last block again (ISO/IEC 14443-4 §7.5.4.2, rule 11).
  auto answer = [](uint8_t status, ByteView bytes) {
    Bytes out = {static_cast<uint8_t>(kInCommunicateThru + 1), status};
    append(out, bytes);
    return out;
  };
  std::lock_guard<std::mutex> lock(mutex_);
  if (data.empty()) return answer(kStatusWrongContext, {});
  if (!card_ || !target_active_) return answer(kStatusTimeout, {});  // nothing in the field answers
  const uint8_t pcb = data[0];
  if ((pcb & 0xF6) == 0xB2) {  // R(NAK)
    const uint8_t bn = pcb & 0x01;
    if (bn == picc_block_number_ || last_i_block_.empty())
      return answer(kStatusOk, Bytes{static_cast<uint8_t>(0xA2 | picc_block_number_)});
    return answer(kStatusOk, last_i_block_);
  }
  if ((pcb & 0xF7) == 0xC2) {  // S(DESELECT)
    target_active_ = false;
    return answer(kStatusOk, Bytes{0xC2});
  }
  return answer(kStatusTimeout, {});  // anything else: a real card would not answer either
}

}  // namespace idtap::testing
