// The PC/SC watch source: pcsc::EventMonitor (SCardGetStatusChange and the PnP notification).
#include <utility>

#include "idtap/pcsc/events.h"
#include "idtap/select/drivers.h"
#include "idtap/select/watch.h"

namespace idtap::select {

WatchEvent watch_event_from_pcsc(const pcsc::ReaderEvent& event) {
  WatchEvent out;
  switch (event.kind) {
    case pcsc::ReaderEvent::Kind::kReaderAdded: out.kind = WatchEvent::Kind::kReaderAdded; break;
    case pcsc::ReaderEvent::Kind::kReaderRemoved: out.kind = WatchEvent::Kind::kReaderRemoved; break;
    case pcsc::ReaderEvent::Kind::kCardInserted: out.kind = WatchEvent::Kind::kCardInserted; break;
    case pcsc::ReaderEvent::Kind::kCardRemoved: out.kind = WatchEvent::Kind::kCardRemoved; break;
  }
  out.reader = "pcsc:" + event.reader;
  if (out.kind == WatchEvent::Kind::kCardInserted) out.atr = event.state.atr;
  return out;
}

namespace {

class PcscWatchSource : public WatchSource {
 public:
  explicit PcscWatchSource(std::unique_ptr<pcsc::EventMonitor> monitor) : monitor_(std::move(monitor)) {}
  const char* driver() const override { return "PC/SC"; }
  bool blocks() const override { return true; }
  size_t reader_count() const override { return monitor_->readers().size(); }
  void cancel() noexcept override { monitor_->stop(); }

  // The first event waits up to `timeout`; the ones already queued behind it come along.
  Result<std::vector<WatchEvent>> wait(std::chrono::milliseconds timeout) override {
    std::vector<WatchEvent> out;
    IDTAP_ASSIGN_OR_RETURN(auto first, monitor_->next(timeout));
    if (!first) return out;
    out.push_back(watch_event_from_pcsc(*first));
    for (;;) {
      IDTAP_ASSIGN_OR_RETURN(auto more, monitor_->next(std::chrono::milliseconds(0)));
      if (!more) return out;
      out.push_back(watch_event_from_pcsc(*more));
    }
  }

 private:
  std::unique_ptr<pcsc::EventMonitor> monitor_;
};

}  // namespace

Result<std::unique_ptr<WatchSource>> make_pcsc_watch_source(const WatchOptions& options) {
  pcsc::EventMonitorOptions monitor_options;
  monitor_options.report_initial = options.report_initial;
  auto api = options.pcsc_api ? options.pcsc_api : pcsc::real_winscard_api();
  IDTAP_ASSIGN_OR_RETURN(auto monitor, pcsc::EventMonitor::create(monitor_options, std::move(api)));
  return std::unique_ptr<WatchSource>(new PcscWatchSource(std::move(monitor)));
}

}  // namespace idtap::select
