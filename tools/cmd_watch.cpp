// idtap watch: a live stream of reader and card events until interrupted.
#include <sys/time.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli.h"
#include "commands.h"
#include "exit_codes.h"
#include "idtap/base/hex.h"
#include "idtap/select/select.h"
#include "idtap/select/watch.h"
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

void print_event(const select::WatchEvent& e, bool json) {
  const char* kind = select::watch_event_kind_name(e.kind);
  const bool inserted = e.kind == select::WatchEvent::Kind::kCardInserted;
  std::string summary = inserted ? select::atr_one_line(e.atr) : "";
  if (json) {
    JsonWriter w;
    w.begin_object().field("time", now_utc()).field("event", kind).field("reader", e.reader);
    if (inserted) {
      w.field("atr", to_hex(e.atr, true));
      if (!summary.empty()) w.field("atr_summary", summary);
      if (!e.uid.empty()) w.field("uid", to_hex(e.uid, true));
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

  select::WatchOptions options;
  options.report_initial = !args->has("no-initial");
  auto watcher = select::Watcher::create(options);
  if (!watcher.ok()) {
    print_error("watch", watcher.error());
    return exit_code_for(watcher.error().code);
  }
  for (const Error& problem : (*watcher)->problems()) print_error("watch", problem);
  select::Watcher* w = watcher->get();
  InterruptWatcher interrupt([w] { w->cancel(); });

  using Clock = std::chrono::steady_clock;
  const auto deadline = timeout ? Clock::now() + *timeout : Clock::time_point::max();
  uint64_t seen = 0;
  while ((!count || seen < *count) && !interrupt.interrupted()) {
    auto left = deadline == Clock::time_point::max()
                    ? std::chrono::milliseconds(60000)
                    : std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    auto event = w->next(left);
    if (!event.ok()) {
      if (event.error().code == ErrorCode::kCancelled && interrupt.interrupted()) break;
      print_error("watch", event.error());
      return exit_code_for(event.error().code);
    }
    if (*event) {
      print_event(**event, json);
      ++seen;
    }
  }
  return kExitOk;
}

}  // namespace idtap::cli
