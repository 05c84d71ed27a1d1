// `idtap read` on simulated cards, through the binary: the JSON document value by value (data
// groups against the --out files, stats, verdict reasons), the options (--files, --crl, --mrz,
// --doc/--dob/--expiry, --access, --aa-challenge, the CAN's sources), the readable summary and
// the progress bar only on a terminal. --out: read_cli_out_test.cpp; the README's JSON schema and
// the AA fields: read_cli_json_test.cpp.
#include <doctest/doctest.h>

#include "tools/read_cli_fixture.h"

using namespace idtap;
using namespace idtap::test::read_cli;
using test::idtap_binary;
using test::Json;
using test::run_shell;


TEST_CASE("idtap read --json: data groups keyed by number, each SHA-256 that of the --out file; stats; reasons empty") {
  test::ScratchDir tmp("read-json");
  const std::string card = personalize(tmp, "card");
  const std::string out = tmp.path() + "/out";
  auto r = run_split(read_command(card, "--can 123456 --trust " + card + "/pki/csca_cert.pem --json --out " + out), tmp);
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  const Json doc = parse_or_fail(r.out);

  const Json& groups = doc.at("data_groups");
  REQUIRE(groups.is_object());
  // Every data group EF.SOD lists but DG3/DG4; the card has 1, 2, 11, 12, 14, 15.
  CHECK(test::keys_of(groups) == std::vector<std::string>{"1", "2", "11", "12", "14", "15"});
  const std::regex hex64("^[0-9a-f]{64}$");
  for (const auto& [number, group] : groups.items()) {
    CAPTURE(number);
    const Bytes file = read_bytes(out + "/dg" + number + ".bin");
    REQUIRE_FALSE(file.empty());
    CHECK(std::regex_match(group.at("sha256").get<std::string>(), hex64));
    CHECK(group.at("sha256").get<std::string>() == sha256_hex(file));
    CHECK(group.at("bytes").get<uint64_t>() == file.size());
    REQUIRE(group.at("hash_ok").is_boolean());
    CHECK(group.at("hash_ok").get<bool>());
    CHECK(!group.contains("error"));
  }

  const Json& stats = doc.at("stats");
  for (const char* field : {"apdus", "apdus_after_access", "bytes_sent", "bytes_received", "ms", "recoveries", "chunk_size"}) {
    CAPTURE(field);
    CHECK(stats.at(field).is_number_unsigned());
  }
  CHECK(stats.at("apdus").get<uint64_t>() > 0);
  CHECK(stats.at("apdus_after_access").get<uint64_t>() < stats.at("apdus").get<uint64_t>());
  CHECK(stats.at("bytes_sent").get<uint64_t>() > 0);
  CHECK(stats.at("bytes_received").get<uint64_t>() > 17000);  // at least the face image came in

  const Json& v = doc.at("verification");
  for (const char* field : {"access", "passive", "chip", "active", "genuine", "reasons"}) {
    CAPTURE(field);
    CHECK(v.contains(field));
  }
  CHECK(v.at("genuine").is_boolean());
  CHECK(v.at("genuine").get<bool>());
  REQUIRE(v.at("reasons").is_array());
  CHECK(v.at("reasons").empty());
  // The simulated card's EF.SOD is strict DER, ICAO content type, named curves: no leniency.
  REQUIRE(v.contains("passive_leniencies"));
  REQUIRE(v.at("passive_leniencies").is_array());
  CHECK(v.at("passive_leniencies").empty());
  CHECK(v.at("access").get<std::string>() == "PACE-CAN id-PACE-ECDH-GM-AES-CBC-CMAC-128 brainpoolP256r1");

  // The files --out lists are there, byte for byte what the report hashes.
  const Json& written = doc.at("out");
  CHECK(written.at("dir").get<std::string>() == out);
  CHECK(written.at("error").get<std::string>().empty());
  CHECK(strings_of(written.at("files")) == std::vector<std::string>{"ef_cardaccess.bin", "ef_com.bin", "ef_sod.bin", "dg1.bin", "dg2.bin",
                                                                 "dg11.bin", "dg12.bin", "dg14.bin", "dg15.bin", "face.jpg",
                                                                 "photo.png"});
  CHECK(written.at("photo").at("written").get<bool>());
  CHECK(written.at("photo").at("face_file").get<std::string>() == "face.jpg");
  CHECK(written.at("photo").at("error").get<std::string>().empty());
  for (const auto& f : written.at("files")) CHECK(std::filesystem::is_regular_file(out + "/" + f.get<std::string>()));
  CHECK(read_bytes(out + "/face.jpg").size() == doc.at("document").at("face_image").at("bytes").get<uint64_t>());
}

TEST_CASE("idtap read --json: a failed check is named in reasons and hash_ok, with its exit code") {
  test::ScratchDir tmp("read-reasons");
  const struct {
    const char* options;
    int exit_code;
    const char* first_reason;  // the start of reasons[0]
    const char* why;
  } cases[] = {
      {"--tamper dg11", 5, "passive: invalid: DG11 does not match its hash", "DG11 changed after signing"},
      {"--cloned --aa none", 6, "chip: failed: ", "a clone: copied data, its own chip key, no AA"},
      {"--cloned", 6, "chip: failed: ", "a clone with AA: both checks fail"},
  };
  int n = 0;
  for (const auto& c : cases) {
    CAPTURE(c.why);
    const std::string card = personalize(tmp, "card" + std::to_string(n++), c.options);
    auto r = run_split(read_command(card, "--can 123456 --trust " + card + "/pki/csca_cert.pem --json"), tmp);
    CAPTURE(r.out);
    CHECK(r.exit_code == c.exit_code);
    const Json doc = parse_or_fail(r.out);
    const Json& v = doc.at("verification");
    CHECK_FALSE(v.at("genuine").get<bool>());
    const std::vector<std::string> reasons = strings_of(v.at("reasons"));
    REQUIRE(reasons.size() >= 2);
    CHECK(reasons.front().rfind(c.first_reason, 0) == 0);
    CHECK(reasons.back() == "genuine: " + v.at("genuine_reason").get<std::string>());  // the verdict's own, last
    for (const auto& reason : reasons) CHECK_FALSE(contains(reason, "passed"));
    // hash_ok: false exactly for the tampered group.
    for (const auto& [number, group] : doc.at("data_groups").items()) {
      CAPTURE(number);
      const bool tampered = c.exit_code == 5 && number == "11";
      CHECK(group.at("hash_ok").get<bool>() == !tampered);
    }
  }
}

TEST_CASE("idtap read --crl: checked against --trust, a revoked Document Signer fails, --crl alone is a usage error") {
  test::ScratchDir tmp("read-crl");
  const std::string card = personalize(tmp, "card");
  const std::string csca = " --trust " + card + "/pki/csca_cert.pem";
  const std::string revoked = tmp.path() + "/revoked.pem";
  write_revoking_crl(card, revoked);
  const std::string garbage = tmp.path() + "/garbage.pem";
  { std::ofstream(garbage) << "-----BEGIN X509 CRL-----\nnot base64 at all\n-----END X509 CRL-----\n"; }
  const std::string other = personalize(tmp, "other");
  const struct {
    std::string options;
    int exit_code;
    const char* says;
    const char* why;
  } cases[] = {
      {csca + " --crl " + card + "/pki/csca_crl.pem", 0, "\"crl_checked\": true", "the CSCA's current CRL revokes nothing"},
      {csca, 0, "\"crl_checked\": false", "no CRL given: none checked"},
      {csca + " --crl " + revoked, 5, "revoked", "a CRL that revokes the Document Signer"},
      {csca + " --crl " + garbage, 2, "--crl", "a CRL file that does not parse"},
      {csca + " --crl " + tmp.path() + "/none.pem", 2, "--crl", "a CRL file that is not there"},
      {" --crl " + card + "/pki/csca_crl.pem", 2, "--crl needs --trust", "--crl without --trust would be ignored"},
      // another card's CSCA (same name, other key) signed this CRL: a set-up error said at once,
      // not "passive authentication failed" on a genuine card (issue 14 item 16)
      {csca + " --crl " + other + "/pki/csca_crl.pem", 2, "is signed by none of the trusted CSCAs",
       "a CRL of another CSCA"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto r = run_shell(read_command(card, "--can 123456 --json" + c.options));
    CAPTURE(r.out);
    CHECK(r.exit_code == c.exit_code);
    CHECK(contains(r.out, c.says));
  }
}

TEST_CASE("idtap read: the access options on passports (BAC) and cards that offer both") {
  test::ScratchDir tmp("read-access");
  // ICAO 9303-4 Appendix B's TD3 specimen (check digits hold).
  const std::string mrz = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10";
  std::string bad_check_digit = mrz;
  bad_check_digit[44 + 9] = '7';  // L898902C3's check digit is 6
  const std::string specimen = personalize(tmp, "specimen", "--profile passport --mrz '" + mrz + "'");
  const std::string passport = personalize(tmp, "passport", "--profile passport --document-number M12345678 --expiry-date 2030-12-31");
  const std::string both = personalize(tmp, "both", "--profile both --document-number M12345678 --expiry-date 2030-12-31");
  const std::string fields = " --doc M12345678 --dob 900101 --expiry 301231";
  const struct {
    std::string card;
    std::string options;
    int exit_code;
    const char* says;
    const char* why;
  } cases[] = {
      {specimen, "--mrz '" + mrz + "'", 0, "Access        BAC", "the whole TD3 MRZ opens BAC"},
      {specimen, "--doc L898902C3 --dob 740812 --expiry 120415", 0, "Name          ERIKSSON, ANNA MARIA", "the three MRZ fields"},
      {specimen, "--mrz '" + bad_check_digit + "'", 2, "--mrz", "an MRZ whose document number check digit fails"},
      {passport, fields, 0, "Access        BAC", "document number, birth, expiry"},
      {passport, fields + " --access bac", 0, "Access        BAC", "BAC asked for and offered"},
      {passport, fields + " --access pace", 1, "PACE was asked for, but the card does not offer it", "PACE asked for, only BAC offered"},
      {passport, "--doc M12345678 --dob 900102 --expiry 301231", 3, "", "a wrong date of birth"},
      {passport, "--can 123456", 2, "a CAN cannot open it", "a CAN on a BAC-only card"},
      {both, fields + " --access bac", 0, "Access        BAC", "BAC forced on a card that offers PACE too"},
      {both, fields, 0, "Access        PACE-MRZ", "auto prefers PACE, with the MRZ"},
      {both, "--can 123456", 0, "Access        PACE-CAN", "the CAN on a card that offers both"},
      {both, fields + " --access foo", 2, "--access takes auto, pace or bac", "an unknown access method"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto r = run_shell(read_command(c.card, c.options + " --trust " + c.card + "/pki/csca_cert.pem"));
    CAPTURE(r.out);
    CHECK(r.exit_code == c.exit_code);
    CHECK(contains(r.out, c.says));
  }
}

TEST_CASE("idtap read --files 1,11: only those (and the chip-check groups), reported alone") {
  test::ScratchDir tmp("read-files");
  const std::string card = personalize(tmp, "card");
  const std::string out = tmp.path() + "/out";
  auto r = run_split(read_command(card, "--can 123456 --trust " + card + "/pki/csca_cert.pem --files 1,11 --json --out " + out), tmp);
  CAPTURE(r.out);
  REQUIRE(r.exit_code == 0);
  const Json doc = parse_or_fail(r.out);
  // DG14 and DG15 come too: Chip and Active Authentication need their keys.
  CHECK(test::keys_of(doc.at("data_groups")) == std::vector<std::string>{"1", "11", "14", "15"});
  CHECK(doc.at("verification").at("genuine").get<bool>());
  const Json& d = doc.at("document");
  CHECK(d.at("document_number").get<std::string>() == "KR1234567");
  CHECK(d.at("full_name").get<std::string>() == "홍<<길동");
  CHECK(!d.contains("face_image"));         // DG2 not read
  CHECK(!d.contains("issuing_authority"));  // DG12 not read
  CHECK(strings_of(doc.at("out").at("files")) ==
        std::vector<std::string>{"ef_cardaccess.bin", "ef_com.bin", "ef_sod.bin", "dg1.bin", "dg11.bin", "dg14.bin", "dg15.bin"});
  CHECK_FALSE(doc.at("out").at("photo").at("written").get<bool>());
  CHECK(doc.at("out").at("photo").at("error").get<std::string>() == "DG2 was not read");
  CHECK(r.err.empty());  // nothing to complain about: no face was asked for
  CHECK_FALSE(std::filesystem::exists(out + "/dg2.bin"));
  CHECK_FALSE(std::filesystem::exists(out + "/photo.png"));

  const struct {
    const char* list;
    const char* why;
  } bad[] = {
      {"0", "no DG0"},
      {"17", "DG17 does not exist"},
      {"1,,2", "an empty item"},
      {"1x", "not a number"},
      {"dgx", "a 'dg' prefix without a number"},
  };
  for (const auto& b : bad) {
    CAPTURE(b.why);
    auto e = run_shell(read_command(card, "--can 123456 --files '" + std::string(b.list) + "'"));
    CAPTURE(e.out);
    CHECK(e.exit_code == 2);
    CHECK(contains(e.out, "--files"));
  }
}

TEST_CASE("idtap read --aa-challenge: 8 bytes in hex accepted; anything else is a usage error") {
  test::ScratchDir tmp("read-aa");
  const std::string card = personalize(tmp, "card");
  const std::string trust = " --trust " + card + "/pki/csca_cert.pem";
  const struct {
    const char* challenge;
    int exit_code;
    const char* why;
  } cases[] = {
      {"0102030405060708", 0, "8 bytes"},
      {"A1B2C3D4E5F60718", 0, "upper-case hex"},
      {"01020304050607", 2, "7 bytes"},
      {"010203040506070809", 2, "9 bytes"},
      {"010203040506070", 2, "an odd number of digits"},
      {"01020304050607zz", 2, "not hex"},
      {"''", 2, "empty"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto r = run_shell(read_command(card, "--can 123456 --json" + trust + " --aa-challenge " + c.challenge));
    CAPTURE(r.out);
    CHECK(r.exit_code == c.exit_code);
    if (c.exit_code == 0) {
      CHECK(contains(r.out, "\"active\": \"passed\""));
    } else {
      CHECK(contains(r.out, "--aa-challenge takes 8 bytes in hex"));
    }
  }
}

TEST_CASE("idtap read: the readable summary names the holder, masks the resident number, and says why a card is not genuine") {
  test::ScratchDir tmp("read-summary");
  const std::string personal = "--document-number M12345678 --expiry-date 2030-12-31 ";
  const std::string good = personalize(tmp, "good", personal);
  auto r = run_split(read_command(good, "--can 123456 --trust " + good + "/pki/csca_cert.pem"), tmp);
  CAPTURE(r.out);
  CHECK(r.exit_code == 0);
  for (const char* line : {"Document      ID KOR M12345678 (TD1)\n", "Name          HONG, GILDONG\n", "Full name     홍길동 (surname 홍)\n",
                           "Nationality   KOR\n", "Sex           M\n", "Born          1990-01-01\n", "Expires       2030-12-31\n",
                           "Resident no.  900101-1******\n", "Passive       valid\n", "Genuine       YES\n"}) {
    CAPTURE(line);
    CHECK(contains(r.out, line));
  }
  CHECK_FALSE(contains(r.out, "-1234567"));  // the resident number's secret half, nowhere
  CHECK(r.err.empty());
  auto revealed = run_shell(read_command(good, "--can 123456 --reveal --trust " + good + "/pki/csca_cert.pem"));
  CHECK(contains(revealed.out, "Resident no.  900101-1234567\n"));

  const struct {
    const char* options;
    int exit_code;
    std::vector<const char*> lines;
    const char* why;
  } cases[] = {
      {"--tamper dg11", 5,
       {"Passive       invalid: DG11 does not match its hash in EF.SOD", "Chip          passed",
        "Genuine       NO: passive authentication invalid: DG11 does not match its hash"},
       "DG11 changed after signing"},
      {"--cloned --aa none", 6,
       {"Passive       valid\n", "Chip          failed (CA id-CA-ECDH-AES-CBC-CMAC-128): ", "Active        not_supported",
        "Genuine       NO: the chip did not prove the key its signed data names"},
       "a cloned chip"},
  };
  int n = 0;
  for (const auto& c : cases) {
    CAPTURE(c.why);
    const std::string card = personalize(tmp, "bad" + std::to_string(n++), personal + c.options);
    auto bad = run_shell(read_command(card, "--can 123456 --trust " + card + "/pki/csca_cert.pem"));
    CAPTURE(bad.out);
    CHECK(bad.exit_code == c.exit_code);
    CHECK(contains(bad.out, "Name          HONG, GILDONG\n"));  // the data is still shown
    for (const char* line : c.lines) {
      CAPTURE(line);
      CHECK(contains(bad.out, line));
    }
  }
}

TEST_CASE("idtap read: the progress bar is drawn on a terminal's stderr, never into a file, a pipe or with --json") {
  // script (bsdutils, in DEB_PACKAGES) gives the command a pseudo-terminal: required, not skipped.
  REQUIRE_MESSAGE(run_shell("command -v script").exit_code == 0, "script (bsdutils) is not installed: run make deps");
  test::ScratchDir tmp("read-progress");
  const std::string card = personalize(tmp, "card");
  const std::string read = read_command(card, "--can 123456 --trust " + card + "/pki/csca_cert.pem");
  // script -qec CMD /dev/null: CMD on a new pseudo-terminal; what it writes there comes out here.
  auto on_tty = [&](const std::string& command) { return run_shell("script -qec \"" + command + "\" /dev/null"); };

  auto tty = on_tty(read + " >/dev/null");  // stdout away: only stderr is on the terminal
  CAPTURE(tty.out);
  CHECK(tty.exit_code == 0);
  CHECK(contains(tty.out, "\rDG2"));
  CHECK(contains(tty.out, "] 100%"));
  CHECK(contains(tty.out, "#####"));

  const struct {
    std::string redirect;
    const char* why;
  } quiet[] = {
      {" >/dev/null 2>" + tmp.path() + "/err.txt; cat " + tmp.path() + "/err.txt", "stderr is a file"},
      {" 2>&1 >/dev/null | cat", "stderr is a pipe"},
      {" --json >/dev/null", "--json, even on a terminal"},
  };
  for (const auto& q : quiet) {
    CAPTURE(q.why);
    auto r = on_tty(read + q.redirect);
    CAPTURE(r.out);
    CHECK(r.exit_code == 0);
    CHECK_FALSE(contains(r.out, "%"));
    CHECK_FALSE(contains(r.out, "\r"));
    CHECK_FALSE(contains(r.out, "DG2"));
  }
}

TEST_CASE("idtap read: the CAN comes from --can-file, IDTAP_CAN or a prompt without echo, and a malformed one sends nothing") {
  test::ScratchDir tmp("read-can-input");
  const std::string card = personalize(tmp, "card");
  const std::string trust = " --trust " + card + "/pki/csca_cert.pem";

  // A CAN that is not six digits is refused before the card is touched: no APDU in the -vv trace
  // (a wrong CAN sent to a card costs one of its PACE tries).
  struct Bad {
    const char* can;
    const char* why;
  } bad[] = {
      {"1", "too short"},
      {"1234567", "too long"},
      {"12345a", "not digits"},
      {"12 456", "a space"},
  };
  for (const auto& b : bad) {
    CAPTURE(b.why);
    auto r = run_shell("IDTAP_CAN= " + read_command(card, "-vv --can '" + std::string(b.can) + "'" + trust));
    CHECK(r.exit_code == 2);
    CHECK(contains(r.out, "--can: a CAN is the 6 digits printed on the card"));
    CHECK_FALSE(contains(r.out, "> "));  // no command APDU went out
  }

  // --can-file: the first line of a file (a trailing newline is not part of the CAN).
  const std::string can_file = tmp.path() + "/can.txt";
  std::ofstream(can_file) << "123456\n";
  auto from_file = run_shell(read_command(card, "--can-file " + can_file + trust));
  CAPTURE(from_file.out);
  CHECK(from_file.exit_code == 0);
  CHECK(contains(from_file.out, "Genuine       YES"));
  // a file that is not there is a usage error naming the option
  auto no_file = run_shell(read_command(card, "--can-file " + tmp.path() + "/nope" + trust));
  CHECK(no_file.exit_code == 2);
  CHECK(contains(no_file.out, "--can-file " + tmp.path() + "/nope"));
  // a file holding a malformed CAN is refused the same way, naming the file, not the value
  std::ofstream(tmp.path() + "/bad.txt") << "99\n";
  auto bad_file = run_shell(read_command(card, "--can-file " + tmp.path() + "/bad.txt" + trust));
  CHECK(bad_file.exit_code == 2);
  CHECK(contains(bad_file.out, "--can-file " + tmp.path() + "/bad.txt: a CAN is the 6 digits"));

  // IDTAP_CAN: used when no access key is on the command line.
  auto from_env = run_shell("IDTAP_CAN=123456 " + read_command(card, trust.substr(1)));
  CAPTURE(from_env.out);
  CHECK(from_env.exit_code == 0);
  // --can and --can-file together are two keys
  auto both = run_shell(read_command(card, "--can 123456 --can-file " + can_file + trust));
  CHECK(both.exit_code == 2);

  // No key and no terminal: a usage error that names every way to give one.
  auto none = run_shell("IDTAP_CAN= " + read_command(card, trust.substr(1)) + " </dev/null");
  CHECK(none.exit_code == 2);
  CHECK(contains(none.out, "--can-file FILE, IDTAP_CAN"));

  // On a terminal the CAN is asked for and not echoed: the command runs on a pseudo-terminal, and
  // the CAN is typed once the prompt is there.
  auto typed = answer_on_pty("IDTAP_CAN= " + read_command(card, trust.substr(1)), "printed on the card): ", "123456\n");
  CAPTURE(typed.out);
  CHECK(typed.exit_code == 0);
  CHECK(contains(typed.out, "CAN (the 6 digits printed on the card): "));
  CHECK(contains(typed.out, "Genuine       YES"));
  // never echoed (the document number KR1234567 holds the same digits, so look at the prompt's line)
  CHECK_FALSE(contains(typed.out, "card): 123456"));
  CHECK_FALSE(contains(typed.out, "123456\r\n"));
}

TEST_CASE("idtap read shows a Hangul full name whole, with its surname named, never with the card's fillers") {
  struct Case {
    const char* full_name;  // as personalized into DG11 (5F0E)
    const char* shown;
  } cases[] = {
      {"남궁<<민수", "Full name     남궁민수 (surname 남궁)\n"},  // the card's structure: a two-syllable surname
      {"남궁민수", "Full name     남궁민수 (surname 남궁)\n"},    // no structure: the compound-surname table
      {"홍<<길동", "Full name     홍길동 (surname 홍)\n"},
  };
  test::ScratchDir tmp("read-full-name");
  int i = 0;
  for (const auto& c : cases) {
    CAPTURE(c.full_name);
    const std::string card = personalize(tmp, "card" + std::to_string(i++), std::string("--full-name '") + c.full_name + "'");
    auto r = run_shell(read_command(card, "--can 123456 --trust " + card + "/pki/csca_cert.pem"));
    CAPTURE(r.out);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, c.shown));
  }
}

TEST_CASE("idtap read --trust DIR: one corrupt file is passed over with a warning, the rest still serves (issue 14 item 16)") {
  test::ScratchDir tmp("read-trust-dir");
  const std::string card = personalize(tmp, "card");
  const std::string dir = tmp.path() + "/trust";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(card + "/pki/csca_cert.pem", dir + "/csca.pem");
  { std::ofstream(dir + "/broken.der") << "this is no certificate"; }                      // corrupt
  { std::ofstream(dir + "/cut.pem") << "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"; }  // truncated
  auto r = run_shell(read_command(card, "--can 123456 --trust " + dir));
  CAPTURE(r.out);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "Genuine       YES"));
  CHECK(contains(r.out, "idtap: --trust: warning: " + dir + "/broken.der: passed over"));
  CHECK(contains(r.out, "idtap: --trust: warning: " + dir + "/cut.pem: passed over"));
}
