// tests/provision/postgres_server.h: a PostgreSQL server for the ledger tests, started by the
// test process and stopped by its process id.
//
// The server comes from Debian's `postgresql` (DEB_PACKAGES; `make deps` installs it): initdb and
// postgres from /usr/lib/postgresql/<version>/bin (the highest version there, found at run
// time). PostgreSQL refuses to run as root, so when the tests run as root both programs run as
// the unprivileged system user `nobody` (group `nogroup`, both in every Debian base system)
// through setpriv (util-linux); the cluster's directory is made in /tmp and given to that user.
// The server listens on 127.0.0.1 on a free port, with its unix socket inside the cluster's
// directory; it is started once per test binary (the first PostgreSQL test) and stopped with
// SIGINT (fast shutdown) and waited for when the binary exits. Each PostgresBackend gets a
// database of its own.
#pragma once

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace idtap::provision::testing {

class PostgresServer {
 public:
  // PostgresServer::instance: the binary's server, started on first use; throws (failing the
  // test) when it cannot be started.
  static PostgresServer& instance() {
    static PostgresServer server;
    return server;
  }
  ~PostgresServer() {
    if (::getpid() == owner_) stop();  // a forked child leaves its parent's server alone
    if (::getpid() == owner_ && !dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  // conninfo: a libpq keyword string for database `db`.
  std::string conninfo(const std::string& db) const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " user=idtap dbname=" + db + " connect_timeout=10";
  }
  // uri: the same as a postgresql:// URI.
  std::string uri(const std::string& db) const { return "postgresql://idtap@127.0.0.1:" + std::to_string(port_) + "/" + db; }
  // create_database: a new empty database; its name.
  std::string create_database() {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::string name = "ledger_" + std::to_string(++databases_);
    PGconn* admin = PQconnectdb(conninfo("postgres").c_str());
    PGresult* r = PQexec(admin, ("CREATE DATABASE " + name).c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    std::string err = ok ? "" : PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(admin);
    if (!ok) throw std::runtime_error("CREATE DATABASE " + name + ": " + err);
    return name;
  }

  // PostgresServer: a server of its own (instance() is the test binary's shared one); `fsync`
  // on for a benchmark of durable commits (the tests run with it off); `settings`: more
  // "name=value" server settings (the scale benchmark's memory and WAL sizes).
  explicit PostgresServer(bool fsync = false, const std::vector<std::string>& settings = {}) : owner_(::getpid()) {
    const std::string bin = bindir();
    char tmpl[] = "/tmp/idtap-pg-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp for the PostgreSQL cluster failed");
    dir_ = tmpl;
    const bool root = ::geteuid() == 0;
    if (root) {
      const passwd* nobody = ::getpwnam("nobody");
      if (nobody == nullptr) throw std::runtime_error("no user 'nobody' to run PostgreSQL as");
      if (::chown(dir_.c_str(), nobody->pw_uid, nobody->pw_gid) != 0) throw std::runtime_error("chown " + dir_);
    }
    port_ = free_port();
    run_to_end({bin + "/initdb", "-D", dir_ + "/data", "-U", "idtap", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"});
    fsync_ = fsync;
    settings_ = settings;
    start();
  }

  // stop: a fast shutdown (SIGINT) of this server, waited for; its cluster stays, for start().
  void stop() {
    shut_down(pid_);
    pid_ = 0;
  }

  // start: the server on its cluster and port (the constructor's; again after stop()), once it
  // accepts connections; throws when it does not within 30 s.
  void start() {
    std::vector<std::string> argv = {bindir() + "/postgres", "-D", dir_ + "/data", "-p", std::to_string(port_), "-h", "127.0.0.1",
                                     "-k", dir_, "-c", fsync_ ? "fsync=on" : "fsync=off", "-c", "max_connections=60"};
    for (const auto& s : settings_) argv.insert(argv.end(), {"-c", s});
    pid_ = spawn(std::move(argv));
    try {
      wait_accepting(conninfo("postgres"), pid_);
    } catch (...) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == 0) shut_down(pid_);  // still running: not left behind
      pid_ = 0;
      throw;
    }
  }

 public:
  // The helpers the replication pair (postgres_replication.h) shares.
  // bindir: /usr/lib/postgresql/<highest version>/bin.
  static std::string bindir() {
    std::string best;
    int best_version = -1;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
      const std::string v = e.path().filename().string();
      const int n = std::atoi(v.c_str());
      if (n > best_version && std::filesystem::exists(e.path() / "bin" / "initdb")) {
        best_version = n;
        best = (e.path() / "bin").string();
      }
    }
    if (best.empty()) throw std::runtime_error("no /usr/lib/postgresql/<version>/bin/initdb: run `make deps` (Debian postgresql)");
    return best;
  }

  static int free_port() {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ::close(s);
      throw std::runtime_error("no free loopback port");
    }
    ::close(s);
    return ntohs(a.sin_port);
  }

  // exec_unprivileged: in a child: execs `argv`, through setpriv as nobody when root.
  [[noreturn]] static void exec_unprivileged(std::vector<std::string> argv) {
    if (::geteuid() == 0)
      argv.insert(argv.begin(), {"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"});
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    ::execvp(raw[0], raw.data());
    ::_exit(127);
  }

  // spawn: a postmaster (`argv`), unprivileged, its output to /dev/null; its pid.
  static pid_t spawn(std::vector<std::string> argv) {
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork for postgres failed");
    if (pid == 0) {
      const int null = ::open("/dev/null", O_WRONLY);
      if (null >= 0) {
        ::dup2(null, 1);
        ::dup2(null, 2);
      }
      if (::chdir("/") != 0) ::_exit(126);
      exec_unprivileged(std::move(argv));
    }
    return pid;
  }
  // wait_accepting: until the server at `conninfo` (the postmaster `pid`) accepts connections;
  // throws when it exits or has not within 30 s (it is then left to the caller to stop).
  static void wait_accepting(const std::string& conninfo, pid_t pid) {
    for (int i = 0; i < 300; ++i) {
      if (PQping(conninfo.c_str()) == PQPING_OK) return;
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) throw std::runtime_error("postgres exited at start-up");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    throw std::runtime_error("postgres did not accept connections within 30 s");
  }
  // shut_down: a fast shutdown (SIGINT) of the postmaster `pid`, waited for (10 s, then SIGKILL).
  static void shut_down(pid_t pid) {
    if (pid <= 0) return;
    ::kill(pid, SIGINT);
    int status = 0;
    for (int i = 0; i < 200 && ::waitpid(pid, &status, WNOHANG) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (::waitpid(pid, &status, WNOHANG) == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
    }
  }

  static void run_to_end(const std::vector<std::string>& argv) {
    const pid_t child = ::fork();
    if (child < 0) throw std::runtime_error("fork failed");
    if (child == 0) {
      const int null = ::open("/dev/null", O_WRONLY);
      if (null >= 0) ::dup2(null, 1);
      if (::chdir("/") != 0) ::_exit(126);
      exec_unprivileged(argv);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error(argv[0] + " failed");
  }

 private:
  pid_t owner_;
  pid_t pid_ = 0;
  bool fsync_ = false;
  std::vector<std::string> settings_;
  std::string dir_;
  int port_ = 0;
  int databases_ = 0;
  std::mutex mutex_;
};

}  // namespace idtap::provision::testing
