#include "support/pcscd_fixture.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <winscard.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>

extern char** environ;

namespace idtap::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string temp_base() {
  const char* t = std::getenv("TMPDIR");
  return (t && *t) ? t : "/tmp";
}

std::string make_temp_dir(const std::string& prefix) {
  std::string templ = temp_base() + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) return {};
  return buf.data();
}

// resolve: the path execve needs for `name` (PATH lookup when it has no '/').
std::string resolve(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return name;
}

bool port_free(int port) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) return false;
  int yes = 1;
  ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  bool ok = ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string pcsc_error(const char* what, LONG rv) {
  return std::string(what) + ": " + pcsc_stringify_error(rv);
}

}  // namespace

int free_vpcd_port() {
  for (int attempt = 0; attempt < 64; ++attempt) {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) return 0;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = 0;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    socklen_t len = sizeof a;
    int port = 0;
    if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0)
      port = ntohs(a.sin_port);
    ::close(s);
    if (port != 0 && port < 65535 && port_free(port) && port_free(port + 1)) return port;
  }
  return 0;
}

std::string idtap_binary() { return std::string(IDTAP_BUILD_DIR) + "/bin/idtap"; }

// ---- ChildProcess ---------------------------------------------------------------------------

ChildProcess::~ChildProcess() { stop(); }

bool ChildProcess::start(const std::vector<std::string>& argv, const std::string& log_path,
                         const std::vector<std::string>& env) {
  if (argv.empty()) {
    error_ = "no command";
    return false;
  }
  stop();
  log_path_ = log_path;
  status_ = -1;
  const std::string exe = resolve(argv[0]);
  // Everything the child needs is built before fork(): after it only async-signal-safe calls.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // `env` overrides an inherited variable of the same name (getenv finds the first entry, so a
  // duplicate would leave the inherited value in force, e.g. make check's ASAN_OPTIONS).
  const auto name_of = [](const std::string& e) { return e.substr(0, e.find('=')); };
  std::set<std::string> overridden;
  for (const auto& e : env) overridden.insert(name_of(e));
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e)
    if (std::string inherited(*e); overridden.count(name_of(inherited)) == 0) env_strings.push_back(std::move(inherited));
  for (const auto& e : env) env_strings.push_back(e);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    error_ = log_path + ": " + std::strerror(errno);
    return false;
  }
  const pid_t parent = ::getpid();
  sigset_t no_signals_blocked;
  sigemptyset(&no_signals_blocked);
  pid_t pid = ::fork();
  if (pid < 0) {
    error_ = std::string("fork: ") + std::strerror(errno);
    ::close(fd);
    return false;
  }
  if (pid == 0) {
    // The child dies with the test process, so a crashed test leaves no daemon behind.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    // Whatever the test process blocked, the child starts with every signal deliverable.
    ::sigprocmask(SIG_SETMASK, &no_signals_blocked, nullptr);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::execve(exe.c_str(), args.data(), envp.data());
    static const char msg[] = "ChildProcess: execve failed\n";
    (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(fd);
  pid_ = pid;
  return true;
}

bool ChildProcess::running() {
  if (pid_ <= 0) return false;
  int st = 0;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = st;
    pid_ = -1;
    return false;
  }
  return r == 0;
}

void ChildProcess::signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

int ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (running()) {
    if (Clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

int ChildProcess::interrupt(std::chrono::milliseconds timeout) {
  signal(SIGINT);
  const int status = wait_exit(timeout);
  return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return status_;
  if (!running()) return status_;
  ::kill(pid_, SIGTERM);
  if (wait_exit(grace) != -1 || pid_ <= 0) return status_;
  ::kill(pid_, SIGKILL);
  int st = 0;
  if (::waitpid(pid_, &st, 0) == pid_) status_ = st;
  pid_ = -1;
  return status_;
}

std::string ChildProcess::log() const { return log_path_.empty() ? std::string() : read_all(log_path_); }

bool ChildProcess::wait_for_log(const std::string& needle, std::chrono::milliseconds timeout, size_t occurrences) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const std::string text = log();
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos && n < occurrences; at = text.find(needle, at + 1)) ++n;
    if (n >= occurrences) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// ---- PcscdFixture ---------------------------------------------------------------------------

PcscdFixture::PcscdFixture(std::chrono::milliseconds ready_timeout) {
  dir_ = make_temp_dir("idtap-pcscd-fixture");
  if (dir_.empty()) {
    error_ = "cannot create a temporary directory";
    return;
  }
  port_ = free_vpcd_port();
  if (port_ == 0) {
    error_ = "no free TCP port pair for vpcd";
    return;
  }
  std::ostringstream conf;
  conf << "# idtap test reader: vsmartcard vpcd listening on port " << port_ << " (slot 0) and " << port_ + 1
       << " (slot 1)\n"
       << "FRIENDLYNAME \"idtap-vpcd-" << port_ << "\"\n"
       << "DEVICENAME /dev/null:" << port_ << "\n"
       << "LIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\n"
       << "CHANNELID " << port_ << "\n";
  if (!write_conf(conf.str())) return;
  ok_ = launch(ready_timeout);
}

PcscdFixture::PcscdFixture(const PcscdReader& reader, std::chrono::milliseconds ready_timeout)
    : friendly_name_(reader.friendly_name), env_(reader.env) {
  dir_ = make_temp_dir("idtap-pcscd-fixture");
  if (dir_.empty()) {
    error_ = "cannot create a temporary directory";
    return;
  }
  std::ostringstream conf;
  conf << "# idtap test reader\n"
       << "FRIENDLYNAME \"" << reader.friendly_name << "\"\n"
       << "DEVICENAME " << reader.device_name << "\n"
       << "LIBPATH " << reader.lib_path << "\n";
  if (!write_conf(conf.str())) return;
  ok_ = launch(ready_timeout);
}

bool PcscdFixture::write_conf(const std::string& text) {
  conf_path_ = dir_ + "/reader.conf";
  std::ofstream conf(conf_path_);
  conf << text;
  conf.close();
  if (!conf) error_ = conf_path_ + ": cannot write";
  return static_cast<bool>(conf);
}

PcscdFixture::~PcscdFixture() {
  stop();
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

void PcscdFixture::stop() {
  pcscd_.stop();
  ok_ = false;
  std::error_code ec;
  fs::remove_all(fs::path(test_pcscd_socket_path()).parent_path().parent_path(), ec);
}

std::string PcscdFixture::reader_name(int slot) const {
  const std::string base = friendly_name_.empty() ? "idtap-vpcd-" + std::to_string(port_) : friendly_name_;
  return base + (slot == 0 ? " 00 00" : " 00 01");
}

bool PcscdFixture::restart(std::chrono::milliseconds ready_timeout) {
  stop();
  ok_ = launch(ready_timeout);
  return ok_;
}

bool PcscdFixture::launch(std::chrono::milliseconds ready_timeout) {
  const fs::path run_dir = fs::path(test_pcscd_socket_path()).parent_path();
  std::error_code ec;
  fs::remove_all(run_dir, ec);
  fs::create_directories(run_dir, ec);
  if (ec) {
    error_ = run_dir.string() + ": " + ec.message();
    return false;
  }
  // A private mount namespace where /run/pcscd is our directory: pcscd's fixed socket path
  // lands in run_dir, which the test process reaches through PCSCLITE_CSOCK_NAME. If the host
  // has no /run/pcscd to mount over, a private tmpfs on /run provides one (the host is not
  // touched either way).
  const std::string script =
      "set -e; "
      "if [ ! -d /run/pcscd ]; then mount -t tmpfs -o mode=0755 idtap-run /run; mkdir /run/pcscd; fi; "
      "mount --bind \"$0\" /run/pcscd; "
      "exec pcscd --foreground --debug --config \"$1\"";
  std::vector<std::string> argv = {"unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script,
                                   run_dir.string(), conf_path_};
  if (!pcscd_.start(argv, dir_ + "/pcscd.log", env_)) {
    error_ = "cannot start pcscd: " + pcscd_.error();
    return false;
  }
  const auto deadline = Clock::now() + ready_timeout;
  std::string last = "pcscd socket did not appear";
  while (Clock::now() < deadline) {
    if (!pcscd_.running()) {
      error_ = "pcscd exited early (wait status " + std::to_string(pcscd_.exit_status()) + "); log:\n" + pcscd_.log();
      return false;
    }
    if (fs::exists(test_pcscd_socket_path())) {
      SCARDCONTEXT ctx = 0;
      LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx);
      if (rv == SCARD_S_SUCCESS) {
        char readers[4096];
        DWORD len = sizeof readers;
        rv = SCardListReaders(ctx, nullptr, readers, &len);
        SCardReleaseContext(ctx);
        if (rv == SCARD_S_SUCCESS) {
          for (const char* r = readers; *r; r += std::strlen(r) + 1)
            if (reader_name(0) == r) return true;
          last = "reader " + reader_name(0) + " not listed yet";
        } else {
          last = pcsc_error("SCardListReaders", rv);
        }
      } else {
        last = pcsc_error("SCardEstablishContext", rv);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  error_ = "pcscd not ready after " + std::to_string(ready_timeout.count()) + " ms (" + last + "); log:\n" + pcscd_.log();
  pcscd_.stop();
  return false;
}

bool PcscdFixture::wait_card(bool present, std::chrono::milliseconds timeout, int slot) const {
  SCARDCONTEXT ctx = 0;
  if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx) != SCARD_S_SUCCESS) return false;
  const std::string name = reader_name(slot);
  SCARD_READERSTATE state{};
  state.szReader = name.c_str();
  state.dwCurrentState = SCARD_STATE_UNAWARE;
  const auto deadline = Clock::now() + timeout;
  bool reached = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left < 0) left = 0;
    LONG rv = SCardGetStatusChange(ctx, static_cast<DWORD>(std::min<long long>(left, 500)), &state, 1);
    if (rv == SCARD_S_SUCCESS || rv == SCARD_E_TIMEOUT) {
      const bool is_present = (state.dwEventState & SCARD_STATE_PRESENT) != 0;
      if (is_present == present && (state.dwEventState & SCARD_STATE_UNAVAILABLE) == 0) {
        reached = true;
        break;
      }
      state.dwCurrentState = state.dwEventState & ~SCARD_STATE_CHANGED;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (Clock::now() >= deadline) break;
  }
  SCardReleaseContext(ctx);
  return reached;
}

// ---- SimServeProcess ------------------------------------------------------------------------

SimServeProcess::SimServeProcess(const std::string& card_dir, int vpcd_port, const std::vector<std::string>& extra) {
  dir_ = make_temp_dir("idtap-sim-serve");
  std::vector<std::string> argv = {idtap_binary(), "sim", "serve", "--card", card_dir, "--vpcd",
                                   "127.0.0.1:" + std::to_string(vpcd_port)};
  argv.insert(argv.end(), extra.begin(), extra.end());
  ok_ = !dir_.empty() && process_.start(argv, dir_ + "/serve.log");
}

SimServeProcess::~SimServeProcess() {
  process_.stop();
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

TimedRun run_to_end(const std::vector<std::string>& argv, const std::string& log_path, const std::vector<std::string>& env,
                    std::chrono::milliseconds limit) {
  TimedRun r;
  ChildProcess p;
  if (!p.start(argv, log_path, env)) {
    r.out = p.error();
    return r;
  }
  const auto start = std::chrono::steady_clock::now();
  r.status = p.wait_exit(limit);
  r.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  r.out = p.log();
  return r;
}

}  // namespace idtap::test
