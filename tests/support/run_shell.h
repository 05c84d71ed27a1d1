// support/run_shell.h: run a shell command line and collect what it printed, for tests of the
// idtap command line.
#pragma once

#include <string>

namespace idtap::test {

// ShellRun: the exit status (-1 when killed by a signal) and stdout+stderr together.
struct ShellRun {
  int exit_code = -1;
  std::string out;
};

// run_shell: runs `command` with /bin/sh (stderr joined to stdout) and waits for it.
ShellRun run_shell(const std::string& command);

}  // namespace idtap::test
