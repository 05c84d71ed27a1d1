// idtap watch: a live stream of reader and card events until interrupted.
#include <sys/time.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>
#include <thread>

#include <fmt/format.h>

#include "cli.h"
#include "commands.h"
#include "exit_codes.h"
#include "idtap/base/hex.h"
#include "idtap/nfc/watch.h"
#include "idtap/pcsc/events.h"
#include "idtap/select/select.h"
#include "interrupt.h"
#include "json.h"

namespace idtap::cli {
namespace {

constexpr const char* kHelp =
    "usage: idtap watch [--json] [--count N] [--timeout SECONDS] [--no-initial]\n"
    "\n"
    "Prints reader and card events as they happen (reader added / removed, card inserted /\n"
    "removed, with the card's ATR) until interrupted with Ctrl-C. It starts by reporting the\n"
    "readers and cards already present, as added / inserted events, unless --no-initial.\n"
    "PC/SC readers come from pcscd; libnfc devices (reader nfc:CONNSTRING) are polled a few\n"
    "times a second and held open while watched; one plugged in later is found within a few\n"
    "seconds.\n"
    "\n"
    "options:\n"
    "  --json             one JSON object per line (flushed at once):\n"
    "                     {\"time\":\"...\",\"event\":\"card_inserted\",\"reader\":\"pcsc:NAME\",\"atr\":\"3B...\"}\n"
    "  --count N          stop after N events\n"
    "  --timeout SECONDS  stop after this long\n"
    "  --no-initial       do not report what is present at start\n"
    "  --help             this text\n";

std::string now_utc() {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  std::tm tm{};
  gmtime_r(&tv.tv_sec, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, tv.tv_usec / 1000);
}

Result<double> parse_number(const std::string& text, const char* option) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || v < 0)
    return make_error(ErrorCode::kInvalidArgument, fmt::format("{} takes a non-negative number", option));
  return v;
}

void print_event(const pcsc::ReaderEvent& e, bool json) {
  const char* kind = pcsc::event_kind_name(e.kind);
  bool inserted = e.kind == pcsc::ReaderEvent::Kind::kCardInserted;
  std::string summary = inserted ? select::atr_one_line(e.state.atr) : "";
  if (json) {
    JsonWriter w;
    w.begin_object().field("time", now_utc()).field("event", kind).field("reader", "pcsc:" + e.reader);
    if (inserted) {
      w.field("atr", to_hex(e.state.atr, true));
      if (!summary.empty()) w.field("atr_summary", summary);
    }
    w.end_object();
    print_json_line(w.str());
  } else {
    std::string line = fmt::format("{}  {:<14} pcsc:{}", now_utc(), kind, e.reader);
    if (inserted) line += "  ATR " + to_hex(e.state.atr, true, ' ') + (summary.empty() ? "" : "  " + summary);
    std::printf("%s\n", line.c_str());
  }
  std::fflush(stdout);
}

void print_nfc_event(const nfc::NfcEvent& e, bool json) {
  const char* kind = nfc::nfc_event_kind_name(e.kind);
  const bool inserted = e.kind == nfc::NfcEvent::Kind::kCardInserted;
  std::string summary = inserted ? select::atr_one_line(e.atr) : "";
  if (json) {
    JsonWriter w;
    w.begin_object().field("time", now_utc()).field("event", kind).field("reader", e.reader);
    if (inserted) {
      w.field("atr", to_hex(e.atr, true));
      if (!summary.empty()) w.field("atr_summary", summary);
      if (e.target) w.field("uid", to_hex(e.target->uid, true));
    }
    w.end_object();
    print_json_line(w.str());
  } else {
    std::string line = fmt::format("{}  {:<14} {}", now_utc(), kind, e.reader);
    if (inserted) line += "  ATR " + to_hex(e.atr, true, ' ') + (summary.empty() ? "" : "  " + summary);
    std::printf("%s\n", line.c_str());
  }
  std::fflush(stdout);
}

}  // namespace

int cmd_watch(const std::vector<std::string>& argv) {
  const std::vector<OptionSpec> specs = {
      {"json"}, {"count", true}, {"timeout", true}, {"no-initial"}, {"help", false, false, 'h'}};
  auto args = Args::parse(argv, specs);
  if (!args.ok() || !args->positional().empty()) {
    print_error("watch", args.ok() ? make_error(ErrorCode::kInvalidArgument, "takes no arguments") : args.error());
    print_help("watch", kHelp, stderr);
    return kExitUsage;
  }
  if (args->has("help")) {
    print_help("watch", kHelp, stdout);
    return kExitOk;
  }
  const bool json = args->has("json");
  std::optional<uint64_t> count;
  std::optional<std::chrono::milliseconds> timeout;
  if (auto c = args->get("count")) {
    auto n = parse_number(*c, "--count");
    if (!n.ok()) { print_error("watch", n.error()); return kExitUsage; }
    count = static_cast<uint64_t>(*n);
  }
  if (auto t = args->get("timeout")) {
    auto s = parse_number(*t, "--timeout");
    if (!s.ok()) { print_error("watch", s.error()); return kExitUsage; }
    timeout = std::chrono::milliseconds(static_cast<int64_t>(*s * 1000));
  }

  pcsc::EventMonitorOptions options;
  options.report_initial = !args->has("no-initial");
  // libnfc devices: polled here, between waits for PC/SC events. The first poll finds them.
  nfc::NfcWatchOptions nfc_options;
  nfc_options.report_initial = options.report_initial;
  auto nfc_watcher = nfc::NfcWatcher::create(nfc_options);
  std::vector<nfc::NfcEvent> nfc_pending;
  if (nfc_watcher.ok()) nfc_pending = (*nfc_watcher)->poll();
  // Watching libnfc devices goes on for the whole run, even with none present at start: a reader
  // plugged in later is found by the watcher's own rescans (NfcWatchOptions::rescan).
  const bool nfc_watching = nfc_watcher.ok();
  const bool nfc_device_at_start = nfc_watching && (*nfc_watcher)->device_count() > 0;

  auto monitor = pcsc::EventMonitor::create(options);
  if (!monitor.ok() && !nfc_device_at_start) {
    print_error("watch", monitor.error());
    return exit_code_for(monitor.error().code);
  }
  if (!monitor.ok()) print_error("watch", monitor.error().with_context("PC/SC readers are not watched"));
  pcsc::EventMonitor* m = monitor.ok() ? monitor->get() : nullptr;
  InterruptWatcher interrupt([m] {
    if (m) m->stop();
  });

  using Clock = std::chrono::steady_clock;
  const auto deadline = timeout ? Clock::now() + *timeout : Clock::time_point::max();
  uint64_t seen = 0;
  auto more = [&] { return !count || seen < *count; };
  while (more() && !interrupt.interrupted()) {
    for (const auto& e : nfc_pending) {
      if (!more()) break;
      print_nfc_event(e, json);
      ++seen;
    }
    nfc_pending.clear();
    if (!more()) break;
    auto left = deadline == Clock::time_point::max()
                    ? std::chrono::milliseconds(60000)
                    : std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    // Time for the next libnfc poll. With no device watched a poll costs nothing until the
    // watcher's rescan is due (it keeps its own interval), so the pace need not change.
    if (nfc_watching) left = std::min(left, std::chrono::milliseconds(250));
    if (m) {
      auto event = m->next(left);
      if (!event.ok()) {
        if (event.error().code == ErrorCode::kCancelled && interrupt.interrupted()) break;
        print_error("watch", event.error());
        return exit_code_for(event.error().code);
      }
      if (*event) {
        print_event(**event, json);
        ++seen;
      }
    } else {
      std::this_thread::sleep_for(left);
    }
    if (nfc_watching) nfc_pending = (*nfc_watcher)->poll();
  }
  return kExitOk;
}

}  // namespace idtap::cli
