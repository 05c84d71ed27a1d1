-- SQLite, schema version 2 (HMAC chain), before the device index, evidence and sites
-- Reconstructed from git history (9535b9c lib/provision/ledger.cpp kSchema) by tests/provision/ledger_migrate_test.cpp's author: the
-- tables a ledger of schema version 2 had when this idtap was that commit. Rows are added by the test.
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS holders(
  id INTEGER PRIMARY KEY,
  holder_key BLOB NOT NULL UNIQUE,
  created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS cards(
  id INTEGER PRIMARY KEY,
  issuing_state TEXT NOT NULL,
  document_number TEXT NOT NULL,
  holder_id INTEGER REFERENCES holders(id),
  state TEXT NOT NULL CHECK(state IN ('valid', 'lost')),
  UNIQUE(issuing_state, document_number));
CREATE TABLE IF NOT EXISTS credentials(
  id TEXT PRIMARY KEY,
  holder_id INTEGER NOT NULL REFERENCES holders(id),
  card_id INTEGER NOT NULL REFERENCES cards(id),
  device_thumbprint TEXT NOT NULL,
  doc_type TEXT NOT NULL,
  issued_at INTEGER NOT NULL,
  valid_from INTEGER NOT NULL,
  valid_until INTEGER NOT NULL,
  state TEXT NOT NULL CHECK(state IN ('active', 'suspended', 'revoked', 'expired')),
  state_reason TEXT NOT NULL DEFAULT '',
  status_idx INTEGER NOT NULL UNIQUE,
  file_path TEXT NOT NULL DEFAULT '',
  file_sha256 BLOB NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS one_phone_per_holder ON credentials(holder_id)
  WHERE state IN ('active', 'suspended');
CREATE INDEX IF NOT EXISTS credentials_by_card ON credentials(card_id);
CREATE TABLE IF NOT EXISTS challenges(
  challenge BLOB PRIMARY KEY,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER);
CREATE TABLE IF NOT EXISTS events(
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  credential_id TEXT NOT NULL DEFAULT '',
  card_id INTEGER NOT NULL DEFAULT 0,
  detail TEXT NOT NULL DEFAULT '',
  hash BLOB NOT NULL);
CREATE TRIGGER IF NOT EXISTS events_append_only_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
