// idtap/select/watch.h: one driver-neutral stream of reader and card events (reader plugged /
// unplugged, card inserted / removed) merged from every driver: PC/SC readers through pcscd's
// event wait, libnfc devices by polling. `idtap watch` prints it; the C API's wait for an event
// and the clerk console read it the same way.
//
// A Watcher merges WatchSources. The real ones are made by make_pcsc_watch_source() and
// make_nfc_watch_source(); tests give scripted ones to Watcher::from_sources().
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/pcsc/winscard_api.h"
#include "idtap/select/select.h"

namespace idtap::select {

// WatchEvent: one change on one reader of any driver.
struct WatchEvent {
  enum class Kind { kReaderAdded, kReaderRemoved, kCardInserted, kCardRemoved };
  Kind kind = Kind::kReaderAdded;
  std::string reader;  // what --reader takes to select it: "pcsc:NAME", "nfc:CONNSTRING"
  Bytes atr;           // kCardInserted: the card's ATR (PC/SC part 3 ATR for a libnfc card)
  Bytes uid;           // kCardInserted: the card's UID where the driver knows it (libnfc); else empty
  std::string detail;  // kReaderRemoved: why, where the driver says (a libnfc device error); else empty

  bool operator==(const WatchEvent&) const = default;
};

// watch_event_kind_name: "reader_added", "reader_removed", "card_inserted", "card_removed" (the
// names `idtap watch` prints).
const char* watch_event_kind_name(WatchEvent::Kind kind);

// WatchSource: one driver's events. Owned by the Watcher; wait() is called from one thread,
// cancel() from any.
class WatchSource {
 public:
  virtual ~WatchSource() = default;
  // WatchSource::driver: the driver's name for messages: "PC/SC", "libnfc", ...
  virtual const char* driver() const = 0;
  // WatchSource::blocks: true when wait() sleeps until an event comes (PC/SC); false when the
  // source must be polled: its wait() does one polling round and returns (libnfc).
  virtual bool blocks() const = 0;
  // WatchSource::reader_count: the readers it watches now.
  virtual size_t reader_count() const = 0;
  // WatchSource::wait: the events that came, in order, waiting up to `timeout` for the first
  // (a polling source ignores `timeout`); empty when none came. kCancelled after cancel(); any
  // other error means the source can no longer watch (pcscd stopped: kServiceUnavailable).
  virtual Result<std::vector<WatchEvent>> wait(std::chrono::milliseconds timeout) = 0;
  // WatchSource::cancel: makes a blocked wait() return soon. Any thread; idempotent.
  virtual void cancel() noexcept = 0;
};

// WatchOptions: what a Watcher watches and how.
struct WatchOptions {
  // report_initial: start with a kReaderAdded for every reader present and a kCardInserted for
  // every card already in one, so a consumer sees the whole picture from events alone.
  bool report_initial = true;
  // poll_interval: how often the polling sources (libnfc) are polled, at most.
  std::chrono::milliseconds poll_interval{250};
  // cancel: optional; cancelling it cancels the watcher (Watcher::cancel), also when it was
  // cancelled before the watcher was made.
  std::shared_ptr<CancelSlot> cancel;
  std::shared_ptr<pcsc::WinscardApi> pcsc_api;  // tests; null: libpcsclite
  bool nfc = true;                              // tests: false leaves libnfc devices alone
};

// make_pcsc_watch_source: PC/SC readers (pcsc::EventMonitor with its own context). Blocking.
// kServiceUnavailable when pcscd does not run.
Result<std::unique_ptr<WatchSource>> make_pcsc_watch_source(const WatchOptions& options);

// make_nfc_watch_source: libnfc devices (nfc::NfcWatcher, which holds each device open while it
// is watched and finds one plugged in later on its own rescans). Polling. Its first polling
// round runs here, so reader_count() tells at once whether a device is there. kInternal when
// libnfc cannot start.
Result<std::unique_ptr<WatchSource>> make_nfc_watch_source(const WatchOptions& options);

// MadeSource: a source as made, or the error that kept it from being made, under its driver's
// name ("PC/SC", "libnfc") for the message of problems().
struct MadeSource {
  std::string driver;
  Result<std::unique_ptr<WatchSource>> source;
};

// Watcher: the merged stream. One thread calls next(); cancel() may come from any thread.
class Watcher {
 public:
  // Watcher::create: watches PC/SC readers and (options.nfc) libnfc devices. A driver that
  // cannot be watched is left out and its error kept in problems(); the watch as a whole fails,
  // with the error of the first driver that failed, when no driver is left that either blocks
  // (PC/SC, which hears of readers plugged in later) or watches a reader already.
  static Result<std::unique_ptr<Watcher>> create(const WatchOptions& options = {});
  // Watcher::from_sources: the same over the given sources, each made or failed (tests script
  // them; the C API may pick drivers). Failure and problems() as for create(). A source's initial
  // events are its own business: `options.report_initial` is not applied here.
  static Result<std::unique_ptr<Watcher>> from_sources(std::vector<MadeSource> sources,
                                                       const WatchOptions& options = {});
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // Watcher::next: the next event of any source, waiting up to `timeout`; nullopt when none came
  // in time. Events of one source keep their order; on one round the polling sources come
  // first. kCancelled once cancel() was called (before or during the wait); a source's other
  // error ends the watch and is returned (the same on every later call).
  Result<std::optional<WatchEvent>> next(std::chrono::milliseconds timeout);
  // Watcher::cancel: makes a blocked next() return kCancelled soon, and every later one at
  // once. Any thread; idempotent.
  void cancel() noexcept;
  // Watcher::problems: the drivers left out at creation, each error with the context "DRIVER
  // readers are not watched" before its own.
  const std::vector<Error>& problems() const { return problems_; }
  // Watcher::reader_count: the readers watched now, over every source.
  size_t reader_count() const;

 private:
  Watcher(std::vector<std::unique_ptr<WatchSource>> sources, std::vector<Error> problems,
          const WatchOptions& options);
  Status poll_round();
  bool cancelled() const;

  std::vector<std::unique_ptr<WatchSource>> sources_;
  std::vector<Error> problems_;
  WatchOptions options_;
  std::deque<WatchEvent> pending_;
  std::optional<Error> failed_;
  std::chrono::steady_clock::time_point next_poll_{};
  mutable std::mutex mutex_;  // guards cancelled_, for the sleep between polls
  std::condition_variable wake_;
  bool cancelled_ = false;
};

}  // namespace idtap::select
