// idtap sim: the simulated card. `idtap sim serve` puts a card image behind pcscd's vpcd reader.
#include <atomic>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "cli.h"
#include "commands.h"
#include "exit_codes.h"
#include "interrupt.h"
#include "idtap/sim/card.h"
#include "idtap/sim/card_image.h"
#include "idtap/sim/vpcd.h"

namespace idtap::cli {
namespace {

constexpr const char* kSimUsage =
    "usage: idtap sim SUBCOMMAND [OPTIONS]\n\n"
    "The simulated card (README: \"The simulated card image\").\n\n"
    "subcommands:\n"
    "  serve          present a card image to PC/SC through the vsmartcard vpcd reader\n"
    "  personalize    write a complete card image: data groups, chip keys, test PKI, EF.SOD\n\n"
    "`idtap sim SUBCOMMAND --help` describes each.\n";

constexpr const char* kServeUsage =
    "usage: idtap sim serve --card DIR [--vpcd HOST:PORT] [quirk options] [--quiet]\n\n"
    "Connects the card image in DIR to pcscd's vpcd driver (vsmartcard-vpcd; its reader.conf\n"
    "entry says DEVICENAME /dev/null:PORT) as a virtual card, so any PC/SC program sees it in a\n"
    "reader. Runs until SIGINT or SIGTERM; reconnects with backoff when pcscd restarts. Each APDU\n"
    "is logged to stderr as its INS, lengths and status word (never its data).\n\n"
    "options:\n"
    "  --card DIR          the card image directory (required)\n"
    "  --vpcd HOST:PORT    where vpcd listens (default 127.0.0.1:35963, vpcd's default)\n"
    "  --leave-after N     the card leaves the field after N APDUs (once), then returns\n"
    "  --return-after MS   how long it stays away (default 1000)\n"
    "  --no-extended       refuse extended-length APDUs\n"
    "  --max-response N    refuse READ BINARY with Ne above N (e.g. 223, 160, 112)\n"
    "  --mse-rejects-le    answer MSE commands that carry Le with 6700\n"
    "  --no-sfi            refuse READ BINARY by short file identifier (plain 6A82, which\n"
    "                      ends secure messaging), as many issued passports do\n"
    "  --quiet             log connections only, not every APDU\n"
    "  --help              this text\n";

Result<size_t> parse_count(const std::string& name, const std::string& value, size_t max) {
  if (value.empty() || value.size() > 9 || value.find_first_not_of("0123456789") != std::string::npos)
    return make_error(ErrorCode::kInvalidArgument, "--" + name + " needs a number, got '" + value + "'");
  size_t n = std::stoul(value);
  if (n > max) return make_error(ErrorCode::kInvalidArgument, "--" + name + " must be at most " + std::to_string(max));
  return n;
}

std::string timestamp() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm local{};
  localtime_r(&ts.tv_sec, &local);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03ld", local.tm_hour, local.tm_min, local.tm_sec, ts.tv_nsec / 1000000);
  return buf;
}

int sim_serve(const std::vector<std::string>& argv) {
  const CommandLine cmd("sim serve", "sim serve", kServeUsage);
  auto parsed = cmd.parse(argv, {{"card", true}, {"vpcd", true}, {"leave-after", true}, {"return-after", true},
                                 {"no-extended"}, {"max-response", true}, {"mse-rejects-le"}, {"no-sfi"}, {"quiet"}, {"help", false, false, 'h'}});
  if (!parsed.args) return parsed.exit_code;
  const auto& args = parsed.args;
  if (!args->positional().empty()) return cmd.usage("unexpected argument '" + args->positional()[0] + "'");
  auto card_dir = args->get("card");
  if (!card_dir) return cmd.usage("--card DIR is required");
  sim::VpcdOptions options;
  if (auto v = args->get("vpcd")) {
    if (Status s = sim::parse_host_port(*v, options); !s.ok()) {
      print_error("sim serve", s.error());
      return kExitUsage;
    }
  }
  auto image = sim::load_card_image(*card_dir);
  if (!image.ok()) {
    print_error("sim serve", image.error());
    return kExitCardOrReader;
  }
  sim::CardQuirks& quirks = image->config.quirks;
  if (auto v = args->get("leave-after")) {
    auto n = parse_count("leave-after", *v, 100000000);
    if (!n.ok()) return print_error("sim serve", n.error()), kExitUsage;
    quirks.leave_after = *n;
  }
  if (auto v = args->get("return-after")) {
    auto n = parse_count("return-after", *v, 3600000);
    if (!n.ok()) return print_error("sim serve", n.error()), kExitUsage;
    options.return_after = std::chrono::milliseconds(*n);
  }
  if (args->has("no-extended")) quirks.extended_length = false;
  if (auto v = args->get("max-response")) {
    auto n = parse_count("max-response", *v, 65536);
    if (!n.ok()) return print_error("sim serve", n.error()), kExitUsage;
    quirks.max_response = *n;
  }
  if (args->has("mse-rejects-le")) quirks.mse_rejects_le = true;
  if (args->has("no-sfi")) quirks.no_sfi = true;
  const bool quiet = args->has("quiet");
  options.log = [quiet](std::string_view line) {
    if (quiet && line.starts_with("APDU")) return;
    std::fprintf(stderr, "%s idtap sim: %.*s\n", timestamp().c_str(), static_cast<int>(line.size()), line.data());
    std::fflush(stderr);
  };

  auto card = sim::SimCard::create(std::move(*image));
  if (!card.ok()) {
    print_error("sim serve", card.error());
    return kExitCardOrReader;
  }
  std::atomic<bool> stop{false};
  sim::VpcdCounters counters;
  Status served;
  bool interrupted = false;
  {
    InterruptWatcher watcher([&stop] { stop.store(true); });
    options.log("serving " + *card_dir + " to vpcd at " + options.host + ":" + std::to_string(options.port));
    served = sim::serve_vpcd(**card, options, stop, &counters);
    interrupted = watcher.interrupted();
  }
  if (!served.ok()) {
    print_error("sim serve", served.error());
    return served.error().code == ErrorCode::kInvalidArgument ? kExitUsage : kExitCardOrReader;
  }
  std::fprintf(stderr, "%s idtap sim: %s; %llu APDUs over %llu connections, %llu removals\n", timestamp().c_str(),
               interrupted ? "stopped by a signal" : "stopped",
               static_cast<unsigned long long>(counters.apdus), static_cast<unsigned long long>(counters.connections),
               static_cast<unsigned long long>(counters.removals));
  return kExitOk;
}

}  // namespace

int cmd_sim(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kSimUsage, args.empty() ? stderr : stdout);
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "serve") return sim_serve(rest);
  if (args[0] == "personalize") return cmd_sim_personalize(rest);
  std::fprintf(stderr, "idtap sim: unknown subcommand '%s' (see `idtap sim --help`)\n", args[0].c_str());
  return kExitUsage;
}

}  // namespace idtap::cli
