// idtap/pcsc/context.h: a PC/SC resource-manager context (one SCARDCONTEXT, owned), the
// readers it sees and their states.
#pragma once

#include <winscard.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/pcsc/winscard_api.h"

namespace idtap::pcsc {

// ReaderState: one reader as SCardGetStatusChange reports it.
struct ReaderState {
  std::string name;
  DWORD raw_state = 0;       // dwEventState without SCARD_STATE_CHANGED
  uint16_t event_count = 0;  // high 16 bits of dwEventState: pcsc-lite's insert/remove counter
  Bytes atr;                 // the card's ATR when one is present

  bool card_present() const { return (raw_state & SCARD_STATE_PRESENT) != 0; }
  bool in_use() const { return (raw_state & SCARD_STATE_INUSE) != 0; }        // another handle holds it
  bool exclusive() const { return (raw_state & SCARD_STATE_EXCLUSIVE) != 0; }  // held exclusively
  bool mute() const { return (raw_state & SCARD_STATE_MUTE) != 0; }            // does not answer reset
  bool unavailable() const { return (raw_state & (SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE)) != 0; }
  // ReaderState::summary: "empty", "card present", "in use", "in use (exclusive)", "mute card",
  // or "unavailable".
  std::string summary() const;
};

// reader_state_from: a ReaderState from one SCARD_READERSTATE after SCardGetStatusChange.
ReaderState reader_state_from(const SCARD_READERSTATE& s);

// Context: owns one SCARDCONTEXT (released by the destructor). No process-wide context: every
// driver object (a transport, an event monitor, a listing) establishes its own. Use from one
// thread at a time, except cancel(), which any thread may call at any time.
class Context {
 public:
  // Context::establish: connects to pcscd. kServiceUnavailable (with how to start pcscd) when it
  // does not run; the error of `api` otherwise.
  static Result<std::shared_ptr<Context>> establish(std::shared_ptr<WinscardApi> api = real_winscard_api());
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Context::list_readers: the reader names pcscd knows, in its order (empty when none: not an
  // error). kServiceUnavailable if pcscd went away.
  Result<std::vector<std::string>> list_readers();
  // Context::states: the current state of each of `readers` (no waiting). A reader that
  // disappeared comes back with SCARD_STATE_UNKNOWN set.
  Result<std::vector<ReaderState>> states(const std::vector<std::string>& readers);
  // Context::state: states() for one reader; kDeviceGone if pcscd does not know it.
  Result<ReaderState> state(const std::string& reader);
  // Context::wait_for_card: waits until `reader` holds a card and returns its state. kTimeout
  // after `timeout`, kCancelled after cancel(), kDeviceGone if the reader goes away.
  Result<ReaderState> wait_for_card(const std::string& reader, std::chrono::milliseconds timeout);

  // Context::cancel: makes the blocking call in progress on this context (a wait for a card, an
  // event wait) return kCancelled, and every later blocking call too, until clear_cancel().
  // Thread-safe and lock-free on idtap's side; meant to be called from another thread, e.g. the
  // SIGINT watcher thread of tools/interrupt.h. NOT for use inside a signal handler itself:
  // SCardCancel takes locks and writes to the pcscd socket. A transmit in progress is not
  // interrupted (PC/SC cannot): it finishes and the next operation reports kCancelled.
  void cancel() noexcept;
  // Context::cancelled: whether cancel() was called (and not cleared).
  bool cancelled() const noexcept { return cancelled_.load(std::memory_order_acquire); }
  // Context::clear_cancel: forget an earlier cancel() (a kiosk reusing the context).
  void clear_cancel() noexcept { cancelled_.store(false, std::memory_order_release); }

  // Context::api / handle: for the driver's own classes.
  WinscardApi& api() { return *api_; }
  SCARDCONTEXT handle() const { return handle_; }

 private:
  Context(std::shared_ptr<WinscardApi> api, SCARDCONTEXT handle) : api_(std::move(api)), handle_(handle) {}
  std::shared_ptr<WinscardApi> api_;
  SCARDCONTEXT handle_;
  std::atomic<bool> cancelled_{false};
};

// kWaitSlice: the longest single SCardGetStatusChange wait; a cancel() that arrives just before a
// wait starts is seen within this time even if SCardCancel had nothing to wake.
inline constexpr std::chrono::milliseconds kWaitSlice{500};

}  // namespace idtap::pcsc
