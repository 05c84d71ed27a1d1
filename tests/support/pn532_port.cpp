// The PN532 emulator's serial port: the pseudo-terminal and its private name, plugging and
// unplugging, the worker thread reading host bytes, and the host-link protocol around each
// command (wake-up, ACK, NACK, the answer or its abort). The commands themselves are answered in
// pn532_emulator.cpp; frames are built and taken apart by pn532_frame.cpp.
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "idtap/base/hex.h"
#include "support/pn532_emulator.h"
#include "support/pn532_frame.h"

namespace idtap::testing {

Result<std::unique_ptr<Pn532Emulator>> Pn532Emulator::start(Options options) {
  std::unique_ptr<Pn532Emulator> emu(new Pn532Emulator(options));
  if (::pipe2(emu->stop_pipe_, O_CLOEXEC) != 0) return make_error(ErrorCode::kIo, "pipe2 failed");
  if (emu->options_.link_path.empty()) {
    // The port's default name lives in a directory of its own. /dev/pts/N numbers are shared by
    // every process on the machine and handed out again as soon as they are free: a host that
    // keeps the name of a board that went (a driver reopening its reader, as the pcscd handler
    // does) would otherwise open another process's new pseudo-terminal and talk into its
    // exchanges. A private name that goes with the board resolves to nothing instead.
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/idtap-pn532-XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr)
      return make_error(ErrorCode::kIo, "mkdtemp " + templ + ": " + std::strerror(errno));
    emu->private_dir_ = buf.data();
    emu->options_.link_path = emu->private_dir_ + "/ttyPN532";
  }
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
  // The port's name, as udev gives a USB-serial adapter one: a symlink to the pseudo-terminal,
  // replaced atomically; replug() points it at the new one.
  const std::string tmp = options_.link_path + ".new";
  ::unlink(tmp.c_str());
  if (::symlink(pts_path_.c_str(), tmp.c_str()) != 0 || ::rename(tmp.c_str(), options_.link_path.c_str()) != 0)
    return make_error(ErrorCode::kIo, "cannot link " + options_.link_path + " to " + pts_path_);
  tty_path_ = options_.link_path;
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
  if (!private_dir_.empty()) {
    ::unlink((options_.link_path + ".new").c_str());
    ::rmdir(private_dir_.c_str());
  }
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
  ::unlink(options_.link_path.c_str());
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
  ::unlink(options_.link_path.c_str());  // the device node goes too
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
  Bytes f = pn532::chip_frame(payload);
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
  using Kind = pn532::HostFrame::Kind;
  for (;;) {
    std::unique_lock<std::mutex> lock(mutex_);
    pn532::TakenFrame taken = pn532::take_host_frame(input_);
    if (taken.woke) {
      ++stats_.wakeups;
      asleep_ = false;
    }
    if (!taken.frame) return;  // wait for more bytes
    pn532::HostFrame& f = *taken.frame;
    if (options_.trace && !f.raw.empty()) std::fprintf(stderr, "host  > %s\n", to_hex(f.raw, true, ' ').c_str());
    switch (f.kind) {
      case Kind::kAck:  // the host aborts: a long answer still pending is dropped
        ++stats_.host_acks;
        pending_out_.clear();
        continue;
      case Kind::kNack: {  // send the last answer again
        ++stats_.nacks;
        Bytes again = last_answer_frame_;
        lock.unlock();
        if (!again.empty()) send_raw(again);
        continue;
      }
      case Kind::kBadLength:
      case Kind::kBadBody:
        ++stats_.checksum_errors;  // dropped unanswered: the host times out and retries
        continue;
      case Kind::kInformation:
        break;
    }
    if (asleep_) {
      ++stats_.ignored_asleep;
      continue;
    }
    ++stats_.frames;
    if (f.extended) ++stats_.extended_frames;
    stats_.commands.push_back(f.payload[0]);
    const auto delay = delay_;
    lock.unlock();

    send_raw(pn532::kAck);
    std::optional<Bytes> answer = handle_command(f.payload);
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
      send_raw(pn532::kSyntaxError);
      continue;
    }
    if (delay.count() > 0 && wait_or_abort(delay)) {
      std::lock_guard<std::mutex> l(mutex_);
      ++stats_.aborted;
      sleep_after_answer_ = false;  // an aborted PowerDown leaves the chip awake
      continue;
    }
    send_answer(*answer);
    std::lock_guard<std::mutex> l(mutex_);
    if (sleep_after_answer_) {  // PowerDown: the chip sleeps once its answer is out
      sleep_after_answer_ = false;
      asleep_ = true;
    }
  }
}

}  // namespace idtap::testing
