// idtap readers: every reader of every driver, its state, and what the card in it is.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli.h"
#include "commands.h"
#include "exit_codes.h"
#include "idtap/apdu/commands.h"
#include "idtap/apdu/exchange.h"
#include "idtap/apdu/status_words.h"
#include "idtap/base/hex.h"
#include "idtap/select/select.h"
#include "json.h"

namespace idtap::cli {
namespace {

constexpr const char* kHelp =
    "usage: idtap readers [--json] [--no-probe]\n"
    "\n"
    "Lists every reader of every driver (PC/SC through pcscd; libnfc when built in) with its\n"
    "state (empty, card present, in use). For a card that no other program is using, it also\n"
    "shows the card's UID (PC/SC part 3 GET DATA, contactless readers) and whether the card has\n"
    "the eMRTD application (ICAO 9303: a SELECT of A0 00 00 02 47 10 01, nothing more).\n"
    "\n"
    "options:\n"
    "  --json       one JSON document: {\"readers\": [...], \"problems\": [...]}\n"
    "  --no-probe   do not connect to the cards (states and ATRs only)\n"
    "  -v, -vv      APDU trace of the probes on stderr\n"
    "  --help       this text\n";

// Probe: what connecting to a card told us.
struct Probe {
  std::optional<Bytes> uid;          // the UID, when the reader gave it
  std::optional<bool> emrtd;         // nullopt: could not tell
  std::string description;           // the transport's description
  std::optional<std::string> error;  // why the probe failed, if it did
};

Probe probe_card(const select::ReaderInfo& reader, int verbosity) {
  Probe probe;
  select::OpenOptions open;
  open.reader = reader.spec;
  open.verbosity = verbosity;
  open.pcsc.hold_transaction = true;
  open.pcsc.reset_on_close = true;  // leave the card as found: nothing selected
  auto opened = select::open_reader(open);
  if (!opened.ok()) {
    probe.error = opened.error().message();
    return probe;
  }
  probe.description = opened->description;
  if (opened->pcsc) {
    auto uid = opened->pcsc->contactless_uid();
    if (uid.ok()) probe.uid = *uid;
  } else if (reader.driver == "nfc") {
    // libnfc readers answer the PC/SC part 3 GET DATA pseudo-APDU themselves.
    auto uid = opened->transport->transmit(apdu::CommandApdu{0xFF, 0xCA, 0x00, 0x00, {}, 256});
    if (uid.ok() && uid->ok()) probe.uid = uid->data;
  }
  auto selected = apdu::exchange(*opened->transport, apdu::select_by_df_name(apdu::kEmrtdAid));
  if (!selected.ok()) {
    probe.error = selected.error().message();
  } else if (selected->sw == apdu::sw::kOk) {
    probe.emrtd = true;
  } else if (selected->sw == apdu::sw::kFileNotFound || selected->sw == apdu::sw::kIncorrectP1P2 ||
             selected->sw == apdu::sw::kFunctionNotSupported || selected->sw == apdu::sw::kInsNotSupported ||
             selected->sw == apdu::sw::kClaNotSupported) {
    probe.emrtd = false;
  } else {
    probe.error = fmt::format("SELECT eMRTD application: SW {:04X} ({})", selected->sw, apdu::sw::describe(selected->sw));
  }
  (void)opened->transport->close();
  return probe;
}

}  // namespace

int cmd_readers(const std::vector<std::string>& argv) {
  const std::vector<OptionSpec> specs = {
      {"json"}, {"no-probe"}, {"verbose", false, true, 'v'}, {"help", false, false, 'h'}};
  auto args = Args::parse(argv, specs);
  if (!args.ok() || !args->positional().empty()) {
    print_error("readers", args.ok() ? make_error(ErrorCode::kInvalidArgument, "takes no arguments") : args.error());
    print_help("readers", kHelp, stderr);
    return kExitUsage;
  }
  if (args->has("help")) {
    print_help("readers", kHelp, stdout);
    return kExitOk;
  }
  const bool json = args->has("json");
  const int verbosity = static_cast<int>(args->all("verbose").size());

  select::Inventory inventory = select::list_readers();
  std::vector<std::optional<Probe>> probes(inventory.readers.size());
  for (size_t i = 0; i < inventory.readers.size(); ++i) {
    const auto& r = inventory.readers[i];
    // A card another program uses is left alone: a SELECT would change its state under it.
    if (!args->has("no-probe") && r.card_present && !r.in_use) probes[i] = probe_card(r, verbosity);
  }

  if (json) {
    JsonWriter w(true);
    w.begin_object().key("readers").begin_array();
    for (size_t i = 0; i < inventory.readers.size(); ++i) {
      const auto& r = inventory.readers[i];
      w.begin_object().field("spec", r.spec).field("driver", r.driver).field("index", static_cast<uint64_t>(r.index));
      w.field("name", r.name).field("state", r.state).field("card_present", r.card_present).field("in_use", r.in_use);
      if (r.atr.empty()) w.key("atr").null(); else w.field("atr", to_hex(r.atr, true));
      std::string summary = select::atr_one_line(r.atr);
      if (summary.empty()) w.key("atr_summary").null(); else w.field("atr_summary", summary);
      const auto& p = probes[i];
      if (p && p->uid) w.field("uid", to_hex(*p->uid, true)); else w.key("uid").null();
      if (p && p->emrtd) w.field("emrtd", *p->emrtd); else w.key("emrtd").null();
      if (p && !p->description.empty()) w.field("connection", p->description);
      if (p && p->error) w.field("probe_error", *p->error);
      w.end_object();
    }
    w.end_array().key("problems").begin_array();
    for (const auto& e : inventory.problems)
      w.begin_object().field("code", error_code_name(e.code)).field("message", e.message()).end_object();
    w.end_array().end_object();
    print_json_document(w.str());
  } else {
    for (size_t i = 0; i < inventory.readers.size(); ++i) {
      const auto& r = inventory.readers[i];
      if (r.driver == "pcsc")
        std::printf("%s:#%zu  %s\n", r.driver.c_str(), r.index, r.name.c_str());
      else  // libnfc devices are chosen by connection string: show the --reader value
        std::printf("%s  %s\n", r.spec.c_str(), r.name.c_str());
      std::printf("    state:  %s\n", r.state.c_str());
      if (!r.atr.empty()) {
        std::string summary = select::atr_one_line(r.atr);
        std::printf("    ATR:    %s%s%s\n", to_hex(r.atr, true, ' ').c_str(), summary.empty() ? "" : "  ", summary.c_str());
      }
      const auto& p = probes[i];
      if (!p) {
        if (r.card_present && r.in_use) std::printf("    (in use by another program: not probed)\n");
        continue;
      }
      if (!p->description.empty()) std::printf("    link:   %s\n", p->description.c_str());
      std::printf("    UID:    %s\n", p->uid ? to_hex(*p->uid, true, ' ').c_str() : "n/a (not given by this reader)");
      std::printf("    eMRTD:  %s\n", !p->emrtd ? "unknown" : (*p->emrtd ? "yes (ICAO 9303 application present)" : "no"));
      if (p->error) std::printf("    probe:  %s\n", p->error->c_str());
    }
    if (inventory.readers.empty() && inventory.problems.empty()) std::printf("no reader found\n");
    for (const auto& e : inventory.problems) print_error("readers", e);
  }
  if (inventory.readers.empty()) return kExitCardOrReader;
  return kExitOk;
}

}  // namespace idtap::cli
