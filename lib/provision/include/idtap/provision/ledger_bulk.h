// idtap/provision/ledger_bulk.h: a bulk load of past issuances into a new ledger: the rows of
// the holders, cards, credentials and events tables made in memory, chained and detailed
// exactly as Ledger::issue records an issuance (the same holder key, event link and event
// detail functions), for the caller to stream into the database (PostgreSQL COPY) without a
// transaction per issuance. The scale benchmark (tests/bench/ledger_scale_bench.cpp) loads ten
// million holders this way; `ledger verify` then finds the loaded ledger consistent.
//
// The caller owns the order: rows made by next() are written in the order they were made, then
// finish() records the event head (and nothing may be issued through the ledger in between).
#pragma once

#include <cstdint>
#include <string>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/provision/holder.h"
#include "idtap/provision/ledger.h"
#include "idtap/provision/mapping.h"

namespace idtap::provision {

// BulkIssuance: one past issuance to load (what Ledger::issue would have been given).
struct BulkIssuance {
  const VerifiedHolder* holder = nullptr;  // caller-owned; its resident number and card
  std::string device_thumbprint;           // RFC 7638 thumbprint of the phone's key
  std::string doc_type = kResidentIdDocType;
  UnixSeconds at = 0;                      // issued_at = valid_from = the holder's created_at
  uint64_t status_idx = 0;                 // < the ledger's status_list_size; unique (the caller's)
  Bytes file_sha256;                       // SHA-256 of the signed credential (32 bytes)
};

// BulkEvent: one row of `events`.
struct BulkEvent {
  int64_t seq = 0;
  UnixSeconds at = 0;
  std::string kind;
  std::string credential_id;  // "" for a 'holder' event
  int64_t card_id = 0;        // 0 for a 'holder' event
  std::string detail;
  std::string site;
  Bytes hash;  // the link
};

// BulkRows: the rows of one issuance: a new holder (id, key, created_at = at), a new card
// (valid, the holder's), an active credential, and the two events 'holder' and 'issued'.
struct BulkRows {
  int64_t holder_id = 0;
  Bytes holder_key;
  int64_t card_id = 0;
  CardIdentity card;  // normalized
  std::string credential_id;
  UnixSeconds valid_until = 0;
  std::string evidence;
  std::string site;
  BulkEvent holder_event;
  BulkEvent issued_event;
};

// LedgerBulkLoad: made over an open ledger (which must outlive it and is used for nothing else
// until finish()). Holder and card ids are 1, 2, ... in the order of next().
class LedgerBulkLoad {
 public:
  // LedgerBulkLoad::start: kState unless the ledger is new (no event, holder or card yet).
  static Result<LedgerBulkLoad> start(Ledger& ledger);
  // LedgerBulkLoad::next: the rows of `issuance` (a new credential id drawn at random);
  // kInvalidArgument for a holder without a 13-digit resident number, a malformed card, a
  // status index out of the list or a digest that is not 32 bytes. Each holder and each card
  // must be new to the load (the caller's: next() does not look them up).
  Result<BulkRows> next(const BulkIssuance& issuance);
  // LedgerBulkLoad::finish: after the caller committed every row: records the event head
  // (meta 'event_head', keyed) through the ledger's connection. The caller moves the id
  // sequences of holders and cards past the loaded ids (PostgreSQL: setval).
  Status finish();
  // LedgerBulkLoad::loaded: issuances made so far.
  int64_t loaded() const { return next_holder_ - 1; }

 private:
  explicit LedgerBulkLoad(Ledger& ledger) : ledger_(&ledger) {}
  Result<BulkEvent> chain(UnixSeconds at, const char* kind, std::string credential_id, int64_t card_id, std::string detail);
  Ledger* ledger_;
  int64_t seq_ = 0;
  Bytes head_;
  int64_t next_holder_ = 1;
  int64_t next_card_ = 1;
};

}  // namespace idtap::provision
