// idtap credential: list, show, suspend, resume, revoke, report-lost (phone) in the ledger.
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
    "usage: idtap credential list --ledger DB [--document-number N [--issuing-state KOR]] [--site ID] [--json]\n"
    "       idtap credential show ID --ledger DB [--json]\n"
    "       idtap credential suspend ID --ledger DB [--reason TEXT] [--json]\n"
    "       idtap credential resume ID --ledger DB [--json]\n"
    "       idtap credential revoke ID --ledger DB [--reason TEXT] [--json]\n"
    "       idtap credential report-lost ID --ledger DB [--json]\n\n"
    "  list          the credentials (all, or those issued from one card: the document number\n"
    "                as the MRZ writes it, case, spaces and '<' do not matter; --site ID: those\n"
    "                issued at that site); expired ones are marked expired first\n"
    "  show          one credential\n"
    "  suspend       active -> suspended (the status list then says invalid)\n"
    "  resume        suspended -> active (refused while its card is reported lost)\n"
    "  revoke        active or suspended -> revoked, for good\n"
    "  report-lost   the phone is lost: only this credential is suspended (reason phone_lost)\n"
    "--site ID (or IDTAP_SITE): the center or embassy acting; recorded on every change.\n"
    "Run `idtap status-list publish` afterwards so verifiers see the change.\n";

void record_json(JsonWriter& j, const CredentialRecord& c) {
  j.begin_object()
      .field("id", c.id)
      .field("state", credential_state_name(c.state))
      .field("reason", c.state_reason)
      .field("document_number", c.card.document_number)
      .field("issuing_state", c.card.issuing_state)
      .field("card_state", c.card_state)
      .field("device_thumbprint", c.device_thumbprint)
      .field("doc_type", c.doc_type)
      .field("issued_at", format_tdate(c.issued_at))
      .field("valid_until", format_tdate(c.valid_until))
      .field("status_idx", c.status_idx)
      .field("file", c.file_path);
  if (!c.site.empty()) j.field("site", c.site);
  j.end_object();
}

void record_text(const CredentialRecord& c, bool verbose) {
  if (!verbose) {
    std::printf("%s  %-9s %-10s %s %s  until %s\n", c.id.c_str(), credential_state_name(c.state), c.state_reason.c_str(),
                c.card.issuing_state.c_str(), c.card.document_number.c_str(), format_tdate(c.valid_until).c_str());
    return;
  }
  std::printf("id:           %s\nstate:        %s%s%s\ncard:         %s %s (%s)\ndevice key:   %s\ndoc type:     %s\n"
              "issued:       %s\nvalid until:  %s\nstatus index: %llu\nfile:         %s\n",
              c.id.c_str(), credential_state_name(c.state), c.state_reason.empty() ? "" : " — ", c.state_reason.c_str(),
              c.card.issuing_state.c_str(), c.card.document_number.c_str(), c.card_state.c_str(), c.device_thumbprint.c_str(),
              c.doc_type.c_str(), format_tdate(c.issued_at).c_str(), format_tdate(c.valid_until).c_str(),
              static_cast<unsigned long long>(c.status_idx), c.file_path.empty() ? "-" : c.file_path.c_str());
  if (!c.site.empty()) std::printf("site:         %s\n", c.site.c_str());
}

}  // namespace

int cmd_credential(const std::vector<std::string>& argv) {
  auto args = Args::parse(argv, {{"ledger", true}, {"document-number", true}, {"issuing-state", true}, {"reason", true},
                                 {"site", true}, {"json"}, {"help", false, false, 'h'}});
  if (!args.ok()) {
    print_error("credential", args.error());
    return kExitUsage;
  }
  if (args->has("help") || args->positional().empty()) {
    print_help("credential", kHelp, args->has("help") ? stdout : stderr);
    return args->has("help") ? kExitOk : kExitUsage;
  }
  const auto& pos = args->positional();
  const std::string& verb = pos[0];
  auto usage = [&](const std::string& why) {
    print_error("credential", make_error(ErrorCode::kInvalidArgument, why));
    return kExitUsage;
  };
  if (!args->has("ledger")) return usage("--ledger DB is required");
  const bool needs_id = verb != "list";
  if (verb != "list" && verb != "show" && verb != "suspend" && verb != "resume" && verb != "revoke" && verb != "report-lost")
    return usage("unknown action '" + verb + "' (list, show, suspend, resume, revoke, report-lost)");
  if (needs_id && pos.size() != 2) return usage("`credential " + verb + "` needs one credential ID");
  if (!needs_id && pos.size() != 1) return usage("unexpected argument '" + pos[1] + "'");
  std::optional<CardIdentity> card;
  if (auto n = args->get("document-number")) {
    if (verb != "list") return usage("--document-number is for `credential list`");
    auto normalized = normalize_card_identity(CardIdentity{*n, args->get("issuing-state").value_or("KOR")});
    if (!normalized.ok()) return usage(normalized.error().context);
    card = std::move(normalized).value();
  }
  LedgerOptions options = ledger_options();
  if (auto site = args->get("site")) options.site = *site;
  auto ledger = Ledger::open(*args->get("ledger"), options);
  if (!ledger.ok()) {
    print_error("credential", ledger.error());
    return exit_code_for_ledger_open(ledger.error().code);
  }
  auto fail = [](const Error& e) {
    print_error("credential", e);
    return exit_code_for(e.code);
  };
  UnixSeconds now = now_seconds();
  const bool json = args->has("json");
  if (verb == "list") {
    auto expired = ledger->expire_due(now);
    if (!expired.ok()) return fail(expired.error());
    auto all = args->has("site") ? ledger->credentials_of_site(*args->get("site")) : ledger->credentials(card);
    if (!all.ok()) return fail(all.error());
    if (args->has("site") && card)  // both: the site's credentials from that card
      std::erase_if(*all, [&](const CredentialRecord& c) { return c.card.document_number != card->document_number ||
                                                                    c.card.issuing_state != card->issuing_state; });
    if (json) {
      JsonWriter j;
      j.begin_array();
      for (const auto& c : *all) record_json(j, c);
      j.end_array();
      print_json_document(j.str());
    } else {
      for (const auto& c : *all) record_text(c, false);
      if (all->empty()) std::printf("no credentials\n");
    }
    return kExitOk;
  }
  const std::string& id = pos[1];
  Status changed = ok_status();
  if (verb == "suspend") changed = ledger->suspend(id, args->get("reason").value_or("suspended by operator"), now);
  else if (verb == "report-lost") changed = ledger->suspend(id, "phone_lost", now);
  else if (verb == "resume") changed = ledger->resume(id, now);
  else if (verb == "revoke") changed = ledger->revoke(id, args->get("reason").value_or("revoked by operator"), now);
  if (!changed.ok()) return fail(changed.error());
  auto rec = ledger->credential(id);
  if (!rec.ok()) return fail(rec.error());
  if (json) {
    JsonWriter j;
    record_json(j, *rec);
    print_json_document(j.str());
  } else {
    record_text(*rec, verb == "show");
  }
  return kExitOk;
}

}  // namespace idtap::cli
