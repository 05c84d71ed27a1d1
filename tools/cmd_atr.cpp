// idtap atr HEX: decodes an ATR offline, field by field (ISO 7816-3, ISO 7816-4 historical
// bytes, PC/SC part 3 contactless ATRs).
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cli.h"
#include "commands.h"
#include "exit_codes.h"
#include "idtap/apdu/atr.h"
#include "idtap/describe/atr.h"
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
    "ISO 14443-4 Type A (ATS historical bytes) or Type B (ATQB data); 3B 80 80 01 01 (no historical\n"
    "bytes) does not say which. A malformed ATR is decoded as far as it goes, each problem flagged\n"
    "as an error line (as pcsc-tools' ATR_analysis does), and the exit status says it is malformed.\n\n"
    "The hex may be split over several words and use spaces or colons: idtap atr 3B 8F 80 01 ...\n\n"
    "options:\n"
    "  --json    print the decoded ATR as JSON (bytes as compact upper-case hex); a malformed\n"
    "            ATR also has \"errors\" and \"error\": {\"code\": \"malformed\", \"message\"}\n"
    "  --help    this text\n";

const char* kind_name(apdu::ContactlessKind k) {
  switch (k) {
    case apdu::ContactlessKind::kStorageCard: return "storage_card";
    case apdu::ContactlessKind::kTypeA: return "iso14443_4_type_a";
    case apdu::ContactlessKind::kTypeB: return "iso14443_4_type_b";
    case apdu::ContactlessKind::kUnstated: return "iso14443_4_type_not_stated";
  }
  return "unknown";
}

void print_json(const apdu::Atr& atr, const std::optional<Error>& malformed) {
  JsonWriter j(true);
  j.begin_object();
  j.field("atr", to_hex(atr.raw, true));
  j.field("summary", atr.errors.empty() ? describe::atr_summary(atr) : std::string("malformed ATR"));
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
  j.field("historical", to_hex(atr.historical.raw, true));
  j.key("extended_length");
  if (auto e = atr.extended_length()) j.value(*e); else j.null();
  j.key("tck");
  if (atr.tck) j.value(to_hex(Bytes{*atr.tck}, true)); else j.null();
  j.field("tck_required", atr.tck_required);
  if (atr.contactless) {
    const apdu::ContactlessAtr& c = *atr.contactless;
    j.key("contactless").begin_object();
    j.field("kind", kind_name(c.kind)).field("inferred", c.inferred);
    if (c.kind == apdu::ContactlessKind::kStorageCard) {
      j.field("rid", to_hex(c.rid, true)).field("standard", unsigned(c.standard)).field("card_name", unsigned(c.card_name));
      const char* s = describe::storage_standard_name(c.standard);
      const char* n = describe::storage_card_name(c.card_name);
      j.key("standard_name");
      if (s) j.value(s); else j.null();
      j.key("card_name_text");
      if (n) j.value(n); else j.null();
    } else if (c.kind == apdu::ContactlessKind::kTypeB) {
      j.field("application_data", to_hex(c.application_data, true)).field("protocol_info", to_hex(c.protocol_info, true));
      j.field("mbli", unsigned(c.mbli));
    }
    j.end_object();
  }
  j.key("fields").begin_array();
  for (const describe::AtrField& f : describe::describe_atr(atr)) {
    j.begin_object();
    j.field("name", f.name).field("hex", to_hex(f.bytes, true)).field("meaning", f.meaning).field("level", f.level);
    j.end_object();
  }
  j.end_array();
  j.key("warnings").begin_array();
  for (const std::string& w : atr.warnings) j.value(w);
  j.end_array();
  j.field("valid", atr.errors.empty());
  j.key("errors").begin_array();
  for (const std::string& e : atr.errors) j.value(e);
  j.end_array();
  if (malformed)
    j.key("error").begin_object().field("code", error_code_name(malformed->code)).field("message", malformed->message()).end_object();
  j.end_object();
  print_json_document(j.str());
}

void print_text(const apdu::Atr& atr) {
  const std::string summary = atr.errors.empty() ? describe::atr_summary(atr)
                                                 : "malformed ATR (" + std::to_string(atr.errors.size()) + " error" +
                                                       (atr.errors.size() == 1 ? "" : "s") + ", below)";
  std::printf("ATR  %s\n%s\n\n", to_hex(atr.raw, true, ' ').c_str(), summary.c_str());
  for (const describe::AtrField& f : describe::describe_atr(atr)) {
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
  const CommandLine cmd("atr", "atr", kAtrHelp);
  auto parsed = cmd.parse(argv, {{"json"}, {"help", false, false, 'h'}});
  if (!parsed.args) return parsed.exit_code;
  const auto& args = parsed.args;
  if (args->positional().empty()) {
    print_help("atr", kAtrHelp, stderr);
    return kExitUsage;
  }
  std::string text;
  for (const std::string& word : args->positional()) text += word + " ";
  auto bytes = from_hex(text);
  if (!bytes.ok()) return cmd.fail(bytes.error());
  // Decoded as far as it goes: a malformed ATR is shown with its problems, then reported.
  const apdu::Atr atr = apdu::decode_atr(*bytes);
  std::optional<Error> malformed;
  if (auto strict = apdu::parse_atr(*bytes); !strict.ok()) malformed = strict.error();
  if (args->has("json"))
    print_json(atr, malformed);
  else
    print_text(atr);
  if (malformed) {
    std::fflush(stdout);
    print_error("atr", *malformed);
    return exit_code_for(malformed->code);
  }
  return kExitOk;
}

}  // namespace idtap::cli
