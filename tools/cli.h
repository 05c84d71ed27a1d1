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

namespace idtap::cli {

// Exit codes (documented in the README). 0 is success (for `read`: genuine).
enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 2,              // bad command line
  kExitAccessDenied = 3,       // wrong CAN / MRZ / PIN, password blocked or suspended
  kExitCardOrReader = 4,       // no reader, no card, card removed, reader gone, pcscd down
  kExitPassiveFailed = 5,      // passive authentication failed
  kExitChipFailed = 6,         // chip (CA / CAM / AA) authentication failed
  kExitNoTrustAnchor = 7,      // no trusted CSCA for the document signer
  kExitRefused = 8,            // a policy refused (provisioning)
  kExitIo = 9,                 // file system error
  kExitFailure = 1,            // anything else
};

// exit_code_for: the exit code for an error of `code`.
int exit_code_for(ErrorCode code);
// exit_code_for_ledger_open: the exit code when opening the ledger failed: a path that is not
// an idtap ledger (nothing there, empty, foreign: kNotFound, kMalformed) or a missing key file
// is a file error (kExitIo); otherwise exit_code_for(code).
int exit_code_for_ledger_open(ErrorCode code);

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
  static Result<Args> parse(const std::vector<std::string>& argv, const std::vector<OptionSpec>& specs);

  bool has(std::string_view name) const { return values_.count(std::string(name)) != 0; }
  // Args::get: the (last) value of `name`, or nullopt.
  std::optional<std::string> get(std::string_view name) const;
  // Args::all: every value given for `name`, in order.
  std::vector<std::string> all(std::string_view name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

// print_error: "idtap CMD: message" on stderr (and a hint for common errors).
void print_error(std::string_view command, const Error& error);

// stderr_is_tty / stdout_is_tty: whether progress bars and colours make sense.
bool stderr_is_tty();
bool stdout_is_tty();

}  // namespace idtap::cli
