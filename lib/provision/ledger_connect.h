// lib/provision/ledger_connect.h (internal): the first connection to a PostgreSQL ledger, tried
// again while no server answers (ledger_connect.cpp). Not installed.
#pragma once

#include "ledger_internal.h"

namespace idtap::provision {

// connect_postgres_ledger_db: open_postgres_ledger_db, tried again every 200 ms for at most
// options.reconnect_timeout_ms while no host of `location` answers (not started yet, restarting,
// failing over: libpq's PQping says no response, or a server that rejects connections for now),
// or while the hosts that answer are standbys and the location asks for a read-write one. A
// failure the server answered (a wrong password, no such database) or a location libpq cannot
// parse is returned at once. kIo in the end, naming the hosts and ports, never the password.
Result<std::unique_ptr<LedgerDb>> connect_postgres_ledger_db(const std::string& location, const LedgerOptions& options);

}  // namespace idtap::provision
