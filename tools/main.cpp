// idtap: the command-line tool. `idtap help` lists the commands.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli.h"
#include "commands.h"

namespace idtap::cli {
namespace {

constexpr Command kCommands[] = {
    {"version", "print the idtap version", cmd_version},
    {"atr", "decode an ATR offline, field by field", cmd_atr},
    {"readers", "list readers, their state and the cards in them", cmd_readers},
    {"watch", "stream reader and card events until interrupted", cmd_watch},
    {"apdu", "send raw APDUs to a card (arguments or a script on stdin)", cmd_apdu},
    {"read", "read a card, prove the chip and its data genuine, report", cmd_read},
    {"demo", "the whole mission on the built-in simulated card (make demo)", cmd_demo},
    {"sim", "the simulated card: serve it to pcscd through vpcd", cmd_sim},
    {"provision", "issue a mobile ID from a genuine card to one phone", cmd_provision},
    {"mdoc", "show or verify an issued mobile ID (ISO 18013-5)", cmd_mdoc},
    {"credential", "list, suspend, resume, revoke issued credentials", cmd_credential},
    {"card", "report a card lost (or found) in the ledger", cmd_card},
    {"ledger", "create or verify the provisioning ledger", cmd_ledger},
    {"status-list", "publish the signed token status list", cmd_status_list},
};

void usage(FILE* out) {
  std::fprintf(out,
               "usage: idtap COMMAND [OPTIONS]\n\n"
               "idtap reads IC-chip identity cards (ICAO 9303 eMRTD) through PC/SC or libnfc readers,\n"
               "proves the chip and its data genuine, and issues ISO 18013-5 mobile credentials.\n\n"
               "commands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-14s %s\n", c.name, c.summary);
  std::fprintf(out, "\n`idtap COMMAND --help` describes each command.\n");
}

}  // namespace

int cmd_version(const std::vector<std::string>&) {
  std::printf("idtap 0.1.0\n");
  return 0;
}

}  // namespace idtap::cli

int main(int argc, char** argv) {
  using namespace idtap::cli;
  if (argc < 2 || !std::strcmp(argv[1], "help") || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? kExitUsage : kExitOk;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const auto& c : kCommands)
    if (std::strcmp(c.name, argv[1]) == 0) return c.run(args);
  std::fprintf(stderr, "idtap: unknown command '%s' (see `idtap help`)\n", argv[1]);
  return kExitUsage;
}
