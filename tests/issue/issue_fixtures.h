// tests/issue/issue_fixtures.h: a ledger, a test issuer and a pipeline over them, and phones.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "idtap/issue/pipeline.h"
#include "idtap/provision/ledger.h"
#include "idtap/provision/mdoc.h"
#include "provision/fixtures.h"

namespace idtap::issue::testing {

using namespace idtap::provision;
using namespace idtap::provision::testing;

inline LedgerOptions ledger_options(bool allow_attested = false) {
  LedgerOptions o;
  o.status_uri = "https://status.example.kr/lists/1";
  o.durable = false;
  o.allow_attested = allow_attested;
  return o;
}

// Desk: a fresh ledger in a temp dir, a test issuer and the pipeline over them.
struct Desk {
  TempDir dir;
  TestIssuer pki = make_test_issuer();
  std::string db = dir.file("ledger.db");
  std::unique_ptr<Ledger> ledger;
  std::unique_ptr<Pipeline> pipeline;

  explicit Desk(bool allow_attested = false) {
    ledger = std::make_unique<Ledger>(Ledger::create(db, ledger_options(allow_attested)).value());
    make_pipeline();
  }
  void make_pipeline() {
    pipeline = std::make_unique<Pipeline>(*ledger, std::make_unique<SoftwareIssuer>(signer_of(pki)));
  }
  // reopen: the process restarts: a new connection to the same file, a new pipeline.
  void reopen() {
    pipeline.reset();
    ledger.reset();
    ledger = std::make_unique<Ledger>(Ledger::open(db, ledger_options()).value());
    make_pipeline();
  }
  // verify: the credential verifies under the test issuer at `now`.
  Result<VerifiedMdoc> verify(const Bytes& issuer_signed, UnixSeconds now) const {
    MdocVerifyOptions o;
    o.trusted_issuers = {pki.ca};
    o.now = now + 60;
    return verify_mdoc(issuer_signed, o);
  }
};

// point_of: the phone's key as OID4VCI hands it over (uncompressed SEC1 point).
inline Bytes point_of(const EcPrivateKey& phone) {
  Bytes p{0x04};
  const EcPublicKey pub = phone.public_key();
  p.insert(p.end(), pub.x().begin(), pub.x().end());
  p.insert(p.end(), pub.y().begin(), pub.y().end());
  return p;
}

}  // namespace idtap::issue::testing
