#include "idtap/provision/pending_offers.h"

#include "idtap/base/hex.h"
#include "idtap/crypto/aead.h"
#include "idtap/crypto/mac.h"
#include "idtap/crypto/random.h"
#include "idtap/provision/cbor.h"
#include "ledger_internal.h"

namespace idtap::provision {
namespace {

constexpr size_t kCodeBytes = 32;  // the pre-authorized code: 256 random bits
constexpr size_t kOfferIdBytes = 16;

// The keys derived from the ledger key (HKDF-SHA256, RFC 5869), one per purpose.
constexpr std::string_view kSealInfo = "idtap offer seal v1";
constexpr std::string_view kCodeInfo = "idtap offer code v1";

Result<SecureBytes> derive(const Ledger::Impl& l, std::string_view info) {
  return crypto::hkdf_sha256(ByteView(l.key.data(), l.key.size()), {}, bytes_of(info), 32);
}

// holder_aad / credential_aad: the associated data of the two sealed blobs: the purpose and
// the offer id, so a blob copied to another offer (or the other column) does not open.
Bytes holder_aad(const std::string& offer_id) { return bytes_of("idtap offer holder " + offer_id); }
Bytes credential_aad(const std::string& offer_id) { return bytes_of("idtap offer credential " + offer_id); }

// code_tag: HMAC(code key, "code" 0 code); tx_code_tag: HMAC(code key, "tx" 0 offer id 0 tx_code)
// (a 6-digit code has too few values for a bare hash: the key is what keeps it from a copy of
// the database).
Result<Bytes> code_tag(ByteView key, std::string_view code) {
  Bytes data = bytes_of("code");
  data.push_back(0);
  data.insert(data.end(), code.begin(), code.end());
  return crypto::hmac_sha256(key, data);
}
Result<Bytes> tx_code_tag(ByteView key, const std::string& offer_id, std::string_view tx_code) {
  Bytes data = bytes_of("tx");
  data.push_back(0);
  data.insert(data.end(), offer_id.begin(), offer_id.end());
  data.push_back(0);
  data.insert(data.end(), tx_code.begin(), tx_code.end());
  return crypto::hmac_sha256(key, data);
}

// random_tx_code: 6 uniformly random digits (rejection sampling over 32-bit draws).
Result<std::string> random_tx_code() {
  constexpr uint32_t kLimit = 4294000000u;  // a multiple of 10^6 below 2^32
  for (int attempt = 0; attempt < 64; ++attempt) {
    IDTAP_ASSIGN_OR_RETURN(Bytes r, crypto::random_bytes(4));
    uint32_t v = (uint32_t(r[0]) << 24) | (uint32_t(r[1]) << 16) | (uint32_t(r[2]) << 8) | r[3];
    if (v >= kLimit) continue;
    std::string code = std::to_string(v % 1000000u);
    return std::string(6 - code.size(), '0') + code;
  }
  return make_error(ErrorCode::kInternal, "tx_code: the random source kept giving values out of range");
}

Result<OfferState> parse_offer_state(const std::string& s) {
  if (s == "pending") return OfferState::kPending;
  if (s == "redeemed") return OfferState::kRedeemed;
  if (s == "issued") return OfferState::kIssued;
  if (s == "killed") return OfferState::kKilled;
  return make_error(ErrorCode::kMalformed, "ledger: unknown offer state '" + s + "'");
}

// offer_detail: the detail of an offer's events: "offer ID", then what the kind adds. Never
// the pre-authorized code, the tx_code or anything of the holder record.
std::string offer_detail(const std::string& offer_id, const std::string& more = {}) {
  return "offer " + offer_id + (more.empty() ? "" : " " + more);
}

// Sweep inside the caller's transaction. An offer that ends unused (pending, or redeemed and
// never issued) gets its 'offer_expired' event in the same transaction as its deletion; an
// issued or killed one already has its last event and goes silently.
Result<size_t> sweep_locked(Ledger::Impl& l, UnixSeconds now) {
  // Ordered by expiry first so SQLite searches offers_by_expiry: ORDER BY id alone made it scan
  // the whole table in id order on every create and redemption.
  std::vector<std::pair<std::string, std::string>> ending;  // (id, state)
  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, l.prepare("SELECT id, state FROM offers WHERE expires_at <= ?1 AND state IN ('pending', 'redeemed') "
                                             "ORDER BY expires_at, id"));
    s.bind(1, now);
    while (true) {
      IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
      if (!row) break;
      ending.emplace_back(s.text(0), s.text(1));
    }
  }
  for (const auto& [id, state] : ending) IDTAP_TRY(l.append_event(now, "offer_expired", "", 0, offer_detail(id, "unused (" + state + ")")));
  IDTAP_ASSIGN_OR_RETURN(Stmt s, l.prepare("DELETE FROM offers WHERE expires_at <= ?1"));
  IDTAP_ASSIGN_OR_RETURN(int64_t n, s.bind(1, now).run_changes());
  return static_cast<size_t>(n);
}

// ----- the holder record ----------------------------------------------------------------------

uint64_t date_number(const Date& d) { return uint64_t(d.year) * 10000 + uint64_t(d.month) * 100 + uint64_t(d.day); }
Date number_date(uint64_t n) { return Date{int(n / 10000), int(n / 100 % 100), int(n % 100)}; }

}  // namespace

const char* offer_state_name(OfferState state) {
  switch (state) {
    case OfferState::kPending: return "pending";
    case OfferState::kRedeemed: return "redeemed";
    case OfferState::kIssued: return "issued";
    case OfferState::kKilled: return "killed";
  }
  return "?";
}

Result<SecureBytes> encode_holder_record(const VerifiedHolder& h) {
  cbor::MapBuilder m;
  m.add("v", cbor::uint(1))
      .add("genuine", cbor::boolean(h.genuine))
      .add("verdict_reason", cbor::text(h.verdict_reason))
      .add("document_number", cbor::text(h.card.document_number))
      .add("issuing_state", cbor::text(h.card.issuing_state))
      .add("card_lost", cbor::boolean(h.card_status == CardStatus::kReportedLost))
      .add("family_name", cbor::text(h.family_name))
      .add("given_name", cbor::text(h.given_name))
      .add("family_name_national", cbor::text(h.family_name_national))
      .add("given_name_national", cbor::text(h.given_name_national))
      .add("birth_date", cbor::uint(date_number(h.birth_date)))
      .add("resident_number", cbor::text(std::string_view(reinterpret_cast<const char*>(h.resident_registration_number.data()),
                                                           h.resident_registration_number.size())))
      .add("portrait", cbor::bytes(h.portrait_jpeg))
      .add("resident_address", cbor::text(h.resident_address))
      .add("issuing_authority", cbor::text(h.issuing_authority))
      .add("issue_date", cbor::uint(date_number(h.issue_date)))
      .add("expiry_date", cbor::uint(date_number(h.expiry_date)))
      .add("evidence", cbor::text(h.evidence == Evidence::kChip ? "chip" : "clerk"))
      .add("clerk_id", cbor::text(h.clerk_id));
  IDTAP_ASSIGN_OR_RETURN(cbor::Item map, m.build());
  IDTAP_ASSIGN_OR_RETURN(Bytes encoded, cbor::encode(map));
  SecureBytes out(encoded.begin(), encoded.end());
  secure_zero(encoded.data(), encoded.size());
  return out;
}

Result<VerifiedHolder> decode_holder_record(ByteView record) {
  IDTAP_ASSIGN_OR_RETURN(cbor::Item item, cbor::decode(record));
  auto bad = [](const std::string& field) {
    return make_error(ErrorCode::kMalformed, "offer holder record: field '" + field + "' is missing or of the wrong type");
  };
  const cbor_item_t* map = item.get();
  auto text = [&](const char* key) -> Result<std::string> {
    auto v = cbor::find_text(map, key);
    if (!v.ok() || *v == nullptr) return bad(key);
    auto t = cbor::get_text(*v);
    if (!t.ok()) return bad(key);
    return std::move(t).value();
  };
  auto number = [&](const char* key) -> Result<uint64_t> {
    auto v = cbor::find_text(map, key);
    if (!v.ok() || *v == nullptr) return bad(key);
    auto n = cbor::get_uint(*v);
    if (!n.ok()) return bad(key);
    return *n;
  };
  auto flag = [&](const char* key) -> Result<bool> {
    auto v = cbor::find_text(map, key);
    if (!v.ok() || *v == nullptr) return bad(key);
    auto b = cbor::get_bool(*v);
    if (!b.ok()) return bad(key);
    return *b;
  };
  IDTAP_ASSIGN_OR_RETURN(uint64_t version, number("v"));
  if (version != 1) return make_error(ErrorCode::kMalformed, "offer holder record: version " + std::to_string(version) + " is not 1");
  VerifiedHolder h;
  IDTAP_ASSIGN_OR_RETURN(h.genuine, flag("genuine"));
  IDTAP_ASSIGN_OR_RETURN(h.verdict_reason, text("verdict_reason"));
  IDTAP_ASSIGN_OR_RETURN(h.card.document_number, text("document_number"));
  IDTAP_ASSIGN_OR_RETURN(h.card.issuing_state, text("issuing_state"));
  IDTAP_ASSIGN_OR_RETURN(bool lost, flag("card_lost"));
  h.card_status = lost ? CardStatus::kReportedLost : CardStatus::kValid;
  IDTAP_ASSIGN_OR_RETURN(h.family_name, text("family_name"));
  IDTAP_ASSIGN_OR_RETURN(h.given_name, text("given_name"));
  IDTAP_ASSIGN_OR_RETURN(h.family_name_national, text("family_name_national"));
  IDTAP_ASSIGN_OR_RETURN(h.given_name_national, text("given_name_national"));
  IDTAP_ASSIGN_OR_RETURN(uint64_t birth, number("birth_date"));
  h.birth_date = number_date(birth);
  {
    IDTAP_ASSIGN_OR_RETURN(std::string rrn, text("resident_number"));
    h.resident_registration_number.assign(rrn.begin(), rrn.end());
    secure_zero(rrn.data(), rrn.size());
  }
  {
    auto v = cbor::find_text(map, "portrait");
    if (!v.ok() || *v == nullptr) return bad("portrait");
    auto b = cbor::get_bytes(*v);
    if (!b.ok()) return bad("portrait");
    h.portrait_jpeg.assign(b->begin(), b->end());
  }
  IDTAP_ASSIGN_OR_RETURN(h.resident_address, text("resident_address"));
  IDTAP_ASSIGN_OR_RETURN(h.issuing_authority, text("issuing_authority"));
  IDTAP_ASSIGN_OR_RETURN(uint64_t issued, number("issue_date"));
  h.issue_date = number_date(issued);
  IDTAP_ASSIGN_OR_RETURN(uint64_t expiry, number("expiry_date"));
  h.expiry_date = number_date(expiry);
  IDTAP_ASSIGN_OR_RETURN(std::string evidence, text("evidence"));
  if (evidence == "chip") h.evidence = Evidence::kChip;
  else if (evidence == "clerk") h.evidence = Evidence::kClerk;
  else return bad("evidence");
  IDTAP_ASSIGN_OR_RETURN(h.clerk_id, text("clerk_id"));
  return h;
}

PendingOffers::PendingOffers(Ledger& ledger) : ledger_(ledger) {}

Status PendingOffers::ensure_schema() {
  if (schema_ready_) return ok_status();
  IDTAP_TRY(ledger_.impl_->exec(ledger_.impl_->db->offers_schema_sql().c_str()));
  schema_ready_ = true;
  return ok_status();
}

Result<CreatedOffer> PendingOffers::create(const NewOffer& offer) {
  if (offer.holder == nullptr) return make_error(ErrorCode::kInvalidArgument, "offer: no holder");
  if (offer.credential_configuration_id.empty()) return make_error(ErrorCode::kInvalidArgument, "offer: no credential configuration id");
  if (offer.ttl_seconds <= 0 || offer.ttl_seconds > kOfferMaxTtlSeconds)
    return make_error(ErrorCode::kInvalidArgument, "offer: the ttl must be 1 second to 24 hours");
  const VerifiedHolder& h = *offer.holder;
  // The rules at the desk, before anything is stored.
  IDTAP_TRY(check_issuance_policy(h, date_of(offer.now)));
  if (h.evidence == Evidence::kClerk && !ledger_.allow_attested())
    return make_error(ErrorCode::kRefused, "this ledger does not allow clerk-attested issuance (it is off unless the ledger "
                                           "was set up with `idtap ledger init --allow-attested`)");
  IDTAP_TRY(ensure_schema());
  Ledger::Impl& l = *ledger_.impl_;
  IDTAP_ASSIGN_OR_RETURN(const CardIdentity card, normalize_card_identity(h.card));
  IDTAP_ASSIGN_OR_RETURN(SecureBytes seal_key, derive(l, kSealInfo));
  IDTAP_ASSIGN_OR_RETURN(SecureBytes code_key, derive(l, kCodeInfo));

  CreatedOffer out;
  IDTAP_ASSIGN_OR_RETURN(Bytes id, crypto::random_bytes(kOfferIdBytes));
  out.offer_id = to_hex(id);
  IDTAP_ASSIGN_OR_RETURN(Bytes code, crypto::random_bytes(kCodeBytes));
  out.pre_authorized_code = base64url(code);
  IDTAP_ASSIGN_OR_RETURN(out.tx_code, random_tx_code());
  out.expires_at = offer.now + offer.ttl_seconds;
  IDTAP_ASSIGN_OR_RETURN(Bytes ctag, code_tag(code_key, out.pre_authorized_code));
  IDTAP_ASSIGN_OR_RETURN(Bytes ttag, tx_code_tag(code_key, out.offer_id, out.tx_code));
  IDTAP_ASSIGN_OR_RETURN(SecureBytes record, encode_holder_record(h));
  IDTAP_ASSIGN_OR_RETURN(Bytes sealed, crypto::aes256_gcm_seal(seal_key, holder_aad(out.offer_id), record));

  IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(l));
  IDTAP_TRY(sweep_locked(l, offer.now));
  int64_t card_id = 0;  // the card's row when the ledger knows it already
  {
    // The card as the ledger knows it now: reported lost since (or never used and recorded
    // lost) is refused at the desk too.
    IDTAP_ASSIGN_OR_RETURN(std::optional<CardRow> known, l.find_card(card));
    if (known && known->state == CardState::kLost) return make_error(ErrorCode::kRefused, "the card is reported lost");
    card_id = known ? known->id : 0;
  }
  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, l.prepare("INSERT INTO offers(id, code_tag, tx_code_tag, configuration_id, evidence, created_at, "
                                             "expires_at, state, sealed_holder) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8)"));
    IDTAP_TRY(s.bind(1, out.offer_id).bind_blob(2, ctag).bind_blob(3, ttag).bind(4, offer.credential_configuration_id)
                  .bind(5, h.evidence_label()).bind(6, offer.now).bind(7, out.expires_at).bind_blob(8, sealed).run());
  }
  IDTAP_TRY(l.append_event(offer.now, "offer_created", "", card_id,
                           offer_detail(out.offer_id, "evidence " + h.evidence_label() + " expires " + std::to_string(out.expires_at))));
  IDTAP_TRY(txn.commit());
  return out;
}

Result<RedeemedOfferRow> PendingOffers::redeem(std::string_view pre_authorized_code, std::string_view tx_code, UnixSeconds now) {
  IDTAP_TRY(ensure_schema());
  Ledger::Impl& l = *ledger_.impl_;
  IDTAP_ASSIGN_OR_RETURN(SecureBytes code_key, derive(l, kCodeInfo));
  IDTAP_ASSIGN_OR_RETURN(Bytes ctag, code_tag(code_key, pre_authorized_code));
  IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(l));
  IDTAP_TRY(sweep_locked(l, now));
  RedeemedOfferRow out;
  Bytes stored_tx;
  std::string state;
  int64_t failed = 0;
  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, l.prepare("SELECT id, configuration_id, tx_code_tag, state, failed_attempts FROM offers WHERE code_tag = ?1"));
    s.bind_blob(1, ctag);
    IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
    // OID4VCI 1.0 §6.3 / RFC 6749 §5.2: an unknown, used or expired code is invalid_grant.
    if (!row) {
      IDTAP_TRY(txn.commit());  // the sweep stands
      return make_error(ErrorCode::kNotFound, "unknown or expired pre-authorized code");
    }
    out.offer_id = s.text(0);
    out.credential_configuration_id = s.text(1);
    stored_tx = s.blob(2);
    state = s.text(3);
    failed = s.i64(4);
  }
  if (state == "killed") return make_error(ErrorCode::kRefused, "the offer was voided after " + std::to_string(kMaxTxCodeAttempts) + " wrong transaction codes");
  if (state != "pending") return make_error(ErrorCode::kNotFound, "the pre-authorized code was already redeemed");
  IDTAP_ASSIGN_OR_RETURN(Bytes given, tx_code_tag(code_key, out.offer_id, tx_code));
  if (!crypto::constant_time_equal(given, stored_tx)) {
    // OID4VCI 1.0 §6.1: a wrong tx_code is invalid_grant; the count is committed before the
    // answer, so an attacker cannot try more than kMaxTxCodeAttempts codes.
    ++failed;
    const bool kill = failed >= kMaxTxCodeAttempts;
    IDTAP_ASSIGN_OR_RETURN(Stmt s, l.prepare(kill ? "UPDATE offers SET failed_attempts = ?2, state = 'killed', sealed_holder = NULL WHERE id = ?1"
                                                  : "UPDATE offers SET failed_attempts = ?2 WHERE id = ?1"));
    IDTAP_TRY(s.bind(1, out.offer_id).bind(2, failed).run());
    if (kill)
      IDTAP_TRY(l.append_event(now, "offer_killed", "", 0,
                               offer_detail(out.offer_id, "after " + std::to_string(failed) + " wrong transaction codes")));
    IDTAP_TRY(txn.commit());
    if (kill)
      return make_error(ErrorCode::kRefused, "wrong transaction code: the offer is void after " + std::to_string(kMaxTxCodeAttempts) +
                                                 " wrong codes (make a new offer at the desk)");
    return make_error(ErrorCode::kAuthFailed, "wrong transaction code (" + std::to_string(kMaxTxCodeAttempts - failed) + " attempts left)");
  }
  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, l.prepare("UPDATE offers SET state = 'redeemed', expires_at = ?2 WHERE id = ?1"));
    IDTAP_TRY(s.bind(1, out.offer_id).bind(2, now + kIssueWindowSeconds).run());
  }
  IDTAP_TRY(l.append_event(now, "offer_redeemed", "", 0, offer_detail(out.offer_id)));
  IDTAP_TRY(txn.commit());
  return out;
}

Result<OfferCredential> PendingOffers::issue(const OfferIssue& request) {
  if (request.signer == nullptr) return make_error(ErrorCode::kInvalidArgument, "offer issue: no signer");
  IDTAP_TRY(ensure_schema());
  Ledger::Impl& l = *ledger_.impl_;
  IDTAP_ASSIGN_OR_RETURN(SecureBytes seal_key, derive(l, kSealInfo));
  const std::string thumbprint = request.device_key.thumbprint();
  // Two rounds at most: a concurrent issuance of the same offer (another connection) that
  // committed first makes this one a repeat.
  for (int round = 0; round < 2; ++round) {
    std::string state, stored_thumbprint, credential_id;
    Bytes sealed_holder, sealed_credential;
    UnixSeconds expires_at = 0;
    {
      IDTAP_ASSIGN_OR_RETURN(Stmt s, l.prepare("SELECT state, expires_at, sealed_holder, device_thumbprint, credential_id, "
                                               "sealed_credential FROM offers WHERE id = ?1"));
      s.bind(1, request.offer_id);
      IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
      if (!row) return make_error(ErrorCode::kNotFound, "no offer " + request.offer_id + " (unknown or expired)");
      state = s.text(0);
      expires_at = s.i64(1);
      sealed_holder = s.blob(2);
      stored_thumbprint = s.text(3);
      credential_id = s.text(4);
      sealed_credential = s.blob(5);
    }
    if (expires_at <= request.now) return make_error(ErrorCode::kNotFound, "offer " + request.offer_id + " expired");
    if (state == "killed") return make_error(ErrorCode::kRefused, "offer " + request.offer_id + " was voided (wrong transaction codes)");
    if (state == "pending") return make_error(ErrorCode::kState, "offer " + request.offer_id + " has not been redeemed");
    if (state == "issued") {
      // OID4VCI retry after a lost response: the same key gets the same credential; another
      // key never gets one (the offer was for one phone).
      if (stored_thumbprint != thumbprint)
        return make_error(ErrorCode::kRefused, "offer " + request.offer_id + " was already issued to another device key");
      auto opened = crypto::aes256_gcm_open(seal_key, credential_aad(request.offer_id), sealed_credential);
      if (!opened.ok())
        return make_error(ErrorCode::kMalformed, "offer " + request.offer_id + ": the sealed credential does not open (" +
                                                     opened.error().context + ")");
      OfferCredential out;
      out.credential_id = credential_id;
      out.issuer_signed.assign(opened->begin(), opened->end());
      out.repeated = true;
      return out;
    }
    IDTAP_ASSIGN_OR_RETURN(OfferState parsed, parse_offer_state(state));
    (void)parsed;
    auto opened = crypto::aes256_gcm_open(seal_key, holder_aad(request.offer_id), sealed_holder);
    if (!opened.ok())
      return make_error(ErrorCode::kMalformed, "offer " + request.offer_id + ": the sealed holder record does not open (" +
                                                   opened.error().context + "): edited, or not this ledger's key");
    IDTAP_ASSIGN_OR_RETURN(VerifiedHolder holder, decode_holder_record(*opened));

    IssueRequest issue;
    issue.holder = &holder;
    issue.device_key = request.device_key;
    issue.possession = PossessionCheck::kCaller;
    issue.now = request.now;
    issue.mapping = request.mapping;
    // One credential request, one idempotency id: a retry of this offer's issuance after a lost
    // connection returns what the first attempt committed.
    issue.idempotency_id = "offer:" + request.offer_id;
    bool raced = false;
    issue.before_commit = [&](const IssuedCredential& c) -> Status {
      // In the issuance's transaction: the holder record goes, the credential is kept sealed for
      // a retry, and only if this offer is still redeemed (not issued by a concurrent request).
      IDTAP_ASSIGN_OR_RETURN(Bytes sealed, crypto::aes256_gcm_seal(seal_key, credential_aad(request.offer_id), c.issuer_signed));
      IDTAP_ASSIGN_OR_RETURN(Stmt s, l.prepare("UPDATE offers SET state = 'issued', sealed_holder = NULL, device_thumbprint = ?2, "
                                               "credential_id = ?3, sealed_credential = ?4 WHERE id = ?1 AND state = 'redeemed'"));
      IDTAP_ASSIGN_OR_RETURN(int64_t changed,
                             s.bind(1, request.offer_id).bind(2, thumbprint).bind(3, c.credential_id).bind_blob(4, sealed).run_changes());
      if (changed != 1) {
        raced = true;
        return make_error(ErrorCode::kState, "offer " + request.offer_id + " was issued meanwhile");
      }
      return ok_status();
    };
    auto issued = ledger_.issue(issue, *request.signer);
    if (!issued.ok() && raced) continue;
    if (!issued.ok()) return issued.error();
    OfferCredential out;
    out.credential_id = issued->credential_id;
    out.issuer_signed = std::move(issued->issuer_signed);
    out.revoked = std::move(issued->revoked);
    out.repeated = issued->replayed;
    return out;
  }
  return make_error(ErrorCode::kState, "offer " + request.offer_id + " changed state twice during issuance");
}

Result<size_t> PendingOffers::sweep(UnixSeconds now) {
  IDTAP_TRY(ensure_schema());
  IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(*ledger_.impl_));
  IDTAP_ASSIGN_OR_RETURN(size_t n, sweep_locked(*ledger_.impl_, now));
  IDTAP_TRY(txn.commit());
  return n;
}

Result<OfferInfo> PendingOffers::info(const std::string& offer_id) {
  IDTAP_TRY(ensure_schema());
  IDTAP_ASSIGN_OR_RETURN(Stmt s, ledger_.impl_->prepare(
      "SELECT configuration_id, evidence, state, failed_attempts, created_at, expires_at, sealed_holder IS NOT NULL, credential_id "
      "FROM offers WHERE id = ?1"));
  s.bind(1, offer_id);
  IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
  if (!row) return make_error(ErrorCode::kNotFound, "no offer " + offer_id);
  OfferInfo out;
  out.offer_id = offer_id;
  out.credential_configuration_id = s.text(0);
  out.evidence = s.text(1);
  IDTAP_ASSIGN_OR_RETURN(out.state, parse_offer_state(s.text(2)));
  out.failed_attempts = static_cast<int>(s.i64(3));
  out.created_at = s.i64(4);
  out.expires_at = s.i64(5);
  out.holder_sealed = s.i64(6) != 0;
  out.credential_id = s.text(7);
  return out;
}

}  // namespace idtap::provision
