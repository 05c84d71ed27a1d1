// idtap/nfc/watch.h: reader and card events for libnfc devices (`idtap watch`). libnfc has no
// event mechanism, so the watcher holds each device open and polls it: one polling round for a
// card while the field is empty, the chip's presence check while a card is there.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/nfc/device.h"
#include "idtap/nfc/target.h"

namespace idtap::nfc {

// NfcEvent: one change on a libnfc device. `reader` is the selector spec ("nfc:CONNSTRING").
struct NfcEvent {
  enum class Kind { kReaderAdded, kReaderRemoved, kCardInserted, kCardRemoved };
  Kind kind = Kind::kReaderAdded;
  std::string reader;
  std::string name;                  // libnfc's device name (kReaderAdded)
  std::optional<TargetInfo> target;  // kCardInserted: the card as activated
  Bytes atr;                         // kCardInserted: its PC/SC part 3 ATR
  std::string detail;                // kReaderRemoved: why (the device error)
};

// nfc_event_kind_name: "reader_added", "reader_removed", "card_inserted", "card_removed" (the
// names `idtap watch` prints for PC/SC readers too).
const char* nfc_event_kind_name(NfcEvent::Kind kind);

// NfcWatchOptions: which devices, and how often the device list is taken again.
struct NfcWatchOptions {
  bool report_initial = true;             // the first poll() reports what is there already
  std::vector<std::string> connstrings;   // fixed devices; empty: what libnfc lists, rescanned
  std::chrono::milliseconds rescan{3000};  // how often libnfc's device list is taken again
  PollOptions poll;                        // card types
};

// NfcWatcher: owns its context and the devices it watches (held open while watched: other
// programs cannot use them meanwhile). Not thread-safe: one thread calls poll().
class NfcWatcher {
 public:
  // NfcWatcher::create: a libnfc context (kInternal when libnfc cannot start); devices are
  // looked for on the first poll().
  static Result<std::unique_ptr<NfcWatcher>> create(const NfcWatchOptions& options = {});

  // NfcWatcher::poll: one round over the devices: opens the ones that appeared (a device that
  // does not open, e.g. held by pcscd, is tried again on the next rescan), looks for cards,
  // checks the cards present, drops devices that went away. Never fails as a whole.
  std::vector<NfcEvent> poll();
  // NfcWatcher::device_count: the devices watched now.
  size_t device_count() const { return devices_.size(); }

 private:
  struct Watched {
    std::unique_ptr<NfcDevice> device;
    std::optional<TargetInfo> card;
  };
  explicit NfcWatcher(std::shared_ptr<NfcContext> context, NfcWatchOptions options)
      : context_(std::move(context)), options_(std::move(options)) {}
  void rescan(std::vector<NfcEvent>& events);

  std::shared_ptr<NfcContext> context_;
  NfcWatchOptions options_;
  std::map<std::string, Watched> devices_;
  std::chrono::steady_clock::time_point next_rescan_{};
  bool first_ = true;
};

}  // namespace idtap::nfc
