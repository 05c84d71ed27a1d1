// idtap ledger: create, verify, anchor and migrate the provisioning ledger.
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.h"
#include "commands.h"
#include "exit_codes.h"
#include "idtap/base/hex.h"
#include "idtap/provision/ledger.h"
#include "json.h"

namespace idtap::cli {
namespace {

using namespace idtap::provision;

constexpr const char* kHelp =
    "usage: idtap ledger init --ledger DB --status-uri URI [--status-size N] [--allow-attested] [--json]\n"
    "       idtap ledger verify --ledger DB [--anchor FILE]... [--repair] [--scan DIR]... [--json]\n"
    "       idtap ledger anchor --ledger DB [--json]\n"
    "       idtap ledger migrate --ledger DB [--json]\n"
    "       idtap ledger report --ledger DB --by-site [--json]\n\n"
    "  init     creates the ledger (SQLite, WAL) and its key file DB.key (mode 0600); the status\n"
    "           list URI (required) and size (default: 131072 entries) are fixed here. Only init\n"
    "           creates a ledger: every other command refuses a path that is not one (an empty\n"
    "           file among them: a truncated ledger is never re-initialised). On an existing\n"
    "           ledger it changes nothing, and is refused (exit 8) if the URI or size differ.\n"
    "           --allow-attested allows clerk-attested issuance (`idtap provision offer --attested`,\n"
    "           the chipless path; off by default). Given on an existing ledger it turns the policy\n"
    "           on (recorded in the event log); nothing turns it off.\n"
    "  verify   checks the database and the HMAC chain of the event log, then rebuilds the tables\n"
    "           from the events and compares every column of holders, cards, credentials, the\n"
    "           consumed challenges and the tagged meta rows (status URI and size, schema\n"
    "           version): each difference is reported as table[row].column with the value the\n"
    "           events say and the one found. The issuances (idempotency ids) must name the\n"
    "           credential, time and bytes the events record; unused challenges' times must match\n"
    "           their tag. It then checks the credential files. With --repair\n"
    "           it finishes what a crash left half done: a committed credential still in its temp\n"
    "           file is renamed into place, an orphan temp file (never committed) is deleted. It\n"
    "           never revokes: a live credential whose desk copy (file) is gone is reported (the\n"
    "           phone still holds it); revoke it with `idtap credential revoke ID` if it must no\n"
    "           longer be used. --scan DIR also looks for orphan temp files there.\n"
    "           --anchor FILE (repeatable): an anchor log or a published status list; a ledger\n"
    "           older than one of its anchors (restored from an older copy, truncated, its newest\n"
    "           events deleted) is reported ROLLED BACK (exit 12). Without --anchor the ledger's\n"
    "           own anchor log is checked when it exists.\n"
    "  anchor   appends the head of the event chain (sequence number, link, tag) to the anchor\n"
    "           log: DB.anchors beside a SQLite ledger, or $IDTAP_LEDGER_ANCHOR_FILE (required for\n"
    "           PostgreSQL). `idtap status-list publish` does the same, and puts the head in the\n"
    "           signed status list. Keep the log where a copy of the database does not reach.\n"
    "  migrate  brings a ledger made by an earlier idtap to this one's schema version, in one\n"
    "           transaction; every other command refuses an older ledger and names this one.\n"
    "           From version 2 it appends a snapshot of every holder, card and credential as\n"
    "           keyed events: verify trusts the state before it as of the migration.\n"
    "  report   --by-site: issued, suspended and revoked per site and UTC day (`ledger report --help`).\n"
    "  Every ledger command: --ledger-key-file FILE (else IDTAP_LEDGER_KEY_FILE; required for a\n"
    "  PostgreSQL --ledger) and --busy-timeout MS (else IDTAP_LEDGER_BUSY_TIMEOUT_MS; default 30000).\n";

}  // namespace

namespace {

// verify_command: `ledger verify`.
int verify_command(Ledger& ledger, const Args& args) {
  LedgerVerifyOptions options{args.has("repair"), args.all("scan"), args.all("anchor")};
  if (options.anchors.empty() && !ledger.anchor_file().empty() && ::access(ledger.anchor_file().c_str(), F_OK) == 0)
    options.anchors.push_back(ledger.anchor_file());
  auto report = ledger.verify(options);
  if (!report.ok()) {
    print_error("ledger verify", report.error());
    return exit_code_for(report.error().code);
  }
  if (args.has("json")) {
    JsonWriter j;
    j.begin_object().field("consistent", report->consistent()).field("rolled_back", report->rolled_back)
        .field("events", report->events).field("credentials", report->credentials).key("anchors").begin_array();
    for (const auto& a : options.anchors) j.value(a);
    j.end_array().key("findings").begin_array();
    for (const auto& f : report->findings) {
      j.begin_object().field("what", f.what).field("repaired", f.repaired);
      if (!f.column.empty())
        j.field("table", f.table).field("row", f.row).field("column", f.column).field("expected", f.expected).field("found", f.found);
      j.end_object();
    }
    j.end_array().end_object();
    print_json_document(j.str());
  } else {
    for (const auto& f : report->findings) std::printf("%s %s\n", f.repaired ? "repaired:" : "FOUND:   ", f.what.c_str());
    std::printf("%s: %llu events, %llu credentials\n",
                report->rolled_back ? "ROLLED BACK" : report->consistent() ? "consistent" : "NOT CONSISTENT",
                static_cast<unsigned long long>(report->events), static_cast<unsigned long long>(report->credentials));
  }
  if (report->rolled_back) return kExitRolledBack;
  return report->consistent() ? kExitOk : kExitFailure;
}

// anchor_command: `ledger anchor`.
int anchor_command(Ledger& ledger, const std::string& path, bool json) {
  auto head = ledger.anchor(ledger.anchor_file());
  if (!head.ok()) {
    print_error("ledger anchor", head.error());
    return head.error().code == ErrorCode::kInvalidArgument ? kExitUsage : exit_code_for(head.error().code);
  }
  if (json) {
    JsonWriter j;
    j.begin_object().field("ledger", path).field("anchor_file", ledger.anchor_file()).field("seq", static_cast<uint64_t>(head->seq))
        .field("link", to_hex(head->link)).end_object();
    print_json_document(j.str());
  } else {
    std::printf("anchored event %lld of %s in %s\n", static_cast<long long>(head->seq), path.c_str(), ledger.anchor_file().c_str());
  }
  return kExitOk;
}

// migrate_command: `ledger migrate`.
int migrate_command(const std::string& path, const LedgerOptions& options, bool json) {
  auto done = Ledger::migrate(path, options);
  if (!done.ok()) {
    print_error("ledger migrate", done.error());
    return exit_code_for_ledger_open(done.error().code);
  }
  if (json) {
    JsonWriter j;
    j.begin_object().field("ledger", path).field("from", static_cast<uint64_t>(done->from)).field("to", static_cast<uint64_t>(done->to))
        .key("steps").begin_array();
    for (const auto& step : done->steps) j.value(step);
    j.end_array().end_object();
    print_json_document(j.str());
  } else if (done->steps.empty()) {
    std::printf("ledger %s is at schema version %d already: nothing to do\n", path.c_str(), done->to);
  } else {
    for (const auto& step : done->steps) std::printf("migrated %s\n", step.c_str());
    std::printf("ledger %s: schema version %d -> %d\n", path.c_str(), done->from, done->to);
  }
  return kExitOk;
}

}  // namespace

int cmd_ledger(const std::vector<std::string>& argv) {
  if (!argv.empty() && argv[0] == "report") return cmd_ledger_report(argv);
  auto args = Args::parse(argv, {{"ledger", true}, {"status-uri", true}, {"status-size", true}, {"allow-attested"}, {"repair"}, {"scan", true, true}, {"anchor", true, true},
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
  if (pos.size() != 1 || (pos[0] != "init" && pos[0] != "verify" && pos[0] != "anchor" && pos[0] != "migrate")) {
    print_error("ledger", make_error(ErrorCode::kInvalidArgument, "expected `ledger init`, `verify`, `anchor` or `migrate`"));
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
  if (pos[0] != "verify" && (args->has("anchor") || args->has("repair") || args->has("scan"))) {
    print_error("ledger", make_error(ErrorCode::kInvalidArgument, "--anchor, --repair and --scan are for `ledger verify`"));
    return kExitUsage;
  }
  if (pos[0] == "migrate") return migrate_command(*args->get("ledger"), options, args->has("json"));
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
    print_error(("ledger " + pos[0]).c_str(), ledger.error());
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
  if (pos[0] == "anchor") return anchor_command(*ledger, *args->get("ledger"), args->has("json"));
  return verify_command(*ledger, *args);
}

}  // namespace idtap::cli
