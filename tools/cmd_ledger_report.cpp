// idtap ledger report --by-site: issued, suspended and revoked per site and UTC day, from the
// event log (Ledger::site_report), as a table or --json.
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "cli.h"
#include "commands.h"
#include "idtap/provision/ledger.h"
#include "json.h"

namespace idtap::cli {
namespace {

using namespace idtap::provision;

constexpr const char* kHelp =
    "usage: idtap ledger report --ledger DB --by-site [--json]\n\n"
    "  Per site (the center or embassy code each event was recorded with: --site / IDTAP_SITE)\n"
    "  and UTC day: credentials issued, suspended and revoked by that site. A card reported lost\n"
    "  at site A counts its suspensions at A, whichever site issued the credentials; the\n"
    "  revocation of a holder's previous credential by a new issuance counts at the issuing site.\n"
    "  Events recorded without a site are reported under \"-\" (JSON: \"\").\n"
    "  --ledger-key-file FILE, --busy-timeout MS: as for every ledger command.\n";

std::string utc_day(UnixSeconds t) {
  const time_t tt = static_cast<time_t>(t);
  tm parts{};
  gmtime_r(&tt, &parts);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &parts);
  return buf;
}

}  // namespace

int cmd_ledger_report(const std::vector<std::string>& argv) {
  CommandLine cmd("ledger report", "ledger", kHelp);
  auto parsed = cmd.parse(argv, {{"ledger", true}, {"by-site"}, {"json"}, {"help", false, false, 'h'}});
  if (!parsed.args) return parsed.exit_code;
  const Args& args = *parsed.args;
  if (args.positional().size() != 1) return cmd.usage("unexpected argument " + args.positional().back());
  if (!args.has("ledger")) return cmd.usage("--ledger DB is required");
  if (!args.has("by-site")) return cmd.usage("say which report: --by-site");
  auto ledger = Ledger::open(*args.get("ledger"), ledger_options());
  if (!ledger.ok()) {
    print_error("ledger report", ledger.error());
    return exit_code_for_ledger_open(ledger.error().code);
  }
  auto rows = ledger->site_report();
  if (!rows.ok()) return cmd.fail(rows.error());
  if (args.has("json")) {
    JsonWriter j;
    j.begin_object().key("by_site").begin_array();
    for (const auto& r : *rows)
      j.begin_object().field("site", r.site).field("day", utc_day(r.day_start)).field("issued", r.issued)
          .field("suspended", r.suspended).field("revoked", r.revoked).end_object();
    j.end_array().end_object();
    print_json_document(j.str());
    return kExitOk;
  }
  std::printf("%-24s %-10s %8s %9s %8s\n", "site", "day", "issued", "suspended", "revoked");
  for (const auto& r : *rows)
    std::printf("%-24s %-10s %8llu %9llu %8llu\n", r.site.empty() ? "-" : r.site.c_str(), utc_day(r.day_start).c_str(),
                static_cast<unsigned long long>(r.issued), static_cast<unsigned long long>(r.suspended),
                static_cast<unsigned long long>(r.revoked));
  if (rows->empty()) std::printf("(no issuance, suspension or revocation recorded)\n");
  return kExitOk;
}

}  // namespace idtap::cli
