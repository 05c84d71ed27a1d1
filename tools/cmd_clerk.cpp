// idtap clerk: the clerks who log in to `idtap console`: `add NAME` (the password read from
// --password-file or the first line of stdin, hashed with scrypt; never on the command line,
// where other users see it) and `list`.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli.h"
#include "commands.h"
#include "exit_codes.h"
#include "idtap/base/file_io.h"
#include "idtap/provision/clerks.h"
#include "idtap/provision/date.h"

namespace idtap::cli {
namespace {

constexpr const char* kHelp =
    "usage: idtap clerk add NAME --ledger DB [--password-file FILE]\n"
    "       idtap clerk list --ledger DB\n\n"
    "The clerks of the desk console (`idtap console`). add: a new clerk NAME (1..32 of a-z 0-9 .\n"
    "_ -) with the password in FILE (its first line) or, without --password-file, the first line\n"
    "of standard input; at least 10 characters. The ledger keeps only its scrypt hash, and the\n"
    "event 'clerk' \"added NAME\". list: the clerks' names.\n";

}  // namespace

int cmd_clerk(const std::vector<std::string>& argv) {
  const std::vector<OptionSpec> specs = {{"ledger", true}, {"password-file", true}, {"help", false, false, 'h'}};
  const CommandLine cmd("clerk", "clerk", kHelp);
  auto parsed = cmd.parse(argv, specs);
  if (!parsed.args) return parsed.exit_code;
  const auto& args = parsed.args;
  const auto& pos = args->positional();
  if (pos.empty() || (pos[0] != "add" && pos[0] != "list")) return cmd.usage("give add NAME or list");
  if (pos[0] == "add" && pos.size() != 2) return cmd.usage("clerk add takes one NAME");
  if (pos[0] == "list" && pos.size() != 1) return cmd.usage("clerk list takes no argument");
  if (!args->has("ledger")) return cmd.usage("--ledger is required");
  if (pos[0] == "add") {
    if (auto st = provision::check_clerk_name(pos[1]); !st.ok()) return cmd.fail(st.error());
  }
  auto ledger = provision::Ledger::open(*args->get("ledger"), ledger_options());
  if (!ledger.ok()) {
    print_error("clerk", ledger.error());
    return exit_code_for_ledger_open(ledger.error().code);
  }
  provision::ClerkRegistry clerks(*ledger);
  if (pos[0] == "list") {
    auto names = clerks.names();
    if (!names.ok()) return cmd.fail(names.error());
    for (const auto& n : *names) std::printf("%s\n", n.c_str());
    return kExitOk;
  }
  std::string password;
  if (auto file = args->get("password-file")) {
    auto bytes = read_file_secure(*file, 4096);
    if (!bytes.ok()) return cmd.fail(bytes.error());
    password.assign(bytes->begin(), bytes->end());
    password = password.substr(0, password.find('\n'));
  } else if (!std::getline(std::cin, password)) {
    return cmd.usage("no password on standard input");
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  auto st = clerks.add(pos[1], password, provision::now_seconds());
  std::fill(password.begin(), password.end(), '\0');
  if (!st.ok()) return cmd.fail(st.error());
  std::printf("clerk %s added\n", pos[1].c_str());
  return kExitOk;
}

}  // namespace idtap::cli
