#include "progress.h"

#include <cstdio>
#include <string>

namespace idtap::cli {

void ProgressBar::attach(reader::ReadRequest& request) const {
  request.progress = [this](const reader::FileRef& f, size_t done, size_t total) { update(f, done, total); };
  request.on_card_event = [this, waiting = request.reconnect_timeout](reader::CardEvent e) { card_event(e, waiting); };
}

void ProgressBar::update(const reader::FileRef& file, size_t done, size_t total) const {
  if (!enabled) return;
  if (total == 0) {
    std::fprintf(stderr, "\r%-14s %8zu bytes        ", file.name.c_str(), done);
  } else {
    int width = 30, filled = static_cast<int>(width * done / total);
    std::fprintf(stderr, "\r%-14s [%s%s] %3zu%%", file.name.c_str(), std::string(filled, '#').c_str(),
                 std::string(width - filled, ' ').c_str(), done * 100 / total);
  }
  std::fflush(stderr);
}

void ProgressBar::card_event(reader::CardEvent event, std::chrono::milliseconds waiting) const {
  // On a terminal the bar's line is cleared first, so the message stands on a line of its own.
  if (enabled) std::fprintf(stderr, "\r%60s\r", "");
  if (event == reader::CardEvent::kLeft) {
    std::fprintf(stderr, "card removed: put it back on the reader (waiting up to %lld s)\n",
                 static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(waiting).count()));
  } else {
    std::fprintf(stderr, "card back: reading on (access control and the chip checks run again)\n");
  }
  std::fflush(stderr);
}

void ProgressBar::done() const {
  if (enabled) std::fprintf(stderr, "\r%60s\r", "");
}

}  // namespace idtap::cli
