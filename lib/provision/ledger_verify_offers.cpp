// lib/provision/ledger_verify_offers.cpp: `Ledger::verify`'s cross-check of the offers table
// against the offers' events (pending_offers.cpp writes each state change of an offer with its
// event, in one transaction, and the events are in the HMAC chain that verify checks first). A
// row whose state contradicts its events was edited outside idtap: an offer set back to
// 'pending' after its redemption (the pre-authorized code would work twice), a kill undone, a
// swept offer put back, an offer inserted with no 'offer_created', its evidence or expiry
// changed. Kept apart from ledger_verify.cpp so that file's replay can change independently.
#include <cstdlib>
#include <map>
#include <set>

#include "idtap/provision/pending_offers.h"
#include "ledger_internal.h"

namespace idtap::provision {
namespace {

// OfferHistory: what the chained events say about one offer.
struct OfferHistory {
  std::string state;             // "pending", "redeemed", "killed" or "expired" (the last event's)
  std::string evidence;          // from offer_created: "chip" or "clerk:ID"
  int64_t created_expires = -1;  // from offer_created
  int64_t created_seq = 0;
};

// word_after: the word of `detail` after `key` ("evidence chip expires 123" -> "chip"), or "".
std::string word_after(const std::string& detail, const std::string& key) {
  const std::string needle = " " + key + " ";
  const auto at = detail.find(needle);
  if (at == std::string::npos) return {};
  const auto begin = at + needle.size();
  return detail.substr(begin, detail.find(' ', begin) - begin);
}

// offer_id_of: the offer id of an offer event's detail ("offer ID ..."), or "".
std::string offer_id_of(const std::string& detail) {
  if (detail.rfind("offer ", 0) != 0) return {};
  return detail.substr(6, detail.find(' ', 6) - 6);
}

// kTransitions: which event may follow which state (pending_offers.cpp): created once; redeemed
// or killed only while pending; expired while pending or redeemed (the sweep).
bool allowed(const std::string& from, const std::string& kind) {
  if (kind == "offer_created") return from.empty();
  if (kind == "offer_redeemed" || kind == "offer_killed") return from == "pending";
  if (kind == "offer_expired") return from == "pending" || from == "redeemed";
  return false;
}

}  // namespace

Status verify_offers(Ledger::Impl& l, std::vector<LedgerFinding>& findings) {
  auto find = [&](std::string what) { findings.push_back({std::move(what), false}); };
  std::map<std::string, OfferHistory> history;
  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, l.prepare("SELECT seq, kind, detail FROM events WHERE kind IN ('offer_created', 'offer_redeemed', "
                                             "'offer_killed', 'offer_expired') ORDER BY seq"));
    while (true) {
      IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
      if (!row) break;
      const int64_t seq = s.i64(0);
      const std::string kind = s.text(1), detail = s.text(2);
      const std::string id = offer_id_of(detail);
      if (id.empty()) {
        find("event log: row " + std::to_string(seq) + " (" + kind + ") names no offer");
        continue;
      }
      OfferHistory& h = history[id];
      if (!allowed(h.state, kind)) {
        find("offer " + id + ": event row " + std::to_string(seq) + " (" + kind + ") cannot follow " +
             (h.state.empty() ? std::string("no offer_created") : "'" + h.state + "'"));
        if (h.state.empty() && kind != "offer_created") continue;
      }
      if (kind == "offer_created") {
        h.state = "pending";
        h.evidence = word_after(detail, "evidence");
        h.created_expires = std::strtoll(word_after(detail, "expires").c_str(), nullptr, 10);
        h.created_seq = seq;
      } else if (kind == "offer_redeemed") {
        h.state = "redeemed";
      } else if (kind == "offer_killed") {
        h.state = "killed";
      } else {
        h.state = "expired";
      }
    }
  }

  // The rows. The offers table is made with the first offer (PendingOffers::ensure_schema): a
  // ledger that never had one has neither rows nor events.
  auto rows = l.prepare("SELECT id, state, evidence, expires_at, failed_attempts, credential_id FROM offers");
  if (!rows.ok()) {
    if (!history.empty())
      find("the offers table cannot be read (" + rows.error().context + ") but " + std::to_string(history.size()) +
           " offers have events");
    return ok_status();
  }
  Stmt& s = *rows;
  std::set<std::string> present;
  for (bool first = true;; first = false) {
    auto stepped = s.step();
    if (!stepped.ok() && first && history.empty()) return ok_status();  // a server backend reports the missing table here
    IDTAP_ASSIGN_OR_RETURN(bool row, std::move(stepped));
    if (!row) break;
    const std::string id = s.text(0), state = s.text(1), evidence = s.text(2), credential_id = s.text(5);
    const int64_t expires_at = s.i64(3), failed = s.i64(4);
    present.insert(id);
    auto it = history.find(id);
    if (it == history.end()) {
      find("offer " + id + " (" + state + ") has no 'offer_created' event (inserted outside idtap)");
      continue;
    }
    const OfferHistory& h = it->second;
    if (h.state == "expired") {
      find("offer " + id + " is '" + state + "' but its events say it expired and was deleted (put back)");
      continue;
    }
    // An issued offer's events end with its redemption: the issuance is the credential's
    // 'issued' event, and the row names that credential.
    const std::string expect = state == "issued" ? "redeemed" : state;
    if (h.state != expect)
      find("offer " + id + " is '" + state + "' but its events say '" + h.state + "' (edited)");
    if (state == "issued") {
      IDTAP_ASSIGN_OR_RETURN(Stmt c, l.prepare("SELECT 1 FROM credentials WHERE id = ?1"));
      c.bind(1, credential_id);
      IDTAP_ASSIGN_OR_RETURN(bool issued, c.step());
      if (!issued) find("offer " + id + " is 'issued' but names no recorded credential ('" + credential_id + "')");
    }
    if (h.evidence != evidence)
      find("offer " + id + " has evidence '" + evidence + "' but its offer_created event says '" + h.evidence + "' (edited)");
    // Redemption moves the expiry to the issuance window; until then it is the one created.
    if (state == "pending" && expires_at != h.created_expires)
      find("offer " + id + " expires at " + std::to_string(expires_at) + " but its offer_created event says " +
           std::to_string(h.created_expires) + " (edited)");
    if (state == "pending" && failed >= kMaxTxCodeAttempts)
      find("offer " + id + " is still 'pending' after " + std::to_string(failed) + " wrong transaction codes (edited)");
  }
  // A pending offer ends in an event (redeemed, killed or expired) before its row goes; only a
  // redeemed (issued or not) or killed one is deleted silently by the sweep.
  for (const auto& [id, h] : history)
    if (h.state == "pending" && !present.count(id))
      find("offer " + id + " is pending by its events but has no row (deleted without an 'offer_expired' event)");
  return ok_status();
}

}  // namespace idtap::provision
