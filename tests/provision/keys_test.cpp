// Issuer and device keys (lib/provision/keys.cpp, signer.cpp): COSE_Key, PEM, thumbprints, DER
// and raw signatures, and one SoftwareIssuer shared by threads.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "fixtures.h"
#include "idtap/crypto/pkey.h"
#include "idtap/provision/cbor.h"
#include "idtap/provision/cose.h"
#include "idtap/provision/keys.h"
#include "idtap/provision/mdoc.h"
#include "idtap/provision/status_list.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

TEST_CASE("keys: COSE_Key, PEM, thumbprint, DER and raw signatures") {
  auto k = EcPrivateKey::generate().value();
  auto cose = cbor::encode(k.public_key().to_cose_key().value()).value();
  CHECK(EcPublicKey::load(cose).value() == k.public_key());
  CHECK(EcPublicKey::load(bytes_of(k.public_key().to_pem())).value() == k.public_key());
  // RFC 7638 §3.1 example is RSA; for EC check the shape: 43 base64url characters of SHA-256.
  CHECK(k.public_key().thumbprint().size() == 43);
  Bytes msg = bytes_of("challenge");
  Bytes der = k.sign_der(msg).value();
  Bytes raw = crypto::ecdsa_der_to_plain(der, 32).value();
  CHECK(raw.size() == 64);
  CHECK(raw_signature_to_der(raw).value() == der);
  CHECK(k.public_key().verify_es256(msg, raw).ok());
  CHECK(k.public_key().verify_es256(msg, der, true).ok());
  CHECK_FALSE(k.public_key().verify_es256(msg, der).ok());  // DER only when allowed
  CHECK_FALSE(k.public_key().verify_es256(bytes_of("other"), raw).ok());
  // A point not on the curve, and an encrypted PEM with the wrong passphrase.
  CHECK_FALSE(EcPublicKey::from_coordinates(Bytes(32, 1), Bytes(32, 2)).ok());
  auto pem = k.to_pem(bytes_of("pw")).value();
  CHECK(EcPrivateKey::from_pem(ByteView(pem.data(), pem.size()), bytes_of("pw")).ok());
  CHECK(EcPrivateKey::from_pem(ByteView(pem.data(), pem.size()), bytes_of("nope")).error().code == ErrorCode::kInvalidArgument);
  CHECK(EcPrivateKey::from_pem(ByteView(pem.data(), pem.size())).error().code == ErrorCode::kInvalidArgument);
  // The issuer key must match its certificate.
  TestIssuer pki = make_test_issuer();
  CHECK(SoftwareIssuer::create(EcPrivateKey::generate().value(), {pki.ds}).error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("one SoftwareIssuer shared by threads: every signature verifies") {
  TestIssuer pki = make_test_issuer("threads");
  SoftwareIssuer signer = signer_of(pki);
  constexpr int kThreads = 4, kEach = 100;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const Bytes message = bytes_of("message " + std::to_string(t) + "/" + std::to_string(i));
        auto sig = signer.sign(message);
        if (sig.ok() && pki.ds_key.public_key().verify_es256(message, *sig).ok()) ++good;
      }
    });
  for (auto& th : threads) th.join();
  CHECK(good == kThreads * kEach);
  // A copy signs with its own context.
  SoftwareIssuer copy = signer;
  const Bytes m = bytes_of("copy");
  auto sig = copy.sign(m);
  REQUIRE(sig.ok());
  CHECK(pki.ds_key.public_key().verify_es256(m, *sig).ok());
}

TEST_CASE("a certificate chain with a corrupt certificate is refused, not shortened (issue 16)") {
  TestIssuer pki = make_test_issuer();
  const std::string ds = pki.ds.to_pem(), ca = pki.ca.to_pem();
  REQUIRE(Certificate::load_pem_chain(bytes_of(ds + ca)).value().size() == 2);
  // The CA's base64 body damaged: before, the chain silently ended at the document signer.
  std::string corrupt_ca = ca;
  const auto body = corrupt_ca.find('\n') + 1;
  corrupt_ca.replace(body, 8, "AAAA!!!!");
  struct Case {
    const char* why;
    std::string pem;
  };
  const Case cases[] = {
      {"the second certificate corrupt", ds + corrupt_ca},
      {"the first certificate corrupt", corrupt_ca + ds},
      {"a block cut short", ds + ca.substr(0, ca.size() / 2)},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto chain = Certificate::load_pem_chain(bytes_of(c.pem));
    REQUIRE_FALSE(chain.ok());
    CHECK(chain.error().code == ErrorCode::kMalformed);
    CHECK_MESSAGE(chain.error().context.find("does not parse (a corrupt certificate is refused") != std::string::npos,
                  chain.error().context);
  }
}
