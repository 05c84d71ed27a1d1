// tools/cli.h: what every idtap subcommand shares: argument parsing, exit codes, output.
#pragma once

#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "idtap/base/error.h"
#include "idtap/base/result.h"
#include "idtap/provision/ledger.h"

namespace idtap::cli {

// Exit codes: the same meaning in every command. Which command ends with which is listed once,
// in tools/exit_codes.cpp (help texts and the README's table come from that list). 0 is success
// (for `read`: genuine).
enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 2,              // bad command line
  kExitAccessDenied = 3,       // wrong CAN / MRZ / PIN, password blocked or suspended
  kExitCardOrReader = 4,       // no reader, no card, card removed, reader gone, pcscd down
  kExitPassiveFailed = 5,      // passive authentication failed
  kExitChipFailed = 6,         // chip (CA / CAM / AA) authentication failed
  kExitNoTrustAnchor = 7,      // no trusted CSCA for the document signer
  kExitRefused = 8,            // a policy refused (provisioning)
  kExitIo = 9,                 // file error: cannot read or write, no such file or record,
                               // a key file readable by others
  kExitMalformed = 10,         // data that does not parse (an ATR, a credential, a key file)
  kExitBusy = 11,              // the ledger stayed locked by another process too long (ErrorCode::kBusy)
  kExitRolledBack = 12,        // ledger verify --anchor: the ledger is older than one of its anchors
  kExitLedgerSchema = 13,      // the ledger's schema version is not this idtap's (older: `idtap ledger migrate`)
  kExitInterrupted = 130,      // SIGINT / SIGTERM (128 + SIGINT, the shells' convention)
  kExitFailure = 1,            // a negative outcome the command names, or an unexpected failure
};

// exit_code_for: the exit code for an error of `code`.
int exit_code_for(ErrorCode code);
// exit_code_for_ledger_open: the exit code when opening the ledger failed: a path that is not
// an idtap ledger (nothing there, empty, foreign: kNotFound, kMalformed) or a missing key file
// is a file error (kExitIo); a schema version this idtap does not open (older: it needs `idtap
// ledger migrate`; version 1; a newer idtap's: Ledger::open's kNotSupported) is
// kExitLedgerSchema; otherwise exit_code_for(code).
int exit_code_for_ledger_open(ErrorCode code);

// ledger_options: how the commands open the ledger: the defaults, with the busy timeout (how
// long to wait for another process's lock before failing with exit 11) from the environment
// variable IDTAP_LEDGER_BUSY_TIMEOUT_MS when it holds a number of milliseconds (else 30000), and
// the ledger key file from IDTAP_LEDGER_KEY_FILE (required for a PostgreSQL --ledger; a SQLite
// ledger's default is "<ledger>.key"), and the acting site (LedgerOptions::site) from IDTAP_SITE.
provision::LedgerOptions ledger_options();

// OptionSpec: one option a command accepts. `takes_value` options are "--name VALUE" or
// "--name=VALUE"; `repeatable` ones may be given several times.
struct OptionSpec {
  std::string name;  // without the leading dashes: "reader"
  bool takes_value = false;
  bool repeatable = false;
  char short_name = 0;  // 'v' for -v, or 0
};

// Args: a parsed command line.
class Args {
 public:
  // Args::parse: parses `argv` (after the subcommand name) against `specs`. kInvalidArgument
  // naming the offending word for an unknown option, a missing value or a repeated
  // non-repeatable option. "--" ends options.
  // A command whose specs hold "ledger" also accepts --ledger-key-file FILE and --busy-timeout
  // MS, which override IDTAP_LEDGER_KEY_FILE and IDTAP_LEDGER_BUSY_TIMEOUT_MS for this process
  // (ledger_options() reads them); a bad --busy-timeout is kInvalidArgument.
  static Result<Args> parse(const std::vector<std::string>& argv, const std::vector<OptionSpec>& specs);

  bool has(std::string_view name) const { return values_.count(std::string(name)) != 0; }
  // Args::get: the (last) value of `name`, or nullopt.
  std::optional<std::string> get(std::string_view name) const;
  // Args::all: every value given for `name`, in order.
  std::vector<std::string> all(std::string_view name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  static Result<Args> parse_specs(const std::vector<std::string>& argv, const std::vector<OptionSpec>& specs);
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

// CommandLine: the preamble every subcommand shares: parse its command line or print its help,
// and end with a usage error or a failure's exit code. `name` prefixes its messages ("provision
// offer"); `help_name` names the help --help prints ("provision"); `help` is that help's text.
class CommandLine {
 public:
  CommandLine(std::string_view name, std::string_view help_name, const char* help)
      : name_(name), help_name_(help_name), help_(help) {}

  // CommandLine::Parsed: the parsed command line, or (args empty) the exit code the command ends
  // with now: kExitUsage after a bad command line (the error printed) or kExitOk after --help
  // (the help printed on stdout).
  struct Parsed {
    std::optional<Args> args;
    int exit_code = kExitOk;
  };
  // CommandLine::parse: Args::parse of `argv` against `specs` (which must hold "help"), then
  // --help.
  Parsed parse(const std::vector<std::string>& argv, const std::vector<OptionSpec>& specs) const;
  // CommandLine::usage: prints `why` as a kInvalidArgument error and returns kExitUsage.
  int usage(const std::string& why) const;
  // CommandLine::fail: prints `error` and returns its exit code (exit_code_for).
  int fail(const Error& error) const;

 private:
  std::string name_;
  std::string help_name_;
  const char* help_;
};

// print_error: "idtap CMD: message" on stderr. With --json (set_json_output), also the error
// document {"error": {"code", "message"[, "sw"]}} on stdout, unless this invocation already
// printed its JSON document (print_json_document): every outcome is then one document on stdout.
void print_error(std::string_view command, const Error& error);

// set_json_output: whether this invocation reports in JSON. Set once by main() before the
// command runs (--json on a command that offers it), read by print_error: the one place that
// prints errors knows the output mode without every command passing it down.
void set_json_output(bool on);
bool json_output();

// print_json_document: prints `json` and a newline on stdout and flushes it; in --json mode it
// marks the invocation's document as printed (print_error then adds none). Streams of documents
// (watch) print with print_json_line instead.
void print_json_document(const std::string& json);
// print_json_line: one line of a JSON Lines stream on stdout, flushed.
void print_json_line(const std::string& json);

// error_json: the error document {"error": {"code", "message"[, "sw"]}} as one line.
std::string error_json(const Error& error);

// stderr_is_tty / stdout_is_tty: whether progress bars and colours make sense.
bool stderr_is_tty();
bool stdout_is_tty();

}  // namespace idtap::cli
