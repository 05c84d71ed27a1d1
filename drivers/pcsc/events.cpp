#include "idtap/pcsc/events.h"

#include <algorithm>
#include <set>
#include <vector>

#include "idtap/pcsc/errors.h"

namespace idtap::pcsc {

const char* event_kind_name(ReaderEvent::Kind kind) {
  switch (kind) {
    case ReaderEvent::Kind::kReaderAdded: return "reader_added";
    case ReaderEvent::Kind::kReaderRemoved: return "reader_removed";
    case ReaderEvent::Kind::kCardInserted: return "card_inserted";
    case ReaderEvent::Kind::kCardRemoved: return "card_removed";
  }
  return "unknown";
}

Result<std::unique_ptr<EventMonitor>> EventMonitor::create(const EventMonitorOptions& options,
                                                          std::shared_ptr<WinscardApi> api) {
  IDTAP_ASSIGN_OR_RETURN(auto context, Context::establish(std::move(api)));
  std::unique_ptr<EventMonitor> m(new EventMonitor(std::move(context), options));
  IDTAP_TRY(m->rescan());
  if (!options.report_initial) m->pending_.clear();
  return m;
}

void EventMonitor::stop() noexcept {
  stopped_.store(true, std::memory_order_release);
  context_->cancel();
}

// Lists the readers again: new ones are added (with their card, if any), vanished ones removed
// (their card first).
Status EventMonitor::rescan() {
  last_rescan_ = std::chrono::steady_clock::now();
  IDTAP_ASSIGN_OR_RETURN(auto names, context_->list_readers());
  std::set<std::string> now(names.begin(), names.end());
  for (auto it = known_.begin(); it != known_.end();) {
    if (now.count(it->first)) {
      ++it;
      continue;
    }
    if (it->second.card_present()) pending_.push_back({ReaderEvent::Kind::kCardRemoved, it->first, ReaderState{}});
    pending_.push_back({ReaderEvent::Kind::kReaderRemoved, it->first, ReaderState{}});
    it = known_.erase(it);
  }
  std::vector<std::string> added;
  for (const auto& n : names)
    if (!known_.count(n)) added.push_back(n);
  if (added.empty()) return ok_status();
  IDTAP_ASSIGN_OR_RETURN(auto states, context_->states(added));
  for (auto& st : states) {
    if (st.raw_state & SCARD_STATE_UNKNOWN) continue;  // gone again already
    pending_.push_back({ReaderEvent::Kind::kReaderAdded, st.name, st});
    if (st.card_present()) pending_.push_back({ReaderEvent::Kind::kCardInserted, st.name, st});
    known_[st.name] = st;
  }
  return ok_status();
}

void EventMonitor::compare(const ReaderState& before, const ReaderState& after) {
  bool was = before.card_present(), is = after.card_present();
  // The counter moves once per insertion and once per removal: a jump of two or more with a card
  // before and after means it was swapped between two waits.
  uint16_t moved = static_cast<uint16_t>(after.event_count - before.event_count);
  if (was && (!is || moved >= 2)) pending_.push_back({ReaderEvent::Kind::kCardRemoved, after.name, after});
  if (is && (!was || moved >= 2)) pending_.push_back({ReaderEvent::Kind::kCardInserted, after.name, after});
}

Result<std::optional<ReaderEvent>> EventMonitor::next(std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (stopped_.load(std::memory_order_acquire)) return make_error(ErrorCode::kCancelled, "event monitor stopped");
    if (!pending_.empty()) {
      ReaderEvent e = std::move(pending_.front());
      pending_.pop_front();
      return std::optional<ReaderEvent>(std::move(e));
    }
    auto now = Clock::now();
    if (now >= deadline) return std::optional<ReaderEvent>();
    if (now - last_rescan_ >= options_.rescan) {
      IDTAP_TRY(rescan());
      continue;
    }
    auto left = std::min(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now), kWaitSlice);

    std::vector<std::string> names;
    for (const auto& [name, st] : known_) names.push_back(name);
    std::vector<SCARD_READERSTATE> rs(names.size() + 1);
    for (size_t i = 0; i < names.size(); ++i) {
      const ReaderState& st = known_[names[i]];
      rs[i] = SCARD_READERSTATE{};
      rs[i].szReader = names[i].c_str();
      rs[i].dwCurrentState = st.raw_state | (static_cast<DWORD>(st.event_count) << 16);
    }
    // pcsc-lite keeps the reader count it last reported in the high 16 bits of the PnP entry.
    SCARD_READERSTATE& pnp = rs.back();
    pnp = SCARD_READERSTATE{};
    pnp.szReader = kPnpReaderName;
    pnp.dwCurrentState = static_cast<DWORD>(names.size()) << 16;

    LONG rc = context_->api().get_status_change(context_->handle(), static_cast<DWORD>(left.count()), rs.data(),
                                                static_cast<DWORD>(rs.size()));
    if (rc == SCARD_E_TIMEOUT) continue;
    if (rc == SCARD_E_CANCELLED) continue;  // stop() or a stray cancel: the loop head decides
    if (rc == SCARD_E_UNKNOWN_READER || rc == SCARD_E_READER_UNAVAILABLE || rc == SCARD_E_NO_READERS_AVAILABLE) {
      IDTAP_TRY(rescan());
      continue;
    }
    if (rc != SCARD_S_SUCCESS) return pcsc_error(rc, "waiting for reader events");

    bool list_changed = (pnp.dwEventState & SCARD_STATE_CHANGED) != 0;
    for (size_t i = 0; i < names.size(); ++i) {
      if (!(rs[i].dwEventState & SCARD_STATE_CHANGED)) continue;
      ReaderState after = reader_state_from(rs[i]);
      if (after.raw_state & (SCARD_STATE_UNKNOWN | SCARD_STATE_IGNORE)) {
        list_changed = true;
        continue;
      }
      ReaderState& before = known_[names[i]];
      compare(before, after);
      before = std::move(after);
    }
    if (list_changed) IDTAP_TRY(rescan());
  }
}

Status EventMonitor::run(const std::function<void(const ReaderEvent&)>& on_event) {
  for (;;) {
    auto e = next(kWaitSlice);
    if (!e.ok()) {
      if (e.error().code == ErrorCode::kCancelled && stopped_.load(std::memory_order_acquire)) return ok_status();
      return std::move(e).error();
    }
    if (*e) on_event(**e);
  }
}

}  // namespace idtap::pcsc
