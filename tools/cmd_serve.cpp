// idtap serve: the OpenID4VCI 1.0 credential issuer over HTTP(S). The binding is thin: each
// request is parsed by cpp-httplib, handed to issue::Oid4vciIssuer (lib/issue), and its
// {status, JSON body, headers} written back. The admin endpoint creates offers for a desk
// application (a card on this server's reader, or a clerk-attested record) through the same
// issuance pipeline as `idtap provision offer`.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "card_access.h"
#include "cli.h"
#include "commands.h"
#include "exit_codes.h"
#include "idtap/auth/trust_store.h"
#include "idtap/base/file_io.h"
#include "idtap/crypto/hash.h"
#include "idtap/issue/attested_record.h"
#include "idtap/issue/oid4vci.h"
#include "idtap/issue/pipeline.h"
#include "idtap/issue/qr.h"
#include "idtap/provision/date.h"
#include "idtap/select/select.h"
#include "interrupt.h"
#include "serve_backend.h"
#include "serve_listener.h"

namespace idtap::cli {
namespace {

constexpr const char* kHelp =
    "usage: idtap serve --ledger DB --issuer-key FILE --issuer-cert FILE --listen ADDR:PORT\n"
    "                   [--tls-cert FILE --tls-key FILE] [--public-url URL] [--issuer-key-pass-file FILE]\n"
    "                   [--admin-token-file FILE] [--reader R --trust PATH... [--crl FILE]...]\n"
    "                   [--attested-dir DIR] [--site ID] [--threads N] [--port-file FILE]\n\n"
    "The OpenID for Verifiable Credential Issuance 1.0 issuer: phones redeem the offers the clerk\n"
    "hands them (`idtap provision offer`, or POST /admin/offers) and receive their mobile ID\n"
    "(mso_mdoc) bound to their own key. Runs until SIGTERM or SIGINT, then finishes the requests\n"
    "in flight, closes the ledger and exits 0.\n\n"
    "endpoints:\n"
    "  GET  /.well-known/openid-credential-issuer    issuer metadata (OID4VCI 1.0 §12.2)\n"
    "  GET  /.well-known/oauth-authorization-server  authorization server metadata (RFC 8414)\n"
    "  POST /token                                   pre-authorized code + tx_code -> access token (§6)\n"
    "  POST /nonce                                   a fresh c_nonce (§7)\n"
    "  POST /credential                              Bearer token + jwt key proof -> credential (§8)\n"
    "  POST /admin/offers                            a new offer (Bearer admin token; JSON body:\n"
    "                                                {\"can\": \"123456\"} or {\"mrz\": \"...\"} for the card on\n"
    "                                                --reader, or {\"attested\": {...}, \"clerk\": \"ID\"};\n"
    "                                                optional \"ttl\" seconds). 201 with offer_id,\n"
    "                                                credential_offer_uri, qr_png_base64 (its QR code\n"
    "                                                as a PNG), tx_code, expires_at, holder, evidence\n\n"
    "options:\n"
    "  --ledger DB             the provisioning ledger (made by `idtap ledger init`)\n"
    "  --issuer-key FILE       the issuer's P-256 private key (PEM; passphrase from\n"
    "                          --issuer-key-pass-file or $IDTAP_ISSUER_KEY_PASSPHRASE)\n"
    "  --issuer-cert FILE      the issuer certificate chain (PEM, leaf first)\n"
    "  --listen ADDR:PORT      where to listen (127.0.0.1:8443, [::1]:8443; port 0: any free port).\n"
    "                          Plain HTTP only on a loopback address; anything else needs TLS\n"
    "  --tls-cert FILE         the server's TLS certificate chain (PEM); with --tls-key: HTTPS\n"
    "  --tls-key FILE          its private key (PEM)\n"
    "  --public-url URL        the Credential Issuer Identifier phones see (default: the scheme,\n"
    "                          address and port listened on; required for a non-loopback address)\n"
    "  --admin-token-file FILE the admin endpoint's bearer token (at least 32 characters; the file\n"
    "                          must not be readable by group or others). Without it the endpoint is off\n"
    "  --reader R              the reader the admin endpoint reads cards on (see `idtap readers`)\n"
    "  --trust PATH            CSCA certificate(s) or a master list for those reads (repeatable)\n"
    "  --crl FILE              a CRL (repeatable)\n"
    "  --attested-dir DIR      where the portraits of clerk-attested records are (relative paths)\n"
    "  --site ID               this service center's identifier, shown in offers and the log\n"
    "  --threads N             worker threads (default 32, 1..256). The phones' ledger writes go to one\n"
    "                          writer that commits all those waiting together (one fsync per group);\n"
    "                          admin offers use up to 4 more ledger connections\n"
    "  --port-file FILE        write the port listened on to FILE once listening (for --listen :0)\n\n"
    "limits: request bodies 64 KiB (413), header lines 8 KiB and 64 headers (431), read and write\n"
    "timeouts 10 s, keep-alive 5 s.\n";

// kMaxBodyBytes / kMaxHeaders / kMaxHeaderBytes: the request limits (the help text says them).
constexpr size_t kMaxBodyBytes = 64 * 1024;
constexpr size_t kMaxHeaders = 64;
constexpr size_t kMaxHeaderBytes = 16 * 1024;
constexpr size_t kMinAdminTokenChars = 32;
constexpr const char* kAdminOffersPath = "/admin/offers";
// kAdminConnections: ledger connections for the admin endpoint's offers (the phones' writes go
// through the group-committing writer).
constexpr size_t kAdminConnections = 4;

Error usage(std::string what) { return make_error(ErrorCode::kInvalidArgument, std::move(what)); }

// Listen: --listen parsed.
struct Listen {
  std::string host;  // as given, brackets removed ("::1")
  int port = 0;
  bool loopback = false;
};

// is_loopback_host: 127.0.0.0/8, ::1 or "localhost".
bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

// parse_listen: "ADDR:PORT" or "[V6]:PORT"; kInvalidArgument naming the value.
Result<Listen> parse_listen(const std::string& text) {
  Listen l;
  std::string port;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find("]:");
    if (close == std::string::npos) return usage("--listen " + text + ": expected [ADDRESS]:PORT");
    l.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || text.find(':') != colon)
      return usage("--listen " + text + ": expected ADDRESS:PORT (an IPv6 address in brackets)");
    l.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535)
    return usage("--listen " + text + ": the port must be 0..65535");
  l.port = std::stoi(port);
  in_addr v4{};
  in6_addr v6{};
  if (l.host != "localhost" && inet_pton(AF_INET, l.host.c_str(), &v4) != 1 && inet_pton(AF_INET6, l.host.c_str(), &v6) != 1)
    return usage("--listen " + text + ": the address must be an IPv4 or IPv6 address (or localhost)");
  l.loopback = is_loopback_host(l.host);
  return l;
}

// read_admin_token: the token in `path` (trailing newline dropped): kIo for a file readable by
// group or others, kInvalidArgument for a token shorter than kMinAdminTokenChars or with spaces.
Result<std::string> read_admin_token(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return make_error(ErrorCode::kIo, "--admin-token-file " + path + ": cannot be read");
  if ((st.st_mode & 077) != 0)
    return make_error(ErrorCode::kIo, "--admin-token-file " + path + ": readable by group or others (chmod 600 it)");
  IDTAP_ASSIGN_OR_RETURN(SecureBytes bytes, read_file_secure(path, 4096));
  std::string token(bytes.begin(), bytes.end());
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  if (token.size() < kMinAdminTokenChars)
    return usage("--admin-token-file " + path + ": the token must be at least 32 characters");
  for (char c : token)
    if (c <= ' ' || c > '~') return usage("--admin-token-file " + path + ": the token must be printable ASCII without spaces");
  return token;
}

// json_response / json_error: what every handler writes.
void json_response(httplib::Response& res, const issue::HttpResponse& r) {
  res.status = r.status;
  for (const auto& [name, value] : r.headers) res.set_header(name, value);
  res.set_content(r.body, issue::kJsonContentType);
}
void json_error(httplib::Response& res, int status, const char* error, const std::string& description) {
  nlohmann::json body = {{"error", error}, {"error_description", description}};
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body.dump(), issue::kJsonContentType);
}

// media_type: the Content-Type's type/subtype, lower-cased, without parameters.
std::string media_type(const std::string& content_type) {
  std::string t = content_type.substr(0, content_type.find(';'));
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.pop_back();
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return t;
}

// bearer_matches: whether `authorization` is "Bearer TOKEN" for `expected`, compared in constant
// time (both SHA-256'd, then CRYPTO_memcmp: neither the length nor a prefix leaks).
bool bearer_matches(const std::string& authorization, const std::string& expected) {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != std::tolower(static_cast<unsigned char>(kScheme[i])))
      return false;
  auto given = crypto::digest(crypto::HashAlg::kSha256, bytes_of(std::string_view(authorization).substr(kScheme.size())));
  auto wanted = crypto::digest(crypto::HashAlg::kSha256, bytes_of(expected));
  return given.ok() && wanted.ok() && given->size() == wanted->size() &&
         CRYPTO_memcmp(given->data(), wanted->data(), given->size()) == 0;
}

// AdminOffers: POST /admin/offers.
class AdminOffers {
 public:
  AdminOffers(PooledOfferBackend& backend, const issue::Oid4vciIssuer& issuer, std::string token,
              std::optional<std::string> reader, auth::TrustStore* trust, std::optional<std::string> attested_dir,
              std::string site)
      : backend_(backend),
        issuer_(issuer),
        token_(std::move(token)),
        reader_(std::move(reader)),
        trust_(trust),
        attested_dir_(std::move(attested_dir)),
        site_(std::move(site)) {}

  void handle(const httplib::Request& req, httplib::Response& res) {
    // RFC 6750 §3: no or a wrong token is 401 with a WWW-Authenticate challenge.
    if (!bearer_matches(req.get_header_value("Authorization"), token_)) {
      res.set_header("WWW-Authenticate", "Bearer realm=\"idtap-admin\", error=\"invalid_token\"");
      json_error(res, 401, "invalid_token", "the admin endpoint needs the admin bearer token");
      return;
    }
    if (media_type(req.get_header_value("Content-Type")) != "application/json") {
      json_error(res, 415, "invalid_request", "the body must be application/json");
      return;
    }
    nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      json_error(res, 400, "invalid_request", "the body is not a JSON object");
      return;
    }
    issue::OfferRequest request;
    request.now = provision::now_seconds();
    if (body.contains("ttl")) {
      if (!body["ttl"].is_number_integer() || body["ttl"].get<int64_t>() < 1 ||
          body["ttl"].get<int64_t>() > provision::kOfferMaxTtlSeconds) {
        json_error(res, 400, "invalid_request", "ttl must be 1..86400 seconds");
        return;
      }
      request.ttl_seconds = body["ttl"].get<int64_t>();
    }
    auto holder = holder_of(body);
    if (!holder.ok()) {
      error_to_response(res, holder.error());
      return;
    }
    request.holder = &*holder;
    auto offer = backend_.create_offer(request);
    if (!offer.ok()) {
      error_to_response(res, offer.error());
      return;
    }
    const std::string uri = issuer_.credential_offer_uri(offer->pre_authorized_code);
    // The QR code the desk shows the phone (ISO/IEC 18004 through libqrencode), as a PNG in
    // standard base64 (RFC 4648 §4), ready for a data: URL; the desk need not encode it.
    auto png = qr_png_base64(uri);
    if (!png.ok()) {
      error_to_response(res, png.error());
      return;
    }
    nlohmann::json out = {{"offer_id", offer->offer_id},
                          {"credential_offer_uri", uri},
                          {"qr_png_base64", *png},
                          {"tx_code", offer->tx_code},
                          {"expires_at", offer->expires_at},
                          {"holder", holder->masked_resident_number()},
                          {"evidence", holder->evidence_label()}};
    if (!site_.empty()) out["site"] = site_;
    res.status = 201;
    res.set_header("Cache-Control", "no-store");
    res.set_content(out.dump(), issue::kJsonContentType);
  }

 private:
  // holder_of: the verified holder the body names: a card read on --reader ("can" or "mrz"), or
  // a clerk-attested record ("attested" and "clerk").
  Result<provision::VerifiedHolder> holder_of(const nlohmann::json& body) {
    const int sources = int(body.contains("can")) + int(body.contains("mrz")) + int(body.contains("attested"));
    for (const auto& [key, value] : body.items())
      if (key != "can" && key != "mrz" && key != "attested" && key != "clerk" && key != "ttl")
        return usage("unknown member '" + key + "'");
    if (sources != 1) return usage("give exactly one of can, mrz (a card on the server's reader) or attested");
    if (body.contains("attested")) {
      if (!attested_dir_) return make_error(ErrorCode::kNotSupported, "attested offers need the server's --attested-dir");
      if (!body["attested"].is_object() || !body.contains("clerk") || !body["clerk"].is_string())
        return usage("attested must be an object, with clerk the clerk's identifier");
      return issue::parse_attested_holder(body["attested"].dump(), *attested_dir_, body["clerk"].get<std::string>());
    }
    if (body.contains("clerk")) return usage("clerk goes with attested only");
    if (!reader_ || trust_ == nullptr)
      return make_error(ErrorCode::kNotSupported, "card offers need the server's --reader and --trust");
    reader::ReadRequest read;
    read.trust = trust_;
    if (body.contains("can")) {
      if (!body["can"].is_string()) return usage("can must be a string of 6 digits");
      auto can = auth::Password::can(body["can"].get<std::string>());
      if (!can.ok()) return usage("can: " + can.error().context);
      read.can = std::move(can).value();
    } else {
      if (!body["mrz"].is_string()) return usage("mrz must be a string");
      auto mrz = auth::MrzKey::from_mrz(body["mrz"].get<std::string>());
      if (!mrz.ok()) return usage("mrz: " + mrz.error().context);
      read.mrz = std::move(mrz).value();
    }
    // One reader, one card: reads take turns.
    std::lock_guard lock(read_mutex_);
    select::OpenOptions open;
    open.reader = reader_;
    open.pcsc.reset_on_close = true;
    IDTAP_ASSIGN_OR_RETURN(select::OpenedReader opened, select::open_reader(open));
    return issue::read_holder(*opened.transport, read);
  }

  // qr_png_base64: the QR code of `uri` as a PNG, base64 (RFC 4648 §4, padded); the QR module's
  // errors (a URI too long for version 40, libqrencode or libpng failing).
  static Result<std::string> qr_png_base64(const std::string& uri) {
    IDTAP_ASSIGN_OR_RETURN(issue::QrMatrix qr, issue::qr_encode(uri));
    IDTAP_ASSIGN_OR_RETURN(Bytes png, issue::render_png(qr));
    std::string out(4 * ((png.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), png.data(), static_cast<int>(png.size()));
    if (n < 0) return make_error(ErrorCode::kInternal, "base64 of the QR code");
    out.resize(static_cast<size_t>(n));
    return out;
  }

  // error_to_response: a library error as the admin endpoint's answer (no stack, no secret).
  static void error_to_response(httplib::Response& res, const Error& e) {
    switch (e.code) {
      case ErrorCode::kInvalidArgument:
      case ErrorCode::kMalformed:
        return json_error(res, 400, "invalid_request", e.context);
      case ErrorCode::kRefused:
      case ErrorCode::kVerificationFailed:
      case ErrorCode::kNoTrustAnchor:
        return json_error(res, 403, "refused", e.context);
      case ErrorCode::kAuthFailed:
      case ErrorCode::kPasswordBlocked:
      case ErrorCode::kPasswordSuspended:
        return json_error(res, 403, "card_access_denied", e.message());
      case ErrorCode::kNotSupported:
        return json_error(res, 501, "not_supported", e.context);
      case ErrorCode::kNoCard:
      case ErrorCode::kNoReader:
      case ErrorCode::kCardRemoved:
      case ErrorCode::kTransport:
      case ErrorCode::kDeviceGone:
      case ErrorCode::kServiceUnavailable:
      case ErrorCode::kTimeout:
        return json_error(res, 503, "card_unavailable", e.message());
      case ErrorCode::kBusy:
        return json_error(res, 503, "ledger_busy", e.context);
      default:
        return json_error(res, 500, "server_error", error_code_name(e.code));
    }
  }

  PooledOfferBackend& backend_;
  const issue::Oid4vciIssuer& issuer_;
  const std::string token_;
  const std::optional<std::string> reader_;
  auth::TrustStore* trust_;
  const std::optional<std::string> attested_dir_;
  const std::string site_;
  std::mutex read_mutex_;
};

// form_fields: an application/x-www-form-urlencoded body, decoded (cpp-httplib's parser).
issue::FormFields form_fields(const std::string& body) {
  httplib::Params params;
  httplib::detail::parse_query_text(body, params);
  return issue::FormFields(params.begin(), params.end());
}

// Server: the HTTP or HTTPS server (serve_listener.h), routed.
void route(httplib::Server& server, issue::Oid4vciIssuer& issuer, AdminOffers* admin, size_t threads) {
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_payload_max_length(kMaxBodyBytes);
  server.set_read_timeout(10, 0);
  server.set_write_timeout(10, 0);
  server.set_keep_alive_timeout(5);
  server.set_keep_alive_max_count(1000);

  // Header limits beyond cpp-httplib's own (8 KiB a line): a count and a total, RFC 6585 §5.
  server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    size_t bytes = 0;
    for (const auto& [name, value] : req.headers) bytes += name.size() + value.size() + 4;
    if (req.headers.size() > kMaxHeaders || bytes > kMaxHeaderBytes) {
      json_error(res, 431, "invalid_request", "request header fields too large");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  const issue::EndpointPaths& p = issuer.paths();
  server.Get(p.credential_issuer_metadata, [&issuer](const httplib::Request&, httplib::Response& res) {
    json_response(res, issuer.credential_issuer_metadata());
  });
  server.Get(p.authorization_server_metadata, [&issuer](const httplib::Request&, httplib::Response& res) {
    json_response(res, issuer.authorization_server_metadata());
  });
  server.Post(p.token, [&issuer](const httplib::Request& req, httplib::Response& res) {
    // RFC 6749 §4.1.3 / OID4VCI §6.1: the token request is a form body.
    if (media_type(req.get_header_value("Content-Type")) != "application/x-www-form-urlencoded")
      return json_error(res, 400, "invalid_request", "the token request must be application/x-www-form-urlencoded");
    json_response(res, issuer.token(form_fields(req.body), provision::now_seconds()));
  });
  server.Post(p.nonce, [&issuer](const httplib::Request&, httplib::Response& res) {
    json_response(res, issuer.nonce(provision::now_seconds()));
  });
  server.Post(p.credential, [&issuer](const httplib::Request& req, httplib::Response& res) {
    const std::string authorization = req.get_header_value("Authorization");
    const std::string content_type = req.get_header_value("Content-Type");
    issue::CredentialRequest request{authorization, content_type, req.body};
    json_response(res, issuer.credential(request, provision::now_seconds()));
  });
  if (admin != nullptr)
    server.Post(kAdminOffersPath, [admin](const httplib::Request& req, httplib::Response& res) { admin->handle(req, res); });

  // Anything else (no route, a body over the limit, a request that does not parse): a JSON
  // error, never a stack trace.
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    switch (res.status) {
      case 404: return json_error(res, 404, "not_found", "no such endpoint");
      case 413: return json_error(res, 413, "invalid_request", "request body too large");
      case 414: return json_error(res, 414, "invalid_request", "request URI too long");
      case 431: return json_error(res, 431, "invalid_request", "request header fields too large");
      default: return json_error(res, res.status, "invalid_request", "the request was not understood");
    }
  });
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    json_error(res, 500, "server_error", "internal error");
  });
}

}  // namespace

int cmd_serve(const std::vector<std::string>& argv) {
  std::vector<OptionSpec> specs = {{"ledger", true},      {"issuer-key", true},   {"issuer-cert", true},
                                   {"issuer-key-pass-file", true},                 {"listen", true},
                                   {"tls-cert", true},    {"tls-key", true},      {"public-url", true},
                                   {"admin-token-file", true},                     {"reader", true},
                                   {"trust", true, true}, {"crl", true, true},    {"attested-dir", true},
                                   {"site", true},        {"threads", true},      {"port-file", true},
                                   {"help", false, false, 'h'}};
  const CommandLine cmd("serve", "serve", kHelp);
  auto parsed = cmd.parse(argv, specs);
  if (!parsed.args) return parsed.exit_code;
  const auto& args = parsed.args;
  if (!args->positional().empty()) return cmd.usage("unexpected argument '" + args->positional()[0] + "'");
  for (const char* required : {"ledger", "issuer-key", "issuer-cert", "listen"})
    if (!args->has(required)) return cmd.usage(std::string("--") + required + " is required");
  auto listen = parse_listen(*args->get("listen"));
  if (!listen.ok()) return cmd.fail(listen.error());
  const auto tls_cert = args->get("tls-cert");
  const auto tls_key = args->get("tls-key");
  if (tls_cert.has_value() != tls_key.has_value()) return cmd.usage("--tls-cert and --tls-key go together");
  const bool tls = tls_cert.has_value();
  // Plain HTTP only where nobody else can listen in: the loopback interface.
  if (!tls && !listen->loopback)
    return cmd.usage("--listen " + *args->get("listen") +
                      ": plain HTTP is only for a loopback address; give --tls-cert and --tls-key");
  if (!listen->loopback && !args->has("public-url"))
    return cmd.usage("--public-url is required when listening on a non-loopback address");
  size_t threads = 32;
  if (auto t = args->get("threads")) {
    if (t->empty() || t->size() > 3 || t->find_first_not_of("0123456789") != std::string::npos || std::stoi(*t) < 1 ||
        std::stoi(*t) > 256)
      return cmd.usage("--threads must be 1..256");
    threads = static_cast<size_t>(std::stoi(*t));
  }
  if (args->has("crl") && !args->has("trust")) return cmd.usage("--crl needs --trust");
  if (args->has("trust") != args->has("reader")) return cmd.usage("--reader and --trust go together (admin card offers)");
  if ((args->has("reader") || args->has("attested-dir")) && !args->has("admin-token-file"))
    return cmd.usage("--reader and --attested-dir serve the admin endpoint: give --admin-token-file");
  for (const char* file : {"tls-cert", "tls-key"}) {
    if (auto path = args->get(file); path && ::access(path->c_str(), R_OK) != 0)
      return cmd.fail(make_error(ErrorCode::kIo, std::string("--") + file + " " + *path + ": cannot be read"));
  }
  if (auto dir = args->get("attested-dir"); dir && !std::filesystem::is_directory(*dir))
    return cmd.fail(make_error(ErrorCode::kIo, "--attested-dir " + *dir + ": not a directory"));

  std::string admin_token;
  if (auto path = args->get("admin-token-file")) {
    auto token = read_admin_token(*path);
    if (!token.ok()) return cmd.fail(token.error());
    admin_token = std::move(token).value();
  }
  auth::TrustStore trust;
  if (args->has("trust")) {
    if (auto st = load_trust_anchors(*args, trust); !st.ok()) return cmd.fail(st.error());
  }

  issue::PipelineConfig pipeline_config;
  pipeline_config.issuer = provision::IssuerFiles{*args->get("issuer-key"), *args->get("issuer-cert"),
                                                  args->get("issuer-key-pass-file").value_or("")};
  // The issuer first, so its errors keep their own exit codes (a key that does not parse is
  // 10, an issuer certificate not valid now 8); each pooled pipeline loads it again.
  if (auto checked = issue::load_checked_issuer(pipeline_config.issuer, provision::now_seconds()); !checked.ok())
    return cmd.fail(checked.error());
  auto backend = PooledOfferBackend::open(*args->get("ledger"), pipeline_config, std::min<size_t>(threads, kAdminConnections),
                                          provision::now_seconds());
  if (!backend.ok()) {
    print_error("serve", backend.error());
    return exit_code_for_ledger_open(backend.error().code);
  }

  auto listening_fd = std::make_shared<int>(-1);
  std::unique_ptr<httplib::Server> server = make_serve_server(tls_cert, tls_key, listening_fd);
  if (!server->is_valid())
    return cmd.fail(make_error(ErrorCode::kMalformed, "--tls-cert / --tls-key: not a usable certificate and key (PEM)"));
  auto bound = bind_serve_server(*server, listen->host, listen->port, listening_fd);
  if (!bound.ok()) {
    print_error("serve", bound.error().with_context("cannot listen on " + *args->get("listen")));
    return kExitFailure;
  }
  const int port = *bound;
  const std::string host_in_url = listen->host.find(':') != std::string::npos ? "[" + listen->host + "]" : listen->host;
  issue::Oid4vciConfig config;
  config.credential_issuer =
      args->get("public-url").value_or(std::string(tls ? "https" : "http") + "://" + host_in_url + ":" + std::to_string(port));
  config.credential_configuration_id = (*backend)->credential_configuration_id();
  config.doctype = (*backend)->credential_configuration_id();
  config.max_body_bytes = kMaxBodyBytes;
  auto issuer = issue::Oid4vciIssuer::create(config, **backend);
  if (!issuer.ok()) return cmd.usage("--public-url: " + issuer.error().context);

  std::unique_ptr<AdminOffers> admin;
  if (!admin_token.empty())
    admin = std::make_unique<AdminOffers>(**backend, **issuer, admin_token, args->get("reader"),
                                          args->has("trust") ? &trust : nullptr, args->get("attested-dir"),
                                          args->get("site").value_or(""));
  route(*server, **issuer, admin.get(), threads);

  if (auto path = args->get("port-file")) {
    if (auto st = write_file_atomic(*path, bytes_of(std::to_string(port) + "\n"), 0644); !st.ok()) return cmd.fail(st.error());
  }

  // SIGTERM / SIGINT: stop accepting; listen_after_bind returns once the requests in flight are
  // answered (cpp-httplib's thread pool drains its queue before it joins).
  std::atomic<bool> listening_done{false};
  int exit_code = kExitOk;
  {
    InterruptWatcher interrupt([&] {
      // The signal may come before the accept loop runs: wait for it (or for its end) first.
      for (int i = 0; i < 500 && !server->is_running() && !listening_done; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      server->stop();
    });
    std::printf("idtap serve: %s listening on %s (%s%s), %zu threads%s\n", config.credential_issuer.c_str(),
                (host_in_url + ":" + std::to_string(port)).c_str(), tls ? "TLS" : "plain HTTP, loopback only",
                admin ? ", admin endpoint on" : "", threads,
                args->has("site") ? (", site " + *args->get("site")).c_str() : "");
    std::fflush(stdout);
    if (!server->listen_after_bind() && !interrupt.interrupted()) exit_code = kExitFailure;
    listening_done = true;
  }
  (*backend)->close();
  const issue::GroupCommitStats stats = (*backend)->stats();
  std::printf("idtap serve: stopped; the ledger is closed (%llu redemptions and issuances in %llu commits, at most %llu "
              "in one; writer %.0f ms in operations, %.0f ms committing)\n",
              static_cast<unsigned long long>(stats.operations), static_cast<unsigned long long>(stats.commits),
              static_cast<unsigned long long>(stats.largest_batch), stats.operations_us / 1000.0, stats.commit_us / 1000.0);
  return exit_code;
}

}  // namespace idtap::cli
