#include "idtap/nfc/watch.h"

namespace idtap::nfc {

const char* nfc_event_kind_name(NfcEvent::Kind kind) {
  switch (kind) {
    case NfcEvent::Kind::kReaderAdded: return "reader_added";
    case NfcEvent::Kind::kReaderRemoved: return "reader_removed";
    case NfcEvent::Kind::kCardInserted: return "card_inserted";
    case NfcEvent::Kind::kCardRemoved: return "card_removed";
  }
  return "unknown";
}

Result<std::unique_ptr<NfcWatcher>> NfcWatcher::create(const NfcWatchOptions& options) {
  IDTAP_ASSIGN_OR_RETURN(std::shared_ptr<NfcContext> context, NfcContext::create());
  return std::unique_ptr<NfcWatcher>(new NfcWatcher(std::move(context), options));
}

void NfcWatcher::rescan(std::vector<NfcEvent>& events) {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_rescan_) return;
  next_rescan_ = now + options_.rescan;
  // Devices we hold are not listed again by libnfc's USB scan (they are claimed): only ever add
  // here; devices leave when they fail.
  const std::vector<std::string> wanted =
      options_.connstrings.empty() ? context_->list_devices() : options_.connstrings;
  for (const std::string& cs : wanted) {
    if (devices_.count(cs)) continue;
    auto device = NfcDevice::open(context_, cs);
    if (!device.ok()) continue;  // held elsewhere or not answering: try again on the next rescan
    NfcEvent e;
    e.kind = NfcEvent::Kind::kReaderAdded;
    e.reader = "nfc:" + cs;
    e.name = (*device)->name();
    events.push_back(std::move(e));
    devices_[cs].device = std::move(*device);
  }
}

std::vector<NfcEvent> NfcWatcher::poll() {
  std::vector<NfcEvent> events;
  rescan(events);
  for (auto it = devices_.begin(); it != devices_.end();) {
    const std::string reader = "nfc:" + it->first;
    Watched& w = it->second;
    auto gone = [&](const Error& e) {
      if (w.card) events.push_back(NfcEvent{NfcEvent::Kind::kCardRemoved, reader, {}, std::nullopt, {}, {}});
      events.push_back(NfcEvent{NfcEvent::Kind::kReaderRemoved, reader, {}, std::nullopt, {}, e.message()});
      it = devices_.erase(it);
    };
    if (w.card) {
      auto present = w.device->target_present();
      if (!present.ok()) {
        gone(present.error());
        continue;
      }
      if (!*present) {
        w.card.reset();
        events.push_back(NfcEvent{NfcEvent::Kind::kCardRemoved, reader, {}, std::nullopt, {}, {}});
      }
    } else {
      auto found = w.device->poll(std::chrono::milliseconds(0), options_.poll);
      if (!found.ok()) {
        gone(found.error());
        continue;
      }
      if (*found) {
        w.card = **found;
        NfcEvent e;
        e.kind = NfcEvent::Kind::kCardInserted;
        e.reader = reader;
        e.target = w.card;
        e.atr = synthesize_atr(*w.card).value_or(Bytes{});
        events.push_back(std::move(e));
      }
    }
    ++it;
  }
  if (first_) {
    first_ = false;
    if (!options_.report_initial) events.clear();  // the baseline, not news
  }
  return events;
}

}  // namespace idtap::nfc
