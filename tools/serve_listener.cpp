#include "serve_listener.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace idtap::cli {

std::unique_ptr<httplib::Server> make_serve_server(const std::optional<std::string>& tls_cert,
                                                   const std::optional<std::string>& tls_key, std::shared_ptr<int> listening_fd) {
  std::unique_ptr<httplib::Server> server;
  if (tls_cert) server = std::make_unique<httplib::SSLServer>(tls_cert->c_str(), tls_key ? tls_key->c_str() : nullptr);
  else server = std::make_unique<httplib::Server>();
  // cpp-httplib's default sets SO_REUSEPORT too, which lets a second server bind a port in use
  // and silently share its connections: only SO_REUSEADDR (a restart may rebind at once).
  // TCP_NODELAY on the listening socket, which the connections inherit: cpp-httplib writes a
  // response's header and body apart, and with Nagle's algorithm the body then waits for the
  // client's delayed ACK (40 ms a keep-alive request). Set here, before the bind: the server's
  // own set_tcp_nodelay only applies to a socket made after it.
  server->set_socket_options([listening_fd](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    *listening_fd = sock;  // the last socket tried is the one bound
  });
  return server;
}

Result<int> bind_serve_server(httplib::Server& server, const std::string& host, int port,
                              const std::shared_ptr<int>& listening_fd) {
  int bound = port;
  if (port == 0) {
    bound = server.bind_to_any_port(host);
  } else if (!server.bind_to_port(host, port)) {
    bound = -1;
  }
  if (bound <= 0) return make_error(ErrorCode::kIo, "the address is in use, or not permitted");
  if (*listening_fd < 0 || ::listen(*listening_fd, kListenBacklog) != 0)
    return make_error(ErrorCode::kIo, std::string("cannot set the queue of the listening socket: ") + std::strerror(errno));
  return bound;
}

}  // namespace idtap::cli
