// lib/provision/ledger_verify_issuances.cpp: `ledger verify`'s cross-check of the issuances
// table (the idempotency ids, ledger_idempotency.cpp) against the events. A retry under an
// idempotency id returns the credential its row names, with the bytes its row keeps: a row
// moved to another credential, inserted for a credential that was never issued, or given other
// bytes would answer a retry with the wrong credential. Each row must name a credential that an
// 'issued' (or, after a migration, a 'credential_snapshot') event records; its created_at is
// the 'issued' event's time (both are the issuance's `now`); its kept bytes (until they are
// forgotten after kIdempotencyReplaySeconds) must open under the ledger key with the row's own
// id and credential id as associated data, and their SHA-256 must be the file_sha256 the events
// record for that credential.
//
// A deleted row: an 'issued' event records the idempotency id it was issued under ("idem"), and
// a credential whose event names one must have that row. (Credentials loaded in bulk, or
// issued before their events carried the id, have no row and name none: nothing to miss.)
#include "ledger_detail.h"
#include "ledger_paged.h"
#include "ledger_rebuild.h"
#include "idtap/crypto/hash.h"

namespace idtap::provision {
namespace {

// Recorded: what the events say about one credential (its 'issued' event and later snapshots).
struct Recorded {
  bool exists = false;
  std::string idempotency_id;  // the 'issued' event's "idem": its row must exist
  bool issued_event = false;  // created_at is compared only with an 'issued' event's time
  int64_t issued_at = 0;
  Bytes sha;  // empty: the events (older than detail version 3) do not carry it
};

void fold(Recorded& r, const Row& ev) {
  const EventDetail d = EventDetail::parse(ev[4].s);
  r.exists = true;
  if (ev[3].s == "issued") {
    r.issued_event = true;
    r.issued_at = ev[2].i;
    if (auto idem = d.text("idem")) r.idempotency_id = std::move(*idem);
  }
  if (auto sha = d.hex("sha256")) r.sha = std::move(*sha);
}

}  // namespace

Status check_issuances(Ledger::Impl& l, Findings& out) {
  PagedCursor events(l, "SELECT credential_id, seq, at, kind, detail FROM events WHERE credential_id <> '' "
                        "AND kind IN ('issued', 'credential_snapshot') AND (credential_id, seq) > (?1, ?2) "
                        "ORDER BY credential_id, seq LIMIT 512",
                     "tiitt", {0, 1}, Row{Cell{}, Cell{}});
  PagedCursor rows(l, "SELECT credential_id, idempotency_id, created_at, issuer_signed FROM issuances WHERE credential_id > ?1 "
                      "ORDER BY credential_id LIMIT 512",
                   "ttib", {0}, Row{Cell{}});
  // The credentials (in id order) whose events come before the next row's credential have no
  // row: reported when their 'issued' event names an idempotency id.
  std::string other_id;
  Recorded other;
  auto settle_other = [&]() {
    if (!other_id.empty() && !other.idempotency_id.empty())
      out.at("issuances", other.idempotency_id, "credential_id",
             "is missing: credential '" + other_id + "' was issued under this idempotency id (its 'issued' event says so) "
             "and its row is gone (deleted: a retry under the id would issue a second credential)");
    other_id.clear();
    other = Recorded{};
  };
  auto events_before = [&](const std::string* limit) -> Status {
    while (true) {
      IDTAP_ASSIGN_OR_RETURN(const Row* e, events.peek());
      if (e == nullptr || (limit != nullptr && e->at(0).s >= *limit)) return ok_status();
      if (e->at(0).s != other_id) {
        settle_other();
        other_id = e->at(0).s;
      }
      fold(other, *e);
      events.pop();
    }
  };
  while (true) {
    IDTAP_ASSIGN_OR_RETURN(const Row* t, rows.peek());
    if (t == nullptr) {
      IDTAP_TRY(events_before(nullptr));
      settle_other();
      return ok_status();
    }
    const Row row = *t;
    rows.pop();
    const std::string& credential_id = row[0].s;
    const std::string& id = row[1].s;
    IDTAP_TRY(events_before(&credential_id));
    settle_other();
    // The events of this credential.
    Recorded rec;
    while (true) {
      IDTAP_ASSIGN_OR_RETURN(const Row* e, events.peek());
      if (e == nullptr || e->at(0).s != credential_id) break;
      fold(rec, *e);
      events.pop();
    }
    if (!rec.exists) {
      out.at("issuances", id, "credential_id", "names credential '" + credential_id +
                                                   "', which no event records (inserted, or moved off its credential)");
      continue;
    }
    if (!rec.idempotency_id.empty() && rec.idempotency_id != id)
      out.differs("issuances", id, "idempotency_id", rec.idempotency_id, id);
    if (rec.issued_event) out.compare("issuances", id, "created_at", rec.issued_at, row[2].i);
    if (row[3].null || out.wrong_key) continue;  // forgotten after a day; or no seal opens under another key
    const Bytes sealed(row[3].s.begin(), row[3].s.end());
    auto opened = open_replay_bytes(l, id, credential_id, sealed);
    if (!opened.ok()) {
      out.at("issuances", id, "issuer_signed", "the kept bytes do not open under this ledger's key as credential '" +
                                                   credential_id + "' of this id (edited, or copied from another row)");
      continue;
    }
    if (rec.sha.empty()) continue;
    IDTAP_ASSIGN_OR_RETURN(Bytes sha, crypto::digest(crypto::HashAlg::kSha256, *opened));
    if (sha != rec.sha) out.differs("issuances", id, "issuer_signed (SHA-256)", to_hex(rec.sha), to_hex(sha));
  }
}

}  // namespace idtap::provision
