// lib/provision/ledger_rebuild.cpp: what `ledger verify` rebuilds from the event chain and
// compares with every column of the tables: the chain itself (links, gaps, the keyed head), the
// holders (events 'holder'), the cards and the credentials (their events in the order of the
// card or credential and of seq, through the indexes events_by_card / events_by_credential),
// the challenges the issuances consumed, and the tagged meta rows.
//
// Memory stays flat as the ledger grows: every query is keyset-paged (kPage rows at a time,
// WHERE key > last ORDER BY key LIMIT kPage) and the tables are merged with the events in the
// same key order, one card or credential at a time. The whole comparison reads one snapshot (a
// read transaction: SQLite's WAL snapshot, PostgreSQL's REPEATABLE READ).
#include <algorithm>

#include "idtap/base/hex.h"
#include "idtap/crypto/mac.h"
#include "ledger_challenge.h"
#include "ledger_detail.h"
#include "ledger_paged.h"
#include "ledger_rebuild.h"

namespace idtap::provision {
namespace {

// ----- the chain, the holders, the challenges -------------------------------------------------

const char* const kKnownKinds[] = {"issued",  "resumed",       "suspended",      "revoked",         "expired",
                                   "card_lost", "card_found",  "policy",         "offer_created",   "offer_redeemed",
                                   "offer_expired", "offer_killed", "holder", "card_snapshot", "credential_snapshot",
                                   "migrated",  "clerk"};  // clerk: a console clerk's action (clerks.h): no table state

// kChallengeBatch: consumed challenges looked up per query (one round trip for a batch).
constexpr size_t kChallengeBatch = 64;

// Consumed: a challenge an 'issued' event says it consumed, and when.
struct Consumed {
  Bytes challenge;
  int64_t at = 0;
};

// check_consumed: the rows of the challenges in `batch` (those not pruned yet) say used, at the
// time of the issuance that consumed them; `batch` is emptied.
Status check_consumed(Ledger::Impl& l, std::vector<Consumed>& batch, Findings& out) {
  if (batch.empty()) return ok_status();
  static const std::string sql = [] {
    std::string q = "SELECT challenge, used_at FROM challenges WHERE challenge IN (";
    for (size_t i = 1; i <= kChallengeBatch; ++i) q += (i > 1 ? ", ?" : "?") + std::to_string(i);
    return q + ")";
  }();
  std::vector<std::pair<Bytes, std::string>> rows;
  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, l.prepare(sql.c_str()));
    for (size_t i = 0; i < kChallengeBatch; ++i) s.bind_blob(static_cast<int>(i + 1), i < batch.size() ? batch[i].challenge : batch[0].challenge);
    while (true) {
      IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
      if (!row) break;
      rows.emplace_back(s.blob(0), s.is_null(1) ? "NULL" : std::to_string(s.i64(1)));
    }
  }
  for (const auto& [challenge, found] : rows)
    for (const auto& c : batch)
      if (c.challenge == challenge) out.compare("challenges", to_hex(challenge).substr(0, 16) + "…", "used_at", std::to_string(c.at), found);
  batch.clear();
  return ok_status();
}

Status check_chain(Ledger::Impl& l, Findings& out) {
  PagedCursor events(l, "SELECT seq, at, kind, credential_id, card_id, detail, hash, site FROM events WHERE seq > ?1 ORDER BY seq LIMIT 512",
                     "iittitbt", {0}, Row{Cell{}});
  PagedCursor holders(l, "SELECT id, holder_key, created_at FROM holders WHERE id > ?1 ORDER BY id LIMIT 512", "ibi", {0}, Row{Cell{}});
  int64_t expect = 1;
  Bytes prev = kGenesis;
  uint64_t breaks = 0;
  std::vector<int64_t> first_breaks;  // the first rows whose link fails (a wrong key fails them all)
  int64_t last_holder = 0;
  std::vector<Consumed> consumed;  // challenges of the 'issued' events not looked up yet
  while (true) {
    IDTAP_ASSIGN_OR_RETURN(const Row* e, events.peek());
    if (e == nullptr) break;
    const Row ev = *e;
    events.pop();
    const int64_t seq = ev[0].i;
    if (seq != expect) {
      out.add("event log: rows " + std::to_string(expect) + ".." + std::to_string(seq - 1) + " are missing (deleted)");
      prev.clear();  // the chain cannot be followed across the gap
    }
    const std::string& kind = ev[2].s;
    IDTAP_ASSIGN_OR_RETURN(Bytes canonical, canonical_event(seq, ev[1].i, kind, ev[3].s, ev[4].i, ev[5].s, ev[7].s));
    const Bytes stored(ev[6].s.begin(), ev[6].s.end());
    if (!prev.empty()) {
      IDTAP_ASSIGN_OR_RETURN(Bytes link, l.event_link(prev, canonical));
      if (!crypto::constant_time_equal(link, stored)) {
        ++breaks;
        if (first_breaks.size() < 100) first_breaks.push_back(seq);
      }
    }
    prev = stored;
    expect = seq + 1;
    ++out.report.events;
    if (std::find(std::begin(kKnownKinds), std::end(kKnownKinds), kind) == std::end(kKnownKinds))
      out.add("event log: row " + std::to_string(seq) + " has an unknown kind '" + kind + "'");
    const EventDetail d = EventDetail::parse(ev[5].s);
    if (kind == "issued") {
      // The challenge the issuance consumed: its row (until pruned) says used, at that time.
      auto challenge = d.hex("challenge");
      if (challenge) {
        consumed.push_back({std::move(*challenge), ev[1].i});
        if (consumed.size() == kChallengeBatch) IDTAP_TRY(check_consumed(l, consumed, out));
      }
    }
    if (kind == "holder") {
      auto id = d.number("id");
      auto key = d.hex("key");
      auto created = d.number("created_at");
      if (!id || !key || !created) {
        out.add("event log: row " + std::to_string(seq) + " ('holder') has a malformed detail");
        continue;
      }
      if (*id <= last_holder)
        out.add("event log: row " + std::to_string(seq) + " records holder " + std::to_string(*id) + " out of order");
      last_holder = std::max(last_holder, *id);
      while (true) {
        IDTAP_ASSIGN_OR_RETURN(const Row* h, holders.peek());
        if (h == nullptr || h->at(0).i >= *id) break;
        out.add("holders[" + std::to_string(h->at(0).i) + "]: no event records this holder (inserted)");
        holders.pop();
      }
      IDTAP_ASSIGN_OR_RETURN(const Row* h, holders.peek());
      if (h == nullptr || h->at(0).i != *id) {
        out.add("holders[" + std::to_string(*id) + "]: recorded by event " + std::to_string(seq) + " but not in the table (deleted)");
        continue;
      }
      const std::string row = std::to_string(*id);
      out.compare("holders", row, "holder_key", to_hex(*key), hex_of(h->at(1).s), /*secret=*/true);
      out.compare("holders", row, "created_at", *created, h->at(2).i);
      holders.pop();
    }
  }
  IDTAP_TRY(check_consumed(l, consumed, out));
  while (true) {
    IDTAP_ASSIGN_OR_RETURN(const Row* h, holders.peek());
    if (h == nullptr) break;
    out.add("holders[" + std::to_string(h->at(0).i) + "]: no event records this holder (inserted)");
    holders.pop();
  }
  auto head = l.event_head();
  if (breaks != 0 && breaks == out.report.events && !head.ok()) {
    // Every row and the head fail their HMAC: not N edits but a key that is not this ledger's
    // (a replaced or another ledger's DB.key). One finding, which says so.
    out.wrong_key = true;
    out.add("the key file does not belong to this ledger: all " + std::to_string(out.report.events) +
            " event rows and the recorded head fail their HMAC, as with a wrong or replaced key file (the data itself "
            "may be intact); put the ledger's own key back and verify again");
  } else {
    for (int64_t seq : first_breaks) out.add("event log: row " + std::to_string(seq) + " does not match the hash chain (edited)");
    if (breaks > first_breaks.size())
      out.add("event log: " + std::to_string(breaks - first_breaks.size()) + " more rows do not match the hash chain (edited)");
    if (!head.ok()) out.add("event log: the recorded head is not authentic (rewound or forged)");
  }
  if (head.ok() && (head->seq != expect - 1 || !equal_bytes(head->hash, prev)))
    out.add("event log: the recorded head (" + std::to_string(head->seq) + ") is not the last row (" + std::to_string(expect - 1) +
            "): rows were removed or added");
  return ok_status();
}

// ----- credentials --------------------------------------------------------------------------------

// ExpectedCredential: a credentials row as its events make it.
struct ExpectedCredential {
  bool complete = false;  // an 'issued' (this form) or a snapshot set every column
  bool born = false;      // an 'issued' or a snapshot came first
  int64_t holder = 0, card = 0, idx = 0, issued_at = 0, valid_from = 0, valid_until = 0;
  std::string device, doc_type, state, reason, file, evidence, site;
  std::string sha;  // bytes
};

// fill: the columns an 'issued' event (this form) or a snapshot carries; false when one is missing.
bool fill(ExpectedCredential& c, const EventDetail& d) {
  auto holder = d.number("holder"), idx = d.number("idx"), from = d.number("valid_from"), until = d.number("valid_until");
  auto device = d.text("device"), doc_type = d.text("doc_type"), evidence = d.text("evidence"), file = d.text("file");
  auto sha = d.hex("sha256");
  if (!d.has_version() || !holder || !idx || !from || !until || !device || !doc_type || !evidence || !file || !sha) return false;
  c.holder = *holder;
  c.idx = *idx;
  c.valid_from = *from;
  c.valid_until = *until;
  c.device = *device;
  c.doc_type = *doc_type;
  c.evidence = *evidence;
  c.file = *file;
  c.sha.assign(sha->begin(), sha->end());
  return true;
}

// apply: one event of the credential (columns of the events-by-credential cursor below).
void apply(ExpectedCredential& c, const Row& ev, Findings& out, const std::string& id) {
  const std::string& kind = ev[3].s;
  const EventDetail d = EventDetail::parse(ev[4].s);
  if (kind == "issued") {
    c.born = true;
    c.complete = fill(c, d);
    c.card = ev[6].i;
    c.issued_at = ev[2].i;
    c.site = ev[5].s;
    c.state = "active";
    c.reason = "";
  } else if (kind == "credential_snapshot") {
    c.born = true;
    auto issued_at = d.number("issued_at");
    auto state = d.text("state"), reason = d.text("reason"), site = d.text("site");
    c.complete = fill(c, d) && issued_at && state && reason && site;
    c.card = ev[6].i;
    if (c.complete) {
      c.issued_at = *issued_at;
      c.state = *state;
      c.reason = *reason;
      c.site = *site;
    }
  } else if (kind == "suspended" || kind == "revoked" || kind == "expired" || kind == "resumed") {
    if (!c.born) out.add("credentials[" + id + "]: its event " + std::to_string(ev[1].i) + " ('" + kind + "') comes before its 'issued'");
    c.state = kind == "resumed" ? "active" : kind;
    c.reason = ev[4].s;
  } else {
    out.add("event log: row " + std::to_string(ev[1].i) + " ('" + kind + "') names credential " + id + " but changes no credential");
  }
}

void compare_credential(const ExpectedCredential& e, const Row& t, Findings& out) {
  const std::string& id = t[0].s;
  if (!e.born) {
    out.add("credentials[" + id + "]: no 'issued' event (inserted)");
    return;
  }
  out.compare("credentials", id, "state", e.state, t[8].s);
  out.compare("credentials", id, "state_reason", e.reason, t[9].s);
  if (!e.complete) {
    out.add("credentials[" + id + "]: its events predate full coverage (schema version 2) and no snapshot follows: " +
            "run `idtap ledger migrate`");
    return;
  }
  out.compare("credentials", id, "holder_id", e.holder, t[1].i);
  out.compare("credentials", id, "card_id", e.card, t[2].i);
  out.compare("credentials", id, "device_thumbprint", e.device, t[3].s);
  out.compare("credentials", id, "doc_type", e.doc_type, t[4].s);
  out.compare("credentials", id, "issued_at", e.issued_at, t[5].i);
  out.compare("credentials", id, "valid_from", e.valid_from, t[6].i);
  out.compare("credentials", id, "valid_until", e.valid_until, t[7].i);
  out.compare("credentials", id, "status_idx", e.idx, t[10].i);
  out.compare("credentials", id, "file_path", e.file, t[11].s);
  if (e.sha != t[12].s) out.differs("credentials", id, "file_sha256", hex_of(e.sha), hex_of(t[12].s));
  out.compare("credentials", id, "evidence", e.evidence, t[13].s);
  out.compare("credentials", id, "site", e.site, t[14].s);
}

// fold_group: the events of the credential (or card) at the cursor, one after another, into
// `fold`; returns its id.
template <typename Key, typename F>
Result<Key> fold_group(PagedCursor& events, Key (*key_of)(const Row&), F&& fold) {
  IDTAP_ASSIGN_OR_RETURN(const Row* first, events.peek());
  const Key key = key_of(*first);
  while (true) {
    IDTAP_ASSIGN_OR_RETURN(const Row* e, events.peek());
    if (e == nullptr || key_of(*e) != key) return key;
    fold(*e);
    events.pop();
  }
}

std::string text_key(const Row& r) { return r[0].s; }
int64_t int_key(const Row& r) { return r[0].i; }

Status check_credentials(Ledger::Impl& l, Findings& out) {
  PagedCursor events(l, "SELECT credential_id, seq, at, kind, detail, site, card_id FROM events WHERE credential_id <> '' "
                        "AND (credential_id, seq) > (?1, ?2) ORDER BY credential_id, seq LIMIT 512",
                     "tiittti", {0, 1}, Row{Cell{}, Cell{}});
  PagedCursor table(l, "SELECT id, holder_id, card_id, device_thumbprint, doc_type, issued_at, valid_from, valid_until, state, "
                       "state_reason, status_idx, file_path, file_sha256, evidence, site FROM credentials WHERE id > ?1 "
                       "ORDER BY id LIMIT 512",
                    "tiittiiittitbtt", {0}, Row{Cell{}});
  while (true) {
    IDTAP_ASSIGN_OR_RETURN(const Row* e, events.peek());
    IDTAP_ASSIGN_OR_RETURN(const Row* t, table.peek());
    if (e == nullptr && t == nullptr) return ok_status();
    if (t == nullptr || (e != nullptr && e->at(0).s < t->at(0).s)) {
      ExpectedCredential c;
      IDTAP_ASSIGN_OR_RETURN(std::string id, fold_group(events, text_key, [&](const Row& ev) { apply(c, ev, out, ev[0].s); }));
      out.add("credentials[" + id + "]: has events but no record (deleted)");
      continue;
    }
    const Row row = *t;
    table.pop();
    ++out.report.credentials;
    ExpectedCredential c;
    if (e != nullptr && e->at(0).s == row[0].s) {
      IDTAP_TRY(fold_group(events, text_key, [&](const Row& ev) { apply(c, ev, out, ev[0].s); }));
    }
    compare_credential(c, row, out);
  }
}

// ----- cards ------------------------------------------------------------------------------------

// ExpectedCard: a cards row as its events make it.
struct ExpectedCard {
  bool exists = false;
  bool complete = true;
  std::string identity;  // "ISSUING_STATE DOCUMENT_NUMBER"
  int64_t holder = 0;
  std::string state;
};

// apply_card: one event of the card (columns of the events-by-card cursor below).
void apply_card(ExpectedCard& c, const Row& ev) {
  const std::string& kind = ev[3].s;
  const EventDetail d = EventDetail::parse(ev[4].s);
  if (kind == "issued") {
    auto identity = d.text("card");
    auto holder = d.number("holder");
    if (!c.exists) {
      c.exists = true;
      c.state = "valid";
      if (d.has_version() && identity && holder) {
        c.identity = *identity;
        c.holder = *holder;
      } else {
        c.complete = false;
      }
    } else if (c.holder == 0) {
      if (holder) c.holder = *holder;
      else c.complete = false;
    }
  } else if (kind == "card_lost") {
    if (!c.exists) {
      c.exists = true;
      c.identity = ev[4].s;  // "ISSUING_STATE DOCUMENT_NUMBER": recorded as lost, no holder
      c.holder = 0;
    }
    c.state = "lost";
  } else if (kind == "card_found") {
    c.state = "valid";
  } else if (kind == "card_snapshot") {
    auto identity = d.text("card");
    auto holder = d.number("holder");
    auto state = d.text("state");
    c.exists = true;
    c.complete = d.has_version() && identity && holder && state;
    if (c.complete) {
      c.identity = *identity;
      c.holder = *holder;
      c.state = *state;
    }
  }
  // Other events name a card without changing it (an offer made from it, a credential's
  // snapshot): nothing to fold.
}

Status check_cards(Ledger::Impl& l, Findings& out) {
  PagedCursor events(l, "SELECT card_id, seq, at, kind, detail FROM events WHERE card_id <> 0 AND (card_id, seq) > (?1, ?2) "
                        "ORDER BY card_id, seq LIMIT 512",
                     "iiitt", {0, 1}, Row{Cell{}, Cell{}});
  PagedCursor table(l, "SELECT id, issuing_state, document_number, holder_id, state FROM cards WHERE id > ?1 ORDER BY id LIMIT 512",
                    "ittit", {0}, Row{Cell{}});
  while (true) {
    IDTAP_ASSIGN_OR_RETURN(const Row* e, events.peek());
    IDTAP_ASSIGN_OR_RETURN(const Row* t, table.peek());
    if (e == nullptr && t == nullptr) return ok_status();
    ExpectedCard c;
    if (t == nullptr || (e != nullptr && e->at(0).i < t->at(0).i)) {
      IDTAP_ASSIGN_OR_RETURN(int64_t id, fold_group(events, int_key, [&](const Row& ev) { apply_card(c, ev); }));
      if (c.exists) out.add("cards[" + std::to_string(id) + "]: has events but no record (deleted)");
      continue;
    }
    const Row row = *t;
    table.pop();
    if (e != nullptr && e->at(0).i == row[0].i) {
      IDTAP_TRY(fold_group(events, int_key, [&](const Row& ev) { apply_card(c, ev); }));
    }
    const std::string id = std::to_string(row[0].i);
    if (!c.exists) {
      out.add("cards[" + id + "]: no event records this card (inserted)");
      continue;
    }
    out.compare("cards", id, "state", c.state, row[4].s);
    if (!c.complete) {
      out.add("cards[" + id + "]: its events predate full coverage (schema version 2) and no snapshot follows: run `idtap ledger migrate`");
      continue;
    }
    out.compare("cards", id, "issuing_state document_number", c.identity, row[1].s + " " + row[2].s);
    out.compare("cards", id, "holder_id", c.holder, row[3].null ? 0 : row[3].i);
  }
}

// ReadSnapshot: one read transaction around the comparison (committed when it ends: it wrote
// nothing).
class ReadSnapshot {
 public:
  static Result<ReadSnapshot> begin(Ledger::Impl& l) {
    const bool pg = std::string(l.db->backend()) == "postgresql";
    IDTAP_TRY(l.exec(pg ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN"));
    return ReadSnapshot(l);
  }
  ReadSnapshot(ReadSnapshot&& o) noexcept : l_(o.l_), open_(o.open_) { o.open_ = false; }
  ~ReadSnapshot() {
    if (open_) (void)l_.exec("ROLLBACK");
  }

 private:
  explicit ReadSnapshot(Ledger::Impl& l) : l_(l) {}
  Ledger::Impl& l_;
  bool open_ = true;
};

}  // namespace

Status rebuild_and_compare(Ledger::Impl& l, LedgerReport& report) {
  Findings out{report};
  IDTAP_ASSIGN_OR_RETURN(ReadSnapshot snapshot, ReadSnapshot::begin(l));
  IDTAP_TRY(check_chain(l, out));
  IDTAP_TRY(check_credentials(l, out));
  IDTAP_TRY(check_cards(l, out));
  IDTAP_TRY(check_issuances(l, out));
  if (!out.wrong_key) IDTAP_TRY(check_challenges(l, out));  // under another key no challenge's tag verifies
  IDTAP_ASSIGN_OR_RETURN(std::vector<std::string> edited, l.untagged_meta());
  if (out.wrong_key) edited.clear();  // under another key no tag verifies: the one finding says why
  for (const auto& name : edited) {
    auto value = l.meta(name.c_str());
    out.add("meta[" + name + "]: " + (value.ok() ? "'" + *value + "'" : std::string("(missing)")) +
            " does not match its tag (edited; the value the ledger was made with is in every published status list)");
  }
  return ok_status();
}

}  // namespace idtap::provision
