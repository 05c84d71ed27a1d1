// idtap read: read an identity card, prove the chip and its data genuine, and report.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "card_access.h"
#include "cli.h"
#include "commands.h"
#include "exit_codes.h"
#include "idtap/auth/trust_store.h"
#include "idtap/base/hex.h"
#include "idtap/reader/session.h"
#include "idtap/select/select.h"
#include "idtap/sim/sim_transport.h"
#include "interrupt.h"
#include "json.h"
#include "progress.h"
#include "read_report.h"

namespace idtap::cli {
namespace {

constexpr const char* kHelp =
    "usage: idtap read [--reader R] [--can-file FILE | --mrz MRZ | --doc NUM --dob YYMMDD --expiry YYMMDD]\n"
    "                  [--trust PATH]... [--crl FILE]... [--files LIST] [--json] [--out DIR]\n"
    "                  [--aa-challenge HEX] [options]\n"
    "\n"
    "Reads an ICAO 9303 identity card (resident card, ID card, passport): access control (PACE\n"
    "when the card offers it, else BAC), Chip Authentication (or PACE-CAM), the data groups,\n"
    "Active Authentication, and Passive Authentication against the trusted CSCAs. Prints who it\n"
    "is and whether the chip and its data are genuine.\n"
    "\n"
    "access key (one of; without one, the CAN is taken from IDTAP_CAN, else asked for on the\n"
    "terminal without echo):\n"
    "  --can-file FILE       the 6-digit card access number printed on the card (PACE), from a file\n"
    "  --can N               the same on the command line (it shows in ps and shell history:\n"
    "                        for tests and scripts)\n"
    "  --mrz MRZ             the whole machine readable zone (TD1 3x30 or TD3 2x44, one string)\n"
    "  --doc NUM --dob YYMMDD --expiry YYMMDD   the MRZ fields BAC and PACE-MRZ need\n"
    "options:\n"
    "  --reader R            pcsc:NAME, pcsc:#N, nfc:CONNSTRING or sim:DIR (default: the only\n"
    "                        reader holding a card)\n"
    "  --access M            auto (default), pace or bac\n"
    "  --trust PATH          trusted CSCAs: a directory, PEM/DER certificates or an ICAO master\n"
    "                        list (.ml); repeatable. Without it passive authentication reports\n"
    "                        'no trust anchor'\n"
    "  --crl FILE            a CRL (PEM or DER); repeatable\n"
    "  --files LIST          data groups to read, e.g. 1,2,11 (default: all EF.SOD lists but DG3/4)\n"
    "  --no-chip-auth        skip Chip Authentication\n"
    "  --no-active-auth      skip Active Authentication\n"
    "  --aa-challenge HEX    the 8-byte Active Authentication challenge (e.g. from a server);\n"
    "                        --json gives it back with the chip's signature when AA passed\n"
    "  --out DIR             write the raw files, the face image as stored and photo.png (a face\n"
    "                        that does not decode is reported; the other files are kept)\n"
    "  --json                one JSON document on stdout (schema in the README)\n"
    "  --reveal              show the resident registration number whole (masked by default)\n"
    "  --wait SECONDS        wait for a card this long (default 0)\n"
    "  --timeout SECONDS     how long to wait for a card that left the field mid-read (default 20)\n"
    "  -v, -vv               APDU trace on stderr (keys, passwords and personal data masked)\n"
    "  --help                this text\n";

Result<double> parse_seconds(const std::string& text, const char* option) {
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    if (used == text.size() && v >= 0 && v < 86400) return v;
  } catch (...) {
  }
  return make_error(ErrorCode::kInvalidArgument, std::string(option) + " takes a number of seconds");
}

Result<std::vector<int>> parse_files(const std::string& list) {
  std::vector<int> out;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    std::string item = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (item.size() > 2 && (item.rfind("dg", 0) == 0 || item.rfind("DG", 0) == 0)) item = item.substr(2);
    int n = 0;
    try {
      size_t used = 0;
      n = std::stoi(item, &used);
      if (used != item.size()) n = 0;
    } catch (...) {
      n = 0;
    }
    if (n < 1 || n > 16) return make_error(ErrorCode::kInvalidArgument, "--files: '" + item + "' is not a data group 1-16");
    out.push_back(n);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

}  // namespace

int cmd_read(const std::vector<std::string>& argv) {
  std::vector<OptionSpec> specs = {{"reader", true}, {"files", true}, {"no-chip-auth"}, {"no-active-auth"},
                                   {"aa-challenge", true}, {"out", true}, {"json"}, {"reveal"}, {"wait", true},
                                   {"timeout", true}, {"verbose", false, true, 'v'}, {"help", false, false, 'h'}};
  for (auto& spec : card_access_option_specs()) specs.push_back(std::move(spec));
  auto args = Args::parse(argv, specs);
  if (!args.ok()) {
    print_error("read", args.error());
    std::fputs("(see idtap read --help)\n", stderr);
    return kExitUsage;
  }
  if (args->has("help")) {
    print_help("read", kHelp, stdout);
    return kExitOk;
  }
  auto usage_error = [](const std::string& what) {
    print_error("read", make_error(ErrorCode::kInvalidArgument, what));
    return kExitUsage;
  };
  if (!args->positional().empty()) return usage_error("unexpected argument '" + args->positional().front() + "'");

  reader::ReadRequest request;
  auth::TrustStore trust;
  if (auto st = apply_card_access(*args, request, trust); !st.ok()) {
    if (st.error().code == ErrorCode::kInvalidArgument) return usage_error(st.error().context);
    print_error("read", st.error());
    return exit_code_for(st.error().code);
  }
  if (auto files = args->get("files")) {
    auto list = parse_files(*files);
    if (!list.ok()) return usage_error(list.error().context);
    request.data_groups = *list;
  }
  request.chip_authentication = !args->has("no-chip-auth");
  request.active_authentication = !args->has("no-active-auth");
  if (auto hex = args->get("aa-challenge")) {
    auto challenge = from_hex(*hex);
    if (!challenge.ok() || challenge->size() != 8) return usage_error("--aa-challenge takes 8 bytes in hex");
    request.aa_challenge = *challenge;
  }
  if (auto t = args->get("timeout")) {
    auto s = parse_seconds(*t, "--timeout");
    if (!s.ok()) return usage_error(s.error().context);
    request.reconnect_timeout = std::chrono::milliseconds(static_cast<int64_t>(*s * 1000));
  }

  select::OpenOptions open;
  open.reader = args->get("reader");
  // A read session leaves secure messaging open and the application selected: reset the card
  // when done, so the next program (or the next read) meets a card in its power-up state.
  open.pcsc.reset_on_close = true;
  open.verbosity = static_cast<int>(args->all("verbose").size());
  if (auto w = args->get("wait")) {
    auto s = parse_seconds(*w, "--wait");
    if (!s.ok()) return usage_error(s.error().context);
    open.wait_for_card = std::chrono::milliseconds(static_cast<int64_t>(*s * 1000));
  }
  std::atomic<bool> cancelled{false};
  open.cancel = std::make_shared<select::CancelSlot>();
  InterruptWatcher interrupt([slot = open.cancel, &cancelled] {
    cancelled = true;
    slot->cancel();
  });
  request.cancel = &cancelled;
  ProgressBar bar{stderr_is_tty() && !args->has("json")};
  bar.attach(request);

  if (open.wait_for_card.count() > 0 && !args->has("json"))
    std::fprintf(stderr, "idtap read: waiting up to %s s for a card (Ctrl-C stops)\n", args->get("wait")->c_str());
  auto opened = select::open_reader(open);
  if (!opened.ok()) {
    print_error("read", opened.error());
    return exit_code_for(opened.error().code);
  }
  auto result = reader::read_card(*opened->transport, request);
  bar.done();
  if (!result.ok()) {
    Error e = result.error();
    if (e.code == ErrorCode::kNotSupported && request.access == reader::AccessMethod::kPace)
      e = e.with_context("--access pace (--access bac or auto reads this card with BAC)");
    print_error("read", e);
    return exit_code_for(e.code);
  }
  ReportOptions report;
  report.reveal = args->has("reveal");
  if (auto link = sim::sim_statistics(*opened->transport)) report.modeled_link_us = link->modeled_us;

  // --out is written first so the report can say what it holds, and the report is printed
  // whatever became of it: a full disk or a face that does not decode loses no verdict.
  std::optional<OutDirReport> out;
  if (auto dir = args->get("out")) {
    out = write_out_files(*dir, *result);
    report.out = &*out;
  }
  if (args->has("json")) {
    JsonWriter json(true);
    write_json(json, *result, report);
    print_json_document(json.str());
  } else {
    print_summary(*result, report);
  }
  std::fflush(stdout);
  if (out && !out->photo.written && !out->photo.face_file.empty())
    std::fprintf(stderr, "idtap read: --out: photo.png not written: %s\n", out->photo.error.c_str());
  if (out && !out->status.ok()) {
    print_error("read", out->status.error().with_context("--out"));
    return out->status.error().code == ErrorCode::kIo ? kExitIo : kExitFailure;
  }
  return exit_code_for_verdict(result->verification);
}

}  // namespace idtap::cli
