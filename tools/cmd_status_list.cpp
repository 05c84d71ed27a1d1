// idtap status-list: publish (and inspect) the signed Token Status List.
#include <cstdio>
#include <string>
#include <vector>

#include "cli.h"
#include "commands.h"
#include "exit_codes.h"
#include "idtap/provision/files.h"
#include "idtap/provision/ledger.h"
#include "idtap/provision/signer.h"
#include "idtap/provision/status_list.h"
#include "json.h"

namespace idtap::cli {
namespace {

using namespace idtap::provision;

constexpr const char* kHelp =
    "usage: idtap status-list publish --ledger DB --issuer-key FILE --issuer-cert FILE --out FILE\n"
    "                                [--issuer-key-pass-file FILE] [--ttl SECONDS] [--valid-for SECONDS] [--json]\n"
    "       idtap status-list show FILE --issuer-cert FILE [--json]\n\n"
    "  publish   marks expired credentials, then writes the ledger's status list as a Token Status\n"
    "            List CWT (draft-ietf-oauth-status-list: 1 bit per credential, 1 = suspended or\n"
    "            revoked, zlib-compressed; COSE_Sign1 ES256 with the issuer chain) to --out,\n"
    "            atomically. --valid-for sets exp (default 86400 s), --ttl the caching hint\n"
    "            (default 3600 s). The encrypted key's passphrase: --issuer-key-pass-file or\n"
    "            $IDTAP_ISSUER_KEY_PASSPHRASE. The list carries the head of the ledger's event\n"
    "            chain (claim idtap_ledger_head), also appended to the ledger's anchor log\n"
    "            (DB.anchors, or $IDTAP_LEDGER_ANCHOR_FILE): `idtap ledger verify --anchor FILE`\n"
    "            reports a ledger older than either as rolled back.\n"
    "  show      verifies a published list against --issuer-cert and prints its claims\n";

int64_t seconds_option(const Args& args, const char* name, int64_t fallback) {
  auto v = args.get(name);
  if (!v) return fallback;
  try {
    return std::stoll(*v);
  } catch (...) {
    return -1;
  }
}

int run_show(const Args& args, const std::string& path) {
  auto fail = [](const Error& e) {
    print_error("status-list show", e);
    return exit_code_for(e.code);
  };
  if (!args.has("issuer-cert")) return fail(make_error(ErrorCode::kInvalidArgument, "--issuer-cert FILE is required"));
  auto pem = read_file(*args.get("issuer-cert"), 1 << 20);
  if (!pem.ok()) return fail(pem.error());
  auto certs = Certificate::load_pem_chain(*pem);
  if (!certs.ok()) return fail(certs.error());
  auto bytes = read_file(path, 64 << 20);
  if (!bytes.ok()) return fail(bytes.error());
  auto t = verify_status_list_token(*bytes, StatusListVerifyOptions{*certs, now_seconds()});
  if (!t.ok()) return fail(t.error());
  uint64_t invalid = 0;
  for (uint64_t i = 0; i < t->list.size(); ++i)
    if (t->list.get(i).value_or(0) != kStatusValid) ++invalid;
  if (args.has("json")) {
    JsonWriter j;
    j.begin_object().field("uri", t->uri).field("issued_at", format_tdate(t->issued_at))
        .field("expires_at", t->expires_at ? format_tdate(*t->expires_at) : std::string()).field("bits", t->list.bits())
        .field("size", t->list.size()).field("not_valid", invalid);
    if (t->ledger_head) j.field("ledger_head_seq", static_cast<uint64_t>(t->ledger_head->seq));
    j.end_object();
    print_json_document(j.str());
  } else {
    std::printf("status list %s: issued %s%s, %llu entries of %d bit, %llu not valid", t->uri.c_str(),
                format_tdate(t->issued_at).c_str(), t->expires_at ? (", expires " + format_tdate(*t->expires_at)).c_str() : "",
                static_cast<unsigned long long>(t->list.size()), t->list.bits(), static_cast<unsigned long long>(invalid));
    if (t->ledger_head) std::printf(", ledger head at event %lld", static_cast<long long>(t->ledger_head->seq));
    std::printf("\n");
  }
  return kExitOk;
}

}  // namespace

int cmd_status_list(const std::vector<std::string>& argv) {
  auto args = Args::parse(argv, {{"ledger", true}, {"issuer-key", true}, {"issuer-cert", true}, {"issuer-key-pass-file", true},
                                 {"out", true}, {"ttl", true}, {"valid-for", true}, {"json"}, {"help", false, false, 'h'}});
  if (!args.ok()) {
    print_error("status-list", args.error());
    return kExitUsage;
  }
  if (args->has("help") || args->positional().empty()) {
    print_help("status-list", kHelp, args->has("help") ? stdout : stderr);
    return args->has("help") ? kExitOk : kExitUsage;
  }
  const auto& pos = args->positional();
  if (pos[0] == "show" && pos.size() == 2) return run_show(*args, pos[1]);
  if (pos[0] != "publish" || pos.size() != 1) {
    print_error("status-list", make_error(ErrorCode::kInvalidArgument, "expected `status-list publish` or `status-list show FILE`"));
    return kExitUsage;
  }
  for (const char* required : {"ledger", "issuer-key", "issuer-cert", "out"}) {
    if (!args->has(required)) {
      print_error("status-list", make_error(ErrorCode::kInvalidArgument, std::string("--") + required + " is required"));
      return kExitUsage;
    }
  }
  int64_t ttl = seconds_option(*args, "ttl", 3600);
  int64_t valid_for = seconds_option(*args, "valid-for", 86400);
  if (ttl <= 0 || valid_for <= 0) {
    print_error("status-list", make_error(ErrorCode::kInvalidArgument, "--ttl and --valid-for must be positive seconds"));
    return kExitUsage;
  }
  auto fail = [](const Error& e) {
    print_error("status-list publish", e);
    return exit_code_for(e.code);
  };
  auto issuer = load_issuer(IssuerFiles{*args->get("issuer-key"), *args->get("issuer-cert"), args->get("issuer-key-pass-file").value_or("")});
  if (!issuer.ok()) return fail(issuer.error());
  auto ledger = Ledger::open(*args->get("ledger"), ledger_options());
  if (!ledger.ok()) {
    print_error("status-list publish", ledger.error());
    return exit_code_for_ledger_open(ledger.error().code);
  }
  UnixSeconds now = now_seconds();
  auto expired = ledger->expire_due(now);
  if (!expired.ok()) return fail(expired.error());
  auto list = ledger->status_list();
  if (!list.ok()) return fail(list.error());
  StatusListToken token{ledger->status_uri(), now, now + valid_for, static_cast<uint64_t>(ttl), std::move(list).value(), std::nullopt};
  // The ledger's head goes into the signed list and into the anchor log (before the list is
  // published): a ledger rolled back to an older copy is older than both.
  if (!ledger->anchor_file().empty()) {
    auto anchored = ledger->anchor(ledger->anchor_file());
    if (!anchored.ok()) return fail(anchored.error());
    token.ledger_head = std::move(anchored).value();
  } else {
    auto head = ledger->head();
    if (!head.ok()) return fail(head.error());
    token.ledger_head = std::move(head).value();
  }
  auto cwt = sign_status_list_token(token, *issuer);
  if (!cwt.ok()) return fail(cwt.error());
  auto written = write_file_atomic(*args->get("out"), *cwt, 0644);
  if (!written.ok()) return fail(written.error());
  uint64_t invalid = 0;
  for (uint64_t i = 0; i < token.list.size(); ++i)
    if (token.list.get(i).value_or(0) != kStatusValid) ++invalid;
  if (args->has("json")) {
    JsonWriter j;
    j.begin_object().field("uri", token.uri).field("file", *args->get("out")).field("size", token.list.size())
        .field("not_valid", invalid).field("bytes", static_cast<uint64_t>(cwt->size())).field("expires_at", format_tdate(now + valid_for))
        .field("ledger_head_seq", static_cast<uint64_t>(token.ledger_head->seq)).field("anchor_file", ledger->anchor_file())
        .end_object();
    print_json_document(j.str());
  } else {
    std::printf("published %s to %s: %llu entries, %llu suspended or revoked, %zu bytes, expires %s\n", token.uri.c_str(),
                args->get("out")->c_str(), static_cast<unsigned long long>(token.list.size()),
                static_cast<unsigned long long>(invalid), cwt->size(), format_tdate(now + valid_for).c_str());
  }
  return kExitOk;
}

}  // namespace idtap::cli
