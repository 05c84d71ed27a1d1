// `idtap serve` end to end: the real binary on a free loopback port, a real ledger, a simulated
// card on the server's reader, and the test wallet (tests/serve/wallet.h) over real sockets,
// plain HTTP and TLS. What the ledger holds afterwards is checked with `idtap ledger verify`
// and `idtap credential list`.
#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>
#include <vector>

#include "idtap/base/file_io.h"
#include "idtap/provision/date.h"
#include "provision/fixtures.h"
#include "serve/site.h"
#include "support/attested_record.h"
#include "support/scratch_dir.h"

using namespace idtap;
using namespace idtap::test;

namespace {

int64_t now() { return provision::now_seconds(); }

// active_count / count_in_state: credentials of `list` (credential list --json) in a state.
size_t count_in_state(const nlohmann::json& list, const std::string& state) {
  size_t n = 0;
  for (const auto& c : list)
    if (c.value("state", "") == state) ++n;
  return n;
}

// state_of: the state of the credential bound to `thumbprint`, or "".
std::string state_of(const nlohmann::json& list, const std::string& thumbprint) {
  for (const auto& c : list)
    if (c.value("device_thumbprint", "") == thumbprint) return c.value("state", "");
  return "";
}

// expect_clean_and_count: `idtap ledger verify` consistent, with `credentials` credentials.
void expect_clean_and_count(const Site& site, long credentials) {
  auto v = site.ledger_json();
  REQUIRE(v.is_object());
  CHECK(v.value("consistent", false));
  CHECK(v.value("credentials", -1L) == credentials);
}

}  // namespace

TEST_CASE("a wallet receives its mobile ID from idtap serve, over plain HTTP on loopback and over TLS") {
  for (bool tls : {false, true}) {
    CAPTURE(tls);
    ScratchDir dir("serve-flow");
    Site site(dir.path());
    ServeProcess* server = site.start(tls);
    REQUIRE_MESSAGE(server->port() != 0, server->log());

    AdminOffer offer = site.create_offer(*server);
    REQUIRE_MESSAGE(offer.reply.status == 201, offer.reply.body);
    // §4.1.1: the offer names this issuer, the configuration, a pre-authorized code and a
    // numeric 6-digit tx_code; the tx_code itself is only in the admin answer.
    CHECK(offer.offer.credential_issuer == server->base_url());
    CHECK(offer.offer.credential_configuration_ids == std::vector<std::string>{"kr.go.mois.residentid.1"});
    CHECK(offer.offer.pre_authorized_code.size() >= 32);
    CHECK(offer.offer.tx_code_input_mode == "numeric");
    CHECK(offer.offer.tx_code_length == 6);
    CHECK(offer.tx_code.size() == 6);
    CHECK(offer.uri.find(offer.tx_code) == std::string::npos);
    CHECK(offer.reply.json.value("holder", "") == "900101-1******");
    // The offer's QR code as the desk gets it (a base64 PNG) is what the phone scans: zbarimg
    // reads the exact URI back (ISO/IEC 18004).
    auto png = base64_decode(offer.reply.json.value("qr_png_base64", ""));
    REQUIRE(png.has_value());
    REQUIRE(write_file_atomic(dir.path() + "/offer.png", *png, 0600).ok());
    CHECK(zbar_decode(dir.path() + "/offer.png") == offer.uri + "\n");

    Wallet phone(server->base_url(), site.wallet_options());
    // §6.3: a wrong tx_code is invalid_grant; the offer lives on (fewer than five).
    HttpReply wrong = phone.token(offer.offer.pre_authorized_code, offer.tx_code == "000000" ? "111111" : "000000");
    CHECK(wrong.status == 400);
    CHECK(wrong.error() == "invalid_grant");
    HttpReply missing = phone.token(offer.offer.pre_authorized_code, std::nullopt);
    CHECK(missing.status == 400);

    auto received = phone.redeem(offer.offer, offer.tx_code);
    REQUIRE_MESSAGE(received.ok(), received.error().message());
    auto verified = verify_received(*received, site.issuer_ca_pem(), now());
    REQUIRE_MESSAGE(verified.ok(), verified.error().message());
    CHECK(verified->mso.doc_type == "kr.go.mois.residentid.1");
    CHECK(verified->elements.size() > 5);

    // A code is redeemed once (§6.3 invalid_grant on replay).
    HttpReply replay = phone.token(offer.offer.pre_authorized_code, offer.tx_code);
    CHECK(replay.status == 400);
    CHECK(replay.error() == "invalid_grant");

    // The ledger holds the one credential, bound to the phone's key, and verifies.
    auto list = site.credentials_json();
    REQUIRE(list.is_array());
    CHECK(list.size() == 1);
    CHECK(state_of(list, phone.key().public_key().thumbprint()) == "active");
    expect_clean_and_count(site, 1);

    // SIGTERM: a clean exit with 0.
    CHECK(server->stop() == 0);
    CHECK(server->log().find("stopped") != std::string::npos);
  }
}

TEST_CASE("an expired offer and five wrong tx_codes are invalid_grant; nothing is recorded") {
  ScratchDir dir("serve-expired");
  Site site(dir.path());
  ServeProcess* server = site.start(false);
  REQUIRE_MESSAGE(server->port() != 0, server->log());
  AdminOffer short_lived = site.create_offer(*server, R"({"can":"123456","ttl":1})");
  REQUIRE_MESSAGE(short_lived.reply.status == 201, short_lived.reply.body);
  AdminOffer guessed = site.create_offer(*server);
  REQUIRE_MESSAGE(guessed.reply.status == 201, guessed.reply.body);
  // Past the ttl (the offer's expiry is whole seconds: wait until it is behind us).
  const int64_t expires = short_lived.reply.json.value("expires_at", int64_t{0});
  for (int i = 0; i < 60 && now() <= expires; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Wallet phone(server->base_url());
  HttpReply expired = phone.token(short_lived.offer.pre_authorized_code, short_lived.tx_code);
  CHECK(expired.status == 400);
  CHECK(expired.error() == "invalid_grant");
  // Five wrong tx_codes kill the offer: the right one is refused afterwards.
  const std::string wrong = guessed.tx_code == "000000" ? "111111" : "000000";
  for (int i = 0; i < 5; ++i) CHECK(phone.token(guessed.offer.pre_authorized_code, wrong).error() == "invalid_grant");
  HttpReply killed = phone.token(guessed.offer.pre_authorized_code, guessed.tx_code);
  CHECK(killed.status == 400);
  CHECK(killed.error() == "invalid_grant");
  expect_clean_and_count(site, 0);
}

TEST_CASE("hostile HTTP requests get their spec error and record nothing") {
  ScratchDir dir("serve-hostile");
  Site site(dir.path());
  ServeProcess* server = site.start(false);
  REQUIRE_MESSAGE(server->port() != 0, server->log());
  AdminOffer offer = site.create_offer(*server);
  REQUIRE_MESSAGE(offer.reply.status == 201, offer.reply.body);
  Wallet phone(server->base_url());
  HttpReply tok = phone.token(offer.offer.pre_authorized_code, offer.tx_code);
  REQUIRE(tok.status == 200);
  const std::string access = tok.json.value("access_token", "");
  const std::vector<std::pair<std::string, std::string>> bearer = {{"Authorization", "Bearer " + access}};

  struct Case {
    const char* what;
    std::function<HttpReply()> send;
    int status;
    const char* error;  // the OAuth / OID4VCI error code ("" when only the status is checked)
  };
  const std::string big(70 * 1024, 'a');
  std::vector<std::pair<std::string, std::string>> many_headers;
  for (int i = 0; i < 80; ++i) many_headers.emplace_back("X-Header-" + std::to_string(i), "v");
  const std::vector<Case> cases = {
      // A body over the 64 KiB limit: 413 before any handler runs (RFC 9110 §15.5.14).
      {"oversized credential body", [&] { return phone.post("/credential", "{\"a\":\"" + big + "\"}", "application/json", bearer); }, 413, "invalid_request"},
      {"oversized token body", [&] { return phone.post("/token", "x=" + big, "application/x-www-form-urlencoded"); }, 413, ""},
      // Too many header fields: 431 (RFC 6585 §5).
      {"80 header fields", [&] { return phone.get("/.well-known/openid-credential-issuer", many_headers); }, 431, "invalid_request"},
      // One header line over cpp-httplib's 8 KiB: the request does not parse, 400.
      {"a 9 KiB header line", [&] { return phone.get("/.well-known/openid-credential-issuer", {{"X-Big", std::string(9000, 'b')}}); }, 400, ""},
      // §8.2 / §8.3.1.2: a body that is not JSON is invalid_credential_request.
      {"malformed JSON", [&] { return phone.post("/credential", "{\"credential_configuration_id\":", "application/json", bearer); }, 400, "invalid_credential_request"},
      {"credential request as a form", [&] { return phone.post("/credential", "a=b", "application/x-www-form-urlencoded", bearer); }, 400, "invalid_credential_request"},
      // RFC 6750 §3.1: no token is 401 invalid_token (or no error code at all).
      {"no Authorization", [&] { return phone.post("/credential", "{}", "application/json"); }, 401, ""},
      {"unknown access token", [&] { return phone.post("/credential", "{}", "application/json", {{"Authorization", "Bearer nope"}}); }, 401, "invalid_token"},
      // RFC 6749 §4.1.3 / OID4VCI §6.1: the token request is a form.
      {"token request as JSON", [&] { return phone.post("/token", "{}", "application/json"); }, 400, "invalid_request"},
      {"token request without a grant", [&] { return phone.post("/token", "a=b", "application/x-www-form-urlencoded"); }, 400, "invalid_request"},
      // The admin endpoint: no token, a wrong one (same length), the wrong content type.
      {"admin without Authorization", [&] { return phone.post("/admin/offers", "{\"can\":\"123456\"}", "application/json"); }, 401, "invalid_token"},
      {"admin with a wrong token", [&] {
         std::string t = site.admin_token();
         t[0] = t[0] == 'a' ? 'b' : 'a';
         return phone.post("/admin/offers", "{\"can\":\"123456\"}", "application/json", {{"Authorization", "Bearer " + t}});
       }, 401, "invalid_token"},
      {"admin as a form", [&] { return phone.post("/admin/offers", "can=123456", "application/x-www-form-urlencoded", {{"Authorization", "Bearer " + site.admin_token()}}); }, 415, "invalid_request"},
      {"admin with malformed JSON", [&] { return phone.post("/admin/offers", "{", "application/json", {{"Authorization", "Bearer " + site.admin_token()}}); }, 400, "invalid_request"},
      {"admin with two sources", [&] { return phone.post("/admin/offers", "{\"can\":\"123456\",\"mrz\":\"x\"}", "application/json", {{"Authorization", "Bearer " + site.admin_token()}}); }, 400, "invalid_request"},
      {"no such endpoint", [&] { return phone.get("/admin"); }, 404, "not_found"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    HttpReply r = c.send();
    CHECK_MESSAGE(r.status == c.status, r.body);
    if (*c.error) CHECK(r.error() == c.error);
    if (r.status != 0 && r.status != 400) CHECK(r.content_type.find("application/json") == 0);
  }
  // The server is still up and the token still good: the wallet gets its credential now.
  HttpReply n = phone.nonce();
  REQUIRE(n.status == 200);
  HttpReply cred = phone.credential(access, "kr.go.mois.residentid.1",
                                    phone.proof(server->base_url(), n.json.value("c_nonce", ""), now()));
  CHECK_MESSAGE(cred.status == 200, cred.body);
  expect_clean_and_count(site, 1);
  CHECK(server->stop() == 0);
}

TEST_CASE("one phone per holder through the service; a card reported lost before redemption is refused") {
  ScratchDir dir("serve-phones");
  Site site(dir.path(), "--document-number KR7777777");
  ServeProcess* server = site.start(true);
  REQUIRE_MESSAGE(server->port() != 0, server->log());
  AdminOffer first = site.create_offer(*server);
  AdminOffer second = site.create_offer(*server);
  REQUIRE(first.reply.status == 201);
  REQUIRE(second.reply.status == 201);
  Wallet old_phone(server->base_url(), site.wallet_options());
  Wallet new_phone(server->base_url(), site.wallet_options());
  REQUIRE(old_phone.redeem(first.offer, first.tx_code).ok());
  auto list = site.credentials_json();
  CHECK(state_of(list, old_phone.key().public_key().thumbprint()) == "active");
  // The second offer, redeemed by another phone: the first phone's credential is revoked in
  // the same transaction.
  auto received = new_phone.redeem(second.offer, second.tx_code);
  REQUIRE_MESSAGE(received.ok(), received.error().message());
  CHECK(verify_received(*received, site.issuer_ca_pem(), now()).ok());
  list = site.credentials_json();
  CHECK(state_of(list, old_phone.key().public_key().thumbprint()) == "revoked");
  CHECK(state_of(list, new_phone.key().public_key().thumbprint()) == "active");

  // A third offer; the card is reported lost before the phone redeems it: refused (§8.3.1.2
  // credential_request_denied), nothing new recorded.
  AdminOffer third = site.create_offer(*server);
  REQUIRE(third.reply.status == 201);
  auto lost = idtap_run("card report-lost --ledger " + site.ledger() + " --document-number KR7777777");
  REQUIRE_MESSAGE(lost.rc == 0, lost.out);
  Wallet third_phone(server->base_url(), site.wallet_options());
  auto refused = third_phone.redeem(third.offer, third.tx_code);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().context.find("credential_request_denied") != std::string::npos);
  list = site.credentials_json();
  CHECK(state_of(list, third_phone.key().public_key().thumbprint()) == "");
  // While lost, the desk refuses a new offer too.
  AdminOffer after = site.create_offer(*server);
  CHECK(after.reply.status == 403);
  expect_clean_and_count(site, 2);
}

TEST_CASE("an offer survives a restart of the server") {
  ScratchDir dir("serve-restart");
  Site site(dir.path());
  ServeProcess* first = site.start(true);
  REQUIRE_MESSAGE(first->port() != 0, first->log());
  AdminOffer offer = site.create_offer(*first);
  REQUIRE(offer.reply.status == 201);
  REQUIRE(first->stop() == 0);
  // Another process, another port: the offer names the old issuer URL, so the phone goes to
  // the new one with the same code (the store is the ledger, not the process).
  ServeProcess* second = site.start(true);
  REQUIRE_MESSAGE(second->port() != 0, second->log());
  CredentialOffer moved = offer.offer;
  moved.credential_issuer = second->base_url();
  Wallet phone(second->base_url(), site.wallet_options());
  auto received = phone.redeem(moved, offer.tx_code);
  REQUIRE_MESSAGE(received.ok(), received.error().message());
  CHECK(verify_received(*received, site.issuer_ca_pem(), now()).ok());
  expect_clean_and_count(site, 1);
}

TEST_CASE("32 wallets at once, over TLS") {
  ScratchDir dir("serve-32");
  Site site(dir.path());
  ServeProcess* server = site.start(true);
  REQUIRE_MESSAGE(server->port() != 0, server->log());
  constexpr int kWallets = 32;
  std::vector<AdminOffer> offers;
  for (int i = 0; i < kWallets; ++i) {
    offers.push_back(site.create_offer(*server));
    REQUIRE(offers.back().reply.status == 201);
  }
  std::vector<std::string> outcome(kWallets);
  std::vector<std::string> thumbprints(kWallets);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWallets; ++i) {
    threads.emplace_back([&, i] {
      Wallet phone(server->base_url(), site.wallet_options());
      thumbprints[i] = phone.key().public_key().thumbprint();
      auto received = phone.redeem(offers[i].offer, offers[i].tx_code);
      if (!received.ok()) outcome[i] = received.error().message();
      else if (auto v = verify_received(*received, site.issuer_ca_pem(), now()); !v.ok()) outcome[i] = v.error().message();
      else outcome[i] = "ok";
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kWallets; ++i) CHECK_MESSAGE(outcome[i] == "ok", outcome[i]);
  // One holder, 32 phones: every credential recorded, exactly one left active (each issuance
  // revoked the one before it in its own transaction).
  auto list = site.credentials_json();
  REQUIRE(list.is_array());
  CHECK(list.size() == kWallets);
  CHECK(count_in_state(list, "active") == 1);
  CHECK(count_in_state(list, "revoked") == kWallets - 1);
  expect_clean_and_count(site, kWallets);
  CHECK(server->stop() == 0);
}

// A burst of phones connecting at once: cpp-httplib listens with a backlog of 5, and the
// connections past it had their SYNs dropped and waited a second for TCP's retransmission
// (idtap serve listens again with kListenBacklog). Seen with the server stopped (SIGSTOP), so
// that it accepts nothing: the kernel must complete every handshake by itself.
TEST_CASE("a burst of 48 connections is queued by the kernel, none dropped, while the server is busy") {
  ScratchDir dir("serve-backlog");
  Site site(dir.path());
  ServeProcess* server = site.start(false);
  REQUIRE_MESSAGE(server->port() != 0, server->log());
  REQUIRE(::kill(server->pid(), SIGSTOP) == 0);
  constexpr int kConnections = 48;
  std::vector<int> fds;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < kConnections; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    CHECK((rc == 0 || errno == EINPROGRESS));
    fds.push_back(fd);
  }
  // A handshake the kernel completed makes the socket writable with no error; a dropped SYN
  // leaves it connecting (bounded wait: a loopback handshake takes microseconds, and a dropped
  // one is not retried before one second).
  int connected = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(800);
  std::vector<bool> done(kConnections, false);
  while (connected < kConnections && std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < kConnections; ++i) {
      if (done[static_cast<size_t>(i)]) continue;
      pollfd p{fds[static_cast<size_t>(i)], POLLOUT, 0};
      if (::poll(&p, 1, 0) == 1 && (p.revents & POLLOUT)) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == 0) {
          done[static_cast<size_t>(i)] = true;
          ++connected;
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(::kill(server->pid(), SIGCONT) == 0);
  CHECK(connected == kConnections);
  for (int fd : fds) ::close(fd);
  // The server goes on serving after the burst.
  AdminOffer offer = site.create_offer(*server);
  REQUIRE(offer.reply.status == 201);
  Wallet phone(server->base_url(), site.wallet_options());
  auto received = phone.redeem(offer.offer, offer.tx_code);
  CHECK_MESSAGE(received.ok(), (received.ok() ? "" : received.error().message()));
  CHECK(server->stop() == 0);
}

TEST_CASE("SIGTERM during a load of concurrent wallets loses no committed credential") {
  ScratchDir dir("serve-sigterm");
  Site site(dir.path());
  ServeProcess* server = site.start(false);
  REQUIRE_MESSAGE(server->port() != 0, server->log());
  constexpr int kWallets = 24;
  std::vector<AdminOffer> offers;
  for (int i = 0; i < kWallets; ++i) {
    offers.push_back(site.create_offer(*server));
    REQUIRE(offers.back().reply.status == 201);
  }
  std::atomic<int> received_count{0};
  std::vector<std::string> got(kWallets);  // the thumbprint of each wallet that got a credential
  std::vector<std::thread> threads;
  for (int i = 0; i < kWallets; ++i) {
    threads.emplace_back([&, i] {
      // A short stagger so the signal lands while some wallets are mid-flow.
      std::this_thread::sleep_for(std::chrono::milliseconds(5 * i));
      Wallet phone(server->base_url());
      auto received = phone.redeem(offers[i].offer, offers[i].tx_code);
      if (received.ok()) {
        got[i] = phone.key().public_key().thumbprint();
        ++received_count;
      }
    });
  }
  // Bounded: the signal goes once a first wallet holds its credential (or after 10 s).
  for (int i = 0; i < 1000 && received_count == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(server->stop() == 0);
  for (auto& t : threads) t.join();
  CHECK(received_count > 0);
  // Every credential a wallet received is in the ledger; the ledger verifies clean.
  auto list = site.credentials_json();
  REQUIRE(list.is_array());
  for (const auto& thumbprint : got)
    if (!thumbprint.empty()) CHECK_MESSAGE(!state_of(list, thumbprint).empty(), thumbprint);
  CHECK(list.size() >= static_cast<size_t>(received_count.load()));
  auto v = site.ledger_json();
  CHECK(v.value("consistent", false));
}

TEST_CASE("idtap serve refuses to start: a port in use (1), an expired issuer (8), plain HTTP off loopback (2)") {
  ScratchDir dir("serve-refusals");
  Site site(dir.path());
  ServeProcess* first = site.start(false);
  REQUIRE_MESSAGE(first->port() != 0, first->log());
  const std::string base = " --ledger " + site.ledger() + " --issuer-key " + site.issuer_key_file() + " --issuer-cert " +
                           site.issuer_cert_file();
  auto in_use = idtap_run("serve" + base + " --listen 127.0.0.1:" + std::to_string(first->port()));
  CHECK_MESSAGE(in_use.rc == 1, in_use.out);
  CHECK(in_use.out.find("cannot listen") != std::string::npos);

  // An issuer whose certificate ran out yesterday: refused before listening.
  const UnixSeconds today = start_of_day(date_of(now()));
  auto key = provision::EcPrivateKey::generate().value();
  provision::CertificateRequest request{"expired issuer", "KR", today - 400 * 86400, today - 86400, true};
  auto cert = provision::make_certificate(request, key.public_key(), key, nullptr).value();
  REQUIRE(write_file_atomic(dir.path() + "/old.key", bytes_of(string_of(key.to_pem().value())), 0600).ok());
  REQUIRE(write_file_atomic(dir.path() + "/old.pem", bytes_of(cert.to_pem()), 0644).ok());
  auto expired = idtap_run("serve --ledger " + site.ledger() + " --issuer-key " + dir.path() + "/old.key --issuer-cert " +
                           dir.path() + "/old.pem --listen 127.0.0.1:0");
  CHECK_MESSAGE(expired.rc == 8, expired.out);

  auto open_plain = idtap_run("serve" + base + " --listen 0.0.0.0:0");
  CHECK(open_plain.rc == 2);
  CHECK(open_plain.out.find("plain HTTP is only for a loopback address") != std::string::npos);
  // TLS off loopback needs the URL phones will use.
  auto no_url = idtap_run("serve" + base + " --listen 0.0.0.0:0 --tls-cert " + site.file("tls-server.pem") + " --tls-key " +
                          site.file("tls-server.key"));
  CHECK(no_url.rc == 2);
  CHECK(no_url.out.find("--public-url") != std::string::npos);
  CHECK(first->stop() == 0);
}

TEST_CASE("the chipless path over HTTP: refused when the ledger policy is off; issued and marked clerk when on") {
  ScratchDir dir("serve-chipless");
  REQUIRE(write_file_atomic(dir.path() + "/face.jpg", provision::testing::sample_jpeg(), 0600).ok());
  // The holder record the clerk attests (README, "The chipless path"), the portrait relative to
  // the server's --attested-dir.
  const nlohmann::json record = sample_attested_record();
  const std::string body = nlohmann::json{{"attested", record}, {"clerk", "clerk-9"}}.dump();

  // Off (the default of `idtap ledger init`): the admin endpoint refuses, nothing is stored.
  {
    REQUIRE(std::filesystem::create_directory(dir.path() + "/off"));
    Site site(dir.path() + "/off");
    ServeProcess* server = site.start(false, {"--attested-dir", dir.path()});
    REQUIRE_MESSAGE(server->port() != 0, server->log());
    AdminOffer refused = site.create_offer(*server, body);
    CHECK(refused.reply.status == 403);
    CHECK(refused.reply.error() == "refused");
    CHECK(refused.reply.body.find("clerk-attested") != std::string::npos);
    CHECK(refused.reply.body.find("800304-1234567") == std::string::npos);
    CHECK(refused.uri.empty());
    CHECK(server->stop() == 0);
    expect_clean_and_count(site, 0);
  }

  // On (`ledger init --allow-attested`): an offer the phone redeems; the credential says
  // verification_method "clerk", the ledger records clerk:ID, `idtap mdoc show` shows it.
  REQUIRE(std::filesystem::create_directory(dir.path() + "/on"));
  Site site(dir.path() + "/on", "", "--allow-attested");
  ServeProcess* server = site.start(true, {"--attested-dir", dir.path()});
  REQUIRE_MESSAGE(server->port() != 0, server->log());
  AdminOffer offer = site.create_offer(*server, body);
  REQUIRE_MESSAGE(offer.reply.status == 201, offer.reply.body);
  CHECK(offer.reply.json.value("evidence", "") == "clerk:clerk-9");
  CHECK(offer.reply.json.value("holder", "") == "800304-1******");

  Wallet phone(server->base_url(), site.wallet_options());
  auto received = phone.redeem(offer.offer, offer.tx_code);
  REQUIRE_MESSAGE(received.ok(), received.error().message());
  auto verified = verify_received(*received, site.issuer_ca_pem(), now());
  REQUIRE_MESSAGE(verified.ok(), verified.error().message());
  const provision::VerifiedElement* method = nullptr;
  for (const auto& e : verified->elements)
    if (e.identifier == "verification_method") method = &e;
  REQUIRE(method != nullptr);
  // the element's value: the CBOR text string "clerk" (RFC 8949 §3.1, major type 3, length 5)
  CHECK(method->value == Bytes{0x65, 'c', 'l', 'e', 'r', 'k'});

  REQUIRE(write_file_atomic(dir.path() + "/phone.mdoc", received->issuer_signed, 0600).ok());
  auto shown = idtap_run("mdoc show " + dir.path() + "/phone.mdoc");
  CHECK_MESSAGE(shown.rc == 0, shown.out);
  CHECK(shown.out.find("verification_method") != std::string::npos);
  CHECK(shown.out.find("clerk") != std::string::npos);
  CHECK(shown.out.find("800304-1******") != std::string::npos);
  CHECK(shown.out.find("800304-1234567") == std::string::npos);

  auto list = site.credentials_json();
  REQUIRE(list.is_array());
  REQUIRE(list.size() == 1);
  CHECK(list[0].value("document_number", "") == "OLD123456");
  CHECK(list[0].value("device_thumbprint", "") == phone.key().public_key().thumbprint());
  CHECK(server->stop() == 0);
  expect_clean_and_count(site, 1);
}
