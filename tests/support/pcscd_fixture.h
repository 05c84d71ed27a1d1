// support/pcscd_fixture.h: a private pcscd with a vsmartcard `vpcd` reader for integration
// tests, and a helper that runs `idtap sim serve` against it.
//
// Isolation. pcsc-lite 1.9.9's pcscd ignores PCSCLITE_CSOCK_NAME (its socket is always
// /run/pcscd/pcscd.comm); only the client library honours it. So PcscdFixture starts pcscd
// under `unshare --mount` with a private directory bind-mounted on /run/pcscd, and points the
// client at that directory's socket through PCSCLITE_CSOCK_NAME. libpcsclite reads the variable
// once per process, at its first call; so the socket directory is one per test process
// (test_pcscd_socket_path()), and every test binary linking tests/support sets the variable at
// start-up, before any PC/SC call: no test can reach the system pcscd by accident. One
// PcscdFixture at a time per process (they reuse the same socket path in turn). The vpcd reader
// listens on a free TCP port P (slot 0) and P+1 (slot 1), so tests running in parallel
// processes do not collide.
//
// Needs root (or CAP_SYS_ADMIN) for unshare/mount: the test environment has it. Failures explain
// themselves: error() says what went wrong and log() holds pcscd's debug log.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace idtap::test {

// test_pcscd_socket_path: this process's private pcscd socket path
// ($TMPDIR/idtap-pcscd-PID/run/pcscd.comm); PCSCLITE_CSOCK_NAME holds it.
const std::string& test_pcscd_socket_path();

// free_vpcd_port: a TCP port P such that P and P+1 are both free (vpcd's two slots); 0 if none
// was found.
int free_vpcd_port();

// ChildProcess: a process started with its stdout and stderr going to a log file, stopped by
// its pid (SIGTERM, then SIGKILL after `grace`) when stop() is called or on destruction.
class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // ChildProcess::start: runs `argv` (argv[0] is looked up in PATH unless it holds a '/') with
  // extra environment `env` ("NAME=value"), output to `log_path` (truncated). False (with
  // error()) if it could not be spawned.
  bool start(const std::vector<std::string>& argv, const std::string& log_path,
             const std::vector<std::string>& env = {});
  // ChildProcess::running: the process has not exited (reaps it if it has).
  bool running();
  // ChildProcess::stop: SIGTERM, wait up to `grace`, then SIGKILL; returns the wait status
  // (-1 if nothing was running). Idempotent.
  int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));
  // ChildProcess::signal: sends `sig` to the process (no-op when not running).
  void signal(int sig);
  // ChildProcess::wait_exit: waits up to `timeout` for the process to exit by itself; its wait
  // status, or -1 on timeout.
  int wait_exit(std::chrono::milliseconds timeout);
  // ChildProcess::interrupt: SIGINT, then waits up to `timeout` for the process to exit by
  // itself; its exit code, or -1 when it did not exit in time or was killed by the signal (it
  // did not handle it).
  int interrupt(std::chrono::milliseconds timeout);
  pid_t pid() const { return pid_; }
  // ChildProcess::exit_status: the wait status once it exited, -1 before.
  int exit_status() const { return status_; }
  // ChildProcess::log: what the process wrote so far.
  std::string log() const;
  // ChildProcess::wait_for_log: polls log() until `needle` appears `occurrences` times; false
  // when `timeout` passes first.
  bool wait_for_log(const std::string& needle, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000),
                    size_t occurrences = 1) const;
  const std::string& error() const { return error_; }

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  std::string log_path_;
  std::string error_;
};

// TimedRun: how a command run to its end by run_to_end finished.
struct TimedRun {
  int status = -1;                     // wait status; -1 when it was still running at the limit (killed)
  std::string out;                     // stdout and stderr
  std::chrono::milliseconds took{0};
};

// run_to_end: runs `argv` as ChildProcess::start does (output to `log_path`, extra `env`), waits
// up to `limit` for it to exit (then stops it), and returns its status, output and duration.
TimedRun run_to_end(const std::vector<std::string>& argv, const std::string& log_path,
                    const std::vector<std::string>& env = {},
                    std::chrono::milliseconds limit = std::chrono::milliseconds(30000));

// PcscdReader: a reader.conf entry for a fixture that serves another IFD handler than vpcd
// (idtap's libnfc driver, drivers/ifd): the reader appears as "FRIENDLYNAME 00 00".
struct PcscdReader {
  std::string friendly_name;
  std::string device_name;       // DEVICENAME, given to IFDHCreateChannelByName
  std::string lib_path;          // LIBPATH: the handler's shared object
  std::vector<std::string> env;  // extra environment for pcscd ("NAME=value")
};

// PcscdFixture: a private pcscd with one vpcd reader ("idtap-vpcd-PORT 00 00" for slot 0,
// "... 00 01" for slot 1), or with the reader given. The constructor starts it and waits until a
// client sees the reader.
class PcscdFixture {
 public:
  explicit PcscdFixture(std::chrono::milliseconds ready_timeout = std::chrono::milliseconds(10000));
  explicit PcscdFixture(const PcscdReader& reader,
                        std::chrono::milliseconds ready_timeout = std::chrono::milliseconds(10000));
  ~PcscdFixture();
  PcscdFixture(const PcscdFixture&) = delete;
  PcscdFixture& operator=(const PcscdFixture&) = delete;

  // PcscdFixture::ok: pcscd is up and lists the reader; otherwise error() says why (with the
  // log attached).
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  // PcscdFixture::vpcd_port: the TCP port of slot 0 (slot 1 is one more).
  int vpcd_port() const { return port_; }
  // PcscdFixture::reader_name: the PC/SC reader name of `slot`.
  std::string reader_name(int slot = 0) const;
  // PcscdFixture::pid: pcscd's process id.
  pid_t pid() const { return pcscd_.pid(); }
  // PcscdFixture::log: pcscd's debug log so far.
  std::string log() const { return pcscd_.log(); }
  // PcscdFixture::restart: stops pcscd and starts it again on the same port and socket (for
  // tests of clients that must survive a pcscd restart). False with error() on failure.
  bool restart(std::chrono::milliseconds ready_timeout = std::chrono::milliseconds(10000));
  // PcscdFixture::stop: stops pcscd now (the destructor does it otherwise).
  void stop();
  // PcscdFixture::wait_card: waits until slot `slot` shows a card (present = true) or no card;
  // false on timeout.
  bool wait_card(bool present, std::chrono::milliseconds timeout, int slot = 0) const;

 private:
  bool launch(std::chrono::milliseconds ready_timeout);
  bool write_conf(const std::string& text);
  ChildProcess pcscd_;
  std::string friendly_name_;        // the custom reader's name; empty for vpcd
  std::vector<std::string> env_;
  std::string dir_;
  std::string conf_path_;
  int port_ = 0;
  bool ok_ = false;
  std::string error_;
};

// SimServeProcess: `idtap sim serve --card CARD_DIR --vpcd 127.0.0.1:PORT EXTRA...` from the
// build tree (IDTAP_BUILD_DIR/bin/idtap), its stderr captured. Stopped by pid on destruction.
class SimServeProcess {
 public:
  SimServeProcess(const std::string& card_dir, int vpcd_port, const std::vector<std::string>& extra = {});
  ~SimServeProcess();
  SimServeProcess(const SimServeProcess&) = delete;
  SimServeProcess& operator=(const SimServeProcess&) = delete;

  bool ok() const { return ok_; }
  const std::string& error() const { return process_.error(); }
  pid_t pid() const { return process_.pid(); }
  // SimServeProcess::log: what `idtap sim serve` logged (its stderr).
  std::string log() const { return process_.log(); }
  // SimServeProcess::stop: SIGTERM (then SIGKILL); the wait status.
  int stop() { return process_.stop(); }
  ChildProcess& process() { return process_; }

 private:
  ChildProcess process_;
  std::string dir_;
  bool ok_ = false;
};

// idtap_binary: IDTAP_BUILD_DIR "/bin/idtap".
std::string idtap_binary();

}  // namespace idtap::test
