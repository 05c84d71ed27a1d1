// Issuing through the C API (idtap_issuer, idtap_offer, idtap_issue_to_device) on simulated
// cards read with idtap_read: an offer for the phone whose URI, tx_code and ledger row are right
// and which the phone redeems (the pipeline `idtap serve` runs, in process), a credential issued
// to a device key that verifies as an mdoc, and the refusals: a 16-year-old holder, a card not
// read as genuine, a wrong CAN (the read refuses; nothing reaches the ledger), a bad proof of
// possession, an offer-only desk asked to sign; an idempotency id: a retry gets the same
// credential, another request under the same id is refused, an older struct_size is honoured.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <fstream>
#include <string>

#include "idtap/base/file_io.h"
#include "idtap/idtap.h"
#include "idtap/provision/date.h"
#include "idtap/provision/pending_offers.h"
#include "idtap/provision/proof.h"
#include "issue/issue_fixtures.h"
#include "provision/postgres_server.h"
#include "install/install_support.h"
#include "support/pcscd_fixture.h"
#include "support/run_shell.h"
#include "support/scratch_dir.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;
using idtap::test::quote;
using idtap::test::run_shell;
using idtap::test::ShellRun;

namespace {

// Desk: a ledger (`Ledger::create`, as `idtap ledger init`), the test issuer's key and chain as
// files, a context and an idtap_issuer over them; `with_key` false: an offer-only desk.
struct Desk {
  test::ScratchDir dir{"capi-issue"};
  TestIssuer pki = make_test_issuer();
  std::string db = dir.path() + "/ledger.db";
  std::string key = dir.path() + "/issuer-key.pem";
  std::string chain = dir.path() + "/issuer-chain.pem";
  idtap_context* ctx = nullptr;
  idtap_issuer* issuer = nullptr;

  explicit Desk(bool with_key = true) {
    REQUIRE(Ledger::create(db, issue::testing::ledger_options()).ok());
    const SecureBytes pem = pki.ds_key.to_pem().value();
    std::ofstream(key) << std::string(pem.begin(), pem.end());
    std::ofstream(chain) << pki.ds.to_pem() << pki.ca.to_pem();
    REQUIRE(idtap_context_new(IDTAP_CONTEXT_NO_NFC, &ctx) == IDTAP_OK);
    idtap_issuer_options options;
    idtap_issuer_options_init(&options);
    options.ledger = db.c_str();
    if (with_key) {
      options.issuer_key = key.c_str();
      options.issuer_cert = chain.c_str();
    }
    const idtap_status st = idtap_issuer_open(ctx, &options, &issuer);
    REQUIRE_MESSAGE(st == IDTAP_OK, idtap_context_error(ctx));
  }
  ~Desk() {
    idtap_issuer_free(issuer);
    idtap_context_free(ctx);
  }
  // pending: the ledger's record of the offer (opened afresh, as `idtap serve` would).
  OfferInfo offer_info(const std::string& offer_id) {
    Ledger ledger = Ledger::open(db, issue::testing::ledger_options()).value();
    PendingOffers offers(ledger);
    auto info = offers.info(offer_id);
    REQUIRE_MESSAGE(info.ok(), info.error().message());
    return *info;
  }
};

// Card: `idtap sim personalize` with `extra` options, its directory and CSCA.
struct Card {
  test::ScratchDir dir{"capi-issue-card"};
  std::string path = dir.path() + "/card";
  std::string csca = path + "/pki/csca_cert.pem";
  explicit Card(const std::string& extra = "") {
    ShellRun made = run_shell(quote(test::idtap_binary()) + " sim personalize --out " + quote(path) + " " + extra);
    REQUIRE_MESSAGE(made.exit_code == 0, made.out);
  }
};

// read: idtap_read of `card` (sim:DIR) with `can` and its CSCA (`trust` false: none, so the card
// cannot read as genuine); the status, the result in *out.
idtap_status read(idtap_context* ctx, const Card& card, const char* can, idtap_result** out, bool trust = true) {
  idtap_reader* reader = nullptr;
  const std::string spec = "sim:" + card.path;
  idtap_status st = idtap_open(ctx, spec.c_str(), 0, &reader);
  if (st != IDTAP_OK) return st;
  idtap_read_options options;
  idtap_read_options_init(&options);
  const char* paths[] = {card.csca.c_str()};
  options.can = can;
  options.trust_paths = trust ? paths : nullptr;
  options.trust_path_count = trust ? 1 : 0;
  st = idtap_read(reader, &options, out);
  idtap_reader_free(reader);
  return st;
}

// Phone: a device key, as PEM, and its proof of possession over a challenge of the desk.
struct Phone {
  EcPrivateKey key = EcPrivateKey::generate().value();
  std::string pem = key.public_key().to_pem();
  uint8_t challenge[64] = {};
  size_t challenge_len = sizeof challenge;
  Bytes signature;
  explicit Phone(idtap_issuer* issuer) {
    REQUIRE(idtap_issuer_challenge(issuer, 300, challenge, &challenge_len) == IDTAP_OK);
    signature = sign_possession(key, ByteView(challenge, challenge_len)).value();
  }
  idtap_device_issue request(const std::string& out) const {
    idtap_device_issue r;
    idtap_device_issue_init(&r);
    r.device_key = reinterpret_cast<const uint8_t*>(pem.data());
    r.device_key_len = pem.size();
    r.challenge = challenge;
    r.challenge_len = challenge_len;
    r.signature = signature.data();
    r.signature_len = signature.size();
    r.out_path = out.c_str();
    return r;
  }
};

bool all_digits(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

}  // namespace

TEST_CASE("idtap_offer_create: an offer for the phone, in the ledger, redeemed with its tx_code and issued") {
  Desk desk(false);  // the desk holds no issuer key: `idtap serve` issues
  Card card;
  idtap_result* result = nullptr;
  REQUIRE(read(desk.ctx, card, "123456", &result) == IDTAP_OK);
  REQUIRE(idtap_result_genuine(result) == 1);
  idtap_offer* offer = nullptr;
  const idtap_status st = idtap_offer_create(desk.issuer, result, "https://id.example.kr", 0, &offer);
  REQUIRE_MESSAGE(st == IDTAP_OK, idtap_context_error(desk.ctx));
  const std::string offer_id = idtap_offer_id(offer);
  const std::string code = idtap_offer_pre_authorized_code(offer);
  const std::string tx_code = idtap_offer_tx_code(offer);
  CHECK(offer_id.size() == 32);
  CHECK(code.size() == 43);
  CHECK(tx_code.size() == 6);
  CHECK(all_digits(tx_code));
  const int64_t ttl = idtap_offer_expires_at(offer) - static_cast<int64_t>(now_seconds());
  CHECK(ttl > 590);
  CHECK(ttl <= 600);  // the default: ten minutes
  REQUIRE(idtap_offer_uri(offer) != nullptr);
  const std::string uri = idtap_offer_uri(offer);
  CHECK(uri.rfind("openid-credential-offer://?credential_offer=", 0) == 0);
  CHECK(uri.find(code) != std::string::npos);       // the pre-authorized code, by value
  CHECK(uri.find(tx_code) == std::string::npos);    // never the tx_code: told, not scanned
  CHECK(uri.find("id.example.kr") != std::string::npos);
  const uint8_t* png = nullptr;
  size_t png_len = 0;
  REQUIRE(idtap_offer_qr_png(offer, &png, &png_len) == IDTAP_OK);
  REQUIRE(png_len > 8);
  CHECK(std::memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);

  // The ledger holds it, pending, sealed; the phone redeems it from the issuer's pipeline.
  OfferInfo info = desk.offer_info(offer_id);
  CHECK(info.state == OfferState::kPending);
  CHECK(info.holder_sealed);
  CHECK(info.evidence == "chip");
  Ledger ledger = Ledger::open(desk.db, issue::testing::ledger_options()).value();
  issue::Pipeline serve(ledger, std::make_unique<SoftwareIssuer>(signer_of(desk.pki)));
  const UnixSeconds now = now_seconds();
  CHECK_FALSE(serve.redeem_offer(code, tx_code == "000000" ? "000001" : "000000", now).ok());  // a wrong tx_code
  auto redeemed = serve.redeem_offer(code, tx_code, now);
  REQUIRE_MESSAGE(redeemed.ok(), redeemed.error().message());
  CHECK(redeemed->offer_id == offer_id);
  const EcPrivateKey phone = EcPrivateKey::generate().value();
  auto issued = serve.issue_offer(offer_id, phone.public_key(), now);
  REQUIRE_MESSAGE(issued.ok(), issued.error().message());
  MdocVerifyOptions verify;
  verify.trusted_issuers = {desk.pki.ca};
  verify.now = now + 60;
  auto mdoc = verify_mdoc(issued->issuer_signed, verify);
  REQUIRE_MESSAGE(mdoc.ok(), mdoc.error().message());
  CHECK(mdoc->mso.device_key == phone.public_key());
  CHECK(desk.offer_info(offer_id).state == OfferState::kIssued);

  // Without an issuer URL: the codes only, no URI, no QR code.
  idtap_offer* plain = nullptr;
  REQUIRE(idtap_offer_create(desk.issuer, result, nullptr, 120, &plain) == IDTAP_OK);
  CHECK(idtap_offer_uri(plain) == nullptr);
  CHECK(idtap_offer_qr_png(plain, &png, &png_len) == IDTAP_E_NOT_FOUND);
  CHECK(idtap_offer_expires_at(plain) - static_cast<int64_t>(now_seconds()) <= 120);
  idtap_offer_free(plain);
  // A URL a wallet would refuse, and a ttl over a day: refused, nothing stored.
  idtap_offer* bad = nullptr;
  CHECK(idtap_offer_create(desk.issuer, result, "ftp://id.example.kr", 0, &bad) == IDTAP_E_INVALID_ARGUMENT);
  CHECK(idtap_offer_create(desk.issuer, result, nullptr, 86401, &bad) == IDTAP_E_INVALID_ARGUMENT);
  CHECK(bad == nullptr);
  // An offer-only desk does not sign.
  Phone device(desk.issuer);
  const std::string out = desk.dir.path() + "/never.cbor";
  const idtap_device_issue request = device.request(out);
  idtap_credential* credential = nullptr;
  CHECK(idtap_issue_to_device(desk.issuer, result, &request, &credential) == IDTAP_E_INVALID_ARGUMENT);
  CHECK(credential == nullptr);
  idtap_offer_free(offer);
  idtap_result_free(result);
}

TEST_CASE("idtap_issue_to_device: a credential for the phone's key that verifies; the previous phone revoked") {
  Desk desk;
  Card card;
  idtap_result* result = nullptr;
  REQUIRE(read(desk.ctx, card, "123456", &result) == IDTAP_OK);
  Phone first(desk.issuer);
  const std::string out = desk.dir.path() + "/credential.cbor";
  idtap_device_issue request = first.request(out);
  idtap_credential* credential = nullptr;
  idtap_status st = idtap_issue_to_device(desk.issuer, result, &request, &credential);
  REQUIRE_MESSAGE(st == IDTAP_OK, idtap_context_error(desk.ctx));
  CHECK(std::string(idtap_credential_file(credential)) == out);
  CHECK(idtap_credential_revoked_count(credential) == 0);
  CHECK(idtap_credential_valid_until(credential) > static_cast<int64_t>(now_seconds()) + 365 * 86400);
  const uint8_t* bytes = nullptr;
  size_t len = 0;
  REQUIRE(idtap_credential_bytes(credential, &bytes, &len) == IDTAP_OK);
  const Bytes issuer_signed(bytes, bytes + len);
  auto on_disk = read_file(out);
  REQUIRE(on_disk.ok());
  CHECK(*on_disk == issuer_signed);
  MdocVerifyOptions verify;
  verify.trusted_issuers = {desk.pki.ca};
  verify.now = now_seconds() + 60;
  auto mdoc = verify_mdoc(issuer_signed, verify);
  REQUIRE_MESSAGE(mdoc.ok(), mdoc.error().message());
  CHECK(mdoc->mso.device_key == first.key.public_key());
  const std::string first_id = idtap_credential_id(credential);
  idtap_credential_free(credential);

  // The challenge is used up: the same proof again is refused, nothing written.
  const std::string again = desk.dir.path() + "/again.cbor";
  request = first.request(again);
  CHECK(idtap_issue_to_device(desk.issuer, result, &request, &credential) == IDTAP_E_REFUSED);
  CHECK(credential == nullptr);
  CHECK(::access(again.c_str(), F_OK) != 0);
  // A signature over the challenge by another key than the one presented: refused.
  Phone second(desk.issuer);
  const EcPrivateKey impostor = EcPrivateKey::generate().value();
  const Bytes forged = sign_possession(impostor, ByteView(second.challenge, second.challenge_len)).value();
  request = second.request(again);
  request.signature = forged.data();
  request.signature_len = forged.size();
  CHECK(idtap_issue_to_device(desk.issuer, result, &request, &credential) == IDTAP_E_REFUSED);
  CHECK(std::string(idtap_context_error(desk.ctx)).find("proof of possession") != std::string::npos);
  // An existing out_path, a device key that does not parse, a missing field.
  request = second.request(out);
  CHECK(idtap_issue_to_device(desk.issuer, result, &request, &credential) == IDTAP_E_INVALID_ARGUMENT);
  request = second.request(again);
  request.device_key = reinterpret_cast<const uint8_t*>("not a key");
  request.device_key_len = 9;
  CHECK(idtap_issue_to_device(desk.issuer, result, &request, &credential) == IDTAP_E_INVALID_ARGUMENT);
  request = second.request(again);
  request.signature = nullptr;
  CHECK(idtap_issue_to_device(desk.issuer, result, &request, &credential) == IDTAP_E_INVALID_ARGUMENT);
  CHECK(credential == nullptr);
  // A new phone for the same holder: issued, and the first phone's credential revoked.
  request = second.request(again);
  st = idtap_issue_to_device(desk.issuer, result, &request, &credential);
  REQUIRE_MESSAGE(st == IDTAP_OK, idtap_context_error(desk.ctx));
  REQUIRE(idtap_credential_revoked_count(credential) == 1);
  CHECK(std::string(idtap_credential_revoked(credential, 0)) == first_id);
  CHECK(idtap_credential_revoked(credential, 1) == nullptr);
  idtap_credential_free(credential);
  idtap_result_free(result);
}

TEST_CASE("issuing refusals: a 16-year-old, a card not read as genuine, a wrong CAN") {
  Desk desk;
  SUBCASE("a holder under 17: refused by the rules, for the offer and for the device") {
    const Date today = date_of(now_seconds());
    char birth[32], rrn[32];
    std::snprintf(birth, sizeof birth, "%04d-01-01", today.year - 16);
    std::snprintf(rrn, sizeof rrn, "%02d0101-3234567", (today.year - 16) % 100);
    Card card(std::string("--birth ") + birth + " --personal-number " + rrn);
    idtap_result* result = nullptr;
    REQUIRE(read(desk.ctx, card, "123456", &result) == IDTAP_OK);
    REQUIRE(idtap_result_genuine(result) == 1);
    idtap_offer* offer = nullptr;
    CHECK(idtap_offer_create(desk.issuer, result, nullptr, 0, &offer) == IDTAP_E_REFUSED);
    CHECK(std::string(idtap_context_error(desk.ctx)).find("under 17") != std::string::npos);
    CHECK(offer == nullptr);
    Phone phone(desk.issuer);
    const std::string out = desk.dir.path() + "/young.cbor";
    const idtap_device_issue request = phone.request(out);
    idtap_credential* credential = nullptr;
    CHECK(idtap_issue_to_device(desk.issuer, result, &request, &credential) == IDTAP_E_REFUSED);
    CHECK(std::string(idtap_context_error(desk.ctx)).find("under 17") != std::string::npos);
    CHECK(credential == nullptr);
    CHECK(::access(out.c_str(), F_OK) != 0);
    idtap_result_free(result);
  }
  SUBCASE("a card not read as genuine (no CSCA): refused with the verdict's reason") {
    Card card;
    idtap_result* result = nullptr;
    REQUIRE(read(desk.ctx, card, "123456", &result, false) == IDTAP_OK);
    REQUIRE(idtap_result_genuine(result) == 0);
    idtap_offer* offer = nullptr;
    CHECK(idtap_offer_create(desk.issuer, result, nullptr, 0, &offer) == IDTAP_E_VERIFICATION_FAILED);
    CHECK(std::string(idtap_context_error(desk.ctx)).find("not read as genuine") != std::string::npos);
    CHECK(offer == nullptr);
    idtap_result_free(result);
  }
  SUBCASE("a wrong CAN: the read refuses (the chip counts it); nothing to issue from") {
    Card card;
    idtap_result* result = nullptr;
    CHECK(read(desk.ctx, card, "654321", &result) == IDTAP_E_AUTH_FAILED);
    CHECK(result == nullptr);
    idtap_offer* offer = nullptr;
    CHECK(idtap_offer_create(desk.issuer, result, nullptr, 0, &offer) == IDTAP_E_INVALID_ARGUMENT);
  }
  // Nothing of the refused holders reached the ledger: no credential was issued.
  Ledger ledger = Ledger::open(desk.db, issue::testing::ledger_options()).value();
  CHECK(ledger.credentials().value().empty());
}

TEST_CASE("idtap_issuer_open: its errors") {
  test::ScratchDir dir("capi-issuer-open");
  idtap_context* ctx = nullptr;
  REQUIRE(idtap_context_new(IDTAP_CONTEXT_NO_NFC, &ctx) == IDTAP_OK);
  idtap_issuer_options options;
  idtap_issuer_options_init(&options);
  idtap_issuer* issuer = nullptr;
  CHECK(idtap_issuer_open(ctx, &options, &issuer) == IDTAP_E_INVALID_ARGUMENT);  // no ledger
  const std::string missing = dir.path() + "/none.db";
  options.ledger = missing.c_str();
  CHECK(idtap_issuer_open(ctx, &options, &issuer) == IDTAP_E_NOT_FOUND);
  options.issuer_key = "key.pem";  // without its certificate
  CHECK(idtap_issuer_open(ctx, &options, &issuer) == IDTAP_E_INVALID_ARGUMENT);
  options.issuer_cert = "/nonexistent/chain.pem";
  options.issuer_key = "/nonexistent/key.pem";
  const idtap_status st = idtap_issuer_open(ctx, &options, &issuer);
  CHECK((st == IDTAP_E_NOT_FOUND || st == IDTAP_E_IO));
  options.struct_size = 8;
  CHECK(idtap_issuer_open(ctx, &options, &issuer) == IDTAP_E_INVALID_ARGUMENT);
  CHECK(issuer == nullptr);
  idtap_issuer_free(nullptr);
  idtap_offer_free(nullptr);
  idtap_credential_free(nullptr);
  CHECK(idtap_offer_tx_code(nullptr) == nullptr);
  idtap_context_free(ctx);
}

TEST_CASE("idtap_issuer_open_ledger: a PostgreSQL ledger with its key file and a site, through the C API") {
  using idtap::provision::testing::PostgresServer;
  const std::string db_name = PostgresServer::instance().create_database();
  const std::string location = PostgresServer::instance().conninfo(db_name);
  test::ScratchDir dir{"capi-pg"};
  const std::string key_file = dir.path() + "/ledger.key";
  {
    LedgerOptions o = issue::testing::ledger_options();
    o.key_file = key_file;
    REQUIRE(Ledger::create(location, o).ok());
  }
  idtap_context* ctx = nullptr;
  REQUIRE(idtap_context_new(IDTAP_CONTEXT_NO_NFC, &ctx) == IDTAP_OK);
  idtap_issuer_options options;
  idtap_issuer_options_init(&options);
  options.ledger = location.c_str();
  idtap_issuer* issuer = nullptr;
  // Without ledger options (idtap_issuer_open): no key file, so PostgreSQL is refused.
  CHECK(idtap_issuer_open(ctx, &options, &issuer) == IDTAP_E_INVALID_ARGUMENT);
  idtap_ledger_options ledger;
  idtap_ledger_options_init(&ledger);
  CHECK(ledger.struct_size == sizeof ledger);
  ledger.key_file = key_file.c_str();
  ledger.site = "KR-SEJONG";
  ledger.busy_timeout_ms = 2000;
  idtap_status st = idtap_issuer_open_ledger(ctx, &options, &ledger, &issuer);
  REQUIRE_MESSAGE(st == IDTAP_OK, idtap_context_error(ctx));
  // The issuer works against the shared ledger: a challenge is recorded there.
  uint8_t challenge[64];
  size_t challenge_len = sizeof challenge;
  CHECK(idtap_issuer_challenge(issuer, 300, challenge, &challenge_len) == IDTAP_OK);
  idtap_issuer_free(issuer);
  issuer = nullptr;
  // Bad ledger options: refused with a message, nothing opened.
  ledger.site = "not a site!";
  CHECK(idtap_issuer_open_ledger(ctx, &options, &ledger, &issuer) == IDTAP_E_INVALID_ARGUMENT);
  ledger.site = nullptr;
  ledger.busy_timeout_ms = -1;
  CHECK(idtap_issuer_open_ledger(ctx, &options, &ledger, &issuer) == IDTAP_E_INVALID_ARGUMENT);
  ledger.busy_timeout_ms = 0;
  ledger.struct_size = 8;
  CHECK(idtap_issuer_open_ledger(ctx, &options, &ledger, &issuer) == IDTAP_E_INVALID_ARGUMENT);
  CHECK(issuer == nullptr);
  idtap_context_free(ctx);
}

TEST_CASE("idtap_issue_to_device with an idempotency_id: a retry gets the same credential; the id is not another request's") {
  Desk desk;
  Card card;
  idtap_result* result = nullptr;
  REQUIRE(read(desk.ctx, card, "123456", &result) == IDTAP_OK);
  auto recorded = [&] {  // credentials and events in the ledger
    Ledger ledger = Ledger::open(desk.db, issue::testing::ledger_options()).value();
    const LedgerReport report = ledger.verify().value();
    CHECK(report.consistent());
    return std::make_pair(ledger.credentials().value().size(), report.events);
  };
  Phone phone(desk.issuer);
  const std::string out = desk.dir.path() + "/kiosk.cbor";
  idtap_device_issue request = phone.request(out);
  request.idempotency_id = "kiosk-3:2026-12-07:0001";
  idtap_credential* first = nullptr;
  REQUIRE_MESSAGE(idtap_issue_to_device(desk.issuer, result, &request, &first) == IDTAP_OK, idtap_context_error(desk.ctx));
  CHECK(std::string(idtap_credential_idempotency_id(first)) == "kiosk-3:2026-12-07:0001");
  CHECK(idtap_credential_replayed(first) == 0);
  const std::string first_id = idtap_credential_id(first);
  const uint8_t* bytes = nullptr;
  size_t len = 0;
  REQUIRE(idtap_credential_bytes(first, &bytes, &len) == IDTAP_OK);
  const Bytes first_bytes(bytes, bytes + len);
  idtap_credential_free(first);
  const auto before = recorded();

  // The same call again (the kiosk lost the answer): the same credential, nothing recorded; the
  // file is there with these bytes.
  idtap_credential* again = nullptr;
  REQUIRE_MESSAGE(idtap_issue_to_device(desk.issuer, result, &request, &again) == IDTAP_OK, idtap_context_error(desk.ctx));
  CHECK(idtap_credential_replayed(again) == 1);
  CHECK(std::string(idtap_credential_id(again)) == first_id);
  REQUIRE(idtap_credential_bytes(again, &bytes, &len) == IDTAP_OK);
  CHECK(Bytes(bytes, bytes + len) == first_bytes);
  idtap_credential_free(again);
  CHECK(recorded() == before);
  // Cut off before the file was written (here: removed): the retry writes the recorded bytes.
  REQUIRE(::unlink(out.c_str()) == 0);
  REQUIRE_MESSAGE(idtap_issue_to_device(desk.issuer, result, &request, &again) == IDTAP_OK, idtap_context_error(desk.ctx));
  CHECK(std::string(idtap_credential_id(again)) == first_id);
  idtap_credential_free(again);
  CHECK(read_file(out).value() == first_bytes);
  CHECK(recorded() == before);

  // The id for another request (another phone): refused as the ledger refuses it; nothing written.
  Phone other(desk.issuer);
  const std::string other_out = desk.dir.path() + "/other.cbor";
  idtap_device_issue stolen = other.request(other_out);
  stolen.idempotency_id = request.idempotency_id;
  idtap_credential* refused = nullptr;
  CHECK(idtap_issue_to_device(desk.issuer, result, &stolen, &refused) == IDTAP_E_REFUSED);
  CHECK(std::string(idtap_context_error(desk.ctx)).find("was used for another issuance") != std::string::npos);
  CHECK(refused == nullptr);
  CHECK(::access(other_out.c_str(), F_OK) != 0);
  // A malformed id: refused before anything is touched, as the ledger validates it.
  stolen.idempotency_id = "has space";
  CHECK(idtap_issue_to_device(desk.issuer, result, &stolen, &refused) == IDTAP_E_INVALID_ARGUMENT);
  CHECK(std::string(idtap_context_error(desk.ctx)).find("idempotency id") != std::string::npos);
  const std::string too_long(129, 'a');
  stolen.idempotency_id = too_long.c_str();
  CHECK(idtap_issue_to_device(desk.issuer, result, &stolen, &refused) == IDTAP_E_INVALID_ARGUMENT);
  CHECK(::access(other_out.c_str(), F_OK) != 0);
  CHECK(recorded() == before);

  // A caller built against the header before the field (the older struct_size): the field is not
  // read (here it holds an id that would be refused), and the ledger makes one up.
  stolen.struct_size = offsetof(idtap_device_issue, idempotency_id);
  stolen.idempotency_id = "has space";
  idtap_credential* old_caller = nullptr;
  REQUIRE_MESSAGE(idtap_issue_to_device(desk.issuer, result, &stolen, &old_caller) == IDTAP_OK, idtap_context_error(desk.ctx));
  CHECK(std::string(idtap_credential_idempotency_id(old_caller)).rfind("idt-", 0) == 0);
  CHECK(idtap_credential_replayed(old_caller) == 0);
  CHECK(std::string(idtap_credential_revoked(old_caller, 0)) == first_id);  // a new issuance for the holder
  idtap_credential_free(old_caller);
  // A struct_size that is neither: refused.
  stolen.struct_size = offsetof(idtap_device_issue, idempotency_id) + 1;
  CHECK(idtap_issue_to_device(desk.issuer, result, &stolen, &old_caller) == IDTAP_E_INVALID_ARGUMENT);
  CHECK(idtap_credential_idempotency_id(nullptr) == nullptr);
  CHECK(idtap_credential_replayed(nullptr) == 0);
  idtap_result_free(result);
}
