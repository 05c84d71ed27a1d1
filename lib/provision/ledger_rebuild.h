// lib/provision/ledger_rebuild.h (internal): the tables rebuilt from the event chain and
// compared column by column (ledger_rebuild.cpp); called by Ledger::verify.
#pragma once

#include "ledger_internal.h"

namespace idtap::provision {

// rebuild_and_compare: checks the event chain (links, gaps, the keyed head) and every column of
// holders, cards, credentials, the consumed challenges and the tagged meta rows against what
// the events say, adding one finding per difference to `report` (and counting its events and
// credentials). Reads one snapshot, kPage rows at a time. An error only when the database fails.
Status rebuild_and_compare(Ledger::Impl& l, LedgerReport& report);

struct Findings;
// check_issuances: every row of the issuances table (the idempotency ids) names a credential the
// events record, at the issuance's time, with the bytes whose SHA-256 the events record
// (ledger_verify_issuances.cpp); one finding per difference. Called by rebuild_and_compare,
// within its snapshot.
Status check_issuances(Ledger::Impl& l, Findings& out);

// open_replay_bytes: the signed bytes kept (sealed) in an issuances row for `idempotency_id` and
// `credential_id` (ledger_idempotency.cpp); an error when they do not open under this ledger's
// key with that id and credential.
Result<SecureBytes> open_replay_bytes(const Ledger::Impl& l, const std::string& idempotency_id, const std::string& credential_id,
                                      ByteView sealed);

}  // namespace idtap::provision
