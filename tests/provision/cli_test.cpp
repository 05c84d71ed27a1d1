// The idtap provisioning commands, run as a user runs them (the built binary).
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "fixtures.h"
#include "idtap/provision/files.h"
#include "idtap/provision/mdoc.h"
#include "idtap/provision/provisioning.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

namespace {

std::string idtap_binary() {
  const char* env = std::getenv("IDTAP");
  return env && *env ? env : std::string(IDTAP_BUILD_DIR) + "/bin/idtap";
}

struct Run {
  int rc = -1;
  std::string out;
};

Run run(const std::string& args) {
  Run r;
  std::string cmd = idtap_binary() + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = ::pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

void write(const std::string& path, std::string_view text) { REQUIRE(write_file_atomic(path, bytes_of(text), 0600).ok()); }

// challenge_of: the hex challenge out of `idtap provision challenge --json`.
Bytes challenge_of(const std::string& json) {
  const std::string key = "\"challenge\":\"";
  auto at = json.find(key);
  REQUIRE(at != std::string::npos);
  auto end = json.find('"', at + key.size());
  REQUIRE(end != std::string::npos);
  const std::string hex = json.substr(at + key.size(), end - at - key.size());
  CHECK(hex.find_first_not_of("0123456789ABCDEF") == std::string::npos);  // JSON bytes: upper-case hex
  return hex_or_die(hex);
}

// write_proof: the wallet's side of a proof of possession: a challenge of the ledger `db` (from
// `idtap provision challenge`), signed by `phone`, written to `path` as --proof reads it.
void write_proof(const std::string& db, const EcPrivateKey& phone, const std::string& path) {
  auto ch = run("provision challenge --ledger " + db + " --json");
  REQUIRE_MESSAGE(ch.rc == 0, ch.out);
  const Bytes challenge = challenge_of(ch.out);
  write(path, format_proof(PossessionProof{challenge, sign_possession(phone, challenge).value()}));
}

// json_number: the value of "name": N in `json`, or -1.
long json_number(const std::string& json, const std::string& name) {
  auto at = json.find("\"" + name + "\":");
  if (at == std::string::npos) return -1;
  return std::strtol(json.c_str() + at + name.size() + 3, nullptr, 10);
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// kStatusUri: the status list URI the tests' ledgers are created with.
const std::string kStatusUri = "https://status.example.kr/lists/1";

LedgerOptions test_ledger_options() {
  LedgerOptions o;
  o.status_uri = kStatusUri;
  return o;
}

// issue_sample_credential: a new ledger `db` (created by the library, as the service would) with
// one credential of sample_holder() for a fresh phone key, signed by `pki` and written to
// `path`; returns its credential id.
std::string issue_sample_credential(const std::string& db, const TestIssuer& pki, const std::string& path) {
  SoftwareIssuer signer = signer_of(pki);
  Ledger ledger = Ledger::create(db, test_ledger_options()).value();
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();
  IssueRequest r = request_for(ledger, holder, phone, now_seconds());
  r.file_path = path;
  return issue_to_file(ledger, r, signer).value().credential_id;
}

// init_ledger: `idtap ledger init` (the only command that creates a ledger).
void init_ledger(const std::string& db) {
  auto made = run("ledger init --ledger " + db + " --status-uri " + kStatusUri);
  REQUIRE_MESSAGE(made.rc == 0, made.out);
}

}  // namespace

TEST_CASE("idtap mdoc / credential / card / status-list / ledger, end to end") {
  TempDir dir;
  TestIssuer pki = make_test_issuer();
  const std::string pass = "correct horse";
  write(dir.file("issuer.key"), string_of(pki.ds_key.to_pem(bytes_of(pass)).value()));
  write(dir.file("issuer.pem"), pki.ds.to_pem() + pki.ca.to_pem());
  write(dir.file("ca.pem"), pki.ca.to_pem());
  write(dir.file("pass.txt"), pass + "\n");
  const std::string db = dir.file("ledger.db");
  const std::string cred = dir.file("phone.mdoc");
  const std::string id = issue_sample_credential(db, pki, cred);
  const std::string common = " --ledger " + db;
  const std::string issuer = " --issuer-key " + dir.file("issuer.key") + " --issuer-cert " + dir.file("issuer.pem");
  const std::string status = dir.file("status.cwt");

  auto v = run("mdoc verify " + cred + " --issuer-cert " + dir.file("ca.pem") + " --json");
  CHECK(v.rc == 0);
  CHECK(contains(v.out, "\"valid\":true"));

  auto shown = run("mdoc show " + cred);
  CHECK(shown.rc == 0);
  CHECK(contains(shown.out, "900515-1******"));
  CHECK_MESSAGE(!contains(shown.out, "900515-1234567"), shown.out);
  CHECK(contains(run("mdoc show " + cred + " --reveal").out, "900515-1234567"));
  CHECK(contains(run("mdoc show " + cred + " --json").out, "\"identifier\": \"family_name_national_character\""));

  // The phone is lost: only that credential is suspended; the published list says so.
  auto lost = run("credential report-lost " + id + common + " --json");
  CHECK(lost.rc == 0);
  CHECK(contains(lost.out, "\"state\":\"suspended\""));
  CHECK(contains(lost.out, "\"reason\":\"phone_lost\""));
  auto pub = run("status-list publish" + common + issuer + " --issuer-key-pass-file " + dir.file("pass.txt") + " --out " + status);
  CHECK_MESSAGE(pub.rc == 0, pub.out);
  CHECK(contains(pub.out, "1 suspended or revoked"));
  auto suspended = run("mdoc verify " + cred + " --issuer-cert " + dir.file("ca.pem") + " --status-list " + status);
  CHECK(suspended.rc == 1);
  CHECK(contains(suspended.out, "NOT VALID: status: the credential is suspended or revoked"));

  // Resumed, published again (passphrase from the environment this time): valid again.
  CHECK(run("credential resume " + id + common).rc == 0);
  pub = run("status-list publish" + common + issuer + " --out " + status + " --json");
  CHECK(pub.rc == 2);  // encrypted key, no passphrase given
  CHECK(contains(pub.out, "wrong or missing passphrase"));
  auto env_pub = Run();
  {
    std::string cmd = "IDTAP_ISSUER_KEY_PASSPHRASE='" + pass + "' " + idtap_binary() + " status-list publish" + common + issuer +
                      " --out " + status + " >/dev/null 2>&1";
    env_pub.rc = WEXITSTATUS(std::system(cmd.c_str()));
  }
  CHECK(env_pub.rc == 0);
  auto valid_again = run("mdoc verify " + cred + " --issuer-cert " + dir.file("ca.pem") + " --status-list " + status);
  CHECK_MESSAGE(valid_again.rc == 0, valid_again.out);
  CHECK(contains(valid_again.out, "status list: valid"));

  // The card is lost: the holder's credential is suspended.
  auto card = run("card report-lost" + common + " --document-number M12345678 --json");
  CHECK(card.rc == 0);
  CHECK(contains(card.out, id));
  CHECK(run("credential resume " + id + common).rc == 8);  // refused while the card is lost
  CHECK(run("card found" + common + " --document-number M12345678").rc == 0);
  auto list = run("credential list" + common + " --json");
  CHECK(contains(list.out, "\"state\":\"active\""));

  auto verified = run("ledger verify" + common + " --json");
  CHECK(verified.rc == 0);
  CHECK(contains(verified.out, "\"consistent\":true"));

  // A wrong issuer certificate: exit 7 (no trust anchor).
  TestIssuer other = make_test_issuer("other");
  write(dir.file("other.pem"), other.ca.to_pem());
  auto wrong = run("mdoc verify " + cred + " --issuer-cert " + dir.file("other.pem"));
  CHECK(wrong.rc == 7);
  CHECK(contains(wrong.out, "NOT VALID: issuer:"));
}

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
  write(dir.file("issuer.key"), string_of(pki.ds_key.to_pem().value()));
  write(dir.file("issuer.pem"), pki.ds.to_pem() + pki.ca.to_pem());
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

TEST_CASE("idtap mdoc show masks the resident number whatever the mapping names it (L2)") {
  TempDir dir;
  TestIssuer pki = make_test_issuer();
  SoftwareIssuer signer = signer_of(pki);
  Ledger ledger = Ledger::create(dir.file("ledger.db"), test_ledger_options()).value();
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();
  const std::string mapping_text =
      "doctype kr.example.id.1\n"
      "family_name kr.example.id.1 surname\n"
      "resident_registration_number kr.example.id.1 personal_no\n";
  write(dir.file("mapping.txt"), mapping_text);
  IssueRequest r = request_for(ledger, holder, phone, now_seconds());
  r.mapping = DocTypeMapping::parse(mapping_text).value();
  r.file_path = dir.file("renamed.mdoc");
  REQUIRE(issue_to_file(ledger, r, signer).ok());
  struct Case {
    const char* why;
    std::string args;
    bool revealed;
  };
  const Case cases[] = {
      // No mapping given: the element holds a resident number, so it is masked.
      {"by its value", "", false},
      {"by its value, JSON", " --json", false},
      // The mapping says personal_no is the resident number.
      {"by the mapping", " --mapping " + dir.file("mapping.txt"), false},
      // --reveal shows it whole.
      {"revealed", " --reveal", true},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto shown = run("mdoc show " + dir.file("renamed.mdoc") + c.args);
    REQUIRE_MESSAGE(shown.rc == 0, shown.out);
    CHECK(contains(shown.out, "personal_no"));
    CHECK(contains(shown.out, "HONG"));
    CHECK_MESSAGE(contains(shown.out, "900515-1234567") == c.revealed, shown.out);
    CHECK_MESSAGE(contains(shown.out, "900515-1******") != c.revealed, shown.out);
  }
}

TEST_CASE("idtap ledger verify says what is wrong instead of crashing or re-keying (H2, L1)") {
  TempDir dir;
  const std::string db = dir.file("ledger.db");
  init_ledger(db);
  REQUIRE(run("ledger verify --ledger " + db).rc == 0);
  SUBCASE("the key file is missing") {
    REQUIRE(::unlink((db + ".key").c_str()) == 0);
    auto v = run("ledger verify --ledger " + db);
    CHECK(v.rc != 0);
    CHECK_MESSAGE(contains(v.out, "ledger key " + db + ".key is missing"), v.out);
    CHECK(!exists(db + ".key"));
  }
  SUBCASE("the status list size is 0") {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &raw) == SQLITE_OK);
    CHECK(sqlite3_exec(raw, "UPDATE meta SET value = '0' WHERE key = 'status_list_size'", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(raw);
    // Before, the first aborted (an uncaught std::invalid_argument) and the others too.
    for (const char* cmd : {"ledger verify", "provision challenge", "credential list", "card report-lost --document-number M1"}) {
      CAPTURE(cmd);
      auto v = run(std::string(cmd) + " --ledger " + db);
      CHECK(v.rc >= 1);
      CHECK(v.rc < 128);
    }
    auto v = run("ledger verify --ledger " + db);
    CHECK_MESSAGE(contains(v.out, "ledger is corrupt: meta 'status_list_size' is '0'"), v.out);
  }
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

TEST_CASE("idtap card report-lost: any spelling of the number finds the card; an unknown card is said plainly (issue 14 item 1)") {
  TempDir dir;
  const std::string db = dir.file("ledger.db");
  std::string id;
  {
    TestIssuer pki = make_test_issuer();
    SoftwareIssuer signer = signer_of(pki);
    Ledger ledger = Ledger::create(db, test_ledger_options()).value();
    auto phone = EcPrivateKey::generate().value();
    VerifiedHolder holder = sample_holder("900515-1234567", Date{1990, 5, 15}, "KR1234567");
    id = ledger.issue(request_for(ledger, holder, phone, now_seconds()), signer).value().credential_id;
  }
  const std::string common = " --ledger " + db;
  // The desk bug: lower case matched nothing, said "0 credential(s) suspended" and exited 0.
  auto lost = run("card report-lost" + common + " --document-number kr1234567");
  CHECK_MESSAGE(lost.rc == 0, lost.out);
  CHECK_MESSAGE(contains(lost.out, "card KOR KR1234567 reported lost; 1 credential(s) suspended"), lost.out);
  CHECK(contains(lost.out, id));
  auto listed = run("credential list" + common + " --document-number 'kr 123 4567' --json");
  CHECK(listed.rc == 0);
  CHECK(contains(listed.out, "\"state\":\"suspended\""));
  CHECK(contains(listed.out, "\"document_number\":\"KR1234567\""));
  CHECK(run("card found" + common + " --document-number 'KR1234567<' --issuing-state kor").rc == 0);

  // Unknown: said plainly, non-zero, nothing recorded.
  auto unknown = run("card report-lost" + common + " --document-number KR7654321");
  CHECK(unknown.rc == 9);  // "no such card in the ledger" (the exit-code table)
  CHECK_MESSAGE(contains(unknown.out, "no card KOR KR7654321 in the ledger: nothing was suspended and nothing recorded"), unknown.out);
  CHECK(!contains(unknown.out, "reported lost;"));
  // On purpose, it can still be recorded.
  auto on_purpose = run("card report-lost" + common + " --document-number KR7654321 --unknown-ok --json");
  CHECK_MESSAGE(on_purpose.rc == 0, on_purpose.out);
  CHECK(contains(on_purpose.out, "\"known\":false"));
  CHECK(contains(run("card report-lost" + common + " --document-number KR7654321").out, "already reported lost"));
  // Not an MRZ document number: a usage error before the ledger is touched.
  struct Bad {
    const char* why;
    const char* args;
  };
  const Bad bads[] = {
      {"a dash", " --document-number KR-1234567"},                    // not an MRZ character
      {"only fillers", " --document-number '<<<'"},                   // nothing left
      {"an issuing state too long", " --document-number KR1234567 --issuing-state KOREA"},  // not 3 letters
      {"--unknown-ok with found", " --document-number KR1234567 --unknown-ok"},              // only for report-lost
  };
  for (const auto& b : bads) {
    CAPTURE(b.why);
    const char* verb = std::string(b.why).find("found") != std::string::npos ? "card found" : "card report-lost";
    auto r = run(std::string(verb) + common + b.args);
    CHECK_MESSAGE(r.rc == 2, r.out);
  }
}

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
  write(dir.file("issuer.key"), string_of(pki.ds_key.to_pem().value()));
  write(dir.file("issuer.pem"), pki.ds.to_pem() + pki.ca.to_pem());
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

TEST_CASE("idtap ledger verify --repair reports a deleted desk copy and revokes nothing (issue 14 item 4)") {
  TempDir dir;
  const std::string db = dir.file("ledger.db");
  const std::string cred = dir.file("phone.mdoc");
  const std::string id = issue_sample_credential(db, make_test_issuer(), cred);
  REQUIRE(::unlink(cred.c_str()) == 0);
  auto repaired = run("ledger verify --ledger " + db + " --repair");
  CHECK(repaired.rc == 1);  // a finding left: the clerk decides
  CHECK_MESSAGE(contains(repaired.out, "FOUND:    the desk copy of credential " + id + " is gone (" + cred + ")"), repaired.out);
  CHECK(!contains(repaired.out, "repaired:"));
  auto shown = run("credential show " + id + " --ledger " + db + " --json");
  CHECK_MESSAGE(contains(shown.out, "\"state\":\"active\""), shown.out);
  // Revoking stays the clerk's explicit action; after it nothing is left to report.
  CHECK(run("credential revoke " + id + " --ledger " + db).rc == 0);
  CHECK(run("ledger verify --ledger " + db).rc == 0);
}

TEST_CASE("only `idtap ledger init` creates a ledger; every other command refuses a path that is not one (issue 14 item 5)") {
  TempDir dir;
  write(dir.file("empty.db"), "");
  {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(dir.file("foreign.db").c_str(), &raw) == SQLITE_OK);
    REQUIRE(sqlite3_exec(raw, "CREATE TABLE photos(id INTEGER)", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(raw);
  }
  struct Target {
    const char* why;
    const char* file;
    const char* says;
  };
  const Target targets[] = {
      {"a mistyped path", "nope.db", "is not an idtap ledger (no such file)"},
      {"an empty file", "empty.db", "is not an idtap ledger (an empty file)"},
      {"another program's database", "foreign.db", "is not an idtap ledger (a SQLite database without idtap's tables)"},
  };
  const char* commands[] = {"ledger verify", "ledger verify --repair", "credential list", "credential show 00", "provision challenge",
                            "card report-lost --document-number M1 --unknown-ok", "card found --document-number M1"};
  for (const auto& t : targets) {
    for (const char* cmd : commands) {
      CAPTURE(t.why);
      CAPTURE(cmd);
      const std::string path = dir.file(t.file);
      auto r = run(std::string(cmd) + " --ledger " + path);
      CHECK_MESSAGE(r.rc == 9, r.out);
      CHECK_MESSAGE(contains(r.out, "ledger " + path + " " + t.says), r.out);
      CHECK(!contains(r.out, "consistent:"));
      CHECK(!contains(r.out, "no credentials"));
      CHECK(!exists(path + ".key"));
    }
  }
  CHECK(!exists(dir.file("nope.db")));
  CHECK(read_text_file(dir.file("empty.db")).empty());
  // init: the status URI is required; the same settings again are fine, others refused.
  const std::string db = dir.file("ledger.db");
  auto no_uri = run("ledger init --ledger " + db);
  CHECK(no_uri.rc == 2);
  CHECK(contains(no_uri.out, "--status-uri URI is required"));
  CHECK(!exists(db));
  CHECK(run("ledger init --ledger " + db + " --status-uri " + kStatusUri + " --status-size 0").rc == 2);
  CHECK(run("ledger init --ledger " + db + " --status-uri " + kStatusUri + " --status-size 12x").rc == 2);
  CHECK(!exists(db));
  auto made = run("ledger init --ledger " + db + " --status-uri " + kStatusUri + " --status-size 4096 --json");
  CHECK_MESSAGE(made.rc == 0, made.out);
  CHECK(contains(made.out, "\"status_list_size\":4096"));
  CHECK(run("ledger init --ledger " + db + " --status-uri " + kStatusUri + " --status-size 4096").rc == 0);
  auto other_uri = run("ledger init --ledger " + db + " --status-uri https://status.example.kr/lists/2 --status-size 4096");
  CHECK(other_uri.rc == 8);
  CHECK_MESSAGE(contains(other_uri.out, "already exists with status list URI " + kStatusUri), other_uri.out);
  auto other_size = run("ledger init --ledger " + db + " --status-uri " + kStatusUri + " --status-size 8192");
  CHECK(other_size.rc == 8);
  CHECK_MESSAGE(contains(other_size.out, "already exists with a status list of 4096 entries, not 8192"), other_size.out);
  CHECK(run("ledger init --ledger " + dir.file("foreign.db") + " --status-uri " + kStatusUri).rc == 9);
  // verify takes no creation options.
  CHECK(run("ledger verify --ledger " + db + " --status-uri " + kStatusUri).rc == 2);
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
  write(dir.file("issuer.key"), string_of(pki.ds_key.to_pem().value()));
  write(dir.file("issuer.pem"), pki.ds.to_pem() + pki.ca.to_pem());
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

// provision_card: a fresh phone key and its proof of possession over a challenge of the ledger
// `db` (which it initializes), then `idtap provision` of the simulated card `card` with the
// issuer key and chain given, to `out`; everything under `dir`.
Run provision_card(const TempDir& dir, const std::string& card, const std::string& issuer_key,
                   const std::string& issuer_chain, const std::string& out) {
  const std::string db = dir.file("ledger.db");
  init_ledger(db);
  auto phone = EcPrivateKey::generate().value();
  write(dir.file("phone.pub"), phone.public_key().to_pem());
  write_proof(db, phone, dir.file("proof.txt"));
  return run("provision --reader sim:" + card + " --can 123456 --trust " + card + "/pki/csca_cert.pem --device-key " +
             dir.file("phone.pub") + " --proof " + dir.file("proof.txt") + " --issuer-key " + issuer_key +
             " --issuer-cert " + issuer_chain + " --ledger " + db + " --out " + out);
}

TEST_CASE("idtap provision checks what it can before touching the card (issue 14 item 12)") {
  TempDir dir;
  TestIssuer pki = make_test_issuer();
  write(dir.file("issuer.key"), string_of(pki.ds_key.to_pem().value()));
  write(dir.file("issuer.pem"), pki.ds.to_pem() + pki.ca.to_pem());
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
  write(dir.file("issuer.key"), string_of(pki.ds_key.to_pem().value()));
  write(dir.file("issuer.pem"), pki.ds.to_pem() + pki.ca.to_pem());
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

TEST_CASE("the README's test-issuer recipe makes an issuer that provision issues with and mdoc verify accepts (issue 14, README)") {
  // The recipe is read out of README.md between its markers and run as written, with bash.
  std::ifstream in(std::string(IDTAP_SOURCE_DIR) + "/README.md");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string readme = ss.str();
  const auto start = readme.find("<!-- test-issuer-recipe -->");
  const auto end = readme.find("<!-- end test-issuer-recipe -->");
  REQUIRE(start != std::string::npos);
  REQUIRE(end != std::string::npos);
  std::string block = readme.substr(start, end - start);
  const auto fence = block.find("```sh\n");
  REQUIRE(fence != std::string::npos);
  block = block.substr(fence + 6);
  block = block.substr(0, block.rfind("```"));
  TempDir dir;
  write(dir.file("recipe.sh"), "set -e\ncd '" + dir.path() + "'\n" + block);
  FILE* p = ::popen(("bash " + dir.file("recipe.sh") + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  const bool recipe_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  REQUIRE_MESSAGE(recipe_ok, out);

  auto made = run("sim personalize --out " + dir.file("card"));
  REQUIRE_MESSAGE(made.rc == 0, made.out);
  auto issued = provision_card(dir, dir.file("card"), dir.file("ds.key"), dir.file("issuer-chain.pem"), dir.file("holder.mdoc"));
  REQUIRE_MESSAGE(issued.rc == 0, issued.out);
  auto verified = run("mdoc verify " + dir.file("holder.mdoc") + " --issuer-cert " + dir.file("iaca.pem"));
  CHECK_MESSAGE(verified.rc == 0, verified.out);
}
