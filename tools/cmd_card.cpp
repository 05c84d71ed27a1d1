// idtap card: a card reported lost (and found again) in the provisioning ledger.
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
    "usage: idtap card report-lost --ledger DB --document-number N [--issuing-state KOR] [--json]\n"
    "       idtap card found --ledger DB --document-number N [--issuing-state KOR] [--json]\n\n"
    "  report-lost   the card is lost: its record is marked lost (provisioning from it is then\n"
    "                refused) and every active mobile credential of its holder is suspended\n"
    "  found         lifts that: the card is valid again and the credentials its loss suspended\n"
    "                are resumed\n"
    "Run `idtap status-list publish` afterwards so verifiers see the change.\n";

}  // namespace

int cmd_card(const std::vector<std::string>& argv) {
  auto args = Args::parse(argv, {{"ledger", true}, {"document-number", true}, {"issuing-state", true}, {"json"},
                                 {"help", false, false, 'h'}});
  if (!args.ok()) {
    print_error("card", args.error());
    return kExitUsage;
  }
  if (args->has("help") || args->positional().empty()) {
    print_help("card", kHelp, args->has("help") ? stdout : stderr);
    return args->has("help") ? kExitOk : kExitUsage;
  }
  const auto& pos = args->positional();
  if (pos.size() != 1 || (pos[0] != "report-lost" && pos[0] != "found")) {
    print_error("card", make_error(ErrorCode::kInvalidArgument, "expected `card report-lost` or `card found`"));
    return kExitUsage;
  }
  if (!args->has("ledger") || !args->has("document-number")) {
    print_error("card", make_error(ErrorCode::kInvalidArgument, "--ledger DB and --document-number N are required"));
    return kExitUsage;
  }
  auto ledger = Ledger::open(*args->get("ledger"));
  if (!ledger.ok()) {
    print_error("card", ledger.error());
    return exit_code_for(ledger.error().code);
  }
  CardIdentity card{*args->get("document-number"), args->get("issuing-state").value_or("KOR")};
  const bool lost = pos[0] == "report-lost";
  auto changed = lost ? ledger->report_card_lost(card, now_seconds()) : ledger->card_found(card, now_seconds());
  if (!changed.ok()) {
    print_error("card", changed.error());
    return exit_code_for(changed.error().code);
  }
  if (args->has("json")) {
    JsonWriter j;
    j.begin_object().field("card", card.issuing_state + " " + card.document_number).field("state", lost ? "lost" : "valid")
        .key(lost ? "suspended" : "resumed").begin_array();
    for (const auto& id : *changed) j.value(id);
    j.end_array().end_object();
    print_json_document(j.str());
  } else {
    std::printf("card %s %s %s; %zu credential(s) %s\n", card.issuing_state.c_str(), card.document_number.c_str(),
                lost ? "reported lost" : "found", changed->size(), lost ? "suspended" : "resumed");
    for (const auto& id : *changed) std::printf("  %s\n", id.c_str());
  }
  return kExitOk;
}

}  // namespace idtap::cli
