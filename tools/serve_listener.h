// tools/serve_listener.h: the listening socket of `idtap serve`: cpp-httplib's server (HTTP, or
// HTTPS with the given certificate and key) with the socket options a phone-facing server needs,
// bound and listening with a backlog fit for a burst of phones.
#pragma once

#include <httplib.h>

#include <memory>
#include <optional>
#include <string>

#include "idtap/base/result.h"

namespace idtap::cli {

// kListenBacklog: the queue of connections not yet accepted. cpp-httplib (0.11, built into
// Debian's library) listens with a backlog of 5: a burst of phones (or a wallet bench's 32)
// connecting at once overflows it, the kernel drops their SYNs and each retries a second later
// (TCP's initial retransmission timeout): a one-second stall. bind_serve_server listens again
// with this backlog after the bind (Linux takes a new backlog on a listening socket; the
// kernel caps it at net.core.somaxconn).
inline constexpr int kListenBacklog = 1024;

// make_serve_server: an HTTP server, or HTTPS when `tls_cert` is given (check is_valid()), whose
// listening socket gets SO_REUSEADDR (not SO_REUSEPORT) and TCP_NODELAY, and whose descriptor
// is written to `*listening_fd` when it is made (for bind_serve_server).
std::unique_ptr<httplib::Server> make_serve_server(const std::optional<std::string>& tls_cert,
                                                   const std::optional<std::string>& tls_key, std::shared_ptr<int> listening_fd);

// bind_serve_server: binds `host`:`port` (0: any free port) and listens with kListenBacklog; the
// port. kIo when the address is in use or not permitted, or the backlog cannot be set.
// `listening_fd`: as make_serve_server was given it (set during the bind).
Result<int> bind_serve_server(httplib::Server& server, const std::string& host, int port,
                              const std::shared_ptr<int>& listening_fd);

}  // namespace idtap::cli
