// The Watcher: merges the event streams of the drivers' watch sources into one.
#include "idtap/select/watch.h"

#include <algorithm>

#include <fmt/format.h>

namespace idtap::select {

const char* watch_event_kind_name(WatchEvent::Kind kind) {
  switch (kind) {
    case WatchEvent::Kind::kReaderAdded: return "reader_added";
    case WatchEvent::Kind::kReaderRemoved: return "reader_removed";
    case WatchEvent::Kind::kCardInserted: return "card_inserted";
    case WatchEvent::Kind::kCardRemoved: return "card_removed";
  }
  return "unknown";
}

Result<std::unique_ptr<Watcher>> Watcher::create(const WatchOptions& options) {
  // libnfc's first polling round comes first, as it always did (the devices are opened before
  // pcscd is asked); PC/SC stands first in the list, so its error is the one a watch with
  // neither driver fails with.
  std::optional<MadeSource> nfc;
  if (options.nfc) nfc = MadeSource{"libnfc", make_nfc_watch_source(options)};
  std::vector<MadeSource> sources;
  sources.push_back({"PC/SC", make_pcsc_watch_source(options)});
  if (nfc) sources.push_back(std::move(*nfc));
  return from_sources(std::move(sources), options);
}

Result<std::unique_ptr<Watcher>> Watcher::from_sources(std::vector<MadeSource> sources, const WatchOptions& options) {
  std::vector<std::unique_ptr<WatchSource>> usable;
  std::vector<Error> problems;
  std::optional<Error> first_failure;
  bool enough = false;  // a source that blocks, or watches a reader already
  for (auto& [driver, s] : sources) {
    if (!s.ok()) {
      if (!first_failure) first_failure = s.error();
      problems.push_back(s.error().with_context(driver + " readers are not watched"));
      continue;
    }
    if ((*s)->blocks() || (*s)->reader_count() > 0) enough = true;
    usable.push_back(std::move(*s));
  }
  if (!enough) {
    if (first_failure) return *first_failure;
    return make_error(ErrorCode::kNoReader, "no reader driver to watch");
  }
  return std::unique_ptr<Watcher>(new Watcher(std::move(usable), std::move(problems), options));
}

Watcher::Watcher(std::vector<std::unique_ptr<WatchSource>> sources, std::vector<Error> problems,
                 const WatchOptions& options)
    : sources_(std::move(sources)), problems_(std::move(problems)), options_(options) {
  if (options_.cancel) options_.cancel->set([this] { cancel(); });
}

Watcher::~Watcher() {
  // The slot may outlive the watcher: it must not call into a destroyed one.
  if (options_.cancel) options_.cancel->set(nullptr);
}

void Watcher::cancel() noexcept {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cancelled_ = true;
  }
  wake_.notify_all();
  for (auto& s : sources_) s->cancel();
}

bool Watcher::cancelled() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cancelled_;
}

size_t Watcher::reader_count() const {
  size_t n = 0;
  for (const auto& s : sources_) n += s->reader_count();
  return n;
}

// One round over the polling sources.
Status Watcher::poll_round() {
  for (auto& s : sources_) {
    if (s->blocks()) continue;
    IDTAP_ASSIGN_OR_RETURN(auto events, s->wait(std::chrono::milliseconds(0)));
    for (auto& e : events) pending_.push_back(std::move(e));
  }
  return ok_status();
}

Result<std::optional<WatchEvent>> Watcher::next(std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  const bool any_polled = std::any_of(sources_.begin(), sources_.end(), [](const auto& s) { return !s->blocks(); });
  const size_t blocking = static_cast<size_t>(std::count_if(sources_.begin(), sources_.end(),
                                                            [](const auto& s) { return s->blocks(); }));
  for (;;) {
    if (cancelled()) return make_error(ErrorCode::kCancelled, "watch cancelled");
    if (failed_) return *failed_;
    if (!pending_.empty()) {
      WatchEvent e = std::move(pending_.front());
      pending_.pop_front();
      return std::optional<WatchEvent>(std::move(e));
    }
    auto now = Clock::now();
    if (now >= deadline) return std::optional<WatchEvent>();
    if (any_polled && now >= next_poll_) {
      next_poll_ = now + options_.poll_interval;
      if (Status st = poll_round(); !st.ok()) {
        if (st.error().code == ErrorCode::kCancelled) continue;  // the loop head decides
        failed_ = st.error();
        continue;
      }
      if (!pending_.empty()) continue;
      now = Clock::now();
    }
    // Wait for the rest of the time, but no longer than the next poll when some source is polled
    // or, with several blocking sources, than one poll interval for each.
    auto slice = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    if (any_polled)
      slice = std::min(slice, std::chrono::duration_cast<std::chrono::milliseconds>(next_poll_ - now));
    if (blocking > 1) slice = std::min(slice, options_.poll_interval);
    slice = std::max(slice, std::chrono::milliseconds(0));
    if (blocking == 0) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait_for(lock, slice, [this] { return cancelled_; });
      continue;
    }
    for (auto& s : sources_) {
      if (!s->blocks()) continue;
      auto events = s->wait(slice);
      if (!events.ok()) {
        if (events.error().code != ErrorCode::kCancelled) failed_ = events.error();
        break;  // a cancel: the loop head decides
      }
      for (auto& e : *events) pending_.push_back(std::move(e));
      if (!pending_.empty()) slice = std::chrono::milliseconds(0);  // the others: only what is there now
    }
  }
}

}  // namespace idtap::select
