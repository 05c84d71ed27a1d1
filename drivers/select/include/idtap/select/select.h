// idtap/select/select.h: the reader selector every card command uses: parses --reader, finds the
// reader across the drivers (PC/SC, libnfc, the simulated card) and opens a Transport on its
// card. Also the reader inventory of `idtap readers`.
//
//   pcsc:NAME      a PC/SC reader whose name contains NAME (case-insensitive; an exact name wins)
//   pcsc:#N        the PC/SC reader at index N of pcscd's list (0-based, as `idtap readers` shows)
//   nfc:CONNSTRING a libnfc device ("nfc:pn532_uart:/dev/ttyUSB0", "nfc:" for the first one)
//   sim:DIR        the simulated card whose files are in DIR (in-process, no pcscd)
//   NAME           without a prefix: as pcsc:NAME
//   (no --reader)  the only reader, of any driver, that holds a card; several: an error that
//                  lists them and asks to choose
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idtap/apdu/tracing_transport.h"
#include "idtap/apdu/transport.h"
#include "idtap/base/result.h"
#include "idtap/pcsc/pcsc_transport.h"
#include "idtap/pcsc/winscard_api.h"

namespace idtap::select {

// ReaderSpec: a parsed --reader value.
struct ReaderSpec {
  enum class Kind { kAuto, kPcscName, kPcscIndex, kNfc, kSim };
  Kind kind = Kind::kAuto;
  std::string value;  // kPcscName: the name or substring; kNfc: the connstring; kSim: the directory
  size_t index = 0;   // kPcscIndex

  bool operator==(const ReaderSpec&) const = default;
};

// parse_reader_spec: parses a --reader value (grammar above). An empty string is kAuto.
// kInvalidArgument for an unknown "scheme:" prefix, "pcsc:" or "sim:" with nothing after it,
// or "pcsc:#" without a decimal index.
Result<ReaderSpec> parse_reader_spec(std::string_view text);

// CancelSlot: how a blocking open or wait is cancelled from another thread (the CLI's SIGINT
// watcher). The driver registers its cancel function with set(); cancel() calls it (or, if none
// is registered yet, remembers the request and calls the function as soon as it is set).
// Thread-safe; the registered function must be safe to call from any thread.
class CancelSlot {
 public:
  // CancelSlot::set: registers `cancel_fn` (replacing any earlier one); calls it at once if a
  // cancel was already requested.
  void set(std::function<void()> cancel_fn);
  // CancelSlot::cancel: requests cancellation: calls the registered function, if any.
  void cancel();
  // CancelSlot::requested: whether cancel() was called.
  bool requested() const;

 private:
  mutable std::mutex mutex_;
  std::function<void()> cancel_fn_;
  bool requested_ = false;
};

// OpenOptions: what open_reader() does.
struct OpenOptions {
  std::optional<std::string> reader;  // the --reader value; nullopt: the only reader holding a card
  pcsc::ConnectOptions pcsc;          // share mode, APDU length policy, transaction, swap checks
  // wait_for_card: how long to wait for a card when the chosen reader is empty (0: fail at once
  // with kNoCard). Waits only when the reader is unambiguous.
  std::chrono::milliseconds wait_for_card{0};
  int verbosity = 0;                  // 1 (-v) or 2 (-vv): wrap the transport in a TracingTransport
  apdu::TraceSink trace_sink;         // where the trace goes; empty: stderr
  std::shared_ptr<CancelSlot> cancel; // optional: receives the driver's cancel function
  std::shared_ptr<pcsc::WinscardApi> pcsc_api;  // tests; null: libpcsclite
};

// OpenedReader: an open card. `pcsc` points into `transport` (it owns the driver object) when the
// reader is a PC/SC one, for what only PC/SC offers (UID, transactions); null otherwise.
struct OpenedReader {
  std::unique_ptr<apdu::Transport> transport;
  std::string description;  // "pcsc:NAME (T=1, extended APDUs)" / "sim:DIR"
  pcsc::PcscTransport* pcsc = nullptr;
};

// open_reader: opens the card chosen by `options.reader`. kNoReader (no such reader, or none at
// all), kNoCard, kInvalidArgument (bad spec, several readers match or hold cards: the message
// lists them), kServiceUnavailable (pcscd not running), kSharingViolation, kNotSupported (a
// driver not built in), kCancelled, kTimeout (waiting for a card).
Result<OpenedReader> open_reader(const OpenOptions& options);

// ReaderInfo: one reader of the inventory.
struct ReaderInfo {
  std::string spec;    // what --reader takes to select it exactly: "pcsc:ACS ACR122U 00 00"
  std::string driver;  // "pcsc", "nfc"
  size_t index = 0;    // index within its driver (pcsc:#N)
  std::string name;
  std::string state;   // "empty", "card present", "in use", "in use (exclusive)", "mute card", ...
  bool card_present = false;
  bool in_use = false;  // another program holds a connection to the card
  Bytes atr;
};

// Inventory: every reader of every driver, and the drivers that could not be asked (pcscd not
// running, libnfc not built) with their errors.
struct Inventory {
  std::vector<ReaderInfo> readers;
  std::vector<Error> problems;
};

// ListOptions: for list_readers().
struct ListOptions {
  std::shared_ptr<pcsc::WinscardApi> pcsc_api;  // tests; null: libpcsclite
  bool nfc = true;                              // false leaves libnfc devices alone (the C API's IDTAP_CONTEXT_NO_NFC)
};

// list_readers: the inventory. Never fails as a whole: a driver's failure goes in `problems`.
Inventory list_readers(const ListOptions& options = {});

// atr_one_line: a one-line description of `atr` for listings (describe::atr_summary), "malformed
// ATR: why" when it does not parse, "" for an empty ATR.
std::string atr_one_line(ByteView atr);

}  // namespace idtap::select
