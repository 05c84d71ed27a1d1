// idtap atr HEX: decodes an ATR offline, field by field (ISO 7816-3, ISO 7816-4 historical
// bytes, PC/SC part 3 contactless ATRs).
#include <cstdio>
#include <string>
#include <vector>

#include "cli.h"
#include "commands.h"
#include "idtap/apdu/atr.h"
#include "idtap/base/hex.h"
#include "json.h"

namespace idtap::cli {
namespace {

constexpr const char* kAtrHelp =
    "usage: idtap atr HEX... [--json]\n\n"
    "Decodes an Answer-To-Reset offline, field by field: TS, T0, the TA/TB/TC/TD interface bytes\n"
    "(Fi/Di, guard time, protocols, T=1 IFSC/BWI/CWI, T=15 clock stop and classes), the historical\n"
    "bytes (ISO 7816-4 compact-TLV: card service data, card capabilities, status) and TCK.\n"
    "PC/SC part 3 contactless ATRs (3B 8n 80 01 ...) are read as storage cards (MIFARE, FeliCa, ...),\n"
    "ISO 14443-4 Type A (ATS historical bytes) or Type B (ATQB data).\n\n"
    "The hex may be split over several words and use spaces or colons: idtap atr 3B 8F 80 01 ...\n\n"
    "options:\n"
    "  --json    print the decoded ATR as JSON\n"
    "  --help    this text\n\n"
    "exit status: 0 decoded, 1 malformed ATR, 2 bad command line or bad hex\n";

const char* kind_name(apdu::ContactlessKind k) {
  switch (k) {
    case apdu::ContactlessKind::kStorageCard: return "storage_card";
    case apdu::ContactlessKind::kTypeA: return "iso14443_4_type_a";
    case apdu::ContactlessKind::kTypeB: return "iso14443_4_type_b";
  }
  return "unknown";
}

void print_json(const apdu::Atr& atr) {
  JsonWriter j(true);
  j.begin_object();
  j.field("atr", to_hex(atr.raw));
  j.field("summary", apdu::atr_summary(atr));
  j.field("convention", atr.convention == apdu::Convention::kDirect ? "direct" : "inverse");
  j.key("protocols").begin_array();
  for (uint8_t t : atr.protocols) j.value(unsigned(t));
  j.end_array();
  j.field("fi", unsigned(atr.fi)).field("di", unsigned(atr.di));
  j.key("f");
  if (auto f = apdu::fi_value(atr.fi)) j.value(*f); else j.null();
  j.key("d");
  if (auto d = apdu::di_value(atr.di)) j.value(*d); else j.null();
  j.key("f_max_khz");
  if (auto m = apdu::f_max_khz(atr.fi)) j.value(*m); else j.null();
  j.field("extra_guard_time", unsigned(atr.extra_guard_time));
  if (atr.specific_mode) {
    j.key("specific_mode").begin_object();
    j.field("protocol", unsigned(atr.specific_mode->protocol));
    j.field("can_change", atr.specific_mode->can_change);
    j.field("implicit_parameters", atr.specific_mode->implicit_parameters);
    j.end_object();
  }
  if (atr.t1) {
    j.key("t1").begin_object();
    j.field("ifsc", unsigned(atr.t1->ifsc)).field("bwi", unsigned(atr.t1->bwi)).field("cwi", unsigned(atr.t1->cwi));
    j.field("error_detection", atr.t1->crc ? "crc" : "lrc");
    j.end_object();
  }
  if (atr.t15) {
    j.key("t15").begin_object();
    j.key("clock_stop");
    if (atr.t15->clock_stop) j.value(unsigned(*atr.t15->clock_stop)); else j.null();
    j.key("classes");
    if (atr.t15->classes) j.value(unsigned(*atr.t15->classes)); else j.null();
    j.end_object();
  }
  j.field("historical", to_hex(atr.historical.raw));
  j.key("extended_length");
  if (auto e = atr.extended_length()) j.value(*e); else j.null();
  j.key("tck");
  if (atr.tck) j.value(to_hex(Bytes{*atr.tck})); else j.null();
  j.field("tck_required", atr.tck_required);
  if (atr.contactless) {
    const apdu::ContactlessAtr& c = *atr.contactless;
    j.key("contactless").begin_object();
    j.field("kind", kind_name(c.kind)).field("inferred", c.inferred);
    if (c.kind == apdu::ContactlessKind::kStorageCard) {
      j.field("rid", to_hex(c.rid)).field("standard", unsigned(c.standard)).field("card_name", unsigned(c.card_name));
      const char* s = apdu::storage_standard_name(c.standard);
      const char* n = apdu::storage_card_name(c.card_name);
      j.key("standard_name");
      if (s) j.value(s); else j.null();
      j.key("card_name_text");
      if (n) j.value(n); else j.null();
    } else if (c.kind == apdu::ContactlessKind::kTypeB) {
      j.field("application_data", to_hex(c.application_data)).field("protocol_info", to_hex(c.protocol_info));
      j.field("mbli", unsigned(c.mbli));
    }
    j.end_object();
  }
  j.key("fields").begin_array();
  for (const apdu::AtrField& f : apdu::describe_atr(atr)) {
    j.begin_object();
    j.field("name", f.name).field("hex", to_hex(f.bytes)).field("meaning", f.meaning).field("level", f.level);
    j.end_object();
  }
  j.end_array();
  j.key("warnings").begin_array();
  for (const std::string& w : atr.warnings) j.value(w);
  j.end_array();
  j.end_object();
  std::printf("%s\n", j.str().c_str());
}

void print_text(const apdu::Atr& atr) {
  std::printf("ATR  %s\n%s\n\n", to_hex(atr.raw, true, ' ').c_str(), apdu::atr_summary(atr).c_str());
  for (const apdu::AtrField& f : apdu::describe_atr(atr)) {
    const std::string indent(size_t(f.level) * 2, ' ');
    if (f.name.empty()) {
      std::printf("%s  - %s\n", indent.c_str(), f.meaning.c_str());
      continue;
    }
    std::string head = indent + f.name;
    if (head.size() < 18) head.resize(18, ' ');
    std::string hex = to_hex(f.bytes, true, ' ');
    if (hex.size() < 14) hex.resize(14, ' ');
    std::printf("%s %s  %s\n", head.c_str(), hex.c_str(), f.meaning.c_str());
  }
}

}  // namespace

int cmd_atr(const std::vector<std::string>& argv) {
  auto args = Args::parse(argv, {{"json"}, {"help", false, false, 'h'}});
  if (!args.ok()) {
    print_error("atr", args.error());
    return kExitUsage;
  }
  if (args->has("help")) {
    std::printf("%s", kAtrHelp);
    return kExitOk;
  }
  if (args->positional().empty()) {
    std::fprintf(stderr, "%s", kAtrHelp);
    return kExitUsage;
  }
  std::string text;
  for (const std::string& word : args->positional()) text += word + " ";
  auto bytes = from_hex(text);
  if (!bytes.ok()) {
    print_error("atr", bytes.error());
    return exit_code_for(bytes.error().code);
  }
  auto atr = apdu::parse_atr(*bytes);
  if (!atr.ok()) {
    print_error("atr", atr.error());
    return exit_code_for(atr.error().code);
  }
  if (args->has("json"))
    print_json(*atr);
  else
    print_text(*atr);
  return kExitOk;
}

}  // namespace idtap::cli
