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
    "usage: idtap card report-lost --ledger DB --document-number N [--issuing-state KOR] [--unknown-ok] [--site ID] [--json]\n"
    "       idtap card found --ledger DB --document-number N [--issuing-state KOR] [--json]\n\n"
    "  report-lost   the card is lost: its record is marked lost (provisioning from it is then\n"
    "                refused) and every active mobile credential of its holder is suspended.\n"
    "                A card the ledger does not know is refused (exit 1, nothing recorded)\n"
    "                unless --unknown-ok: then it is recorded as lost, so that no mobile ID is\n"
    "                ever issued from it\n"
    "  found         lifts that: the card is valid again and the credentials its loss suspended\n"
    "                are resumed\n"
    "The document number is taken as the MRZ writes it: 'kr 123 4567' is KR1234567 (letters\n"
    "upper-cased, spaces and fillers '<' dropped; anything but A-Z and 0-9 is a usage error).\n"
    "Run `idtap status-list publish` afterwards so verifiers see the change.\n\n"
    "Exit codes: 0 done, 1 no such card (or already lost / not lost), 2 usage, 9 DB is not an\n"
    "idtap ledger.\n";

}  // namespace

int cmd_card(const std::vector<std::string>& argv) {
  auto args = Args::parse(argv, {{"ledger", true}, {"document-number", true}, {"issuing-state", true}, {"unknown-ok"}, {"site", true}, {"json"},
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
  const bool lost = pos[0] == "report-lost";
  if (!lost && args->has("unknown-ok")) {
    print_error("card", make_error(ErrorCode::kInvalidArgument, "--unknown-ok is for `card report-lost`"));
    return kExitUsage;
  }
  auto card = normalize_card_identity(CardIdentity{*args->get("document-number"), args->get("issuing-state").value_or("KOR")});
  if (!card.ok()) {
    print_error("card", card.error());
    return kExitUsage;
  }
  LedgerOptions options = ledger_options();
  if (auto site = args->get("site")) options.site = *site;
  auto ledger = Ledger::open(*args->get("ledger"), options);
  if (!ledger.ok()) {
    print_error("card", ledger.error());
    return exit_code_for_ledger_open(ledger.error().code);
  }
  const auto unknown = args->has("unknown-ok") ? Ledger::UnknownCard::kRecord : Ledger::UnknownCard::kRefuse;
  bool known = true;
  auto changed = lost ? ledger->report_card_lost(*card, now_seconds(), unknown, &known) : ledger->card_found(*card, now_seconds());
  if (!changed.ok()) {
    print_error("card", changed.error());
    return exit_code_for(changed.error().code);
  }
  if (args->has("json")) {
    JsonWriter j;
    j.begin_object().field("card", card->issuing_state + " " + card->document_number).field("state", lost ? "lost" : "valid").field("known", known)
        .key(lost ? "suspended" : "resumed").begin_array();
    for (const auto& id : *changed) j.value(id);
    j.end_array().end_object();
    print_json_document(j.str());
  } else {
    std::printf("card %s %s %s; %zu credential(s) %s\n", card->issuing_state.c_str(), card->document_number.c_str(),
                lost ? "reported lost" : "found", changed->size(), lost ? "suspended" : "resumed");
    for (const auto& id : *changed) std::printf("  %s\n", id.c_str());
    if (!known)
      std::printf("the ledger did not know this card: it is recorded as lost (--unknown-ok), so no mobile ID will be issued from it\n");
  }
  return kExitOk;
}

}  // namespace idtap::cli
