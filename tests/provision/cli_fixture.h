// tests/provision/cli_fixture.h: what the tests of the provisioning commands share: running the
// built binary, small readers of its output, and a ledger made as a user makes one.
#pragma once

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "fixtures.h"
#include "idtap/provision/files.h"
#include "idtap/provision/mdoc.h"
#include "idtap/provision/provisioning.h"
#include "support/run_shell.h"

namespace idtap::provision::testing::cli {


inline std::string idtap_binary() {
  const char* env = std::getenv("IDTAP");
  return env && *env ? env : std::string(IDTAP_BUILD_DIR) + "/bin/idtap";
}

struct Run {
  int rc = -1;
  std::string out;
};

// run: `idtap ARGS` through the shell: its exit status and its stdout with stderr joined, or
// its stdout alone (stderr discarded) unless `merge_stderr`.
inline Run run(const std::string& args, bool merge_stderr = true) {
  auto r = idtap::test::run_shell(idtap_binary() + " " + args + (merge_stderr ? "" : " 2>/dev/null"), merge_stderr);
  return Run{r.exit_code, std::move(r.out)};
}

// run_with_env: run(), with `assignments` ("NAME=VALUE ...") in the command's environment.
inline Run run_with_env(const std::string& assignments, const std::string& args) {
  Run r;
  std::string cmd = "env " + assignments + idtap_binary() + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = ::pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

inline void write(const std::string& path, std::string_view text) { REQUIRE(write_file_atomic(path, bytes_of(text), 0600).ok()); }

// challenge_of: the hex challenge out of `idtap provision challenge --json`.
inline Bytes challenge_of(const std::string& json) {
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
inline void write_proof(const std::string& db, const EcPrivateKey& phone, const std::string& path) {
  auto ch = run("provision challenge --ledger " + db + " --json");
  REQUIRE_MESSAGE(ch.rc == 0, ch.out);
  const Bytes challenge = challenge_of(ch.out);
  write(path, format_proof(PossessionProof{challenge, sign_possession(phone, challenge).value()}));
}

// json_number: the value of "name": N in `json`, or -1.
inline long json_number(const std::string& json, const std::string& name) {
  auto at = json.find("\"" + name + "\":");
  if (at == std::string::npos) return -1;
  return std::strtol(json.c_str() + at + name.size() + 3, nullptr, 10);
}

inline bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// kStatusUri: the status list URI the tests' ledgers are created with.
inline const std::string kStatusUri = "https://status.example.kr/lists/1";

inline LedgerOptions test_ledger_options() {
  LedgerOptions o;
  o.status_uri = kStatusUri;
  return o;
}

// init_ledger: `idtap ledger init` (the only command that creates a ledger).
inline void init_ledger(const std::string& db) {
  auto made = run("ledger init --ledger " + db + " --status-uri " + kStatusUri);
  REQUIRE_MESSAGE(made.rc == 0, made.out);
}


// issue_sample_to_file: a new ledger `db` (test_ledger_options) and in it the sample holder's
// credential, signed by `pki`'s Document Signer for a fresh phone key and written to `path`, as
// the library issues one; its credential id.
inline std::string issue_sample_to_file(const std::string& db, const TestIssuer& pki, const std::string& path) {
  SoftwareIssuer signer = signer_of(pki);
  Ledger ledger = Ledger::create(db, test_ledger_options()).value();
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();
  IssueRequest r = request_for(ledger, holder, phone, now_seconds());
  r.file_path = path;
  return issue_to_file(ledger, r, signer).value().credential_id;
}

// write_issuer_files: `pki`'s Document Signer key to DIR/issuer.key and its chain (the DS, then
// the CA) to DIR/issuer.pem, as --issuer-key and --issuer-cert read them.
inline void write_issuer_files(const TempDir& dir, const TestIssuer& pki) {
  write(dir.file("issuer.key"), string_of(pki.ds_key.to_pem().value()));
  write(dir.file("issuer.pem"), pki.ds.to_pem() + pki.ca.to_pem());
}

// provision_card: a fresh phone key and its proof of possession over a challenge of the ledger
// `db` (which it initializes), then `idtap provision` of the simulated card `card` with the
// issuer key and chain given, to `out`; everything under `dir`.
inline Run provision_card(const TempDir& dir, const std::string& card, const std::string& issuer_key,
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

}  // namespace idtap::provision::testing::cli
