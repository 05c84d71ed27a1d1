// exec_trace.cpp: an LD_PRELOAD library that records every program a process (and its
// children, which inherit the environment) starts, for the check that each one comes from a
// Debian package `make deps` installs (tests/deps/programs_test.cpp).
//
// With IDTAP_EXEC_LOG=FILE in the environment, each exec and posix_spawn appends one line
//   <found>\t<path>\n
// to FILE, where <path> is the file the call tries (after the PATH search for the p variants)
// and <found> is 1 when that file exists and is executable, 0 otherwise (a shell that searches
// PATH itself tries every directory in turn: a program found nowhere is logged only with 0s).
// The line is written with one write(2) on an O_APPEND descriptor, so lines of concurrent
// processes do not interleave. Only async-signal-safe calls run between fork and exec: the real
// functions are looked up once, when the library loads.
#include <dlfcn.h>
#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdlib>
#include <cstring>

namespace {

using ExecveFn = int (*)(const char*, char* const[], char* const[]);
using ExecvFn = int (*)(const char*, char* const[]);
using ExecvpeFn = int (*)(const char*, char* const[], char* const[]);
using SpawnFn = int (*)(pid_t*, const char*, const posix_spawn_file_actions_t*, const posix_spawnattr_t*,
                        char* const[], char* const[]);

ExecveFn real_execve = nullptr;
ExecvFn real_execv = nullptr;
ExecvFn real_execvp = nullptr;
ExecvpeFn real_execvpe = nullptr;
SpawnFn real_posix_spawn = nullptr;
SpawnFn real_posix_spawnp = nullptr;

__attribute__((constructor)) void look_up_real_functions() {
  real_execve = reinterpret_cast<ExecveFn>(dlsym(RTLD_NEXT, "execve"));
  real_execv = reinterpret_cast<ExecvFn>(dlsym(RTLD_NEXT, "execv"));
  real_execvp = reinterpret_cast<ExecvFn>(dlsym(RTLD_NEXT, "execvp"));
  real_execvpe = reinterpret_cast<ExecvpeFn>(dlsym(RTLD_NEXT, "execvpe"));
  real_posix_spawn = reinterpret_cast<SpawnFn>(dlsym(RTLD_NEXT, "posix_spawn"));
  real_posix_spawnp = reinterpret_cast<SpawnFn>(dlsym(RTLD_NEXT, "posix_spawnp"));
}

void append(char* line, size_t& len, size_t cap, const char* s) {
  while (*s != '\0' && len + 1 < cap) line[len++] = *s++;
}

// record: one line for `path` (logged as given; a relative path is made absolute).
void record(const char* path) {
  const char* log = getenv("IDTAP_EXEC_LOG");
  if (log == nullptr || *log == '\0' || path == nullptr) return;
  const int saved_errno = errno;
  char line[4096 + 16];
  size_t len = 0;
  append(line, len, sizeof line, access(path, X_OK) == 0 ? "1\t" : "0\t");
  if (path[0] != '/') {
    char cwd[2048];
    if (getcwd(cwd, sizeof cwd) != nullptr) {
      append(line, len, sizeof line, cwd);
      append(line, len, sizeof line, "/");
    }
  }
  append(line, len, sizeof line, path);
  line[len++] = '\n';
  int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) {
    (void)!write(fd, line, len);
    close(fd);
  }
  errno = saved_errno;
}

// search_path: the file execvp would run for `file`, into `out` (the first executable match in
// PATH, or `file` itself when it holds a '/' or nothing matches).
const char* search_path(const char* file, char* out, size_t cap) {
  if (file == nullptr || strchr(file, '/') != nullptr) return file;
  const char* path = getenv("PATH");
  if (path == nullptr) path = "/usr/local/bin:/usr/bin:/bin";
  const char* p = path;
  while (true) {
    const char* end = strchr(p, ':');
    size_t dir_len = end ? static_cast<size_t>(end - p) : strlen(p);
    size_t len = 0;
    if (dir_len == 0) {
      out[len++] = '.';
    } else if (dir_len < cap - 2) {
      memcpy(out, p, dir_len);
      len = dir_len;
    }
    out[len++] = '/';
    size_t flen = strlen(file);
    if (len + flen < cap) {
      memcpy(out + len, file, flen + 1);
      if (access(out, X_OK) == 0) return out;
    }
    if (end == nullptr) break;
    p = end + 1;
  }
  return file;
}

// collect_args: the argv of an execl-style call into `argv` (kMaxArgs entries): `first`, then
// the arguments `ap` holds up to and including their null (a longer list is cut, null-ended).
constexpr int kMaxArgs = 1024;
void collect_args(const char* first, va_list& ap, char** argv) {
  int n = 0;
  argv[n++] = const_cast<char*>(first);
  while (n < kMaxArgs - 1 && (argv[n] = va_arg(ap, char*)) != nullptr) ++n;
  argv[n] = nullptr;
}

}  // namespace

extern "C" {

int execve(const char* path, char* const argv[], char* const envp[]) {
  record(path);
  return real_execve(path, argv, envp);
}

int execv(const char* path, char* const argv[]) {
  record(path);
  return real_execv(path, argv);
}

int execvp(const char* file, char* const argv[]) {
  char buf[4096];
  record(search_path(file, buf, sizeof buf));
  return real_execvp(file, argv);
}

int execvpe(const char* file, char* const argv[], char* const envp[]) {
  char buf[4096];
  record(search_path(file, buf, sizeof buf));
  return real_execvpe(file, argv, envp);
}

int execl(const char* path, const char* arg, ...) {
  char* argv[kMaxArgs];
  va_list ap;
  va_start(ap, arg);
  collect_args(arg, ap, argv);
  va_end(ap);
  return execv(path, argv);
}

int execlp(const char* file, const char* arg, ...) {
  char* argv[kMaxArgs];
  va_list ap;
  va_start(ap, arg);
  collect_args(arg, ap, argv);
  va_end(ap);
  return execvp(file, argv);
}

int execle(const char* path, const char* arg, ...) {
  char* argv[kMaxArgs];
  va_list ap;
  va_start(ap, arg);
  collect_args(arg, ap, argv);
  char* const* envp = va_arg(ap, char* const*);  // after the argument list's null
  va_end(ap);
  return execve(path, argv, envp);
}

int posix_spawn(pid_t* pid, const char* path, const posix_spawn_file_actions_t* actions,
                const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  record(path);
  return real_posix_spawn(pid, path, actions, attr, argv, envp);
}

int posix_spawnp(pid_t* pid, const char* file, const posix_spawn_file_actions_t* actions,
                 const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  char buf[4096];
  record(search_path(file, buf, sizeof buf));
  return real_posix_spawnp(pid, file, actions, attr, argv, envp);
}

}  // extern "C"
