// idtap apdu: send raw APDUs to a card and show each answer with its status word explained.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli.h"
#include "commands.h"
#include "exit_codes.h"
#include "idtap/apdu/command.h"
#include "idtap/apdu/exchange.h"
#include "idtap/apdu/status_words.h"
#include "idtap/base/hex.h"
#include "idtap/select/select.h"
#include "idtap/pcsc/pcsc_transport.h"
#include "interrupt.h"
#include "json.h"

namespace idtap::cli {
namespace {

constexpr const char* kHelp =
    "usage: idtap apdu [--reader R] [options] [APDU...]\n"
    "\n"
    "Sends command APDUs to the card and prints each response with its status word explained.\n"
    "Each APDU argument is one command in hex (spaces allowed inside quotes). Without APDU\n"
    "arguments (or with '-'), reads a script from stdin: one APDU per line, '#' starts a comment.\n"
    "A line (or argument) 'reset' resets the card and prints its ATR, as scriptor does.\n"
    "The whole script runs inside one PC/SC transaction, so no other program interleaves.\n"
    "\n"
    "options:\n"
    "  --reader R        pcsc:NAME, pcsc:#N, nfc:CONNSTRING or sim:DIR (default: the only reader\n"
    "                    holding a card)\n"
    "  --raw             show the raw exchange: no GET RESPONSE on 61xx, no resend on 6Cxx\n"
    "  --length L        auto (ask the reader, default), short, or extended (for readers that\n"
    "                    carry extended APDUs without saying so)\n"
    "  --exclusive       connect in exclusive mode (no other program may use the card meanwhile)\n"
    "  --stop-on-error   stop at the first status word other than 9000 / 61xx / 62xx / 63xx\n"
    "                    (exit status 1)\n"
    "  --wait SECONDS    wait this long for a card when the reader is empty\n"
    "  --json            one JSON document with every exchange (hex compact, upper case);\n"
    "                    failures too: {\"error\": {\"code\", \"message\", \"sw\"}}\n"
    "  -v, -vv           APDU trace on stderr (see README: secrets are masked)\n"
    "  --help            this text\n"
    "\n"
    "examples:\n"
    "  idtap apdu --reader pcsc:ACR1252 '00 A4 04 0C 07 A0 00 00 02 47 10 01'\n"
    "  printf '00A4040C07A0000002471001\\n00B0000004\\n' | idtap apdu --reader pcsc:#0\n";

struct Line {
  size_t number;  // 0 for a command-line argument
  std::string text;
};

// Step: one line of a script: an APDU, or a card reset (scriptor's "reset").
struct Step {
  bool reset = false;
  apdu::CommandApdu command;
};

// Sent: what one step did: the APDU and its response, or the reset and the ATR after it.
struct Sent {
  bool reset = false;
  Bytes command;
  apdu::ResponseApdu response;
  Bytes atr;
};

// spaced: bytes as pcsc-tools print them, "3B 80 80 01 01".
std::string spaced(ByteView b) { return to_hex(b, true, ' '); }

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

Result<std::vector<Step>> parse_commands(const std::vector<Line>& lines) {
  std::vector<Step> out;
  for (const auto& l : lines) {
    if (l.text == "reset" || l.text == "RESET") {
      out.push_back(Step{true, {}});
      continue;
    }
    std::string where = l.number ? fmt::format("line {}", l.number) : fmt::format("'{}'", l.text);
    auto bytes = from_hex(l.text);
    if (!bytes.ok()) return make_error(ErrorCode::kInvalidArgument, where + ": " + bytes.error().context);
    auto command = apdu::CommandApdu::parse(*bytes);
    if (!command.ok()) return make_error(ErrorCode::kInvalidArgument, where + ": not a command APDU: " + command.error().context);
    out.push_back(Step{false, std::move(*command)});
  }
  return out;
}

bool is_error_sw(uint16_t sw) {
  return sw != apdu::sw::kOk && !apdu::sw::is_more_data(sw) && !apdu::sw::is_warning(sw);
}

}  // namespace

int cmd_apdu(const std::vector<std::string>& argv) {
  const std::vector<OptionSpec> specs = {
      {"reader", true}, {"raw"}, {"length", true}, {"exclusive"}, {"stop-on-error"}, {"wait", true},
      {"json"}, {"verbose", false, true, 'v'}, {"help", false, false, 'h'},
  };
  auto args = Args::parse(argv, specs);
  if (!args.ok()) {
    print_error("apdu", args.error());
    std::fputs("(see idtap apdu --help)\n", stderr);
    return kExitUsage;
  }
  if (args->has("help")) {
    print_help("apdu", kHelp, stdout);
    return kExitOk;
  }
  const bool json = args->has("json");

  select::OpenOptions open;
  open.reader = args->get("reader");
  open.verbosity = static_cast<int>(args->all("verbose").size());
  open.pcsc.hold_transaction = true;
  if (args->has("exclusive")) open.pcsc.share = pcsc::ShareMode::kExclusive;
  if (auto length = args->get("length")) {
    if (*length == "auto") open.pcsc.length = pcsc::LengthPolicy::kAuto;
    else if (*length == "short") open.pcsc.length = pcsc::LengthPolicy::kShort;
    else if (*length == "extended") open.pcsc.length = pcsc::LengthPolicy::kExtended;
    else {
      print_error("apdu", make_error(ErrorCode::kInvalidArgument, "--length takes auto, short or extended"));
      return kExitUsage;
    }
  }
  if (auto wait = args->get("wait")) {
    char* end = nullptr;
    double seconds = std::strtod(wait->c_str(), &end);
    if (end == wait->c_str() || *end != '\0' || seconds < 0) {
      print_error("apdu", make_error(ErrorCode::kInvalidArgument, "--wait takes a number of seconds"));
      return kExitUsage;
    }
    open.wait_for_card = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  }

  std::vector<Line> lines;
  const auto& positional = args->positional();
  if (positional.empty() || (positional.size() == 1 && positional[0] == "-")) {
    std::string text;
    for (size_t n = 1; std::getline(std::cin, text); ++n) {
      if (auto hash = text.find('#'); hash != std::string::npos) text.resize(hash);
      text = trim(text);
      if (!text.empty()) lines.push_back({n, text});
    }
  } else {
    for (const auto& p : positional) lines.push_back({0, p});
  }
  auto commands = parse_commands(lines);
  if (!commands.ok()) {
    print_error("apdu", commands.error());
    return kExitUsage;
  }

  open.cancel = std::make_shared<select::CancelSlot>();
  InterruptWatcher interrupt([slot = open.cancel] { slot->cancel(); });
  if (open.wait_for_card.count() > 0 && !json)
    std::fprintf(stderr, "idtap apdu: waiting up to %s s for a card (Ctrl-C stops)\n", args->get("wait")->c_str());
  auto opened = select::open_reader(open);
  if (!opened.ok()) {
    print_error("apdu", opened.error());
    return exit_code_for(opened.error().code);
  }
  if (!json) std::printf("# %s\n", opened->description.c_str());

  apdu::ExchangeOptions exchange_options;
  if (args->has("raw")) {
    exchange_options.follow_get_response = false;
    exchange_options.resend_on_wrong_le = false;
  }
  std::vector<Sent> sent;
  std::optional<Error> failure;
  std::optional<uint16_t> stopped_at;  // --stop-on-error stopped at this status word
  for (const auto& step : *commands) {
    // Ctrl-C between APDUs stops the script on every reader kind (PC/SC also cancels a blocked
    // exchange through the cancel slot; sim and nfc exchanges end on their own).
    if (interrupt.interrupted()) {
      failure = make_error(ErrorCode::kCancelled, "interrupted after " + std::to_string(sent.size()) + " APDU(s)");
      break;
    }
    if (step.reset) {
      if (!json) std::printf("> reset\n");
      if (auto st = opened->transport->reconnect(std::chrono::milliseconds(0)); !st.ok()) {
        failure = st.error().with_context("reset");
        break;
      }
      Bytes atr = opened->transport->atr();
      if (!json) {
        std::printf("< ATR %s\n", spaced(atr).c_str());
        std::fflush(stdout);
      }
      sent.push_back({true, {}, {}, atr});
      continue;
    }
    Bytes wire = step.command.encode().value();
    if (!json) {
      std::printf("> %s\n", spaced(wire).c_str());
      std::fflush(stdout);
    }
    auto response = apdu::exchange(*opened->transport, step.command, exchange_options);
    if (!response.ok()) {
      failure = response.error();
      break;
    }
    if (!json) {
      std::string data = spaced(response->data);
      std::printf("< %s%s%04X  %s\n", data.c_str(), data.empty() ? "" : " ", response->sw,
                  apdu::sw::describe(response->sw).c_str());
      std::fflush(stdout);
    }
    sent.push_back({false, wire, *response, {}});
    if (args->has("stop-on-error") && is_error_sw(response->sw)) {
      stopped_at = response->sw;
      break;
    }
  }
  Status closed = opened->transport->close();
  if (!failure && !closed.ok()) failure = closed.error();

  if (json) {
    JsonWriter w;
    w.begin_object().key("reader").begin_object();
    w.field("name", opened->transport->describe());
    w.key("protocol");
    if (opened->pcsc) w.value(opened->pcsc->protocol() == SCARD_PROTOCOL_T0 ? "T=0" : "T=1"); else w.null();
    const apdu::TransportCaps caps = opened->transport->capabilities();
    w.field("extended_length", caps.extended_length)
        .field("max_command_data", static_cast<uint64_t>(caps.max_command_data))
        .field("max_response_data", static_cast<uint64_t>(caps.max_response_data));
    w.end_object().key("exchanges").begin_array();
    for (const auto& s : sent) {
      if (s.reset) {
        w.begin_object().field("command", "reset").field("atr", to_hex(s.atr, true)).end_object();
        continue;
      }
      w.begin_object().field("command", to_hex(s.command, true)).field("response", to_hex(s.response.data, true));
      w.field("sw", fmt::format("{:04X}", s.response.sw)).field("sw_text", apdu::sw::describe(s.response.sw));
      w.end_object();
    }
    w.end_array();
    if (stopped_at) {
      w.key("error").begin_object().field("code", error_code_name(ErrorCode::kCardStatus));
      w.field("message", card_status_error(*stopped_at, "stopped by --stop-on-error").message());
      w.field("sw", fmt::format("{:04X}", *stopped_at)).end_object();
    }
    if (failure) {
      // The same members as the error document print_error writes without this one.
      w.key("error").begin_object().field("code", error_code_name(failure->code)).field("message", failure->message());
      if (failure->sw != 0) w.field("sw", fmt::format("{:04X}", failure->sw));
      w.end_object();
    }
    w.end_object();
    print_json_document(w.str());
  }
  if (failure) {
    print_error("apdu", *failure);
    return exit_code_for(failure->code);
  }
  if (stopped_at) {
    std::fprintf(stderr, "idtap apdu: stopped at SW %04X (%s): --stop-on-error\n", *stopped_at,
                 apdu::sw::describe(*stopped_at).c_str());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace idtap::cli
