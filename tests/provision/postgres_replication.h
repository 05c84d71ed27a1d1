// tests/provision/postgres_replication.h: a PostgreSQL primary and a synchronous streaming
// replication standby, for the failover test: both started by the test on loopback, in one
// temporary directory, as the unprivileged user `nobody` when the tests run as root (the
// helpers of postgres_server.h), each stopped by its process id.
//
//   primary: initdb; postgres with synchronous_standby_names='*' and synchronous_commit=on, so a
//            commit is acknowledged only once the standby has it (what the ledger's callers are
//            told is durable survives the primary's loss);
//   standby: pg_basebackup -R (standby.signal and primary_conninfo) from the primary, then
//            postgres on its own port; it is not configured to wait for a standby of its own, so
//            once promoted it commits alone.
// kill_primary() sends SIGKILL to the primary's postmaster (a crash, not a shutdown);
// promote_standby() runs `pg_ctl promote -w`. conninfo() names both hosts with
// target_session_attrs=read-write: libpq connects to whichever accepts writes.
#pragma once

#include <libpq-fe.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "postgres_server.h"

namespace idtap::provision::testing {

class PostgresReplicaPair {
 public:
  PostgresReplicaPair() : owner_(::getpid()) {
    bin_ = PostgresServer::bindir();
    char tmpl[] = "/tmp/idtap-pgrepl-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp for the replica pair failed");
    dir_ = tmpl;
    if (::geteuid() == 0) {
      const passwd* nobody = ::getpwnam("nobody");
      if (nobody == nullptr || ::chown(dir_.c_str(), nobody->pw_uid, nobody->pw_gid) != 0)
        throw std::runtime_error("cannot give " + dir_ + " to nobody");
    }
    primary_port_ = PostgresServer::free_port();
    PostgresServer::run_to_end({bin_ + "/initdb", "-D", dir_ + "/primary", "-U", "idtap", "--auth=trust", "-E", "UTF8",
                                "--locale=C", "--no-sync"});
    primary_pid_ = start(dir_ + "/primary", primary_port_,
                         {"-c", "synchronous_standby_names=*", "-c", "synchronous_commit=on", "-c", "wal_level=replica"});
    wait_ready(primary_port_, primary_pid_);
    PostgresServer::run_to_end({bin_ + "/pg_basebackup", "-h", "127.0.0.1", "-p", std::to_string(primary_port_), "-U", "idtap",
                                "-D", dir_ + "/standby", "-R", "-X", "stream", "--no-sync"});
    standby_port_ = PostgresServer::free_port();
    while (standby_port_ == primary_port_) standby_port_ = PostgresServer::free_port();
    standby_pid_ = start(dir_ + "/standby", standby_port_, {});
    wait_ready(standby_port_, standby_pid_);
    // The standby streams and is the synchronous one before anything is written.
    for (int i = 0; i < 300; ++i) {
      if (query(primary_port_, "postgres", "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'") == "1") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    throw std::runtime_error("the standby did not become synchronous within 30 s");
  }
  ~PostgresReplicaPair() {
    if (::getpid() != owner_) return;
    stop(standby_pid_);
    stop(primary_pid_);
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  PostgresReplicaPair(const PostgresReplicaPair&) = delete;

  // conninfo: both hosts, primary first, for database `db`; connect_timeout bounds each try.
  std::string conninfo(const std::string& db) const {
    return "host=127.0.0.1,127.0.0.1 port=" + std::to_string(primary_port_) + "," + std::to_string(standby_port_) +
           " user=idtap dbname=" + db + " target_session_attrs=read-write connect_timeout=3";
  }
  // create_database: on the primary (replicated to the standby).
  void create_database(const std::string& db) {
    if (!exec(primary_port_, "postgres", "CREATE DATABASE " + db)) throw std::runtime_error("CREATE DATABASE " + db);
  }
  // kill_primary: SIGKILL to the primary's postmaster, reaped.
  void kill_primary() {
    ::kill(primary_pid_, SIGKILL);
    int status = 0;
    ::waitpid(primary_pid_, &status, 0);
    primary_pid_ = 0;
  }
  // promote_standby: pg_ctl promote -w (waits until it accepts writes).
  void promote_standby() { PostgresServer::run_to_end({bin_ + "/pg_ctl", "promote", "-w", "-t", "60", "-D", dir_ + "/standby"}); }
  // standby_query: the first value of `sql` on the standby (the new primary once promoted).
  std::string standby_query(const std::string& db, const std::string& sql) const { return query(standby_port_, db, sql); }

 private:
  pid_t start(const std::string& data, int port, const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {bin_ + "/postgres", "-D", data, "-p", std::to_string(port), "-h", "127.0.0.1", "-k", dir_,
                                     "-c", "max_connections=40"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return PostgresServer::spawn(std::move(argv));
  }
  std::string base(int port, const std::string& db) const {
    return "host=127.0.0.1 port=" + std::to_string(port) + " user=idtap dbname=" + db + " connect_timeout=5";
  }
  void wait_ready(int port, pid_t pid) const { PostgresServer::wait_accepting(base(port, "postgres"), pid); }
  std::string query(int port, const std::string& db, const std::string& sql) const {
    PGconn* c = PQconnectdb(base(port, db).c_str());
    PGresult* r = PQexec(c, sql.c_str());
    std::string out = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    PQfinish(c);
    return out;
  }
  bool exec(int port, const std::string& db, const std::string& sql) const {
    PGconn* c = PQconnectdb(base(port, db).c_str());
    PGresult* r = PQexec(c, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    PQfinish(c);
    return ok;
  }
  static void stop(pid_t pid) { PostgresServer::shut_down(pid); }

  pid_t owner_;
  std::string bin_, dir_;
  int primary_port_ = 0, standby_port_ = 0;
  pid_t primary_pid_ = 0, standby_pid_ = 0;
};

}  // namespace idtap::provision::testing
