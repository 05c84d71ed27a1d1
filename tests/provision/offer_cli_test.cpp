// `idtap provision offer` and `idtap ledger init --allow-attested`, run as a user runs them;
// the offers they leave are redeemed through the library (as `idtap serve` will).
#include <doctest/doctest.h>

#include <ctime>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_fixture.h"
#include "fixtures.h"
#include "idtap/issue/ledger_offer_backend.h"
#include "idtap/issue/pipeline.h"
#include "idtap/provision/files.h"
#include "support/attested_record.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;
using namespace idtap::provision::testing::cli;

namespace {

// percent_decode: the query value back (the test's own, for checking).
std::string percent_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// redeem_and_issue: what the phone does through `idtap serve`: the code with its tx_code, then
// the credential bound to a fresh key; the IssuerSigned bytes.
Result<Bytes> redeem_and_issue(const std::string& db, const std::string& code, const std::string& tx_code, const TestIssuer& pki) {
  Ledger ledger = Ledger::open(db).value();
  issue::Pipeline pipeline(ledger, std::make_unique<SoftwareIssuer>(signer_of(pki)));
  issue::LedgerOfferBackend backend(pipeline);
  const UnixSeconds now = now_seconds();
  IDTAP_ASSIGN_OR_RETURN(issue::RedeemedOffer redeemed, backend.redeem(code, tx_code, now));
  auto phone = EcPrivateKey::generate().value();
  Bytes point{0x04};
  point.insert(point.end(), phone.public_key().x().begin(), phone.public_key().x().end());
  point.insert(point.end(), phone.public_key().y().begin(), phone.public_key().y().end());
  return backend.issue(redeemed, point, now);
}

}  // namespace

TEST_CASE("idtap provision offer: the card read, an offer stored, the OID4VCI URI and the tx_code printed once") {
  TempDir dir;
  REQUIRE(run("sim personalize --out " + dir.file("card")).rc == 0);
  const std::string db = dir.file("ledger.db");
  REQUIRE(run("ledger init --ledger " + db + " --status-uri " + kStatusUri).rc == 0);
  const std::string card = " --reader sim:" + dir.file("card") + " --can 123456 --trust " + dir.file("card") + "/pki/csca_cert.pem";
  auto made = run("provision offer" + card + " --ledger " + db + " --issuer-url https://id.example.kr --ttl 10m --json", false);
  REQUIRE_MESSAGE(made.rc == 0, made.out);
  auto j = nlohmann::json::parse(made.out);
  const std::string code = j.at("pre_authorized_code");
  const std::string tx = j.at("tx_code");
  CHECK(tx.size() == 6);
  CHECK(j.at("evidence") == "chip");
  CHECK(j.at("holder") == "900101-1******");
  CHECK_FALSE(contains(made.out, "900101-1234567"));
  const std::string uri = j.at("credential_offer_uri");
  const std::string prefix = "openid-credential-offer://?credential_offer=";
  REQUIRE(uri.rfind(prefix, 0) == 0);
  auto offer = nlohmann::json::parse(percent_decode(uri.substr(prefix.size())));
  CHECK(offer.at("credential_issuer") == "https://id.example.kr");
  CHECK(offer.at("credential_configuration_ids").at(0) == "kr.go.mois.residentid.1");
  const auto& grant = offer.at("grants").at("urn:ietf:params:oauth:grant-type:pre-authorized_code");
  CHECK(grant.at("pre-authorized_code") == code);
  CHECK(grant.at("tx_code").at("input_mode") == "numeric");
  CHECK(grant.at("tx_code").at("length") == 6);
  // the expiry is the ttl from now (10 minutes), as RFC 3339
  CHECK(j.at("expires_at").get<std::string>().size() == 20);

  // the phone redeems it (as through `idtap serve`) and holds a credential the ledger records
  TestIssuer pki = make_test_issuer();
  auto credential = redeem_and_issue(db, code, tx, pki);
  REQUIRE_MESSAGE(credential.ok(), credential.error().message());
  write(dir.file("phone.mdoc"), string_of(*credential));
  write(dir.file("ca.pem"), pki.ca.to_pem());
  auto shown = run("mdoc show " + dir.file("phone.mdoc"));
  CHECK(shown.rc == 0);
  CHECK(contains(shown.out, "verification_method"));
  CHECK(contains(shown.out, "chip"));
  auto verify = run("ledger verify --ledger " + db + " --json");
  CHECK_MESSAGE(verify.rc == 0, verify.out);
  CHECK(contains(verify.out, "\"credentials\":1"));
  // the code is spent
  CHECK(redeem_and_issue(db, code, tx, pki).error().code == ErrorCode::kNotFound);

  // the text form: the clerk sees the holder, the tx_code once, and the URI
  auto text = run("provision offer" + card + " --ledger " + db + " --issuer-url http://127.0.0.1:8443");
  REQUIRE_MESSAGE(text.rc == 0, text.out);
  CHECK(contains(text.out, "Genuine       YES"));
  CHECK(contains(text.out, "tx_code: "));
  CHECK(contains(text.out, "openid-credential-offer://?credential_offer=%7B%22credential_issuer%22%3A%22http%3A%2F%2F127.0.0.1%3A8443%22"));
}

TEST_CASE("idtap provision offer --qr: the PNG decodes (zbarimg) to the printed URI; the terminal shows the QR too") {
  TempDir dir;
  REQUIRE(run("sim personalize --out " + dir.file("card")).rc == 0);
  const std::string db = dir.file("ledger.db");
  REQUIRE(run("ledger init --ledger " + db + " --status-uri " + kStatusUri).rc == 0);
  const std::string card = " --reader sim:" + dir.file("card") + " --can 123456 --trust " + dir.file("card") + "/pki/csca_cert.pem";

  // --json: the URI, and the PNG written where --qr says
  auto made = run("provision offer" + card + " --ledger " + db + " --issuer-url https://id.example.kr --qr " + dir.file("offer.png") + " --json", false);
  REQUIRE_MESSAGE(made.rc == 0, made.out);
  auto j = nlohmann::json::parse(made.out);
  const std::string uri = j.at("credential_offer_uri");
  CHECK(j.at("qr_png") == dir.file("offer.png"));
  // ISO/IEC 18004: what a phone's camera reads is the exact URI (zbarimg, Debian zbar-tools;
  // its stderr holds unrelated noise, kept apart)
  auto decoded = idtap::test::run_shell("zbarimg --raw -q " + dir.file("offer.png") + " 2>" + dir.file("zbar.err"), false);
  CHECK(decoded.exit_code == 0);
  CHECK(decoded.out == uri + "\n");

  // text: the URI line, then the QR in UTF-8 half blocks (U+2580 / U+2584 / U+2588), and the
  // PNG (replaced) decodes to that same printed URI
  auto text = run("provision offer" + card + " --ledger " + db + " --issuer-url https://id.example.kr --qr " + dir.file("offer.png"), false);
  REQUIRE_MESSAGE(text.rc == 0, text.out);
  const std::string prefix = "openid-credential-offer://?credential_offer=";
  const size_t at = text.out.find(prefix);
  REQUIRE(at != std::string::npos);
  const std::string printed = text.out.substr(at, text.out.find('\n', at) - at);
  CHECK(printed != uri);  // a new offer: another code
  CHECK(contains(text.out, "\xE2\x96\x80"));
  CHECK(contains(text.out, "\xE2\x96\x84"));
  CHECK(contains(text.out, "\xE2\x96\x88"));
  CHECK(contains(text.out, "QR code: " + dir.file("offer.png")));
  auto again = idtap::test::run_shell("zbarimg --raw -q " + dir.file("offer.png") + " 2>" + dir.file("zbar.err"), false);
  CHECK(again.out == printed + "\n");

  // --qr without --issuer-url has no URI to draw: refused before the card is read, no offer
  auto no_url = run("provision offer" + card + " --ledger " + db + " --qr " + dir.file("x.png"));
  CHECK(no_url.rc == 2);
  CHECK(contains(no_url.out, "--qr draws the offer URI: give --issuer-url too"));
  auto no_dir = run("provision offer" + card + " --ledger " + db + " --issuer-url https://id.example.kr --qr " + dir.file("nodir/x.png"));
  CHECK(no_dir.rc == 2);
  CHECK(contains(no_dir.out, "does not exist"));
}

TEST_CASE("idtap provision offer refuses bad input before the card is read") {
  TempDir dir;
  const std::string db = dir.file("ledger.db");
  REQUIRE(run("ledger init --ledger " + db + " --status-uri " + kStatusUri).rc == 0);
  const std::string base = "provision offer --reader sim:" + dir.file("nocard") + " --can 123456 --ledger " + db;
  struct Case {
    const char* what;
    std::string args;
    std::string says;
  } cases[] = {
      // no trust anchor: nothing could read as genuine
      {"no trust", base, "--trust is required"},
      // a ttl that is not a duration, or too long
      {"bad ttl", base + " --trust x.pem --ttl soon", "--ttl must be 1s to 24h"},
      {"ttl over a day", base + " --trust x.pem --ttl 25h", "--ttl must be 1s to 24h"},
      // plain http off loopback is what a wallet refuses (OID4VCI 1.0 §12.2.1)
      {"http issuer", base + " --trust x.pem --issuer-url http://id.example.kr", "not an https URL"},
      // --attested without --clerk
      {"attested without clerk", "provision offer --attested r.json --ledger " + db, "go together"},
      // a card option on the chipless path
      {"attested with a reader", "provision offer --attested r.json --clerk c1 --reader sim:x --ledger " + db, "the attested path"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    auto p = run(c.args);
    CHECK_MESSAGE(p.rc == 2, p.out);
    CHECK_MESSAGE(contains(p.out, c.says), p.out);
  }
}

TEST_CASE("idtap provision offer refuses a 16-year-old at the desk and stores nothing") {
  TempDir dir;
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  const int year = tm.tm_year + 1900 - 16;
  char birth[32], rrn[32];
  std::snprintf(birth, sizeof birth, "%04d-01-01", year);
  std::snprintf(rrn, sizeof rrn, "%02d0101-3234567", year % 100);
  auto made = run("sim personalize --out " + dir.file("card") + " --birth " + birth + " --personal-number " + rrn);
  REQUIRE_MESSAGE(made.rc == 0, made.out);
  const std::string db = dir.file("ledger.db");
  REQUIRE(run("ledger init --ledger " + db + " --status-uri " + kStatusUri).rc == 0);
  auto p = run("provision offer --reader sim:" + dir.file("card") + " --can 123456 --trust " + dir.file("card") +
               "/pki/csca_cert.pem --ledger " + db);
  CHECK_MESSAGE(p.rc != 0, p.out);
  CHECK_MESSAGE(contains(p.out, "under 17"), p.out);
  CHECK_FALSE(contains(p.out, "tx_code"));
}

TEST_CASE("the chipless path: refused unless the ledger allows it; issued and marked clerk when it does") {
  TempDir dir;
  write(dir.file("face.jpg"), string_of(sample_jpeg()));
  nlohmann::json record = idtap::test::sample_attested_record();
  write(dir.file("holder.json"), record.dump());
  const std::string off = dir.file("off.db");
  REQUIRE(run("ledger init --ledger " + off + " --status-uri " + kStatusUri).rc == 0);
  auto refused = run("provision offer --attested " + dir.file("holder.json") + " --clerk clerk-9 --ledger " + off);
  CHECK_MESSAGE(refused.rc == 8, refused.out);
  CHECK(contains(refused.out, "does not allow clerk-attested issuance"));

  const std::string on = dir.file("on.db");
  auto init = run("ledger init --ledger " + on + " --status-uri " + kStatusUri + " --allow-attested --json");
  REQUIRE_MESSAGE(init.rc == 0, init.out);
  CHECK(contains(init.out, "\"allow_attested\":true"));
  auto made = run("provision offer --attested " + dir.file("holder.json") + " --clerk clerk-9 --ledger " + on + " --json", false);
  REQUIRE_MESSAGE(made.rc == 0, made.out);
  auto j = nlohmann::json::parse(made.out);
  CHECK(j.at("evidence") == "clerk:clerk-9");
  TestIssuer pki = make_test_issuer();
  auto credential = redeem_and_issue(on, j.at("pre_authorized_code"), j.at("tx_code"), pki);
  REQUIRE_MESSAGE(credential.ok(), credential.error().message());
  write(dir.file("phone.mdoc"), string_of(*credential));
  auto shown = run("mdoc show " + dir.file("phone.mdoc"));
  CHECK(contains(shown.out, "verification_method"));
  CHECK(contains(shown.out, "clerk"));
  CHECK(contains(shown.out, "800304-1******"));
  Ledger ledger = Ledger::open(on).value();
  auto records = ledger.credentials().value();
  REQUIRE(records.size() == 1);
  CHECK(records[0].evidence == "clerk:clerk-9");
  CHECK(ledger.verify().value().consistent());

  // a bad record names the key
  record.erase("portrait");
  write(dir.file("bad.json"), record.dump());
  auto bad = run("provision offer --attested " + dir.file("bad.json") + " --clerk clerk-9 --ledger " + on);
  CHECK(bad.rc == 2);
  CHECK(contains(bad.out, "\"portrait\" is missing"));
}
