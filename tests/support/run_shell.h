// support/run_shell.h: run a shell command line and collect what it printed, for tests of the
// idtap command line.
#pragma once

#include <string>

namespace idtap::test {

// ShellRun: the exit status (-1 when killed by a signal) and what the command printed.
struct ShellRun {
  int exit_code = -1;
  std::string out;
};

// run_shell: runs `command` with /bin/sh and waits for it. `out` holds its stdout and, when
// `merge_stderr`, its stderr too; otherwise stderr goes where `command` sends it (by default the
// test's own stderr).
ShellRun run_shell(const std::string& command, bool merge_stderr = true);

}  // namespace idtap::test
