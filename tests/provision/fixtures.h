// tests/provision/fixtures.h: shared fixtures of the provisioning tests: a test issuer PKI, a
// sample verified holder, phone keys and the published vectors.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include "idtap/base/hex.h"
#include "idtap/provision/holder.h"
#include "idtap/provision/keys.h"
#include "idtap/provision/signer.h"

namespace idtap::provision::testing {

// kNow: a fixed "now" for the tests (2026-03-02T09:00:00Z).
inline UnixSeconds fixture_now() { return start_of_day(Date{2026, 3, 2}) + 9 * 3600; }

// TestIssuer: an issuing CA and a document-signer certificate under it.
struct TestIssuer {
  EcPrivateKey ca_key;
  Certificate ca;
  EcPrivateKey ds_key;
  Certificate ds;
};

inline TestIssuer make_test_issuer(const std::string& name = "idtap test") {
  UnixSeconds from = start_of_day(Date{2020, 1, 1});
  UnixSeconds until = start_of_day(Date{2040, 1, 1});
  auto ca_key = EcPrivateKey::generate().value();
  CertificateRequest ca_req{name + " IACA", "KR", from, until, true};
  auto ca = make_certificate(ca_req, ca_key.public_key(), ca_key, nullptr).value();
  auto ds_key = EcPrivateKey::generate().value();
  CertificateRequest ds_req{name + " DS", "KR", from, until, false};
  auto ds = make_certificate(ds_req, ds_key.public_key(), ca_key, &ca).value();
  return TestIssuer{std::move(ca_key), std::move(ca), std::move(ds_key), std::move(ds)};
}

inline SoftwareIssuer signer_of(const TestIssuer& t) {
  return SoftwareIssuer::create(EcPrivateKey::from_pem(t.ds_key.to_pem().value()).value(), {t.ds, t.ca}).value();
}

// sample_jpeg: a small byte string with JPEG SOI/EOI markers (content is not decoded).
inline Bytes sample_jpeg(size_t n = 4000) {
  Bytes b(n, 0x5A);
  b[0] = 0xFF; b[1] = 0xD8; b[2] = 0xFF; b[3] = 0xE0;
  b[n - 2] = 0xFF; b[n - 1] = 0xD9;
  return b;
}

// sample_holder: a genuine read of a valid card of a holder born 1990-05-15.
inline VerifiedHolder sample_holder(const std::string& rrn = "900515-1234567", Date birth = Date{1990, 5, 15},
                                    const std::string& document_number = "M12345678") {
  VerifiedHolder h;
  h.genuine = true;
  h.verdict_reason = "passive authentication and chip authentication passed";
  h.card = CardIdentity{document_number, "KOR"};
  h.family_name = "HONG";
  h.given_name = "GILDONG";
  h.family_name_national = "홍";
  h.given_name_national = "길동";
  h.birth_date = birth;
  h.resident_registration_number = SecureBytes(rrn.begin(), rrn.end());
  h.portrait_jpeg = sample_jpeg();
  h.resident_address = "서울특별시 종로구 세종대로 209";
  h.issuing_authority = "서울특별시 종로구청장";
  h.issue_date = Date{2021, 6, 1};
  h.expiry_date = Date{2031, 6, 1};
  return h;
}

inline std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// load_hex_vector: tests/vectors/NAME with '#' comment lines skipped.
inline Bytes load_hex_vector(const std::string& name) {
  std::istringstream in(read_text_file(std::string(IDTAP_SOURCE_DIR) + "/tests/vectors/" + name));
  std::string line, hex;
  while (std::getline(in, line))
    if (!line.empty() && line[0] != '#') hex += line;
  return hex_or_die(hex);
}

}  // namespace idtap::provision::testing

#include <cstdlib>
#include <filesystem>

#include "idtap/provision/ledger.h"

namespace idtap::provision::testing {

// TempDir: a private directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/idtap-provision-XXXXXX";
    path_ = ::mkdtemp(tmpl.data()) ? tmpl : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// request_for: a fresh challenge from `ledger`, signed by `device` (DER, as phones do).
inline IssueRequest request_for(Ledger& ledger, const VerifiedHolder& holder, const EcPrivateKey& device, UnixSeconds now) {
  IssueRequest r;
  r.holder = &holder;
  r.device_key = device.public_key();
  r.now = now;
  r.proof.challenge = ledger.new_challenge(now).value();
  r.proof.signature = sign_possession(device, r.proof.challenge).value();
  return r;
}

}  // namespace idtap::provision::testing
