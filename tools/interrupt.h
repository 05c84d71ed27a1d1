// tools/interrupt.h: Ctrl-C for commands that block on a card or a reader.
#pragma once

#include <atomic>
#include <csignal>
#include <functional>
#include <thread>

namespace idtap::cli {

// InterruptWatcher: while it lives, SIGINT and SIGTERM do not kill the process. The first one
// calls `on_interrupt` on the watcher's own thread (an ordinary thread, not a signal handler: it
// may take locks, so it is where Context::cancel(), EventMonitor::stop() or CancelSlot::cancel()
// are called); a second one ends the process at once with status 130. Create it on the main
// thread before starting other threads: the signals are blocked in the creating thread and
// every thread it starts afterwards, and delivered through a signalfd. The destructor restores
// the signal mask.
class InterruptWatcher {
 public:
  explicit InterruptWatcher(std::function<void()> on_interrupt);
  ~InterruptWatcher();
  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;

  // InterruptWatcher::interrupted: whether a signal arrived.
  bool interrupted() const { return interrupted_.load(); }

 private:
  void loop();
  std::function<void()> on_interrupt_;
  sigset_t old_mask_;
  int signal_fd_ = -1;
  int stop_fd_ = -1;
  std::atomic<bool> interrupted_{false};
  std::thread thread_;
};

}  // namespace idtap::cli
