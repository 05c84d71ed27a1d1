// lib/provision/ledger_issue.cpp: issuance (the rules, the holder, the card, the status index,
// the credential) and every state change of a credential or a card, each one transaction that
// appends its events (ledger.h states the rules).
#include "idtap/base/hex.h"
#include "idtap/crypto/hash.h"
#include "idtap/crypto/mac.h"
#include "idtap/crypto/random.h"
#include "ledger_challenge.h"
#include "ledger_detail.h"
#include "ledger_internal.h"

namespace idtap::provision {

Status Ledger::Impl::set_credential_state(const std::string& id, CredentialState state, const std::string& reason, UnixSeconds now,
                            const char* event_kind) {
  IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("UPDATE credentials SET state = ?2, state_reason = ?3 WHERE id = ?1"));
  IDTAP_TRY(s.bind(1, id).bind(2, credential_state_name(state)).bind(3, reason).run_deferred());
  return append_event(now, event_kind, id, 0, reason);
}

Result<uint64_t> Ledger::Impl::allocate_status_index() {
  for (int attempt = 0; attempt < 64; ++attempt) {
    IDTAP_ASSIGN_OR_RETURN(Bytes r, crypto::random_bytes(8));
    uint64_t idx = be_uint(r) % status_size;
    IDTAP_ASSIGN_OR_RETURN(Stmt used, prepare("SELECT 1 FROM credentials WHERE status_idx = ?1"));
    used.bind(1, static_cast<int64_t>(idx));
    IDTAP_ASSIGN_OR_RETURN(bool taken, used.step());
    if (!taken) return idx;
  }
  // Dense list: the first free index.
  IDTAP_ASSIGN_OR_RETURN(Stmt all, prepare("SELECT status_idx FROM credentials ORDER BY status_idx"));
  uint64_t expect = 0;
  while (true) {
    IDTAP_ASSIGN_OR_RETURN(bool row, all.step());
    if (!row) break;
    uint64_t idx = static_cast<uint64_t>(all.i64(0));
    if (idx != expect) break;
    ++expect;
  }
  if (expect >= status_size) return make_error(ErrorCode::kRefused, "the status list is full (" + std::to_string(status_size) + " entries)");
  return expect;
}


namespace {

// kIssueSnapshot: everything issue_locked reads before it writes, in one statement (one round
// trip under the writers' lock; each was its own before, ledger_sites_bench): the holder, a
// live credential of another holder on this phone, the card (the columns find_card reads), the
// holder's live credential (at most one: the index one_phone_per_holder), whether the status
// index drawn for the new credential is taken, and whether the idempotency id is recorded.
// ?1 holder_key, ?2 device thumbprint, ?3 issuing state, ?4 document number, ?5 status index,
// ?6 idempotency id. Portable: scalar subqueries and LEFT JOINs on a one-row table.
constexpr const char* kIssueSnapshot =
    "SELECT h.id, "
    "(SELECT c.id || ' ' || c.state FROM credentials c WHERE c.device_thumbprint = ?2 AND c.holder_id <> coalesce(h.id, 0) "
    "AND c.state IN ('active', 'suspended') LIMIT 1), "
    "k.id, k.state, k.holder_id, "
    "(SELECT c.id FROM credentials c WHERE c.holder_id = h.id AND c.state IN ('active', 'suspended')), "
    "CASE WHEN EXISTS (SELECT 1 FROM credentials c WHERE c.status_idx = ?5) THEN 1 ELSE 0 END, "
    "CASE WHEN EXISTS (SELECT 1 FROM issuances i WHERE i.idempotency_id = ?6) THEN 1 ELSE 0 END "
    "FROM (SELECT 1 AS one) AS one_row LEFT JOIN holders h ON h.holder_key = ?1 "
    "LEFT JOIN cards k ON k.issuing_state = ?3 AND k.document_number = ?4";

struct IssueSnapshot {
  int64_t holder_id = 0;                // 0: a new holder
  std::string phone_taken;              // "<credential id> <state>" of another holder's, or ""
  std::optional<CardRow> card;
  std::vector<std::string> live;        // the holder's live credential, if any
  bool status_idx_taken = false;
  bool idempotency_id_recorded = false;
};

Result<IssueSnapshot> issue_snapshot(Ledger::Impl& l, ByteView holder_key, const std::string& thumbprint, const CardIdentity& card,
                                     uint64_t status_idx, const std::string& idempotency_id) {
  IDTAP_ASSIGN_OR_RETURN(Stmt s, l.prepare(kIssueSnapshot));
  s.bind_blob(1, holder_key).bind(2, thumbprint).bind(3, card.issuing_state).bind(4, card.document_number)
      .bind(5, static_cast<int64_t>(status_idx)).bind(6, idempotency_id);
  IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
  if (!row) return make_error(ErrorCode::kInternal, "ledger: the issuance snapshot gave no row");
  IssueSnapshot out;
  out.holder_id = s.is_null(0) ? 0 : s.i64(0);
  if (!s.is_null(1)) out.phone_taken = s.text(1);
  if (!s.is_null(2)) {
    CardRow c;
    c.id = s.i64(2);
    IDTAP_ASSIGN_OR_RETURN(c.state, parse_card_state(s.text(3)));
    c.holder_id = s.is_null(4) ? 0 : s.i64(4);
    out.card = c;
  }
  if (!s.is_null(5)) out.live.push_back(s.text(5));
  out.status_idx_taken = s.i64(6) != 0;
  out.idempotency_id_recorded = s.i64(7) != 0;
  IDTAP_TRY(s.run());
  return out;
}

}  // namespace

Result<IssuedCredential> Ledger::Impl::issue_locked(const IssueRequest& r, IssuerSigner& signer) {
  const VerifiedHolder& h = *r.holder;
  if (!meta_authentic)
    return make_error(ErrorCode::kRefused, "the ledger's settings (meta status_uri, status_list_size or schema_version) do not "
                                           "match their tag: they were edited; nothing is issued until `idtap ledger verify` "
                                           "has been run and the ledger restored");
  // The holder, keyed by HMAC(ledger key, resident number digits).
  IDTAP_ASSIGN_OR_RETURN(SecureBytes digits, resident_number_digits(h));
  IDTAP_ASSIGN_OR_RETURN(Bytes holder_key, crypto::hmac_sha256(key, ByteView(digits.data(), digits.size())));
  IDTAP_ASSIGN_OR_RETURN(const CardIdentity card, normalize_card_identity(h.card));
  const std::string thumbprint = r.device_key.thumbprint();
  IDTAP_ASSIGN_OR_RETURN(Bytes drawn, crypto::random_bytes(8));
  const uint64_t candidate_idx = be_uint(drawn) % status_size;
  IDTAP_ASSIGN_OR_RETURN(IssueSnapshot snap, issue_snapshot(*this, holder_key, thumbprint, card, candidate_idx, r.idempotency_id));
  // A retry of an issuance already recorded under this idempotency id returns it, first: its
  // challenge is used by then (ledger_idempotency.cpp).
  if (!r.idempotency_id.empty() && snap.idempotency_id_recorded) {
    IDTAP_ASSIGN_OR_RETURN(std::optional<IssuedCredential> prior, replay_issuance(r, holder_key));
    if (prior) return std::move(*prior);
  }
  if (h.evidence == Evidence::kClerk && !allow_attested)
    return make_error(ErrorCode::kRefused, "this ledger does not allow clerk-attested issuance (it is off unless the ledger "
                                           "was set up with `idtap ledger init --allow-attested`)");
  // The proof's challenge: known, unused, unexpired; consumed by this transaction.
  if (r.possession == PossessionCheck::kChallenge) {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("SELECT expires_at, used_at, created_at FROM challenges WHERE challenge = ?1"));
    s.bind_blob(1, r.proof.challenge);
    IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) return make_error(ErrorCode::kRefused, "bad proof of possession: unknown challenge");
    if (!s.is_null(1)) return make_error(ErrorCode::kRefused, "bad proof of possession: the challenge was already used (replayed proof)");
    // Its times are under its own tag (ledger_challenge.cpp): an edited expiry is refused.
    IDTAP_ASSIGN_OR_RETURN(bool authentic, challenge_authentic(*this, r.proof.challenge, s.i64(2), s.i64(0)));
    if (!authentic)
      return make_error(ErrorCode::kRefused, "bad proof of possession: the challenge's times do not match its tag (edited in the "
                                             "database, or made before an upgrade): request a new challenge");
    if (s.i64(0) <= r.now) return make_error(ErrorCode::kRefused, "bad proof of possession: the challenge expired");
  }
  if (r.possession == PossessionCheck::kChallenge) {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("UPDATE challenges SET used_at = ?2 WHERE challenge = ?1"));
    IDTAP_TRY(s.bind_blob(1, r.proof.challenge).bind(2, r.now).run());
  }
  int64_t holder_id = snap.holder_id;
  if (holder_id == 0) {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("INSERT INTO holders(holder_key, created_at) VALUES(?1, ?2) RETURNING id"));
    IDTAP_ASSIGN_OR_RETURN(holder_id, s.bind_blob(1, holder_key).bind(2, r.now).returning_id());
    IDTAP_TRY(append_holder_event(r.now, holder_id, holder_key, r.now));
  }
  // One phone per person: a device key that holds another holder's live (active or suspended)
  // credential is refused; that credential must be revoked first (a suspended one could be
  // resumed, so it still binds the phone). (A new holder has no credential: any live one on
  // this phone is another holder's, as the snapshot's coalesce(h.id, 0) reads it.)
  if (!snap.phone_taken.empty()) {
    const size_t space = snap.phone_taken.find(' ');
    return make_error(ErrorCode::kRefused, "this phone's device key already holds another holder's mobile ID (credential " +
                                               snap.phone_taken.substr(0, space) + ", " + snap.phone_taken.substr(space + 1) +
                                               "): a device key is bound to one holder; that credential must be revoked before " +
                                               "this phone can hold another person's ID");
  }
  // The card: refused when the ledger has it as lost or as another holder's. A card first
  // recorded without a holder (reported lost before it was ever used, then found) gets this
  // holder, so that a later loss report suspends the credential issued here.
  int64_t card_id = 0;
  bool card_has_holder = false;
  if (snap.card) {
    const CardRow& known = *snap.card;
    card_id = known.id;
    card_has_holder = known.holder_id != 0;
    if (known.state == CardState::kLost) return make_error(ErrorCode::kRefused, "the card is reported lost");
    if (card_has_holder && known.holder_id != holder_id) return make_error(ErrorCode::kRefused, "the card is recorded for another holder");
  }
  if (card_id != 0 && !card_has_holder) {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("UPDATE cards SET holder_id = ?2 WHERE id = ?1 AND holder_id IS NULL"));
    IDTAP_TRY(s.bind(1, card_id).bind(2, holder_id).run_deferred());
  }
  if (card_id == 0) {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("INSERT INTO cards(issuing_state, document_number, holder_id, state) "
                                           "VALUES(?1, ?2, ?3, 'valid') RETURNING id"));
    IDTAP_ASSIGN_OR_RETURN(card_id, s.bind(1, card.issuing_state).bind(2, card.document_number).bind(3, holder_id).returning_id());
  }

  IssuedCredential out;
  IDTAP_ASSIGN_OR_RETURN(Bytes id_bytes, crypto::random_bytes(16));
  out.credential_id = to_hex(id_bytes);
  out.file_path = r.file_path;
  out.device_thumbprint = thumbprint;

  // One phone per holder: the previous live credential is revoked in this transaction.
  out.revoked = std::move(snap.live);
  for (const auto& old : out.revoked)
    IDTAP_TRY(set_credential_state(old, CredentialState::kRevoked, "replaced by " + out.credential_id, r.now, "revoked"));

  if (!snap.status_idx_taken) {
    out.status_idx = candidate_idx;
  } else {
    IDTAP_ASSIGN_OR_RETURN(out.status_idx, allocate_status_index());
  }
  out.validity.signed_at = r.now;
  out.validity.valid_from = r.now;
  out.validity.valid_until = credential_valid_until(r.now);
  // A credential that would not verify (an issuer certificate expired, not yet valid, or
  // expiring before validUntil) is not issued.
  if (signer.certificate_chain() != checked_chain) {
    IDTAP_ASSIGN_OR_RETURN(checked_window, issuer_validity(signer.certificate_chain()));
    checked_chain = signer.certificate_chain();
  }
  if (!checked_window.covers(r.now, out.validity.valid_until))
    IDTAP_TRY(check_issuer_validity(signer, r.now, out.validity.valid_until));  // the error names the certificate

  MdocContent content;
  content.holder = &h;
  content.mapping = r.mapping;
  content.device_key = r.device_key;
  content.validity = out.validity;
  content.status = StatusReference{out.status_idx, status_uri};
  IDTAP_ASSIGN_OR_RETURN(out.issuer_signed, issue_mdoc(content, signer));
  IDTAP_ASSIGN_OR_RETURN(Bytes file_sha256, crypto::digest(crypto::HashAlg::kSha256, out.issuer_signed));

  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare(
        "INSERT INTO credentials(id, holder_id, card_id, device_thumbprint, doc_type, issued_at, valid_from, valid_until, "
        "state, status_idx, file_path, file_sha256, evidence, site) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'active', ?9, ?10, ?11, ?12, ?13)"));
    IDTAP_TRY(s.bind(1, out.credential_id).bind(2, holder_id).bind(3, card_id).bind(4, out.device_thumbprint)
                  .bind(5, r.mapping.doc_type).bind(6, r.now).bind(7, out.validity.valid_from).bind(8, out.validity.valid_until)
                  .bind(9, static_cast<int64_t>(out.status_idx)).bind(10, r.file_path)
                  .bind_blob(11, file_sha256).bind(12, h.evidence_label()).bind(13, site).run_deferred());
  }
  // Every column of the row (and the card's identity, the challenge consumed) is in the event:
  // `ledger verify` rebuilds the tables from the events (ledger_rebuild.cpp).
  IssuedDetail detail;
  detail.holder_id = holder_id;
  detail.card = card.issuing_state + " " + card.document_number;
  detail.status_idx = static_cast<int64_t>(out.status_idx);
  detail.device_thumbprint = out.device_thumbprint;
  detail.doc_type = r.mapping.doc_type;
  detail.valid_from = out.validity.valid_from;
  detail.valid_until = out.validity.valid_until;
  detail.file_sha256 = file_sha256;
  detail.evidence = h.evidence_label();
  detail.file_path = r.file_path;
  if (r.possession == PossessionCheck::kChallenge) detail.challenge = r.proof.challenge;
  detail.idempotency_id = r.idempotency_id;  // verify: the issuances row must be there
  IDTAP_TRY(append_event(r.now, "issued", out.credential_id, card_id, issued_detail(detail).str()));
  out.idempotency_id = r.idempotency_id;
  if (!out.idempotency_id.empty()) IDTAP_TRY(record_issuance(out, r.now));
  if (r.before_commit) IDTAP_TRY(r.before_commit(out));
  return out;
}

namespace {

Status check_request(const IssueRequest& r) {
  if (r.holder == nullptr) return make_error(ErrorCode::kInvalidArgument, "issue: no holder");
  // The rules first: nothing is touched when they refuse.
  IDTAP_TRY(check_issuance_policy(*r.holder, date_of(r.now)));
  if (r.possession == PossessionCheck::kCaller) return ok_status();
  return verify_possession_signature(r.proof, r.device_key);
}

// with_idempotency_id: `r` as issued: its idempotency id checked, or a new one when it has none
// (made once, before any attempt, so that every retry of the call carries the same one).
Result<IssueRequest> with_idempotency_id(const IssueRequest& r) {
  IssueRequest out = r;
  if (out.idempotency_id.empty()) {
    IDTAP_ASSIGN_OR_RETURN(out.idempotency_id, new_idempotency_id());
  } else {
    IDTAP_TRY(check_idempotency_id(out.idempotency_id));
  }
  return out;
}

}  // namespace

Result<IssuedCredential> Ledger::issue(const IssueRequest& request, IssuerSigner& signer) {
  IDTAP_ASSIGN_OR_RETURN(const IssueRequest r, with_idempotency_id(request));
  return retrying(*impl_, [&]() -> Result<IssuedCredential> {
    IDTAP_TRY(check_request(r));
    IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(*impl_));
    IDTAP_ASSIGN_OR_RETURN(IssuedCredential out, impl_->issue_locked(r, signer));
    IDTAP_TRY(txn.commit());
    return out;
  });
}

Result<std::vector<Result<IssuedCredential>>> Ledger::issue_batch(std::span<const IssueRequest> requests, IssuerSigner& signer) {
  std::vector<Result<IssueRequest>> identified;
  identified.reserve(requests.size());
  for (const auto& r : requests) identified.push_back(with_idempotency_id(r));
  return retrying(*impl_, [&]() -> Result<std::vector<Result<IssuedCredential>>> {
    std::vector<Result<IssuedCredential>> results;
    results.reserve(requests.size());
    IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(*impl_));
    // One savepoint per item, the previous one released in the same round trip; the commit
    // releases the last.
    bool savepoint_open = false;
    for (const auto& item : identified) {
      if (!item.ok()) {
        results.push_back(item.error());
        continue;
      }
      const IssueRequest& r = *item;
      auto checked = check_request(r);
      if (!checked.ok()) {
        results.push_back(checked.error());
        continue;
      }
      IDTAP_TRY(savepoint_open ? impl_->next_savepoint("item") : impl_->savepoint("item"));
      savepoint_open = true;
      auto one = impl_->issue_locked(r, signer);
      if (!one.ok()) IDTAP_TRY(impl_->rollback_to("item"));
      results.push_back(std::move(one));
    }
    IDTAP_TRY(txn.commit());
    return results;
  });
}

Status Ledger::run_in_one_transaction(std::span<const std::function<Status()>> operations) {
  if (impl_->in_group) return make_error(ErrorCode::kState, "run_in_one_transaction: already inside a group transaction");
  IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(*impl_));
  impl_->in_group = true;
  struct GroupEnd {
    Ledger::Impl& l;
    ~GroupEnd() { l.in_group = false; }
  } group_end{*impl_};
  bool savepoint_open = false;
  for (const auto& operation : operations) {
    IDTAP_TRY(savepoint_open ? impl_->next_savepoint("operation") : impl_->savepoint("operation"));
    savepoint_open = true;
    const Status done = operation ? operation() : ok_status();
    if (!done.ok()) IDTAP_TRY(impl_->rollback_to("operation"));
  }
  impl_->in_group = false;
  return txn.commit();
}

namespace {

struct StateRow {
  CredentialState state;
  std::string reason;
  UnixSeconds valid_until;
  int64_t card_id;
  int64_t holder_id;
};

Result<StateRow> load_state(Ledger::Impl& l, const std::string& id) {
  IDTAP_ASSIGN_OR_RETURN(Stmt s, l.prepare("SELECT state, state_reason, valid_until, card_id, holder_id FROM credentials WHERE id = ?1"));
  s.bind(1, id);
  IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
  if (!row) return make_error(ErrorCode::kNotFound, "no credential " + id);
  IDTAP_ASSIGN_OR_RETURN(CredentialState st, parse_credential_state(s.text(0)));
  return StateRow{st, s.text(1), s.i64(2), s.i64(3), s.i64(4)};
}

}  // namespace

Status Ledger::suspend(const std::string& id, const std::string& reason, UnixSeconds now) {
  return retrying(*impl_, [&]() -> Status {
    IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(*impl_));
    IDTAP_ASSIGN_OR_RETURN(StateRow row, load_state(*impl_, id));
    if (row.state != CredentialState::kActive)
      return make_error(ErrorCode::kState, "credential " + id + " is " + credential_state_name(row.state) + ", not active");
    IDTAP_TRY(impl_->set_credential_state(id, CredentialState::kSuspended, reason, now, "suspended"));
    return txn.commit();
  });
}

Status Ledger::resume(const std::string& id, UnixSeconds now) {
  return retrying(*impl_, [&]() -> Status {
    IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(*impl_));
    IDTAP_ASSIGN_OR_RETURN(StateRow row, load_state(*impl_, id));
    if (row.state != CredentialState::kSuspended)
      return make_error(ErrorCode::kState, "credential " + id + " is " + credential_state_name(row.state) + ", not suspended");
    if (now >= row.valid_until) return make_error(ErrorCode::kState, "credential " + id + " has expired: re-issue it");
    IDTAP_ASSIGN_OR_RETURN(Stmt card, impl_->prepare("SELECT state FROM cards WHERE id = ?1"));
    card.bind(1, row.card_id);
    IDTAP_ASSIGN_OR_RETURN(bool has_card, card.step());
    if (has_card && card.text(0) == "lost")
      return make_error(ErrorCode::kRefused, "the credential's card is still reported lost (use `idtap card found` first)");
    IDTAP_TRY(impl_->set_credential_state(id, CredentialState::kActive, "", now, "resumed"));
    return txn.commit();
  });
}

Status Ledger::revoke(const std::string& id, const std::string& reason, UnixSeconds now) {
  return retrying(*impl_, [&]() -> Status {
    IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(*impl_));
    IDTAP_ASSIGN_OR_RETURN(StateRow row, load_state(*impl_, id));
    if (row.state != CredentialState::kActive && row.state != CredentialState::kSuspended)
      return make_error(ErrorCode::kState, "credential " + id + " is already " + credential_state_name(row.state));
    IDTAP_TRY(impl_->set_credential_state(id, CredentialState::kRevoked, reason, now, "revoked"));
    return txn.commit();
  });
}

Result<std::vector<std::string>> Ledger::report_card_lost(const CardIdentity& typed, UnixSeconds now, UnknownCard unknown,
                                                           bool* was_known) {
  return retrying(*impl_, [&]() -> Result<std::vector<std::string>> {
    IDTAP_ASSIGN_OR_RETURN(const CardIdentity card, normalize_card_identity(typed));
    IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(*impl_));
    IDTAP_ASSIGN_OR_RETURN(std::optional<CardRow> known, impl_->find_card(card));
    if (known && known->state == CardState::kLost) return make_error(ErrorCode::kState, "the card is already reported lost");
    int64_t card_id = known ? known->id : 0;
    const int64_t holder_id = known ? known->holder_id : 0;
    if (was_known != nullptr) *was_known = card_id != 0;
    if (card_id == 0 && unknown == UnknownCard::kRefuse)
      return make_error(ErrorCode::kNotFound, "no card " + card.issuing_state + " " + card.document_number +
                                                  " in the ledger: nothing was suspended and nothing recorded (check the number; " +
                                                  "to record a card never used here as lost, say so: --unknown-ok)");
    if (card_id == 0) {
      IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("INSERT INTO cards(issuing_state, document_number, holder_id, state) "
                                                    "VALUES(?1, ?2, NULL, 'lost') RETURNING id"));
      IDTAP_ASSIGN_OR_RETURN(card_id, s.bind(1, card.issuing_state).bind(2, card.document_number).returning_id());
    } else {
      IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("UPDATE cards SET state = 'lost' WHERE id = ?1"));
      IDTAP_TRY(s.bind(1, card_id).run());
    }
    IDTAP_TRY(impl_->append_event(now, "card_lost", "", card_id, card.issuing_state + " " + card.document_number));
    std::vector<std::string> suspended;
    if (holder_id != 0) {
      IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("SELECT id FROM credentials WHERE holder_id = ?1 AND state = 'active'"));
      s.bind(1, holder_id);
      IDTAP_ASSIGN_OR_RETURN(suspended, s.texts());
    }
    for (const auto& id : suspended) IDTAP_TRY(impl_->set_credential_state(id, CredentialState::kSuspended, "card_lost", now, "suspended"));
    IDTAP_TRY(txn.commit());
    return suspended;
  });
}

Result<std::vector<std::string>> Ledger::card_found(const CardIdentity& typed, UnixSeconds now) {
  return retrying(*impl_, [&]() -> Result<std::vector<std::string>> {
    IDTAP_ASSIGN_OR_RETURN(const CardIdentity card, normalize_card_identity(typed));
    IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(*impl_));
    IDTAP_ASSIGN_OR_RETURN(std::optional<CardRow> known, impl_->find_card(card));
    if (!known) return make_error(ErrorCode::kNotFound, "no card " + card.issuing_state + " " + card.document_number + " in the ledger");
    if (known->state != CardState::kLost) return make_error(ErrorCode::kState, "the card is not reported lost");
    const int64_t card_id = known->id;
    const int64_t holder_id = known->holder_id;
    {
      IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("UPDATE cards SET state = 'valid' WHERE id = ?1"));
      IDTAP_TRY(s.bind(1, card_id).run());
    }
    IDTAP_TRY(impl_->append_event(now, "card_found", "", card_id, card.issuing_state + " " + card.document_number));
    std::vector<std::string> resumed;
    if (holder_id != 0) {
      IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare(
          "SELECT c.id FROM credentials c JOIN cards k ON k.id = c.card_id WHERE c.holder_id = ?1 AND c.state = 'suspended' "
          "AND c.state_reason = 'card_lost' AND c.valid_until > ?2 AND k.state <> 'lost'"));
      s.bind(1, holder_id).bind(2, now);
      IDTAP_ASSIGN_OR_RETURN(resumed, s.texts());
    }
    for (const auto& id : resumed) IDTAP_TRY(impl_->set_credential_state(id, CredentialState::kActive, "", now, "resumed"));
    IDTAP_TRY(txn.commit());
    return resumed;
  });
}

Result<std::vector<std::string>> Ledger::expire_due(UnixSeconds now) {
  return retrying(*impl_, [&]() -> Result<std::vector<std::string>> {
    IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(*impl_));
    std::vector<std::string> due;
    {
      IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("SELECT id FROM credentials WHERE state IN ('active', 'suspended') AND valid_until <= ?1"));
      s.bind(1, now);
      IDTAP_ASSIGN_OR_RETURN(due, s.texts());
    }
    for (const auto& id : due) IDTAP_TRY(impl_->set_credential_state(id, CredentialState::kExpired, "validity ended", now, "expired"));
    IDTAP_TRY(txn.commit());
    return due;
  });
}

}  // namespace idtap::provision
