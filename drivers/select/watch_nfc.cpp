// The libnfc watch source: nfc::NfcWatcher, polled (libnfc has no events).
#include <utility>

#include "idtap/nfc/watch.h"
#include "idtap/select/drivers.h"
#include "idtap/select/watch.h"

namespace idtap::select {

WatchEvent watch_event_from_nfc(const nfc::NfcEvent& event) {
  WatchEvent out;
  switch (event.kind) {
    case nfc::NfcEvent::Kind::kReaderAdded: out.kind = WatchEvent::Kind::kReaderAdded; break;
    case nfc::NfcEvent::Kind::kReaderRemoved: out.kind = WatchEvent::Kind::kReaderRemoved; break;
    case nfc::NfcEvent::Kind::kCardInserted: out.kind = WatchEvent::Kind::kCardInserted; break;
    case nfc::NfcEvent::Kind::kCardRemoved: out.kind = WatchEvent::Kind::kCardRemoved; break;
  }
  out.reader = event.reader;
  if (out.kind == WatchEvent::Kind::kCardInserted) {
    out.atr = event.atr;
    if (event.target) out.uid = event.target->uid;
  }
  if (out.kind == WatchEvent::Kind::kReaderRemoved) out.detail = event.detail;
  return out;
}

namespace {

class NfcWatchSource : public WatchSource {
 public:
  NfcWatchSource(std::unique_ptr<nfc::NfcWatcher> watcher, std::vector<nfc::NfcEvent> first)
      : watcher_(std::move(watcher)), first_(std::move(first)) {}
  const char* driver() const override { return "libnfc"; }
  bool blocks() const override { return false; }
  size_t reader_count() const override { return watcher_->device_count(); }
  // Nothing to wake: a polling round is short, and the Watcher sleeps between rounds itself.
  void cancel() noexcept override {}

  // One polling round (the first call hands over the round made at creation). Never fails.
  Result<std::vector<WatchEvent>> wait(std::chrono::milliseconds) override {
    std::vector<nfc::NfcEvent> events = first_made_ ? watcher_->poll() : std::move(first_);
    first_made_ = true;
    std::vector<WatchEvent> out;
    out.reserve(events.size());
    for (const auto& e : events) out.push_back(watch_event_from_nfc(e));
    return out;
  }

 private:
  std::unique_ptr<nfc::NfcWatcher> watcher_;
  std::vector<nfc::NfcEvent> first_;
  bool first_made_ = false;
};

}  // namespace

Result<std::unique_ptr<WatchSource>> make_nfc_watch_source(const WatchOptions& options) {
  nfc::NfcWatchOptions nfc_options;
  nfc_options.report_initial = options.report_initial;
  IDTAP_ASSIGN_OR_RETURN(auto watcher, nfc::NfcWatcher::create(nfc_options));
  // The first round now: it finds the devices present, so the Watcher knows whether any is.
  std::vector<nfc::NfcEvent> first = watcher->poll();
  return std::unique_ptr<WatchSource>(new NfcWatchSource(std::move(watcher), std::move(first)));
}

}  // namespace idtap::select
