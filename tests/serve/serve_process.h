// tests/serve/serve_process.h: the real `idtap serve` binary, started by a test on a free
// loopback port (--listen 127.0.0.1:0 --port-file) and stopped by its pid (SIGTERM).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace idtap::test {

// idtap_program: the idtap binary the serve tests run: $IDTAP when set (tests/run.sh sets it),
// else IDTAP_BUILD_DIR "/bin/idtap". (The pcscd fixture's idtap_binary is the drivers' tests':
// tests/serve is a core test directory and does not link it.)
std::string idtap_program();

// ServeProcess: one server. The constructor starts it and waits (bounded) until it listens;
// port() is 0 when it did not (log() says why). The destructor stops it if still running.
class ServeProcess {
 public:
  // ServeProcess: `args` after "idtap serve" (without --listen and --port-file); `dir` holds
  // the port file and the log.
  ServeProcess(const std::vector<std::string>& args, const std::string& dir, bool tls);
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // base_url: "http(s)://127.0.0.1:PORT", the credential issuer.
  std::string base_url() const;
  // stop: SIGTERM, then waits (bounded: 30 s, then SIGKILL) for the exit; returns the exit
  // status (-1 when killed by a signal).
  int stop();
  // log: what the server printed (stdout and stderr).
  std::string log() const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  bool tls_ = false;
  std::string log_path_;
};

}  // namespace idtap::test
