// idtap mdoc: show or independently verify an issued credential (ISO 18013-5 IssuerSigned).
#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "cli.h"
#include "commands.h"
#include "exit_codes.h"
#include "idtap/base/redact.h"
#include "idtap/provision/files.h"
#include "idtap/provision/mapping.h"
#include "idtap/provision/mdoc.h"
#include "idtap/provision/status_list.h"
#include "json.h"
#include "mapping_option.h"

namespace idtap::cli {
namespace {

using namespace idtap::provision;

constexpr const char* kHelp =
    "usage: idtap mdoc show FILE [--mapping FILE] [--reveal] [--json]\n"
    "       idtap mdoc verify FILE --issuer-cert FILE [--issuer-cert FILE]... [--status-list FILE]\n"
    "                         [--now YYYY-MM-DDTHH:MM:SSZ] [--json]\n\n"
    "FILE is an IssuerSigned, a Document or a DeviceResponse (CBOR).\n"
    "  show      decodes it without checking anything; the resident registration number is\n"
    "            masked unless --reveal: the element the mapping (--mapping, default the built-in\n"
    "            one) issues it as, and any text element that holds one (YYMMDD-SNNNNNN or 13\n"
    "            digits), whatever its name\n"
    "  verify    checks the issuer-signed data, independently of any ledger: the issuer chain to\n"
    "            --issuer-cert (the issuer's certificate or its CA), the COSE_Sign1 ES256\n"
    "            signature, every element's digest, the doc type, the validity window (at --now,\n"
    "            default the current time) and, with --status-list, the credential's entry in\n"
    "            that signed status list (which must come from the same issuer). It does not\n"
    "            authenticate the holder's phone: a DeviceResponse's deviceAuth is made for one\n"
    "            reader session and needs that session's SessionTranscript (ISO 18013-5 9.1.3)\n";

// looks_like_resident_number: "YYMMDD-SNNNNNN" or 13 digits (what the personal number
// element holds, whatever a mapping names it).
bool looks_like_resident_number(std::string_view s) {
  auto digits = [](std::string_view d) {
    return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (s.size() == 13) return digits(s);
  return s.size() == 14 && s[6] == '-' && digits(s.substr(0, 6)) && digits(s.substr(7));
}

// PersonalElements: the (namespace, identifier) pairs a mapping issues the resident number as.
using PersonalElements = std::set<std::pair<std::string, std::string>>;

PersonalElements personal_elements(const DocTypeMapping& mapping) {
  PersonalElements out;
  for (const auto& e : mapping.elements)
    if (e.field == HolderField::kResidentRegistrationNumber) out.insert({e.name_space, e.element_identifier});
  return out;
}

// render_value: the element for display; `personal` says the mapping issues the resident
// number as this element, which is masked (as is any text that holds one) unless `reveal`.
std::string render_value(bool personal, ByteView encoded, bool reveal, bool* is_bytes = nullptr) {
  auto item = cbor::decode(encoded);
  if (!item.ok()) return "<undecodable>";
  const cbor_item_t* v = item->get();
  if (cbor_isa_tag(v)) {
    auto inner = cbor::get_tagged(v, cbor_tag_value(v));
    if (inner.ok() && cbor_isa_string(*inner)) {
      std::string s = cbor::get_text(*inner).value_or("?");
      if (!reveal && (personal || looks_like_resident_number(s))) return mask_resident_number(s);
      return s;
    }
    return reveal || !personal ? cbor::diagnostic(v) : std::string("<masked>");
  }
  if (cbor_isa_string(v)) {
    std::string s = cbor::get_text(v).value_or("?");
    if (!reveal && (personal || looks_like_resident_number(s))) return mask_resident_number(s);
    return s;
  }
  if (cbor::is_bool(v)) return cbor_get_bool(v) ? "true" : "false";
  if (cbor_isa_bytestring(v)) {
    if (is_bytes) *is_bytes = true;
    auto b = cbor::get_bytes(v);
    size_t n = b.ok() ? b->size() : 0;
    bool jpeg = b.ok() && n > 2 && (*b)[0] == 0xFF && (*b)[1] == 0xD8;
    return std::string(jpeg ? "JPEG, " : "") + std::to_string(n) + " bytes";
  }
  return reveal || !personal ? cbor::diagnostic(v) : std::string("<masked>");
}

int run_show(const Args& args, const std::string& path) {
  auto loaded_mapping = mapping_option(args);
  if (!loaded_mapping.ok()) {
    print_error("mdoc show", loaded_mapping.error());
    return exit_code_for(loaded_mapping.error().code);
  }
  DocTypeMapping mapping = std::move(loaded_mapping).value();
  const PersonalElements personal = personal_elements(mapping);
  auto bytes = read_file(path);
  if (!bytes.ok()) {
    print_error("mdoc show", bytes.error());
    return exit_code_for(bytes.error().code);
  }
  auto is = decode_issuer_signed(*bytes);
  if (!is.ok()) {
    print_error("mdoc show", is.error());
    return exit_code_for(is.error().code);
  }
  std::optional<MobileSecurityObject> mso;
  auto payload = cbor::decode(is->issuer_auth.payload);
  if (payload.ok()) {
    auto inner = cbor::unwrap_encoded_cbor(payload->get());
    if (inner.ok()) {
      auto m = decode_mso(*inner);
      if (m.ok()) mso = std::move(m).value();
    }
  }
  std::string issuer = "?";
  if (!is->issuer_auth.x5chain.empty()) {
    auto c = Certificate::from_der(is->issuer_auth.x5chain[0]);
    if (c.ok()) issuer = c->subject();
  }
  const bool reveal = args.has("reveal");
  if (args.has("json")) {
    JsonWriter j(true);
    j.begin_object();
    j.field("doc_type", mso ? mso->doc_type : is->doc_type).field("issuer", issuer);
    if (mso) {
      j.key("mso").begin_object().field("version", mso->version).field("digest_algorithm", mso->digest_algorithm)
          .field("signed", format_tdate(mso->validity.signed_at)).field("valid_from", format_tdate(mso->validity.valid_from))
          .field("valid_until", format_tdate(mso->validity.valid_until)).field("device_key_thumbprint", mso->device_key.thumbprint());
      if (mso->status) j.key("status").begin_object().field("idx", mso->status->idx).field("uri", mso->status->uri).end_object();
      j.key("digests").begin_object();
      for (const auto& [ns, ids] : mso->value_digests) j.field(ns, static_cast<uint64_t>(ids.size()));
      j.end_object().end_object();
    }
    j.key("elements").begin_array();
    for (const auto& [ns, items] : is->name_spaces)
      for (const auto& b : items) {
        auto item = decode_issuer_signed_item(b);
        if (!item.ok()) continue;
        j.begin_object().field("namespace", ns).field("identifier", item->element_identifier)
            .field("value", render_value(personal.count({ns, item->element_identifier}) != 0, item->element_value, reveal))
            .end_object();
      }
    j.end_array().end_object();
    print_json_document(j.str());
    return kExitOk;
  }
  std::printf("doc type:     %s\n", (mso ? mso->doc_type : is->doc_type).c_str());
  std::printf("issuer:       %s\n", issuer.c_str());
  if (mso) {
    std::printf("signed:       %s\nvalid:        %s .. %s\n", format_tdate(mso->validity.signed_at).c_str(),
                format_tdate(mso->validity.valid_from).c_str(), format_tdate(mso->validity.valid_until).c_str());
    std::printf("device key:   %s (RFC 7638 thumbprint)\n", mso->device_key.thumbprint().c_str());
    if (mso->status) std::printf("status:       entry %llu of %s\n", static_cast<unsigned long long>(mso->status->idx), mso->status->uri.c_str());
  } else {
    std::printf("MSO:          does not decode\n");
  }
  for (const auto& [ns, items] : is->name_spaces) {
    std::printf("%s (%zu elements%s):\n", ns.c_str(), items.size(),
                mso && mso->value_digests.count(ns) ? (", " + std::to_string(mso->value_digests.at(ns).size()) + " digests").c_str() : "");
    for (const auto& b : items) {
      auto item = decode_issuer_signed_item(b);
      if (!item.ok()) {
        std::printf("  <bad item: %s>\n", item.error().context.c_str());
        continue;
      }
      std::printf("  %-32s %s\n", item->element_identifier.c_str(), render_value(personal.count({ns, item->element_identifier}) != 0, item->element_value, reveal).c_str());
    }
  }
  return kExitOk;
}

int run_verify(const Args& args, const std::string& path) {
  auto fail = [](const Error& e) {
    print_error("mdoc verify", e);
    return exit_code_for(e.code);
  };
  if (!args.has("issuer-cert")) return fail(make_error(ErrorCode::kInvalidArgument, "--issuer-cert FILE is required"));
  MdocVerifyOptions o;
  for (const auto& f : args.all("issuer-cert")) {
    auto pem = read_file(f, 1 << 20);
    if (!pem.ok()) return fail(pem.error().with_context("issuer certificate"));
    auto certs = Certificate::load_pem_chain(*pem);
    if (!certs.ok()) return fail(certs.error().with_context(f));
    for (auto& c : *certs) o.trusted_issuers.push_back(std::move(c));
  }
  o.now = now_seconds();
  if (auto n = args.get("now")) {
    auto t = parse_tdate(*n);
    if (!t.ok()) return fail(t.error());
    o.now = *t;
  }
  std::optional<StatusListToken> token;
  if (auto sl = args.get("status-list")) {
    auto bytes = read_file(*sl, 64 << 20);
    if (!bytes.ok()) return fail(bytes.error().with_context("status list"));
    auto t = verify_status_list_token(*bytes, StatusListVerifyOptions{o.trusted_issuers, o.now});
    if (!t.ok()) return fail(t.error());
    token = std::move(t).value();
    o.status_list = &*token;
  }
  auto bytes = read_file(path);
  if (!bytes.ok()) return fail(bytes.error());
  auto v = verify_mdoc(*bytes, o);
  if (args.has("json")) {
    JsonWriter j;
    j.begin_object().field("valid", v.ok());
    if (!v.ok()) {
      const std::string& ctx = v.error().context;
      auto colon = ctx.find(':');
      j.field("check", ctx.substr(0, colon)).field("reason", colon == std::string::npos ? ctx : ctx.substr(colon + 2));
      // The members of the error document every --json failure carries.
      j.key("error").begin_object().field("code", error_code_name(v.error().code)).field("message", v.error().message()).end_object();
    } else {
      j.field("doc_type", v->mso.doc_type).field("issuer", v->issuer_chain[0].subject())
          .field("elements", static_cast<uint64_t>(v->elements.size())).field("valid_until", format_tdate(v->mso.validity.valid_until))
          .field("status_checked", v->status.has_value())
          .field("device_authentication", "not_checked");  // needs the reader session (ISO 18013-5 §9.1.3)
    }
    j.end_object();
    print_json_document(j.str());
    return v.ok() ? kExitOk : exit_code_for(v.error().code);
  }
  if (!v.ok()) {
    std::printf("NOT VALID: %s\n", v.error().context.c_str());
    return exit_code_for(v.error().code);
  }
  std::printf("valid: %s issued by %s; %zu elements, every digest matches; valid until %s%s\n", v->mso.doc_type.c_str(),
              v->issuer_chain[0].subject().c_str(), v->elements.size(), format_tdate(v->mso.validity.valid_until).c_str(),
              v->status ? "; status list: valid" : (v->mso.status ? "; status not checked (no --status-list)" : ""));
  std::printf("device authentication: not checked (the holder's phone proves itself to a reader in a live session, "
              "ISO 18013-5 9.1.3; this checks what the issuer signed)\n");
  return kExitOk;
}

}  // namespace

int cmd_mdoc(const std::vector<std::string>& argv) {
  auto args = Args::parse(argv, {{"reveal"}, {"json"}, {"mapping", true}, {"issuer-cert", true, true}, {"status-list", true}, {"now", true},
                                 {"help", false, false, 'h'}});
  if (!args.ok()) {
    print_error("mdoc", args.error());
    return kExitUsage;
  }
  if (args->has("help") || args->positional().empty()) {
    print_help("mdoc", kHelp, args->has("help") ? stdout : stderr);
    return args->has("help") ? kExitOk : kExitUsage;
  }
  const auto& pos = args->positional();
  if (pos.size() != 2 || (pos[0] != "show" && pos[0] != "verify")) {
    print_error("mdoc", make_error(ErrorCode::kInvalidArgument, "expected `mdoc show FILE` or `mdoc verify FILE`"));
    return kExitUsage;
  }
  return pos[0] == "show" ? run_show(*args, pos[1]) : run_verify(*args, pos[1]);
}

}  // namespace idtap::cli
