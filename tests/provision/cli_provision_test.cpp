// `idtap provision`, run as a user runs it: usage and the proof challenge, reading the simulated
// card (genuine, tampered, wrong CAN, a new phone), checks made before the card is touched, an
// expired issuer, another person's phone, withheld portraits, the holder shown before issuing.
#include <doctest/doctest.h>

#include "provision/cli_fixture.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;
using namespace idtap::provision::testing::cli;

TEST_CASE("idtap provision: usage, the proof challenge, Annex D through mdoc verify") {
  TempDir dir;
  CHECK(run("provision --help").rc == 0);
  CHECK(run("mdoc --help").rc == 0);
  CHECK(run("credential --help").rc == 0);
  CHECK(run("card --help").rc == 0);
  CHECK(run("ledger --help").rc == 0);
  CHECK(run("status-list --help").rc == 0);
  auto missing = run("provision --can 123456");
  CHECK(missing.rc == 2);
  CHECK(contains(missing.out, "--device-key is required"));
  // Exactly one access key, as `idtap read` takes it.
  const std::string files = " --device-key d --proof p --issuer-key k --issuer-cert c --ledger " + dir.file("l.db") + " --out o";
  auto two_keys = run("provision --can 123456 --doc M1 --dob 900101 --expiry 301231" + files);
  CHECK(two_keys.rc == 2);
  CHECK(contains(two_keys.out, "give exactly one access key"));
  CHECK(run("provision --doc M1 --dob 900101" + files).rc == 2);  // --expiry missing
  CHECK(run("provision" + files).rc == 2);                         // no access key at all
  init_ledger(dir.file("l.db"));
  auto ch = run("provision challenge --ledger " + dir.file("l.db") + " --json");
  CHECK(ch.rc == 0);
  CHECK(contains(ch.out, "\"challenge\":\""));

  // Annex D through the command line, at a time inside its validity.
  Bytes response = load_hex_vector("iso18013_5_annex_d_device_response.hex");
  write(dir.file("annexd.cbor"), string_of(response));
  auto is = decode_issuer_signed(response).value();
  write(dir.file("ds.pem"), Certificate::from_der(is.issuer_auth.x5chain[0])->to_pem());
  auto annex = run("mdoc verify " + dir.file("annexd.cbor") + " --issuer-cert " + dir.file("ds.pem") + " --now 2021-01-01T00:00:00Z");
  CHECK_MESSAGE(annex.rc == 0, annex.out);
  CHECK(contains(annex.out, "6 elements, every digest matches"));
  // A DeviceResponse's deviceAuth needs the reader session: said so, never implied as checked.
  CHECK(contains(annex.out, "device authentication: not checked"));
  auto annex_json = run("mdoc verify " + dir.file("annexd.cbor") + " --issuer-cert " + dir.file("ds.pem") +
                        " --now 2021-01-01T00:00:00Z --json");
  CHECK(annex_json.rc == 0);
  CHECK(contains(annex_json.out, "\"device_authentication\":\"not_checked\""));
}

TEST_CASE("idtap provision reads the simulated card: genuine issues, tampered and wrong CAN refused, a new phone revokes") {
  TempDir dir;
  // Two cards as `idtap sim personalize` writes them (CAN 123456, each with its own test CSCA
  // under pki/): a genuine one and one whose DG1 was changed after EF.SOD was signed.
  const std::string dates = " --issue-date 2025-01-15 --expiry-date 2035-01-14";
  auto made = run("sim personalize --out " + dir.file("card") + dates);
  REQUIRE_MESSAGE(made.rc == 0, made.out);
  auto tampered_made = run("sim personalize --out " + dir.file("tampered") + dates + " --tamper dg1");
  REQUIRE_MESSAGE(tampered_made.rc == 0, tampered_made.out);

  TestIssuer pki = make_test_issuer();
  write_issuer_files(dir, pki);
  write(dir.file("iaca.pem"), pki.ca.to_pem());
  const std::string db = dir.file("ledger.db");
  const std::string issuer = " --issuer-key " + dir.file("issuer.key") + " --issuer-cert " + dir.file("issuer.pem") + " --ledger " + db;

  init_ledger(db);
  // The phone asks for a challenge and signs it (as a wallet does).
  auto phone = EcPrivateKey::generate().value();
  write(dir.file("phone.pub"), phone.public_key().to_pem());
  write_proof(db, phone, dir.file("proof.txt"));
  const std::string phone_args = " --device-key " + dir.file("phone.pub") + " --proof " + dir.file("proof.txt");
  auto card_args = [&](const std::string& card) {
    return " --reader sim:" + dir.file(card) + " --trust " + dir.file(card + "/pki/csca_cert.pem");
  };
  auto ledger_state = [&] { return run("ledger verify --ledger " + db + " --json").out; };
  const std::string before = ledger_state();
  CHECK(json_number(before, "credentials") == 0);

  // Refusals, each with its own exit code; nothing issued, nothing recorded, no file.
  struct Refusal {
    const char* what;
    std::string args;
    int rc;
    const char* says;
  };
  const Refusal refusals[] = {
      // A wrong CAN: PACE fails, access denied.
      {"wrong CAN", card_args("card") + " --can 654321", 3, "auth_failed"},
      // DG1 changed after signing: passive authentication fails, the card is not genuine.
      {"tampered DG1", card_args("tampered") + " --can 123456", 5, "not read as genuine"},
      // No --trust at all: refused before the card is read (no card could read as genuine).
      {"no --trust", " --reader sim:" + dir.file("card") + " --can 123456", 2, "--trust is required"},
      // Another card's CSCA: the Document Signer does not chain to it.
      {"wrong CSCA", " --reader sim:" + dir.file("card") + " --trust " + dir.file("tampered/pki/csca_cert.pem") + " --can 123456",
       7, "not read as genuine"},
  };
  for (const auto& r : refusals) {
    CAPTURE(r.what);
    const std::string out = dir.file(std::string("refused-") + std::to_string(&r - refusals) + ".mdoc");
    auto p = run("provision" + r.args + phone_args + issuer + " --out " + out);
    CHECK_MESSAGE(p.rc == r.rc, p.out);
    CHECK_MESSAGE(contains(p.out, r.says), p.out);
    CHECK(!exists(out));
    CHECK(!contains(p.out, "123456"));  // the CAN is never echoed
  }
  const std::string after_refusals = ledger_state();
  CHECK(json_number(after_refusals, "credentials") == 0);
  CHECK(json_number(after_refusals, "events") == json_number(before, "events"));
  CHECK(contains(run("credential list --ledger " + db).out, "no credentials"));

  // The genuine card: issued, and `mdoc verify` accepts it against the issuing CA alone.
  auto first = run("provision" + card_args("card") + " --can 123456" + phone_args + issuer + " --out " +
                   dir.file("phone1.mdoc") + " --json");
  REQUIRE_MESSAGE(first.rc == 0, first.out);
  CHECK(contains(first.out, "\"holder\":\"900101-1******\""));
  CHECK(contains(first.out, "\"revoked\":[]"));
  CHECK(!contains(first.out, "900101-1234567"));
  auto verified = run("mdoc verify " + dir.file("phone1.mdoc") + " --issuer-cert " + dir.file("iaca.pem"));
  CHECK_MESSAGE(verified.rc == 0, verified.out);
  auto shown = run("mdoc show " + dir.file("phone1.mdoc"));
  CHECK(contains(shown.out, "홍"));
  CHECK(contains(shown.out, "900101-1******"));
  const std::string first_id = run("credential list --ledger " + db + " --json").out;
  CHECK(contains(first_id, "\"state\":\"active\""));

  // The same proof again is a replay: refused by the rules (8), nothing more recorded.
  auto replay = run("provision" + card_args("card") + " --can 123456" + phone_args + issuer + " --out " + dir.file("again.mdoc"));
  CHECK_MESSAGE(replay.rc == 8, replay.out);
  CHECK(!exists(dir.file("again.mdoc")));

  // A new phone (read by the MRZ fields this time): issued, and the first phone's credential revoked.
  auto phone2 = EcPrivateKey::generate().value();
  write(dir.file("phone2.pub"), phone2.public_key().to_pem());
  write_proof(db, phone2, dir.file("proof2.txt"));
  auto second = run("provision" + card_args("card") + " --doc KR1234567 --dob 900101 --expiry 350114 --device-key " +
                    dir.file("phone2.pub") + " --proof " + dir.file("proof2.txt") + issuer + " --out " + dir.file("phone2.mdoc"));
  REQUIRE_MESSAGE(second.rc == 0, second.out);
  CHECK(contains(second.out, "revoked the previous phone's credential"));
  auto list = run("credential list --ledger " + db + " --json").out;
  CHECK(contains(list, "\"state\":\"revoked\""));
  CHECK(contains(list, "\"state\":\"active\""));
  CHECK(run("mdoc verify " + dir.file("phone2.mdoc") + " --issuer-cert " + dir.file("iaca.pem")).rc == 0);
  auto consistent = ledger_state();
  CHECK(contains(consistent, "\"consistent\":true"));
  CHECK(json_number(consistent, "credentials") == 2);
}


TEST_CASE("idtap provision refuses an expired issuer certificate before reading the card (M3)") {
  TempDir dir;
  auto ca_key = EcPrivateKey::generate().value();
  CertificateRequest ca_req{"old IACA", "KR", start_of_day(Date{2015, 1, 1}), start_of_day(Date{2040, 1, 1}), true};
  auto ca = make_certificate(ca_req, ca_key.public_key(), ca_key, nullptr).value();
  auto ds_key = EcPrivateKey::generate().value();
  CertificateRequest ds_req{"old DS", "KR", start_of_day(Date{2015, 1, 1}), start_of_day(Date{2020, 1, 1}), false};
  auto ds = make_certificate(ds_req, ds_key.public_key(), ca_key, &ca).value();
  write(dir.file("issuer.key"), string_of(ds_key.to_pem().value()));
  write(dir.file("issuer.pem"), ds.to_pem() + ca.to_pem());
  write(dir.file("csca.pem"), ca.to_pem());
  // No reader, device key or proof exists: the issuer certificate is refused first.
  auto p = run("provision --reader sim:" + dir.file("nocard") + " --can 123456 --trust " + dir.file("csca.pem") +
               " --device-key " + dir.file("none.pub") + " --proof " +
               dir.file("none.txt") + " --issuer-key " + dir.file("issuer.key") + " --issuer-cert " + dir.file("issuer.pem") +
               " --ledger " + dir.file("ledger.db") + " --out " + dir.file("out.mdoc"));
  CHECK_MESSAGE(p.rc == 8, p.out);
  CHECK_MESSAGE(contains(p.out, "(valid 2015-01-01T00:00:00Z .. 2020-01-01T00:00:00Z) expired before"), p.out);
  CHECK(!exists(dir.file("out.mdoc")));
}

// ----- issue 14: desk daily use ------------------------------------------------------------------


TEST_CASE("idtap provision refuses a phone that holds another person's ID, with the refusal exit code (issue 14 item 2)") {
  TempDir dir;
  const std::string db = dir.file("ledger.db");
  init_ledger(db);
  const std::string dates = " --issue-date 2025-01-15 --expiry-date 2035-01-14";
  // Two people's cards, as `idtap sim personalize` writes them.
  REQUIRE(run("sim personalize --out " + dir.file("hong") + dates).rc == 0);
  REQUIRE(run("sim personalize --out " + dir.file("kim") + dates + " --document-number KR7654321 --surname KIM --given-names MINJI" +
              " --full-name '김<<민지' --personal-number 920202-2345678 --birth 1992-02-02 --sex F").rc == 0);
  TestIssuer pki = make_test_issuer();
  write_issuer_files(dir, pki);
  const std::string issuer = " --issuer-key " + dir.file("issuer.key") + " --issuer-cert " + dir.file("issuer.pem") + " --ledger " + db;
  auto phone = EcPrivateKey::generate().value();
  write(dir.file("phone.pub"), phone.public_key().to_pem());
  auto provision = [&](const std::string& card, const std::string& out) {
    write_proof(db, phone, dir.file("proof.txt"));
    return run("provision --reader sim:" + dir.file(card) + " --trust " + dir.file(card + "/pki/csca_cert.pem") +
               " --can 123456 --device-key " + dir.file("phone.pub") + " --proof " + dir.file("proof.txt") + issuer + " --out " +
               dir.file(out));
  };
  auto first = provision("hong", "hong.mdoc");
  REQUIRE_MESSAGE(first.rc == 0, first.out);
  auto second = provision("kim", "kim.mdoc");
  CHECK_MESSAGE(second.rc == 8, second.out);
  CHECK_MESSAGE(contains(second.out, "this phone's device key already holds another holder's mobile ID"), second.out);
  CHECK(!exists(dir.file("kim.mdoc")));
  CHECK(json_number(run("ledger verify --ledger " + db + " --json").out, "credentials") == 1);
}


TEST_CASE("idtap read and provision: a portrait EF.SOD lists but the chip withholds (issue 14 item 9)") {
  TempDir dir;
  const std::string card = dir.file("card");
  REQUIRE(run("sim personalize --out " + card + " --issue-date 2025-01-15 --expiry-date 2035-01-14").rc == 0);
  REQUIRE(::unlink((card + "/files/dg2.bin").c_str()) == 0);  // the chip answers 6A82 for DG2
  const std::string access = " --reader sim:" + card + " --trust " + card + "/pki/csca_cert.pem --can 123456";
  auto read = run("read" + access);
  CHECK_MESSAGE(read.rc == 5, read.out);
  CHECK_MESSAGE(contains(read.out, "Genuine       NO: EF.SOD lists DG2 but the chip did not deliver it"), read.out);
  CHECK(contains(read.out, "Withheld      DG2"));
  CHECK(!contains(read.out, "Genuine       YES"));
  auto json = run("read" + access + " --json");
  CHECK_MESSAGE(contains(json.out, "\"withheld_data_groups\": [\n      2\n    ]"), json.out);

  const std::string db = dir.file("ledger.db");
  init_ledger(db);
  TestIssuer pki = make_test_issuer();
  write_issuer_files(dir, pki);
  auto phone = EcPrivateKey::generate().value();
  write(dir.file("phone.pub"), phone.public_key().to_pem());
  write_proof(db, phone, dir.file("proof.txt"));
  auto p = run("provision" + access + " --device-key " + dir.file("phone.pub") + " --proof " + dir.file("proof.txt") +
               " --issuer-key " + dir.file("issuer.key") + " --issuer-cert " + dir.file("issuer.pem") + " --ledger " + db + " --out " +
               dir.file("phone.mdoc"));
  CHECK_MESSAGE(p.rc == 5, p.out);
  CHECK_MESSAGE(contains(p.out, "not read as genuine (EF.SOD lists DG2 but the chip did not deliver it"), p.out);
  CHECK(!exists(dir.file("phone.mdoc")));
  CHECK(json_number(run("ledger verify --ledger " + db + " --json").out, "credentials") == 0);
}

// ----- issue 14 items 10-12: the clerk's view ---------------------------------------------------

TEST_CASE("idtap provision checks what it can before touching the card (issue 14 item 12)") {
  TempDir dir;
  TestIssuer pki = make_test_issuer();
  write_issuer_files(dir, pki);
  write(dir.file("csca.pem"), pki.ca.to_pem());
  // The reader does not exist: a refusal that names the input proves the card was never reached.
  const std::string base = "provision --reader sim:" + dir.file("nocard") + " --can 123456 --device-key " +
                           dir.file("none.pub") + " --proof " + dir.file("none.txt") + " --issuer-key " +
                           dir.file("issuer.key") + " --issuer-cert " + dir.file("issuer.pem") + " --ledger " +
                           dir.file("ledger.db");
  write(dir.file("taken.mdoc"), "x");
  struct Case {
    const char* what;
    std::string args;
    std::string says;
  } cases[] = {
      // no --trust: nothing could ever read as genuine
      {"no trust", " --out " + dir.file("out.mdoc"), "--trust is required"},
      // --out in a directory that is not there: named, not an internal temporary file
      {"missing directory", " --trust " + dir.file("csca.pem") + " --out " + dir.file("nodir/out.mdoc"),
       "the directory " + dir.file("nodir") + " does not exist"},
      // --out already there: a credential never replaces a file
      {"existing file", " --trust " + dir.file("csca.pem") + " --out " + dir.file("taken.mdoc"), "a file is already there"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    auto p = run(base + c.args);
    CHECK_MESSAGE(p.rc == 2, p.out);
    CHECK_MESSAGE(contains(p.out, c.says), p.out);
    CHECK_FALSE(contains(p.out, "sim:"));  // the reader was never opened
  }
}

TEST_CASE("idtap provision shows the holder before issuing, and says when the card leaves mid-read (issue 14 items 10, 11)") {
  TempDir dir;
  // The card leaves the field after 12 APDUs (mid-read) and comes back.
  auto made = run("sim personalize --out " + dir.file("card") + " --leave-after 12 --full-name '남궁<<민수'");
  REQUIRE_MESSAGE(made.rc == 0, made.out);
  TestIssuer pki = make_test_issuer();
  write_issuer_files(dir, pki);
  auto p = provision_card(dir, dir.file("card"), dir.file("issuer.key"), dir.file("issuer.pem"), dir.file("out.mdoc"));
  CAPTURE(p.out);
  REQUIRE(p.rc == 0);
  // what the clerk compares with the person at the desk, before the "issued" line
  for (const char* line : {"Name          HONG, GILDONG\n", "Full name     남궁민수 (surname 남궁)\n", "Born          1990-01-01\n",
                           "Document      KOR KR1234567, expires ", "Genuine       YES"}) {
    CAPTURE(line);
    CHECK(contains(p.out, line));
  }
  CHECK(p.out.find("Genuine       YES") < p.out.find("issued "));
  CHECK_FALSE(contains(p.out, "900101-1234567"));  // the resident number stays masked
  // the card left and came back: said, not a frozen bar
  CHECK(contains(p.out, "card removed: put it back on the reader"));
  CHECK(contains(p.out, "card back: reading on"));
}
