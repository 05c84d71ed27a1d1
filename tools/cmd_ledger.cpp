// idtap ledger: create and verify the provisioning ledger.
#include <charconv>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.h"
#include "commands.h"
#include "exit_codes.h"
#include "idtap/provision/ledger.h"
#include "json.h"

namespace idtap::cli {
namespace {

using namespace idtap::provision;

constexpr const char* kHelp =
    "usage: idtap ledger init --ledger DB --status-uri URI [--status-size N] [--allow-attested] [--json]\n"
    "       idtap ledger verify --ledger DB [--repair] [--scan DIR]... [--json]\n"
    "       idtap ledger report --ledger DB --by-site [--json]\n\n"
    "  init     creates the ledger (SQLite, WAL) and its key file DB.key (mode 0600); the status\n"
    "           list URI (required) and size (default: 131072 entries) are fixed here. Only init\n"
    "           creates a ledger: every other command refuses a path that is not one. On an\n"
    "           existing ledger it changes nothing, and is refused (exit 8) if the URI or size\n"
    "           differ from the ledger's.\n"
    "           --allow-attested allows clerk-attested issuance (`idtap provision offer --attested`,\n"
    "           the chipless path; off by default). Given on an existing ledger it turns the policy\n"
    "           on (recorded in the event log); nothing turns it off.\n"
    "  verify   checks the database, the hash chain of the event log, that the credential and\n"
    "           card states agree with the events, and the credential files: an edited, inserted\n"
    "           or deleted row is reported. With --repair it finishes what a crash left half done:\n"
    "           a committed credential still in its temp file is renamed into place, an orphan\n"
    "           temp file (never committed) is deleted. It never revokes: a live credential whose\n"
    "           desk copy (file) is gone is reported (the phone still holds it); revoke it with\n"
    "           `idtap credential revoke ID` if it must no longer be used. --scan DIR also looks\n"
    "           for orphan temp files there.\n"
    "  report   --by-site: issued, suspended and revoked per site and UTC day (`ledger report --help`).\n"
    "  Every ledger command: --ledger-key-file FILE (else IDTAP_LEDGER_KEY_FILE; required for a\n"
    "  PostgreSQL --ledger) and --busy-timeout MS (else IDTAP_LEDGER_BUSY_TIMEOUT_MS; default 30000).\n";

}  // namespace

int cmd_ledger(const std::vector<std::string>& argv) {
  if (!argv.empty() && argv[0] == "report") return cmd_ledger_report(argv);
  auto args = Args::parse(argv, {{"ledger", true}, {"status-uri", true}, {"status-size", true}, {"allow-attested"}, {"repair"}, {"scan", true, true},
                                 {"json"}, {"help", false, false, 'h'}});
  if (!args.ok()) {
    print_error("ledger", args.error());
    return kExitUsage;
  }
  if (args->has("help") || args->positional().empty()) {
    print_help("ledger", kHelp, args->has("help") ? stdout : stderr);
    return args->has("help") ? kExitOk : kExitUsage;
  }
  const auto& pos = args->positional();
  if (pos.size() != 1 || (pos[0] != "init" && pos[0] != "verify")) {
    print_error("ledger", make_error(ErrorCode::kInvalidArgument, "expected `ledger init` or `ledger verify`"));
    return kExitUsage;
  }
  if (!args->has("ledger")) {
    print_error("ledger", make_error(ErrorCode::kInvalidArgument, "--ledger DB is required"));
    return kExitUsage;
  }
  const bool init = pos[0] == "init";
  LedgerOptions options = ledger_options();
  if (!init && (args->has("status-uri") || args->has("status-size") || args->has("allow-attested"))) {
    print_error("ledger", make_error(ErrorCode::kInvalidArgument, "--status-uri, --status-size and --allow-attested are for `ledger init`"));
    return kExitUsage;
  }
  if (init) {
    auto uri = args->get("status-uri");
    if (!uri || uri->empty()) {
      print_error("ledger init", make_error(ErrorCode::kInvalidArgument,
                                            "--status-uri URI is required (where verifiers fetch the status list; fixed here)"));
      return kExitUsage;
    }
    options.status_uri = *uri;
    options.allow_attested = args->has("allow-attested");
    if (auto n = args->get("status-size")) {
      uint64_t size = 0;
      auto [end, ec] = std::from_chars(n->data(), n->data() + n->size(), size);
      if (n->empty() || ec != std::errc() || end != n->data() + n->size() || size == 0 || size > (uint64_t(1) << 24)) {
        print_error("ledger init", make_error(ErrorCode::kInvalidArgument, "--status-size must be a number in 1..16777216, not '" + *n + "'"));
        return kExitUsage;
      }
      options.status_list_size = size;
    }
  }
  auto ledger = init ? Ledger::create(*args->get("ledger"), options) : Ledger::open(*args->get("ledger"), options);
  if (!ledger.ok()) {
    print_error(init ? "ledger init" : "ledger verify", ledger.error());
    return exit_code_for_ledger_open(ledger.error().code);
  }
  if (pos[0] == "init") {
    if (args->has("json")) {
      JsonWriter j;
      j.begin_object().field("ledger", *args->get("ledger")).field("status_uri", ledger->status_uri())
          .field("status_list_size", ledger->status_list_size()).field("allow_attested", ledger->allow_attested()).end_object();
      print_json_document(j.str());
    } else {
      std::printf("ledger %s: status list %s (%llu entries)%s\n", args->get("ledger")->c_str(), ledger->status_uri().c_str(),
                  static_cast<unsigned long long>(ledger->status_list_size()),
                  ledger->allow_attested() ? "; clerk-attested issuance allowed" : "");
    }
    return kExitOk;
  }
  auto report = ledger->verify(LedgerVerifyOptions{args->has("repair"), args->all("scan")});
  if (!report.ok()) {
    print_error("ledger verify", report.error());
    return exit_code_for(report.error().code);
  }
  if (args->has("json")) {
    JsonWriter j;
    j.begin_object().field("consistent", report->consistent()).field("events", report->events)
        .field("credentials", report->credentials).key("findings").begin_array();
    for (const auto& f : report->findings) j.begin_object().field("what", f.what).field("repaired", f.repaired).end_object();
    j.end_array().end_object();
    print_json_document(j.str());
  } else {
    for (const auto& f : report->findings) std::printf("%s %s\n", f.repaired ? "repaired:" : "FOUND:   ", f.what.c_str());
    std::printf("%s: %llu events, %llu credentials\n", report->consistent() ? "consistent" : "NOT CONSISTENT",
                static_cast<unsigned long long>(report->events), static_cast<unsigned long long>(report->credentials));
  }
  return report->consistent() ? kExitOk : kExitFailure;
}

}  // namespace idtap::cli
