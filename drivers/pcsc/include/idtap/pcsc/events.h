// idtap/pcsc/events.h: reader and card events (reader plugged / unplugged, card inserted /
// removed) from SCardGetStatusChange and the "\\?PnP?\Notification" pseudo reader.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/pcsc/context.h"

namespace idtap::pcsc {

// ReaderEvent: one change. For kCardInserted, `state.atr` holds the ATR.
struct ReaderEvent {
  enum class Kind { kReaderAdded, kReaderRemoved, kCardInserted, kCardRemoved };
  Kind kind = Kind::kReaderAdded;
  std::string reader;
  ReaderState state;  // the reader's state after the change (empty for kReaderRemoved)
};

// event_kind_name: "reader_added", "reader_removed", "card_inserted", "card_removed".
const char* event_kind_name(ReaderEvent::Kind kind);

// EventMonitorOptions: what the monitor reports.
struct EventMonitorOptions {
  // report_initial: start with a kReaderAdded for every reader present and a kCardInserted for
  // every card already in one, so a consumer sees the whole picture from events alone.
  bool report_initial = true;
  // rescan: besides the PnP notification, list the readers again after this long without
  // events (a backstop for PC/SC stacks whose PnP notification is unreliable).
  std::chrono::milliseconds rescan{2000};
};

// EventMonitor: owns its own Context. A kiosk runs it in its own thread (run() or a next()
// loop) and ends it from another thread with stop(). Not otherwise thread-safe.
class EventMonitor {
 public:
  // EventMonitor::create: establishes a context and takes the initial reader list.
  // kServiceUnavailable when pcscd does not run.
  static Result<std::unique_ptr<EventMonitor>> create(const EventMonitorOptions& options = {},
                                                      std::shared_ptr<WinscardApi> api = real_winscard_api());

  // EventMonitor::next: the next event, waiting up to `timeout`; nullopt when none came in
  // time. kCancelled once stop() was called; kServiceUnavailable when pcscd stopped.
  Result<std::optional<ReaderEvent>> next(std::chrono::milliseconds timeout);
  // EventMonitor::run: calls `on_event` (borrowing the event) for every event until stop();
  // returns ok after stop(), or the error that ended it.
  Status run(const std::function<void(const ReaderEvent&)>& on_event);
  // EventMonitor::stop: makes next()/run() return (within kWaitSlice at worst): sets a flag and
  // wakes the blocked SCardGetStatusChange with SCardCancel. Any thread; idempotent.
  void stop() noexcept;
  // EventMonitor::readers: the readers known now, with their last states.
  const std::map<std::string, ReaderState>& readers() const { return known_; }

 private:
  EventMonitor(std::shared_ptr<Context> context, const EventMonitorOptions& options)
      : context_(std::move(context)), options_(options) {}
  Status rescan();
  void compare(const ReaderState& before, const ReaderState& after);

  std::shared_ptr<Context> context_;
  EventMonitorOptions options_;
  std::map<std::string, ReaderState> known_;
  std::deque<ReaderEvent> pending_;
  std::chrono::steady_clock::time_point last_rescan_;
  std::atomic<bool> stopped_{false};
};

}  // namespace idtap::pcsc
