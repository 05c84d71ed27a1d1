// idtap console: the clerk's desk, a local web application (share/console/: plain HTML, CSS and
// JavaScript, no build step) served on a loopback address. The browser logs a clerk in, follows
// the readers and cards live (server-sent events), reads a card with its CAN or MRZ, shows the
// holder and the verdict, makes the OID4VCI offer for the phone (its QR code and 6-digit code)
// and follows it until the phone has its credential, and does the after-care (card lost, phone
// lost, resume, revoke). Every state change needs the session cookie and its CSRF token; every
// clerk action is an event of the ledger naming the clerk (and the site, IDTAP_SITE / --site).
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "card_access.h"
#include "cli.h"
#include "commands.h"
#include "console_desk.h"
#include "console_sessions.h"
#include "exit_codes.h"
#include "idtap/base/date.h"
#include "idtap/base/file_io.h"
#include "idtap/issue/attested_record.h"
#include "idtap/issue/offer_uri.h"
#include "idtap/issue/pipeline.h"
#include "idtap/issue/qr.h"
#include "idtap/provision/clerks.h"
#include "idtap/provision/date.h"
#include "idtap/provision/pending_offers.h"
#include "idtap/provision/signer.h"
#include "idtap/provision/status_list.h"
#include "interrupt.h"

namespace idtap::cli {
namespace {

constexpr const char* kHelp =
    "usage: idtap console --ledger DB --issuer-url URL --trust PATH... [--crl FILE]...\n"
    "                     [--listen 127.0.0.1:PORT] [--port-file FILE] [--assets DIR] [--site ID]\n"
    "                     [--idle-minutes N] [--status-out FILE --issuer-key FILE --issuer-cert FILE\n"
    "                     [--issuer-key-pass-file FILE]] [--attested-dir DIR]\n\n"
    "The clerk's desk in a web browser (http://127.0.0.1:8780/ by default): readers and cards\n"
    "live, reading a card with its CAN or MRZ, the verdict, issuing the mobile ID (the offer's QR\n"
    "code, followed until the phone has it), and after-care (card lost, phone lost, resume,\n"
    "revoke). Clerks are made with `idtap clerk add NAME --ledger DB`. The phones redeem the\n"
    "offers at `idtap serve` (--issuer-url is its public URL) on the same ledger. Listens on a\n"
    "loopback address only. Runs until SIGTERM or SIGINT.\n\n"
    "options:\n"
    "  --ledger DB          the provisioning ledger (`idtap ledger init`)\n"
    "  --issuer-url URL     the OID4VCI issuer the phones redeem at (`idtap serve --public-url`)\n"
    "  --trust PATH         CSCA certificate(s) or a master list (repeatable); --crl FILE a CRL\n"
    "  --listen ADDR:PORT   127.0.0.1:8780 by default (a loopback address; port 0: any free one)\n"
    "  --port-file FILE     write the port listened on to FILE once listening\n"
    "  --assets DIR         the web files (default: PREFIX/share/idtap/console beside the\n"
    "                       program, or share/console of the source tree)\n"
    "  --site ID            this service center (also IDTAP_SITE), on every ledger event\n"
    "  --idle-minutes N     a session idle this long ends (default 15, 1..480)\n"
    "  --status-out FILE    where \"publish the status list\" writes the signed list (as `idtap\n"
    "                       status-list publish --out`), signed with --issuer-key / --issuer-cert\n"
    "                       (passphrase: --issuer-key-pass-file or $IDTAP_ISSUER_KEY_PASSPHRASE).\n"
    "                       Without it the console does not publish\n"
    "  --attested-dir DIR   the chipless path (a clerk-attested record, `idtap provision offer\n"
    "                       --attested`): its form is shown where the ledger allows it, the\n"
    "                       portraits are files in DIR\n";

constexpr const char* kCookie = "idtap_console";
constexpr const char* kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

void no_store(httplib::Response& res) {
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Content-Security-Policy", kCsp);
}
void reply(httplib::Response& res, int status, const nlohmann::json& body) {
  no_store(res);
  res.status = status;
  res.set_content(body.dump(), "application/json");
}
void reply_error(httplib::Response& res, int status, const std::string& error, const std::string& detail = "") {
  nlohmann::json body = {{"error", error}};
  if (!detail.empty()) body["detail"] = detail;
  reply(res, status, body);
}

// status_for: a library error as the console's answer.
void reply_error(httplib::Response& res, const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument: case ErrorCode::kMalformed: return reply_error(res, 400, "invalid", e.context);
    case ErrorCode::kRefused: return reply_error(res, 403, "refused", e.context);
    case ErrorCode::kNotFound: return reply_error(res, 404, "not_found", e.context);
    case ErrorCode::kState: return reply_error(res, 409, "state", e.context);
    case ErrorCode::kBusy: return reply_error(res, 503, "ledger_busy", e.context);
    default: return reply_error(res, 500, "server_error", error_code_name(e.code));
  }
}

std::string cookie_value(const httplib::Request& req) {
  const std::string header = req.get_header_value("Cookie");
  const std::string key = std::string(kCookie) + "=";
  size_t at = 0;
  while ((at = header.find(key, at)) != std::string::npos) {
    if (at == 0 || header[at - 1] == ' ' || header[at - 1] == ';') {
      size_t end = header.find(';', at);
      return header.substr(at + key.size(), end == std::string::npos ? std::string::npos : end - at - key.size());
    }
    at += key.size();
  }
  return "";
}

// The desk's shared state. The ledger is one connection: one request at a time uses it.
struct Desk {
  provision::Ledger ledger;
  std::unique_ptr<issue::Pipeline> pipeline;  // a desk pipeline: offers only
  std::unique_ptr<provision::PendingOffers> offers;
  std::unique_ptr<provision::ClerkRegistry> clerks;
  std::mutex ledger_mutex;
  std::string issuer_url;
  SessionStore sessions;
  ReaderBoard board;
  ReadJobs reads;
  std::map<std::string, std::string> offer_clerk;  // offer id -> clerk (under ledger_mutex)
  std::unique_ptr<provision::IssuerSigner> status_signer;  // --status-out: the list's signer
  std::string status_out;
  std::string attested_dir;  // --attested-dir: the chipless path's portraits

  Desk(provision::Ledger l, std::string url, std::chrono::seconds idle, const auth::TrustStore* trust)
      : ledger(std::move(l)), issuer_url(std::move(url)), sessions(idle), reads(trust, &board) {
    pipeline = std::make_unique<issue::Pipeline>(ledger, nullptr);
    offers = std::make_unique<provision::PendingOffers>(ledger);
    clerks = std::make_unique<provision::ClerkRegistry>(ledger);
  }

  // record: a clerk event; its failure is logged, not shown (the action itself stood).
  void record(const std::string& action, const std::string& clerk, const std::string& what) {
    if (auto st = clerks->record(action, clerk, what, provision::now_seconds()); !st.ok())
      print_error("console", st.error());
  }
};

// Guard: the session of a request (and, for a state change, its CSRF token), or the answer
// already written (401 no session, 403 no or a wrong CSRF token).
std::optional<ConsoleSession> session_of(Desk& desk, const httplib::Request& req, httplib::Response& res, bool change) {
  auto s = desk.sessions.find(cookie_value(req));
  if (!s) {
    reply_error(res, 401, "no_session");
    return std::nullopt;
  }
  if (change && !SessionStore::csrf_ok(*s, req.get_header_value("X-CSRF-Token"))) {
    reply_error(res, 403, "csrf");
    return std::nullopt;
  }
  return s;
}

std::optional<nlohmann::json> json_body(const httplib::Request& req, httplib::Response& res) {
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    reply_error(res, 400, "invalid", "the body is not a JSON object");
    return std::nullopt;
  }
  return body;
}

std::string base64(ByteView data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(), static_cast<int>(data.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

nlohmann::json credential_json(const provision::CredentialRecord& c) {
  return {{"id", c.id}, {"document_number", c.card.document_number}, {"card_state", c.card_state},
          {"state", provision::credential_state_name(c.state)}, {"state_reason", c.state_reason},
          {"issued_at", c.issued_at}, {"valid_until", c.valid_until}, {"evidence", c.evidence}, {"site", c.site}};
}

// offer_reply: the offer for `holder` (the rules, the ledger), its URI and QR code, as the
// answer; the caller holds the ledger mutex.
void offer_reply(Desk& desk, const provision::VerifiedHolder& holder, const std::string& clerk, httplib::Response& res) {
  issue::OfferRequest request;
  request.holder = &holder;
  request.now = provision::now_seconds();
  auto offer = desk.pipeline->create_offer(request);
  if (!offer.ok()) return reply_error(res, offer.error());
  issue::CredentialOfferParams params;
  params.credential_issuer = desk.issuer_url;
  params.credential_configuration_ids = {desk.pipeline->credential_configuration_id()};
  params.pre_authorized_code = offer->pre_authorized_code;
  auto uri = issue::credential_offer_uri(params);
  if (!uri.ok()) return reply_error(res, uri.error());
  auto qr = issue::qr_encode(*uri);
  if (!qr.ok()) return reply_error(res, qr.error());
  auto png = issue::render_png(*qr);
  if (!png.ok()) return reply_error(res, png.error());
  desk.offer_clerk[offer->offer_id] = clerk;
  desk.record("offer", clerk, "offer " + offer->offer_id + " document " + holder.card.document_number + " evidence " +
                                  holder.evidence_label());
  reply(res, 201, {{"offer_id", offer->offer_id}, {"credential_offer_uri", *uri}, {"qr_png_base64", base64(*png)},
                   {"tx_code", offer->tx_code}, {"expires_at", offer->expires_at}});
}

void route_api(httplib::Server& server, Desk& desk) {
  server.Post("/api/login", [&desk](const httplib::Request& req, httplib::Response& res) {
    auto body = json_body(req, res);
    if (!body) return;
    const std::string name = body->value("name", std::string()), password = body->value("password", std::string());
    if (long wait = desk.sessions.locked_for(name, req.remote_addr); wait > 0) {
      res.set_header("Retry-After", std::to_string(wait));
      return reply_error(res, 429, "too_many_attempts", std::to_string(wait));
    }
    Status st = ok_status();
    {
      std::lock_guard lock(desk.ledger_mutex);
      st = desk.clerks->check_password(name, password);
    }
    if (!st.ok()) {
      desk.sessions.failed(name, req.remote_addr);
      if (st.error().code != ErrorCode::kAuthFailed) return reply_error(res, st.error());
      return reply_error(res, 401, "wrong_password");
    }
    desk.sessions.succeeded(name);
    auto s = desk.sessions.create(name);
    if (!s) return reply_error(res, 500, "server_error");
    {
      std::lock_guard lock(desk.ledger_mutex);
      desk.record("login", name, "");
    }
    res.set_header("Set-Cookie", std::string(kCookie) + "=" + s->id + "; Path=/; HttpOnly; SameSite=Strict");
    reply(res, 200, {{"clerk", s->clerk}, {"csrf", s->csrf}, {"can_publish", desk.status_signer != nullptr},
                     {"allow_attested", !desk.attested_dir.empty() && desk.ledger.allow_attested()}});
  });
  server.Get("/api/session", [&desk](const httplib::Request& req, httplib::Response& res) {
    if (auto s = session_of(desk, req, res, false))
      reply(res, 200, {{"clerk", s->clerk}, {"csrf", s->csrf}, {"can_publish", desk.status_signer != nullptr},
                     {"allow_attested", !desk.attested_dir.empty() && desk.ledger.allow_attested()}});
  });
  server.Post("/api/logout", [&desk](const httplib::Request& req, httplib::Response& res) {
    auto s = session_of(desk, req, res, true);
    if (!s) return;
    desk.sessions.end(s->id);
    res.set_header("Set-Cookie", std::string(kCookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    reply(res, 200, {{"ok", true}});
  });
  // The readers, live: one snapshot now, then one at every change (SSE, a comment every 5 s, so
  // a stream whose browser went away frees its worker soon).
  server.Get("/api/events", [&desk](const httplib::Request& req, httplib::Response& res) {
    if (!session_of(desk, req, res, false)) return;
    no_store(res);
    res.set_chunked_content_provider("text/event-stream", [&desk, seen = uint64_t(0)](size_t, httplib::DataSink& sink) mutable {
      if (desk.board.stopped()) return false;
      uint64_t now = desk.board.wait_change(seen, seen == 0 ? std::chrono::milliseconds(0) : std::chrono::milliseconds(5000));
      if (desk.board.stopped()) return false;
      std::string chunk = now == seen ? ": keep-alive\n\n" : "event: readers\ndata: " + desk.board.snapshot().dump() + "\n\n";
      seen = now;
      return sink.write(chunk.data(), chunk.size());
    });
  });
  server.Post("/api/reads", [&desk](const httplib::Request& req, httplib::Response& res) {
    auto s = session_of(desk, req, res, true);
    if (!s) return;
    auto body = json_body(req, res);
    if (!body) return;
    if (!(*body)["reader"].is_string()) return reply_error(res, 400, "invalid", "reader");
    auto id = desk.reads.start(s->clerk, (*body)["reader"].get<std::string>(), *body);
    if (!id.ok()) return reply_error(res, id.error());
    reply(res, 202, {{"id", *id}});
  });
  server.Get(R"(/api/reads/([0-9a-f]{32}))", [&desk](const httplib::Request& req, httplib::Response& res) {
    auto s = session_of(desk, req, res, false);
    if (!s) return;
    auto status = desk.reads.status(req.matches[1], s->clerk);
    if (!status) return reply_error(res, 404, "not_found");
    reply(res, 200, *status);
  });
  // Revealing the full resident number is an explicit, logged action.
  server.Post(R"(/api/reads/([0-9a-f]{32})/reveal)", [&desk](const httplib::Request& req, httplib::Response& res) {
    auto s = session_of(desk, req, res, true);
    if (!s) return;
    auto holder = desk.reads.holder(req.matches[1], s->clerk);
    if (!holder.ok()) return reply_error(res, holder.error());
    {
      std::lock_guard lock(desk.ledger_mutex);
      desk.record("reveal_resident_number", s->clerk, "document " + holder->card.document_number);
    }
    const auto& rrn = holder->resident_registration_number;
    reply(res, 200, {{"resident_number", std::string(rrn.begin(), rrn.end())}});
  });
  server.Post(R"(/api/reads/([0-9a-f]{32})/offer)", [&desk](const httplib::Request& req, httplib::Response& res) {
    auto s = session_of(desk, req, res, true);
    if (!s) return;
    auto holder = desk.reads.holder(req.matches[1], s->clerk);
    if (!holder.ok()) return reply_error(res, holder.error());
    std::lock_guard lock(desk.ledger_mutex);
    offer_reply(desk, *holder, s->clerk, res);
  });
  // The chipless path: a record the clerk checked against the registry, where the ledger's
  // policy allows it (and the console has --attested-dir for the portraits).
  server.Post("/api/attested", [&desk](const httplib::Request& req, httplib::Response& res) {
    auto s = session_of(desk, req, res, true);
    if (!s) return;
    if (desk.attested_dir.empty() || !desk.ledger.allow_attested())
      return reply_error(res, 403, "refused", "this ledger does not allow clerk-attested issuance");
    auto body = json_body(req, res);
    if (!body) return;
    // The portrait is a file name in --attested-dir, nothing else.
    const auto portrait = (*body)["portrait"];
    if (!portrait.is_string() || portrait.get<std::string>().empty() || portrait.get<std::string>()[0] == '.' ||
        portrait.get<std::string>().find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") !=
            std::string::npos)
      return reply_error(res, 400, "invalid", "portrait: a file name in the console's --attested-dir");
    auto holder = issue::parse_attested_holder(body->dump(), desk.attested_dir, s->clerk);
    if (!holder.ok()) return reply_error(res, holder.error());
    std::lock_guard lock(desk.ledger_mutex);
    offer_reply(desk, *holder, s->clerk, res);
  });
  // An offer's state as the clerk sees it: waiting, taken (the phone redeemed the code),
  // delivered (the credential was issued), killed (five wrong codes), expired.
  server.Get(R"(/api/offers/([0-9a-f]{32}))", [&desk](const httplib::Request& req, httplib::Response& res) {
    auto s = session_of(desk, req, res, false);
    if (!s) return;
    std::lock_guard lock(desk.ledger_mutex);
    auto owner = desk.offer_clerk.find(req.matches[1]);
    if (owner == desk.offer_clerk.end()) return reply_error(res, 404, "not_found");
    auto info = desk.offers->info(req.matches[1]);
    const auto now = provision::now_seconds();
    std::string state = "expired";
    if (info.ok()) {
      switch (info->state) {
        case provision::OfferState::kPending: state = info->expires_at <= now ? "expired" : "waiting"; break;
        case provision::OfferState::kRedeemed: state = "taken"; break;
        case provision::OfferState::kIssued: state = "delivered"; break;
        case provision::OfferState::kKilled: state = "killed"; break;
      }
    } else if (info.error().code != ErrorCode::kNotFound) {
      return reply_error(res, info.error());
    }
    reply(res, 200, {{"offer_id", std::string(req.matches[1])}, {"state", state}});
  });
  // After-care.
  server.Get("/api/credentials", [&desk](const httplib::Request& req, httplib::Response& res) {
    if (!session_of(desk, req, res, false)) return;
    provision::CardIdentity card{req.get_param_value("document"), req.has_param("state") ? req.get_param_value("state") : "KOR"};
    std::lock_guard lock(desk.ledger_mutex);
    auto list = desk.ledger.credentials(card);
    if (!list.ok()) return reply_error(res, list.error());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : *list) out.push_back(credential_json(c));
    reply(res, 200, {{"credentials", out}});
  });
  server.Post("/api/card-lost", [&desk](const httplib::Request& req, httplib::Response& res) {
    auto s = session_of(desk, req, res, true);
    if (!s) return;
    auto body = json_body(req, res);
    if (!body) return;
    provision::CardIdentity card{body->value("document", std::string()), body->value("state", std::string("KOR"))};
    std::lock_guard lock(desk.ledger_mutex);
    auto ids = desk.ledger.report_card_lost(card, provision::now_seconds());
    if (!ids.ok()) return reply_error(res, ids.error());
    desk.record("card_lost", s->clerk, "document " + card.document_number);
    reply(res, 200, {{"suspended", *ids}});
  });
  server.Post(R"(/api/credentials/([0-9a-f]{32})/(phone-lost|resume|revoke))",
              [&desk](const httplib::Request& req, httplib::Response& res) {
    auto s = session_of(desk, req, res, true);
    if (!s) return;
    const std::string id = req.matches[1], action = req.matches[2];
    const auto now = provision::now_seconds();
    std::lock_guard lock(desk.ledger_mutex);
    Status st = action == "phone-lost" ? desk.ledger.suspend(id, "phone_lost", now)
                : action == "resume"   ? desk.ledger.resume(id, now)
                                       : desk.ledger.revoke(id, "revoked at the desk", now);
    if (!st.ok()) return reply_error(res, st.error());
    desk.record(action == "phone-lost" ? "phone_lost" : action, s->clerk, "credential " + id);
    auto c = desk.ledger.credential(id);
    if (!c.ok()) return reply_error(res, c.error());
    reply(res, 200, credential_json(*c));
  });
}

// The status list, signed and written where the relying parties fetch it (--status-out).
void route_publish(httplib::Server& server, Desk& desk) {
  server.Post("/api/status-list/publish", [&desk](const httplib::Request& req, httplib::Response& res) {
    auto s = session_of(desk, req, res, true);
    if (!s) return;
    if (!desk.status_signer) return reply_error(res, 501, "not_configured", "the console was started without --status-out");
    const auto now = provision::now_seconds();
    std::lock_guard lock(desk.ledger_mutex);
    auto expired = desk.ledger.expire_due(now);
    if (!expired.ok()) return reply_error(res, expired.error());
    auto list = desk.ledger.status_list();
    if (!list.ok()) return reply_error(res, list.error());
    provision::StatusListToken token{desk.ledger.status_uri(), now, now + 86400, 3600, std::move(list).value()};
    auto cwt = provision::sign_status_list_token(token, *desk.status_signer);
    if (!cwt.ok()) return reply_error(res, cwt.error());
    if (auto st = write_file_atomic(desk.status_out, *cwt, 0644); !st.ok()) return reply_error(res, st.error());
    uint64_t invalid = 0;
    for (uint64_t i = 0; i < token.list.size(); ++i)
      if (token.list.get(i).value_or(0) != provision::kStatusValid) ++invalid;
    desk.record("status_list_published", s->clerk, std::to_string(invalid) + " not valid");
    reply(res, 200, {{"uri", token.uri}, {"not_valid", invalid}, {"expires_at", now + 86400}});
  });
}

// assets_dir: --assets, else PREFIX/share/idtap/console beside PREFIX/bin/idtap, else the
// source tree's share/console (the program at build/*/bin/idtap).
std::optional<std::string> assets_dir(const std::optional<std::string>& given) {
  namespace fs = std::filesystem;
  if (given) return fs::is_regular_file(*given + "/index.html") ? given : std::nullopt;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  for (const fs::path& candidate : {exe.parent_path().parent_path() / "share/idtap/console",
                                    exe.parent_path().parent_path().parent_path().parent_path() / "share/console"})
    if (fs::is_regular_file(candidate / "index.html", ec)) return candidate.string();
  return std::nullopt;
}

void route_assets(httplib::Server& server, const std::string& dir) {
  static const std::map<std::string, std::string> kFiles = {
      {"/", "index.html"}, {"/index.html", "index.html"}, {"/app.js", "app.js"}, {"/i18n.js", "i18n.js"}, {"/app.css", "app.css"}};
  for (const auto& [path, file] : kFiles) {
    server.Get(path, [dir, file = file](const httplib::Request&, httplib::Response& res) {
      auto bytes = read_file(dir + "/" + file, 1 << 20);
      if (!bytes.ok()) return reply_error(res, 404, "not_found");
      const std::string ext = file.substr(file.rfind('.') + 1);
      const char* type = ext == "html" ? "text/html; charset=utf-8" : ext == "js" ? "text/javascript; charset=utf-8"
                                                                                  : "text/css; charset=utf-8";
      no_store(res);
      res.set_header("X-Frame-Options", "DENY");
      res.set_content(std::string(bytes->begin(), bytes->end()), type);
    });
  }
}

}  // namespace

int cmd_console(const std::vector<std::string>& argv) {
  std::vector<OptionSpec> specs = {{"ledger", true}, {"issuer-url", true}, {"trust", true, true}, {"crl", true, true},
                                   {"listen", true}, {"port-file", true},  {"assets", true},      {"site", true},
                                   {"idle-minutes", true}, {"status-out", true},    {"issuer-key", true},
                                   {"issuer-cert", true},  {"issuer-key-pass-file", true}, {"attested-dir", true},
                                   {"help", false, false, 'h'}};
  const CommandLine cmd("console", "console", kHelp);
  auto parsed = cmd.parse(argv, specs);
  if (!parsed.args) return parsed.exit_code;
  const auto& args = parsed.args;
  if (!args->positional().empty()) return cmd.usage("unexpected argument '" + args->positional()[0] + "'");
  for (const char* required : {"ledger", "issuer-url", "trust"})
    if (!args->has(required)) return cmd.usage(std::string("--") + required + " is required");
  const std::string listen = args->get("listen").value_or("127.0.0.1:8780");
  const size_t colon = listen.rfind(':');
  std::string host = colon == std::string::npos ? "" : listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port_text = colon == std::string::npos ? "" : listen.substr(colon + 1);
  in_addr v4{};
  in6_addr v6{};
  const bool loopback = (inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127) ||
                        (inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6));
  if (!loopback || port_text.empty() || port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port_text) > 65535)
    return cmd.usage("--listen " + listen + ": the console listens on a loopback address and port only (127.0.0.1:8780)");
  int idle_minutes = 15;
  if (auto m = args->get("idle-minutes")) {
    if (m->empty() || m->size() > 3 || m->find_first_not_of("0123456789") != std::string::npos || std::stoi(*m) < 1 ||
        std::stoi(*m) > 480)
      return cmd.usage("--idle-minutes must be 1..480");
    idle_minutes = std::stoi(*m);
  }
  {
    issue::CredentialOfferParams check{*args->get("issuer-url"), {"x"}, "x"};
    if (auto uri = issue::credential_offer_uri(check); !uri.ok()) return cmd.usage("--issuer-url: " + uri.error().context);
  }
  if (args->has("status-out") != (args->has("issuer-key") && args->has("issuer-cert")) ||
      args->has("issuer-key") != args->has("issuer-cert"))
    return cmd.usage("--status-out, --issuer-key and --issuer-cert go together");
  std::unique_ptr<provision::IssuerSigner> status_signer;
  if (args->has("status-out")) {
    auto issuer = provision::load_issuer(provision::IssuerFiles{*args->get("issuer-key"), *args->get("issuer-cert"),
                                                                args->get("issuer-key-pass-file").value_or("")});
    if (!issuer.ok()) return cmd.fail(issuer.error());
    status_signer = std::make_unique<provision::SoftwareIssuer>(std::move(issuer).value());
  }
  auto assets = assets_dir(args->get("assets"));
  if (!assets)
    return cmd.fail(make_error(ErrorCode::kIo, args->has("assets") ? "--assets " + *args->get("assets") + ": no index.html there"
                                                                   : "the console's web files are not installed (give --assets DIR)"));
  auth::TrustStore trust;
  if (auto st = load_trust_anchors(*args, trust); !st.ok()) return cmd.fail(st.error());
  provision::LedgerOptions options = ledger_options();
  if (auto site = args->get("site")) options.site = *site;
  auto ledger = provision::Ledger::open(*args->get("ledger"), options);
  if (!ledger.ok()) {
    print_error("console", ledger.error());
    return exit_code_for_ledger_open(ledger.error().code);
  }
  Desk desk(std::move(ledger).value(), *args->get("issuer-url"), std::chrono::seconds(idle_minutes * 60), &trust);
  desk.status_signer = std::move(status_signer);
  desk.status_out = args->get("status-out").value_or("");
  desk.attested_dir = args->get("attested-dir").value_or("");
  if (!desk.attested_dir.empty() && !std::filesystem::is_directory(desk.attested_dir))
    return cmd.fail(make_error(ErrorCode::kIo, "--attested-dir " + desk.attested_dir + ": not a directory"));
  if (auto names = desk.clerks->names(); !names.ok()) return cmd.fail(names.error());
  else if (names->empty())
    std::fprintf(stderr, "idtap console: no clerk yet: add one with `idtap clerk add NAME --ledger %s`\n", args->get("ledger")->c_str());

  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  server.set_payload_max_length(64 * 1024);
  server.set_read_timeout(10, 0);
  server.set_write_timeout(10, 0);
  route_assets(server, *assets);
  route_api(server, desk);
  route_publish(server, desk);
  // An access line per request (method, path, status: no body, no query, no cookie).
  server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    std::printf("%s %s %d\n", req.method.c_str(), req.path.c_str(), res.status);
    std::fflush(stdout);
  });
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) reply_error(res, res.status, res.status == 404 ? "not_found" : "invalid");
  });
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    reply_error(res, 500, "server_error");
  });
  int port = std::stoi(port_text);
  if (port == 0) port = server.bind_to_any_port(host);
  else if (!server.bind_to_port(host, port)) port = -1;
  if (port <= 0) return cmd.fail(make_error(ErrorCode::kIo, "cannot listen on " + listen + " (in use, or not permitted)"));
  if (auto path = args->get("port-file")) {
    if (auto st = write_file_atomic(*path, bytes_of(std::to_string(port) + "\n"), 0644); !st.ok()) return cmd.fail(st.error());
  }
  int exit_code = kExitOk;
  {
    // First the signal watcher, then every other thread (they inherit its blocked signals).
    InterruptWatcher interrupt([&] {
      for (int i = 0; i < 500 && !server.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      desk.board.stop();  // ends the event streams
      server.stop();
    });
    desk.board.start();
    std::printf("idtap console: http://%s:%d/ (issuer %s)\n", host.c_str(), port, desk.issuer_url.c_str());
    std::fflush(stdout);
    if (!server.listen_after_bind() && !interrupt.interrupted()) exit_code = kExitFailure;
  }
  desk.board.stop();
  std::printf("idtap console: stopped\n");
  return exit_code;
}

}  // namespace idtap::cli
