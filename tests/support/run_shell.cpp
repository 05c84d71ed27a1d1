#include "support/run_shell.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>

namespace idtap::test {

ShellRun run_shell(const std::string& command, bool merge_stderr) {
  ShellRun r;
  FILE* p = popen((merge_stderr ? command + " 2>&1" : command).c_str(), "r");
  if (p == nullptr) {
    r.out = "popen failed";
    return r;
  }
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace idtap::test
