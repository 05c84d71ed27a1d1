// The idtap provisioning commands, run as a user runs them (the built binary).
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
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
  std::string id;
  {
    SoftwareIssuer signer = signer_of(pki);
    Ledger ledger = Ledger::open(db).value();
    auto phone = EcPrivateKey::generate().value();
    VerifiedHolder holder = sample_holder();
    IssueRequest r = request_for(ledger, holder, phone, now_seconds());
    r.file_path = cred;
    id = issue_to_file(ledger, r, signer).value().credential_id;
  }
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

TEST_CASE("idtap provision: usage, the proof challenge, and the card-read integration point") {
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
  auto ch = run("provision challenge --ledger " + dir.file("l.db") + " --json");
  CHECK(ch.rc == 0);
  CHECK(contains(ch.out, "\"challenge\":\""));

  TestIssuer pki = make_test_issuer();
  write(dir.file("issuer.key"), string_of(pki.ds_key.to_pem().value()));
  write(dir.file("issuer.pem"), pki.ds.to_pem());
  auto phone = EcPrivateKey::generate().value();
  write(dir.file("phone.pub"), phone.public_key().to_pem());
  PossessionProof proof{Bytes(32, 1), phone.sign_der(Bytes(32, 1)).value()};
  write(dir.file("proof.txt"), format_proof(proof));
  auto p = run("provision --can 123456 --device-key " + dir.file("phone.pub") + " --proof " + dir.file("proof.txt") +
               " --issuer-key " + dir.file("issuer.key") + " --issuer-cert " + dir.file("issuer.pem") + " --ledger " +
               dir.file("l.db") + " --out " + dir.file("out.mdoc"));
  CHECK(p.rc == 1);
  CHECK(contains(p.out, "not_supported: reading the card is not available"));

  // Annex D through the command line, at a time inside its validity.
  Bytes response = load_hex_vector("iso18013_5_annex_d_device_response.hex");
  write(dir.file("annexd.cbor"), string_of(response));
  auto is = decode_issuer_signed(response).value();
  write(dir.file("ds.pem"), Certificate::from_der(is.issuer_auth.x5chain[0])->to_pem());
  auto annex = run("mdoc verify " + dir.file("annexd.cbor") + " --issuer-cert " + dir.file("ds.pem") + " --now 2021-01-01T00:00:00Z");
  CHECK_MESSAGE(annex.rc == 0, annex.out);
  CHECK(contains(annex.out, "6 elements, every digest matches"));
}
