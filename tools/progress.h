// tools/progress.h: what a reading command shows on stderr while the card is read: a progress
// bar per file (only on a terminal), and, on any stderr, a line when the card leaves the field
// mid-read and when it is back, so a clerk never watches a frozen bar.
#pragma once

#include <chrono>

#include "idtap/reader/session.h"

namespace idtap::cli {

// ProgressBar: one line on stderr, redrawn per chunk when `enabled` (stderr is a terminal and
// the output is not --json). Card events are always said.
struct ProgressBar {
  bool enabled = false;
  // attach: sets `request`'s progress and card-event callbacks to this bar (which must outlive
  // the read).
  void attach(reader::ReadRequest& request) const;
  void update(const reader::FileRef& file, size_t done, size_t total) const;
  // card_event: "card removed: put it back on the reader (waiting up to N s)" / "card back: reading on".
  void card_event(reader::CardEvent event, std::chrono::milliseconds waiting) const;
  // done: clears the bar's line.
  void done() const;
};

}  // namespace idtap::cli
