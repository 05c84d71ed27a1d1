// idtap ledger: create and verify the provisioning ledger.
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
    "usage: idtap ledger init --ledger DB [--status-uri URI] [--status-size N] [--json]\n"
    "       idtap ledger verify --ledger DB [--repair] [--scan DIR]... [--json]\n\n"
    "  init     creates the ledger (SQLite, WAL) and its key file DB.key (mode 0600); the status\n"
    "           list URI and size are fixed here (default: 131072 entries)\n"
    "  verify   checks the database, the hash chain of the event log, that the credential and\n"
    "           card states agree with the events, and the credential files: an edited, inserted\n"
    "           or deleted row is reported. With --repair it finishes what a crash left half done:\n"
    "           a committed credential still in its temp file is renamed into place, an orphan\n"
    "           temp file (never committed) is deleted, a live record whose file is gone is\n"
    "           revoked. --scan DIR also looks for orphan temp files there.\n";

}  // namespace

int cmd_ledger(const std::vector<std::string>& argv) {
  auto args = Args::parse(argv, {{"ledger", true}, {"status-uri", true}, {"status-size", true}, {"repair"}, {"scan", true, true},
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
  LedgerOptions options;
  if (auto u = args->get("status-uri")) options.status_uri = *u;
  if (auto n = args->get("status-size")) {
    try {
      options.status_list_size = std::stoull(*n);
    } catch (...) {
      options.status_list_size = 0;
    }
  }
  auto ledger = Ledger::open(*args->get("ledger"), options);
  if (!ledger.ok()) {
    print_error("ledger", ledger.error());
    return exit_code_for(ledger.error().code);
  }
  if (pos[0] == "init") {
    if (args->has("json")) {
      JsonWriter j;
      j.begin_object().field("ledger", *args->get("ledger")).field("status_uri", ledger->status_uri())
          .field("status_list_size", ledger->status_list_size()).end_object();
      print_json_document(j.str());
    } else {
      std::printf("ledger %s: status list %s (%llu entries)\n", args->get("ledger")->c_str(), ledger->status_uri().c_str(),
                  static_cast<unsigned long long>(ledger->status_list_size()));
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
