// lib/provision/ledger_bulk.cpp: the rows of a bulk load (ledger_bulk.h), made with the
// functions Ledger::issue uses: the holder key (HMAC of the resident number's digits), the
// event links (canonical_event, event_link) and details (holder_detail, issued_detail).
#include "idtap/provision/ledger_bulk.h"

#include "idtap/base/hex.h"
#include "idtap/crypto/mac.h"
#include "idtap/crypto/random.h"
#include "ledger_detail.h"
#include "ledger_internal.h"

namespace idtap::provision {

Result<LedgerBulkLoad> LedgerBulkLoad::start(Ledger& ledger) {
  Ledger::Impl& l = *ledger.impl_;
  IDTAP_ASSIGN_OR_RETURN(EventHead head, l.event_head());
  IDTAP_ASSIGN_OR_RETURN(Stmt s, l.prepare("SELECT (SELECT count(*) FROM holders) + (SELECT count(*) FROM cards)"));
  IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
  if (head.seq != 0 || !row || s.i64(0) != 0)
    return make_error(ErrorCode::kState, "a bulk load needs a new ledger (this one has events, holders or cards already)");
  LedgerBulkLoad load(ledger);
  load.head_ = head.hash;
  return load;
}

Result<BulkEvent> LedgerBulkLoad::chain(UnixSeconds at, const char* kind, std::string credential_id, int64_t card_id,
                                        std::string detail) {
  Ledger::Impl& l = *ledger_->impl_;
  BulkEvent e;
  e.seq = seq_ + 1;
  e.at = at;
  e.kind = kind;
  e.credential_id = std::move(credential_id);
  e.card_id = card_id;
  e.detail = std::move(detail);
  e.site = l.site;
  IDTAP_ASSIGN_OR_RETURN(Bytes row, canonical_event(e.seq, at, e.kind, e.credential_id, card_id, e.detail, e.site));
  IDTAP_ASSIGN_OR_RETURN(e.hash, l.event_link(head_, row));
  seq_ = e.seq;
  head_ = e.hash;
  return e;
}

Result<BulkRows> LedgerBulkLoad::next(const BulkIssuance& in) {
  Ledger::Impl& l = *ledger_->impl_;
  if (in.holder == nullptr) return make_error(ErrorCode::kInvalidArgument, "bulk load: no holder");
  if (in.status_idx >= l.status_size)
    return make_error(ErrorCode::kInvalidArgument, "bulk load: status index " + std::to_string(in.status_idx) + " is outside the list");
  if (in.file_sha256.size() != 32) return make_error(ErrorCode::kInvalidArgument, "bulk load: the credential digest is not 32 bytes");
  BulkRows r;
  IDTAP_ASSIGN_OR_RETURN(SecureBytes digits, resident_number_digits(*in.holder));
  IDTAP_ASSIGN_OR_RETURN(r.holder_key, crypto::hmac_sha256(l.key, ByteView(digits.data(), digits.size())));
  IDTAP_ASSIGN_OR_RETURN(r.card, normalize_card_identity(in.holder->card));
  IDTAP_ASSIGN_OR_RETURN(Bytes id_bytes, crypto::random_bytes(16));
  r.credential_id = to_hex(id_bytes);
  r.holder_id = next_holder_;
  r.card_id = next_card_;
  r.valid_until = credential_valid_until(in.at);
  r.evidence = in.holder->evidence_label();
  r.site = l.site;
  IDTAP_ASSIGN_OR_RETURN(r.holder_event, chain(in.at, "holder", "", 0, holder_detail(r.holder_id, r.holder_key, in.at).str()));
  IssuedDetail d;
  d.holder_id = r.holder_id;
  d.card = r.card.issuing_state + " " + r.card.document_number;
  d.status_idx = static_cast<int64_t>(in.status_idx);
  d.device_thumbprint = in.device_thumbprint;
  d.doc_type = in.doc_type;
  d.valid_from = in.at;
  d.valid_until = r.valid_until;
  d.file_sha256 = in.file_sha256;
  d.evidence = r.evidence;
  IDTAP_ASSIGN_OR_RETURN(r.issued_event, chain(in.at, "issued", r.credential_id, r.card_id, issued_detail(d).str()));
  ++next_holder_;
  ++next_card_;
  return r;
}

Status LedgerBulkLoad::finish() {
  Ledger::Impl& l = *ledger_->impl_;
  IDTAP_ASSIGN_OR_RETURN(Txn txn, Txn::begin(l));
  IDTAP_TRY(l.set_event_head(seq_, head_));
  return txn.commit();
}

}  // namespace idtap::provision
