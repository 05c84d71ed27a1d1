// tools/commands.h: the idtap subcommands. Each lives in its own file (tools/cmd_NAME.cpp) and
// is listed once in kCommands (tools/main.cpp).
#pragma once

#include <string>
#include <vector>

namespace idtap::cli {

// Command: one subcommand. `run` gets the words after the subcommand name and returns the
// process exit code; it prints its own --help.
struct Command {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>& args);
};

int cmd_version(const std::vector<std::string>& args);
int cmd_atr(const std::vector<std::string>& args);
int cmd_readers(const std::vector<std::string>& args);
int cmd_watch(const std::vector<std::string>& args);
int cmd_apdu(const std::vector<std::string>& args);
int cmd_sim(const std::vector<std::string>& args);
int cmd_read(const std::vector<std::string>& args);
int cmd_demo(const std::vector<std::string>& args);
// cmd_sim_personalize: `idtap sim personalize ...` (the words after "personalize"), defined in
// tools/cmd_sim_personalize.cpp; cmd_sim routes to it once that file exists.
int cmd_sim_personalize(const std::vector<std::string>& args);
int cmd_provision(const std::vector<std::string>& args);
int cmd_mdoc(const std::vector<std::string>& args);
int cmd_credential(const std::vector<std::string>& args);
int cmd_card(const std::vector<std::string>& args);
int cmd_ledger(const std::vector<std::string>& args);
// cmd_ledger_report: `idtap ledger report` (argv from "report" on; tools/cmd_ledger_report.cpp).
int cmd_ledger_report(const std::vector<std::string>& args);
int cmd_status_list(const std::vector<std::string>& args);
int cmd_serve(const std::vector<std::string>& args);
int cmd_console(const std::vector<std::string>& args);
int cmd_clerk(const std::vector<std::string>& args);

}  // namespace idtap::cli
