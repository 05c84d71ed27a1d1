// The ledger's schema, once: {ID}, {INT} and {BLOB} stand for the backend's types. The events'
// indexes by credential and by card are what `ledger verify` reads them back in, one credential
// or card after another (ledger_rebuild.cpp), without holding the ledger in memory.
#include "ledger_schema.h"

#include <utility>

namespace idtap::provision {
namespace {

constexpr const char* kTables = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS holders(
  id {ID},
  holder_key {BLOB} NOT NULL UNIQUE,
  created_at {INT} NOT NULL);
CREATE TABLE IF NOT EXISTS cards(
  id {ID},
  issuing_state TEXT NOT NULL,
  document_number TEXT NOT NULL,
  holder_id {INT} REFERENCES holders(id),
  state TEXT NOT NULL CHECK(state IN ('valid', 'lost')),
  UNIQUE(issuing_state, document_number));
CREATE TABLE IF NOT EXISTS credentials(
  id TEXT PRIMARY KEY,
  holder_id {INT} NOT NULL REFERENCES holders(id),
  card_id {INT} NOT NULL REFERENCES cards(id),
  device_thumbprint TEXT NOT NULL,
  doc_type TEXT NOT NULL,
  issued_at {INT} NOT NULL,
  valid_from {INT} NOT NULL,
  valid_until {INT} NOT NULL,
  state TEXT NOT NULL CHECK(state IN ('active', 'suspended', 'revoked', 'expired')),
  state_reason TEXT NOT NULL DEFAULT '',
  status_idx {INT} NOT NULL UNIQUE,
  file_path TEXT NOT NULL DEFAULT '',
  file_sha256 {BLOB} NOT NULL,
  evidence TEXT NOT NULL DEFAULT 'chip',
  site TEXT NOT NULL DEFAULT '');
CREATE UNIQUE INDEX IF NOT EXISTS one_phone_per_holder ON credentials(holder_id)
  WHERE state IN ('active', 'suspended');
CREATE INDEX IF NOT EXISTS credentials_by_card ON credentials(card_id);
CREATE INDEX IF NOT EXISTS live_credentials_by_device ON credentials(device_thumbprint)
  WHERE state IN ('active', 'suspended');
CREATE TABLE IF NOT EXISTS challenges(
  challenge {BLOB} PRIMARY KEY,
  created_at {INT} NOT NULL,
  expires_at {INT} NOT NULL,
  used_at {INT});
CREATE TABLE IF NOT EXISTS events(
  seq {INT} PRIMARY KEY,
  at {INT} NOT NULL,
  kind TEXT NOT NULL,
  credential_id TEXT NOT NULL DEFAULT '',
  card_id {INT} NOT NULL DEFAULT 0,
  detail TEXT NOT NULL DEFAULT '',
  site TEXT NOT NULL DEFAULT '',
  hash {BLOB} NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_credential ON events(credential_id, seq) WHERE credential_id <> '';
CREATE INDEX IF NOT EXISTS events_by_card ON events(card_id, seq) WHERE card_id <> 0;
)sql";

// kIssuanceTable: the idempotency ids of issuances (ledger_idempotency.cpp): one row per
// issuance, its signed bytes kept (sealed) for a replay for kIdempotencyReplaySeconds, then set NULL.
constexpr const char* kIssuanceTable = R"sql(
CREATE TABLE IF NOT EXISTS issuances(
  idempotency_id TEXT PRIMARY KEY,
  credential_id TEXT NOT NULL UNIQUE,
  created_at {INT} NOT NULL,
  issuer_signed {BLOB});
)sql";

constexpr const char* kOfferTables = R"sql(
CREATE TABLE IF NOT EXISTS offers(
  id TEXT PRIMARY KEY,
  code_tag {BLOB} NOT NULL UNIQUE,
  tx_code_tag {BLOB} NOT NULL,
  configuration_id TEXT NOT NULL,
  evidence TEXT NOT NULL,
  created_at {INT} NOT NULL,
  expires_at {INT} NOT NULL,
  failed_attempts {INT} NOT NULL DEFAULT 0,
  state TEXT NOT NULL CHECK(state IN ('pending', 'redeemed', 'issued', 'killed')),
  sealed_holder {BLOB},
  device_thumbprint TEXT NOT NULL DEFAULT '',
  credential_id TEXT NOT NULL DEFAULT '',
  sealed_credential {BLOB});
CREATE INDEX IF NOT EXISTS offers_by_expiry ON offers(expires_at);
)sql";

std::string with_types(std::string sql, const SqlTypes& types) {
  const std::pair<const char*, const char*> names[] = {{"{ID}", types.id_key}, {"{INT}", types.integer}, {"{BLOB}", types.blob}};
  for (const auto& [token, type] : names)
    for (auto at = sql.find(token); at != std::string::npos; at = sql.find(token, at + 1)) sql.replace(at, std::string(token).size(), type);
  return sql;
}

}  // namespace

std::string ledger_tables_sql(const SqlTypes& types, const char* guard) {
  return with_types(kTables, types) + with_types(kIssuanceTable, types) + guard;
}

std::string offers_tables_sql(const SqlTypes& types) { return with_types(kOfferTables, types); }

}  // namespace idtap::provision
