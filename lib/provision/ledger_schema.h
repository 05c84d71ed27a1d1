// lib/provision/ledger_schema.h (internal): the ledger's tables, written once for every backend.
// A backend names its column types (SqlTypes) and adds its own append-only guard of the events.
#pragma once

#include <string>

namespace idtap::provision {

// SqlTypes: how a backend spells a row id key, a 64-bit integer and a byte string.
struct SqlTypes {
  const char* id_key;   // "INTEGER PRIMARY KEY" (SQLite) or an identity column (PostgreSQL)
  const char* integer;  // "INTEGER" or "BIGINT"
  const char* blob;     // "BLOB" or "BYTEA"
};

// ledger_tables_sql: CREATE ... IF NOT EXISTS for the tables and indexes of the ledger, in the
// backend's types (the events' append-only guard is the backend's own: `guard` is appended).
std::string ledger_tables_sql(const SqlTypes& types, const char* guard);
// offers_tables_sql: the same for the OID4VCI offers (pending_offers.cpp).
std::string offers_tables_sql(const SqlTypes& types);

}  // namespace idtap::provision
