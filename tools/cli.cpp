#include "cli.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include <fmt/format.h>

#include "exit_codes.h"
#include "json.h"

namespace idtap::cli {
namespace {

// The invocation's output mode (see set_json_output): one per process, set before the command
// runs and read only afterwards.
struct JsonOutput {
  bool on = false;
  bool document_printed = false;
};
JsonOutput& json_state() {
  static JsonOutput state;
  return state;
}

}  // namespace

int exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return kExitUsage;
    case ErrorCode::kAuthFailed:
    case ErrorCode::kPasswordBlocked:
    case ErrorCode::kPasswordSuspended: return kExitAccessDenied;
    case ErrorCode::kTransport:
    case ErrorCode::kDeviceGone:
    case ErrorCode::kCardRemoved:
    case ErrorCode::kCardReset:
    case ErrorCode::kNoReader:
    case ErrorCode::kNoCard:
    case ErrorCode::kServiceUnavailable:
    case ErrorCode::kSharingViolation:
    case ErrorCode::kTimeout:
    case ErrorCode::kCardStatus:
    case ErrorCode::kSecureMessaging: return kExitCardOrReader;
    case ErrorCode::kNoTrustAnchor: return kExitNoTrustAnchor;
    case ErrorCode::kRefused: return kExitRefused;
    case ErrorCode::kIo:
    case ErrorCode::kNotFound: return kExitIo;
    case ErrorCode::kMalformed: return kExitMalformed;
    case ErrorCode::kCancelled: return kExitInterrupted;
    case ErrorCode::kBusy: return kExitBusy;
    default: return kExitFailure;
  }
}

provision::LedgerOptions ledger_options() {
  provision::LedgerOptions o;
  if (const char* env = std::getenv("IDTAP_LEDGER_BUSY_TIMEOUT_MS"); env != nullptr && *env != '\0') {
    char* end = nullptr;
    long ms = std::strtol(env, &end, 10);
    if (*end == '\0' && ms >= 0 && ms <= 3600000) o.busy_timeout_ms = static_cast<int>(ms);
  }
  if (const char* key = std::getenv("IDTAP_LEDGER_KEY_FILE"); key != nullptr && *key != '\0') o.key_file = key;
  if (const char* site = std::getenv("IDTAP_SITE"); site != nullptr) o.site = site;
  if (const char* anchors = std::getenv("IDTAP_LEDGER_ANCHOR_FILE"); anchors != nullptr && *anchors != '\0') o.anchor_file = anchors;
  return o;
}

int exit_code_for_ledger_open(ErrorCode code) {
  if (code == ErrorCode::kNotFound || code == ErrorCode::kMalformed) return kExitIo;
  if (code == ErrorCode::kNotSupported) return kExitLedgerSchema;  // Ledger::open's only kNotSupported: the schema version
  return exit_code_for(code);
}

namespace {

// apply_ledger_flags: --ledger-key-file and --busy-timeout, which every command taking --ledger
// accepts, override their environment variables for this process (ledger_options() reads
// them): one place, whichever command, library or pool opens the ledger. kInvalidArgument for a
// busy timeout that is not 0..3600000 ms.
Status apply_ledger_flags(const Args& args) {
  if (auto ms = args.get("busy-timeout")) {
    char* end = nullptr;
    const long v = ms->empty() ? -1 : std::strtol(ms->c_str(), &end, 10);
    if (ms->empty() || *end != '\0' || v < 0 || v > 3600000)
      return make_error(ErrorCode::kInvalidArgument, "--busy-timeout must be milliseconds in 0..3600000, not '" + *ms + "'");
    ::setenv("IDTAP_LEDGER_BUSY_TIMEOUT_MS", ms->c_str(), 1);
  }
  if (auto key = args.get("ledger-key-file")) {
    if (key->empty()) return make_error(ErrorCode::kInvalidArgument, "--ledger-key-file needs a file");
    ::setenv("IDTAP_LEDGER_KEY_FILE", key->c_str(), 1);
  }
  return ok_status();
}

}  // namespace

Result<Args> Args::parse(const std::vector<std::string>& argv, const std::vector<OptionSpec>& given) {
  std::vector<OptionSpec> specs = given;
  const bool takes_ledger = std::any_of(specs.begin(), specs.end(), [](const OptionSpec& s) { return s.name == "ledger"; });
  if (takes_ledger) {
    specs.push_back({"ledger-key-file", true});
    specs.push_back({"busy-timeout", true});
  }
  IDTAP_ASSIGN_OR_RETURN(Args out, parse_specs(argv, specs));
  if (takes_ledger) IDTAP_TRY(apply_ledger_flags(out));
  return out;
}

Result<Args> Args::parse_specs(const std::vector<std::string>& argv, const std::vector<OptionSpec>& specs) {
  Args out;
  auto find_long = [&](std::string_view name) -> const OptionSpec* {
    for (const auto& s : specs)
      if (s.name == name) return &s;
    return nullptr;
  };
  auto find_short = [&](char c) -> const OptionSpec* {
    for (const auto& s : specs)
      if (s.short_name == c) return &s;
    return nullptr;
  };
  bool options_done = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (options_done || a.size() < 2 || a[0] != '-') {
      out.positional_.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    const OptionSpec* spec = nullptr;
    std::optional<std::string> inline_value;
    if (a[1] == '-') {
      std::string name = a.substr(2);
      if (auto eq = name.find('='); eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      spec = find_long(name);
    } else if (a.size() == 2) {
      spec = find_short(a[1]);
    } else {
      // Clustered short flags (-vv, -vh): each letter a flag that takes no value, as getopt
      // reads them. Anything else (a negative number, hex after '-') is an unknown option.
      std::vector<const OptionSpec*> flags;
      for (size_t k = 1; k < a.size(); ++k) {
        const OptionSpec* f = find_short(a[k]);
        if (f == nullptr || f->takes_value) {
          flags.clear();
          break;
        }
        flags.push_back(f);
      }
      if (flags.empty()) return make_error(ErrorCode::kInvalidArgument, "unknown option " + a);
      for (const OptionSpec* f : flags) {
        if (out.values_.count(f->name) && !f->repeatable)
          return make_error(ErrorCode::kInvalidArgument, "option --" + f->name + " given twice");
        out.values_[f->name].push_back("");
      }
      continue;
    }
    if (spec == nullptr) return make_error(ErrorCode::kInvalidArgument, "unknown option " + a);
    if (out.values_.count(spec->name) && !spec->repeatable)
      return make_error(ErrorCode::kInvalidArgument, "option --" + spec->name + " given twice");
    std::string value;
    if (spec->takes_value) {
      if (inline_value) {
        value = *inline_value;
      } else {
        if (i + 1 >= argv.size()) return make_error(ErrorCode::kInvalidArgument, "option --" + spec->name + " needs a value");
        value = argv[++i];
      }
    } else if (inline_value) {
      return make_error(ErrorCode::kInvalidArgument, "option --" + spec->name + " takes no value");
    }
    out.values_[spec->name].push_back(value);
  }
  return out;
}

std::optional<std::string> Args::get(std::string_view name) const {
  auto it = values_.find(std::string(name));
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> Args::all(std::string_view name) const {
  auto it = values_.find(std::string(name));
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::string error_json(const Error& error) {
  JsonWriter w;
  w.begin_object().key("error").begin_object();
  w.field("code", error_code_name(error.code)).field("message", error.message());
  if (error.sw != 0) w.field("sw", fmt::format("{:04X}", error.sw));
  w.end_object().end_object();
  return w.str();
}

void print_error(std::string_view command, const Error& error) {
  if (command.empty())
    std::fprintf(stderr, "idtap: %s\n", error.context.c_str());
  else
    std::fprintf(stderr, "idtap %.*s: %s\n", int(command.size()), command.data(), error.message().c_str());
  JsonOutput& state = json_state();
  if (state.on && !state.document_printed) print_json_document(error_json(error));
}

CommandLine::Parsed CommandLine::parse(const std::vector<std::string>& argv, const std::vector<OptionSpec>& specs) const {
  Parsed out;
  auto args = Args::parse(argv, specs);
  if (!args.ok()) {
    print_error(name_, args.error());
    out.exit_code = kExitUsage;
  } else if (args->has("help")) {
    print_help(help_name_, help_, stdout);
    out.exit_code = kExitOk;
  } else {
    out.args = std::move(args).value();
  }
  return out;
}

int CommandLine::usage(const std::string& why) const {
  print_error(name_, make_error(ErrorCode::kInvalidArgument, why));
  return kExitUsage;
}

int CommandLine::fail(const Error& error) const {
  print_error(name_, error);
  return exit_code_for(error.code);
}

void set_json_output(bool on) { json_state().on = on; }
bool json_output() { return json_state().on; }

void print_json_document(const std::string& json) {
  std::printf("%s\n", json.c_str());
  std::fflush(stdout);
  json_state().document_printed = true;
}

void print_json_line(const std::string& json) {
  std::printf("%s\n", json.c_str());
  std::fflush(stdout);
}

bool stderr_is_tty() { return isatty(2) == 1; }
bool stdout_is_tty() { return isatty(1) == 1; }

}  // namespace idtap::cli
