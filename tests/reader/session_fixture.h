// tests/reader/session_fixture.h: what the read session's tests share: a test card with its
// trust store, a personalized card, the identity checks, and the walk over every removal point.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "idtap/auth/trust_store.h"
#include "idtap/reader/session.h"
#include "idtap/sim/personalize.h"
#include "idtap/sim/sim_transport.h"
#include "support/test_card.h"

namespace idtap::test::session {

using namespace idtap::reader;


struct Fixture {
  test::TestCard card;
  auth::TrustStore trust;
  explicit Fixture(const test::TestCardOptions& options = {}) : card(test::make_test_card(options)) {
    REQUIRE(trust.add_certificates(bytes_of(card.csca_pem), "test csca").ok());
  }
  std::unique_ptr<sim::SimTransport> open(const sim::SimOptions& options = {}) {
    auto t = sim::open_sim_card_image(card.image, options);
    REQUIRE(t.ok());
    return std::move(t).value();
  }
};

inline void check_identity(const ReadResult& r) {
  REQUIRE(r.dg1.has_value());
  CHECK(r.dg1->mrz.document_number == test::kCardDocumentNumber);
  CHECK(r.dg1->mrz.primary_identifier == "HONG");
  CHECK(r.dg1->mrz.secondary_identifier == "GILDONG");
  REQUIRE(r.dg11.has_value());
  CHECK(*r.dg11->dg11.full_name == "홍<<길동");
  CHECK(r.dg11->dg11.personal_number->masked() == "900101-1******");
  REQUIRE(r.dg2.has_value());
  CHECK(r.dg2->images().size() == 1);
}

// undisturbed_apdus: the APDUs a full read of `image` (with `quirks`, no removal) takes, after
// checking that it reads and is genuine or not as `genuine` says: the range removal tests walk.
inline size_t undisturbed_apdus(const sim::CardImage& image, const sim::CardQuirks& quirks, const ReadRequest& req, bool genuine) {
  auto card = sim::open_sim_card_image(image, sim::SimOptions{.quirks = quirks});
  REQUIRE(card.ok());
  auto r = read_card(**card, req);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message()));
  REQUIRE(r->verification.genuine == genuine);
  REQUIRE(r->stats.apdus > 20);
  return r->stats.apdus;
}

// every_removal: reads `image` with `quirks` and the card leaving the field after n APDUs, for
// every n of a full read; the card always comes back, so every read must complete (never an
// access error, which would say "wrong key"); `check` sees each. Returns how many completed.
template <class Check>
size_t every_removal(const sim::CardImage& image, const sim::CardQuirks& quirks, const ReadRequest& req, bool genuine, Check check) {
  const size_t total = undisturbed_apdus(image, quirks, req, genuine);
  size_t completed = 0;
  for (size_t n = 1; n < total; ++n) {
    CAPTURE(n);
    sim::CardQuirks leaving = quirks;
    leaving.leave_after = n;
    auto card = sim::open_sim_card_image(image, sim::SimOptions{.quirks = leaving});
    REQUIRE(card.ok());
    auto r = read_card(**card, req);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message()));
    ++completed;
    check(*r, total);
  }
  CHECK(completed == total - 1);
  return completed;
}



struct Personalized {
  sim::PersonalizedCard card;
  auth::TrustStore trust;
};

inline Personalized personalized(const sim::PersonalizeOptions& options) {
  auto made = sim::personalize_card(options);
  REQUIRE_MESSAGE(made.ok(), (made.ok() ? std::string() : made.error().message()));
  Personalized p{std::move(made).value(), {}};
  REQUIRE(p.card.image.pki.count("csca_cert.pem"));
  REQUIRE(p.trust.add_certificates(p.card.image.pki.at("csca_cert.pem"), "pki/csca_cert.pem").ok());
  return p;
}


}  // namespace idtap::test::session
