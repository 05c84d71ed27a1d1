// idtap read end to end through real pcscd + vpcd + the simulated card served by
// `idtap sim serve`: the JSON report compared field by field with what the card holds.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>

#include "idtap/base/hex.h"
#include "idtap/crypto/hash.h"
#include "idtap/lds/dg1.h"
#include "idtap/lds/dg11.h"
#include "idtap/lds/dg12.h"
#include "idtap/reader/session.h"
#include "idtap/select/select.h"
#include "idtap/sim/card_image.h"
#include "support/pcscd_fixture.h"
#include "support/scratch_dir.h"
#include "support/test_card.h"
#include "tools/json.h"

using namespace idtap;
using namespace std::chrono_literals;

namespace {

struct Run {
  int exit_code = -1;
  std::string out;
};

// run: the command's stdout and exit code (stderr goes to the test's stderr).
Run run(const std::string& command) {
  Run r;
  FILE* p = popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("idtap read --json through pcscd and vpcd matches the card field by field") {
  test::ScratchDir tmp("read-pcsc");
  test::TestCard card = test::make_test_card(test::TestCardOptions{.pace = false});
  const std::string card_dir = tmp.path() + "/card";
  REQUIRE(sim::write_card_image(card_dir, card.image).ok());
  const std::string csca = tmp.path() + "/csca.pem";
  std::ofstream(csca) << card.csca_pem;

  test::PcscdFixture pcscd;
  REQUIRE_MESSAGE(pcscd.ok(), pcscd.error());
  test::SimServeProcess serve(card_dir, pcscd.vpcd_port());
  REQUIRE_MESSAGE(serve.ok(), serve.error());
  REQUIRE_MESSAGE(pcscd.wait_card(true, 10000ms), (std::string("card never appeared: ") + serve.log()));

  const std::string base = test::idtap_binary() + " read --reader 'pcsc:" + pcscd.reader_name() + "' --doc " +
                           test::kCardDocumentNumber + " --dob " + test::kCardDateOfBirth + " --expiry " + test::kCardDateOfExpiry;
  const std::string out_dir = tmp.path() + "/out";
  Run r = run(base + " --trust " + csca + " --json --out " + out_dir);
  CAPTURE(r.out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("\"genuine\": true") != std::string::npos);
  CHECK(r.out.find("\"passive\": \"valid\"") != std::string::npos);
  CHECK(r.out.find("\"chip\": \"passed\"") != std::string::npos);
  CHECK(r.out.find("\"active\": \"passed\"") != std::string::npos);
  CHECK(r.out.find("\"access\": \"BAC\"") != std::string::npos);
  CHECK(r.out.find("\"document_number\": \"M12345678\"") != std::string::npos);
  CHECK(r.out.find("\"primary_identifier\": \"HONG\"") != std::string::npos);
  CHECK(r.out.find("\"full_name\": \"홍<<길동\"") != std::string::npos);
  CHECK(r.out.find("\"personal_number\": \"900101-1******\"") != std::string::npos);
  CHECK(r.out.find(test::kCardResidentNumber) == std::string::npos);  // never whole without --reveal
  for (const auto& [n, raw] : card.image.files.data_groups) {
    CAPTURE(n);
    const std::string sha = to_hex(crypto::digest(crypto::HashAlg::kSha256, raw).value());
    CHECK(r.out.find("\"sha256\": \"" + sha + "\"") != std::string::npos);
    CHECK(read_file(out_dir + "/dg" + std::to_string(n) + ".bin") == raw);
  }

  // The same, value by value: what the card holds (decoded here from the card image's own
  // files, and the values make_test_card fixed) against the JSON document.
  std::string parse_error;
  const auto parsed = test::parse_json(r.out, &parse_error);
  REQUIRE_MESSAGE(parsed.has_value(), parse_error);
  const test::Json& doc = *parsed;
  const test::Json& d = doc.at("document");
  const auto dg1 = lds::parse_dg1(card.image.files.data_groups.at(1));
  const auto dg11 = lds::parse_dg11(card.image.files.data_groups.at(11));
  const auto dg12 = lds::parse_dg12(card.image.files.data_groups.at(12));
  REQUIRE(dg1.ok());
  REQUIRE(dg11.ok());
  REQUIRE(dg12.ok());
  const lds::Mrz& mrz = dg1->mrz;
  const struct {
    const char* field;
    std::string card_value;  // decoded from the card image
    const char* fixed;       // what make_test_card put there
  } fields[] = {
      {"format", "TD3", "TD3"},
      {"document_code", mrz.document_code, "P"},
      {"issuing_state", mrz.issuing_state, "KOR"},
      {"document_number", mrz.document_number, test::kCardDocumentNumber},
      {"primary_identifier", mrz.primary_identifier, "HONG"},
      {"secondary_identifier", mrz.secondary_identifier, "GILDONG"},
      {"nationality", mrz.nationality, "KOR"},
      {"sex", std::string(1, mrz.sex), "M"},
      {"date_of_birth", format_date(*mrz.date_of_birth.date), "1990-01-01"},
      {"date_of_expiry", format_date(*mrz.date_of_expiry.date), "2030-12-31"},
      {"full_date_of_birth", format_date(*dg11->dg11.full_date_of_birth->date), "1990-01-01"},
      {"full_name", *dg11->dg11.full_name, "홍<<길동"},
      {"address", *dg11->dg11.address, nullptr},
      {"place_of_birth", *dg11->dg11.place_of_birth, nullptr},
      {"issuing_authority", *dg12->dg12.issuing_authority, nullptr},
      {"date_of_issue", format_date(*dg12->dg12.date_of_issue->date), "2020-12-31"},
  };
  for (const auto& f : fields) {
    CAPTURE(f.field);
    CHECK(d.at(f.field).get<std::string>() == f.card_value);
    if (f.fixed) CHECK(f.card_value == f.fixed);
    CHECK_FALSE(f.card_value.empty());
  }
  CHECK(d.at("mrz_checks_valid").get<bool>());
  // Every data group the card holds was read, matched EF.SOD, and nothing else is reported.
  CHECK(doc.at("data_groups").size() == card.image.files.data_groups.size());
  for (const auto& [n, raw] : card.image.files.data_groups) {
    CAPTURE(n);
    const test::Json& group = doc.at("data_groups").at(std::to_string(n));
    REQUIRE(group.is_object());
    CHECK(group.at("hash_ok").is_boolean());
    CHECK(group.at("hash_ok").get<bool>());
    CHECK(group.at("bytes").get<uint64_t>() == raw.size());
  }
  CHECK(doc.at("verification").at("reasons").empty());
  CHECK(read_file(out_dir + "/ef_com.bin") == *card.image.files.com);
  CHECK(read_file(out_dir + "/ef_sod.bin") == *card.image.files.sod);
  const Bytes png = read_file(out_dir + "/photo.png");
  REQUIRE(png.size() > 8);
  CHECK(to_hex(ByteView(png).first(8)) == "89504e470d0a1a0a");
  CHECK(read_file(out_dir + "/face.jpg").size() > 100);

  // A wrong date of birth: access denied (exit 3), nothing else.
  Run wrong = run(test::idtap_binary() + " read --reader 'pcsc:" + pcscd.reader_name() + "' --doc " + test::kCardDocumentNumber +
                  " --dob 900102 --expiry " + test::kCardDateOfExpiry + " 2>/dev/null");
  CHECK(wrong.exit_code == 3);
  // Without a trust anchor: exit 7.
  Run untrusted = run(base + " 2>/dev/null");
  CHECK(untrusted.exit_code == 7);
  CHECK(untrusted.out.find("no_trust_anchor") != std::string::npos);
}

namespace {

// ServedCard: a test card written to a scratch directory (with its CSCA) and served by
// `idtap sim serve` (with `serve_options`) to a private pcscd's vpcd reader.
struct ServedCard {
  test::ScratchDir tmp;
  test::TestCard card;
  std::string csca;
  test::PcscdFixture pcscd;
  std::unique_ptr<test::SimServeProcess> serve;

  ServedCard(const char* name, const test::TestCardOptions& options, const std::vector<std::string>& serve_options = {"--quiet"})
      : tmp(name), card(test::make_test_card(options)), csca(tmp.path() + "/csca.pem") {
    const std::string card_dir = tmp.path() + "/card";
    REQUIRE(sim::write_card_image(card_dir, card.image).ok());
    std::ofstream(csca) << card.csca_pem;
    REQUIRE_MESSAGE(pcscd.ok(), pcscd.error());
    serve = std::make_unique<test::SimServeProcess>(card_dir, pcscd.vpcd_port(), serve_options);
    REQUIRE_MESSAGE(serve->ok(), serve->error());
    REQUIRE_MESSAGE(pcscd.wait_card(true, 10000ms), (std::string("card never appeared: ") + serve->log()));
  }
  std::string idtap(const std::string& args) const { return test::idtap_binary() + " " + args; }
  std::string read_can() const { return idtap("read --reader pcsc:#0 --can " + std::string(test::kCardCan) + " --trust " + csca + " --json"); }
  std::string read_mrz() const {
    return idtap("read --reader pcsc:#0 --doc " + std::string(test::kCardDocumentNumber) + " --dob " + test::kCardDateOfBirth +
                 " --expiry " + test::kCardDateOfExpiry + " --trust " + csca + " --json");
  }
};

bool genuine(const Run& r) { return r.exit_code == 0 && r.out.find("\"genuine\": true") != std::string::npos; }

}  // namespace

TEST_CASE("one card read three times in a row through pcscd, and after idtap apdu left the application selected") {
  ServedCard served("read-pcsc-again", test::TestCardOptions{.pace = true, .bac = false});
  // Each read starts where the last one left the card (pcscd keeps it powered between programs).
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    Run r = run(served.read_can());
    CAPTURE(r.out);
    CHECK(genuine(r));
    CHECK(r.out.find("\"access\": \"PACE-CAN") != std::string::npos);
  }
  // `idtap read` resets the card when it is done: the next program finds it as after power-up,
  // with EF.CardAccess readable by SFI from the MF.
  Run after = run(served.idtap("apdu --reader pcsc:#0 00B09C0000"));
  CAPTURE(after.out);
  CHECK(after.exit_code == 0);
  CHECK(after.out.find(to_hex(*served.card.image.files.card_access, true, ' ') + " 6282") != std::string::npos);
  // `idtap apdu` leaves the card as its commands left it (here: the application selected).
  Run select = run(served.idtap("apdu --reader pcsc:#0 00A4040C07A0000002471001"));
  CHECK(select.exit_code == 0);
  Run stale = run(served.idtap("apdu --reader pcsc:#0 00B09C0000"));
  CHECK(stale.out.find("6A82") != std::string::npos);  // EF.CardAccess is not in the application
  Run read = run(served.read_can());
  CAPTURE(read.out);
  CHECK(genuine(read));
}

TEST_CASE("a BAC passport that does not read by SFI, through pcscd: read in full with the MRZ") {
  ServedCard served("read-pcsc-no-sfi", test::TestCardOptions{.pace = false}, {"--quiet", "--no-sfi"});
  Run r = run(served.read_mrz() + " -v 2>&1");
  CAPTURE(r.out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("\"genuine\": true") != std::string::npos);
  CHECK(r.out.find("\"access\": \"BAC\"") != std::string::npos);
  CHECK(r.out.find("> 0C B0 9D 00") != std::string::npos);  // EF.SOD by SFI under BAC: refused in plain
  CHECK(r.out.find("> 0C A4 02 0C") != std::string::npos);  // then files selected by FID
  for (const auto& [n, raw] : served.card.image.files.data_groups) {
    CAPTURE(n);
    const std::string sha = to_hex(crypto::digest(crypto::HashAlg::kSha256, raw).value());
    CHECK(r.out.find("\"sha256\": \"" + sha + "\"") != std::string::npos);
  }
  // And again at once: the second session starts where the first one left the card.
  CHECK(genuine(run(served.read_mrz())));
}

TEST_CASE("a kiosk loop through pcscd: read_card 20 times on one connection, every read genuine") {
  ServedCard served("read-pcsc-kiosk", test::TestCardOptions{.pace = true, .bac = false});
  auth::TrustStore trust;
  REQUIRE(trust.add_certificates(bytes_of(served.card.csca_pem), "test csca").ok());
  select::OpenOptions open;
  open.reader = "pcsc:#0";
  auto opened = select::open_reader(open);
  REQUIRE_MESSAGE(opened.ok(), opened.error().message());
  for (int i = 0; i < 20; ++i) {
    CAPTURE(i);
    reader::ReadRequest req;
    req.can = auth::Password::can(test::kCardCan).value();
    req.trust = &trust;
    auto r = reader::read_card(*opened->transport, req);
    REQUIRE_MESSAGE(r.ok(), r.error().message());
    CHECK(r->verification.genuine);
    CHECK(r->verification.access.rfind("PACE-CAN", 0) == 0);
    CHECK(r->data_groups.size() == served.card.image.files.data_groups.size());
  }
}
