// idtap: the command-line tool. `idtap help` lists the commands.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cli.h"
#include "commands.h"
#include "exit_codes.h"

#ifndef IDTAP_VERSION
#error "IDTAP_VERSION is defined by the Makefile (its VERSION)"
#endif

namespace idtap::cli {
namespace {

constexpr Command kCommands[] = {
    {"version", "print the idtap version (also --version, -V)", cmd_version},
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
    {"serve", "the OpenID4VCI issuer: phones redeem offers over HTTPS", cmd_serve},
    {"console", "the clerk's desk: a local web console (reading, issuing, after-care)", cmd_console},
    {"clerk", "add or list the clerks who log in to the console", cmd_clerk},
};

constexpr const char* kUsage =
    "usage: idtap COMMAND [OPTIONS]\n"
    "       idtap help [COMMAND]\n"
    "       idtap --version\n\n"
    "idtap reads IC-chip identity cards (ICAO 9303 eMRTD) through PC/SC or libnfc readers,\n"
    "proves the chip and its data genuine, and issues ISO 18013-5 mobile credentials.\n\n"
    "commands:\n";

void usage(FILE* out) {
  std::fputs(kUsage, out);
  for (const auto& c : kCommands) std::fprintf(out, "  %-14s %s\n", c.name, c.summary);
  std::fprintf(out,
               "\n`idtap help COMMAND` (or `idtap COMMAND --help`) describes each command. With --json,\n"
               "a command prints every outcome, failures included, as one JSON document on stdout.\n\n%s",
               exit_status_help("help").c_str());
}

const Command* find_command(std::string_view name) {
  for (const auto& c : kCommands)
    if (name == c.name) return &c;
  return nullptr;
}

// wants_json: --json among the words before "--" (every command that offers it takes it as a
// flag), so that errors found before the command parses its options are JSON too.
bool wants_json(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--") break;
    if (a == "--json") return true;
  }
  return false;
}

// verbose: -v, -vv or --verbose among the words before "--".
bool verbose(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--") break;
    if (a == "--verbose" || (a.size() >= 2 && a[0] == '-' && a[1] == 'v' && a.find_first_not_of('v', 1) == std::string::npos))
      return true;
  }
  return false;
}

}  // namespace

int cmd_version(const std::vector<std::string>& args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    print_help("version", "usage: idtap version (or idtap --version, idtap -V)\n\nPrints \"idtap VERSION\".\n", stdout);
    return kExitOk;
  }
  if (!args.empty()) {
    print_error("version", idtap::make_error(idtap::ErrorCode::kInvalidArgument, "takes no arguments"));
    return kExitUsage;
  }
  std::printf("idtap %s\n", IDTAP_VERSION);
  return kExitOk;
}

}  // namespace idtap::cli

int main(int argc, char** argv) {
  using namespace idtap::cli;
  if (argc < 2) {
    usage(stderr);
    return kExitUsage;
  }
  const std::string first = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (first == "--version" || first == "-V") return cmd_version(args);
  if (first == "help" || first == "--help" || first == "-h") {
    // `idtap help COMMAND [SUBCOMMAND]`: that command's own --help.
    if (first == "help" && !args.empty()) {
      const Command* c = find_command(args[0]);
      if (c == nullptr) {
        std::fprintf(stderr, "idtap help: no command '%s' (see `idtap help`)\n", args[0].c_str());
        return kExitUsage;
      }
      std::vector<std::string> help_args(args.begin() + 1, args.end());
      help_args.push_back("--help");
      return c->run(help_args);
    }
    usage(stdout);
    return kExitOk;
  }
  // libnfc logs "Unable to find USB busses" and the like on stderr at its default level while
  // devices are listed: noise unless -v. LIBNFC_LOG_LEVEL (read by nfc_init) silences it; a
  // value the user set wins.
  if (!verbose(args)) ::setenv("LIBNFC_LOG_LEVEL", "0", 0);
  set_json_output(wants_json(args));
  if (const Command* c = find_command(first)) return c->run(args);
  print_error("", idtap::make_error(idtap::ErrorCode::kInvalidArgument, "unknown command '" + first + "' (see `idtap help`)"));
  return kExitUsage;
}
