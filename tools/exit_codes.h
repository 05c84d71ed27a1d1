// tools/exit_codes.h: every command's documented exit codes, in one list. The help texts'
// "exit status" sections are printed from it, the README's exit-code table is checked against
// those help texts, and tests/tools/exit_codes_test.cpp provokes each code it lists.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace idtap::cli {

// ExitCodeDoc: one documented exit code of one command and what it means there.
struct ExitCodeDoc {
  int code;
  const char* meaning;
};

// CommandExitCodes: the documented codes of `command` ("read", "sim personalize"), ascending.
struct CommandExitCodes {
  const char* command;
  std::vector<ExitCodeDoc> codes;
};

// all_exit_codes: every command's codes, in the order `idtap help` lists the commands.
const std::vector<CommandExitCodes>& all_exit_codes();

// exit_status_help: the "exit status:" section of `command`'s help ("  N  meaning" lines);
// empty when the command is not in the list (a programming error, caught by the tests).
std::string exit_status_help(std::string_view command);

// print_help: `text` (a command's help without its exit codes), then its exit status section,
// on `out`.
void print_help(std::string_view command, const char* text, FILE* out);

}  // namespace idtap::cli
