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

}  // namespace idtap::provision
