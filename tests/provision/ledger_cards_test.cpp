// tests/provision/ledger_cards_test.cpp: state changes: suspension, resume, revocation, expiry,
// cards reported lost and found, document numbers as typed; on every backend.
#include <doctest/doctest.h>

#include "idtap/provision/ledger.h"
#include "ledger_fixture.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

TEST_CASE_TEMPLATE("suspension: card lost suspends all, phone lost only that one; resume and revoke", B, LEDGER_BACKENDS) {
  LedgerWorld<B> w;
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();
  auto c = w.ledger.issue(request_for(w.ledger, holder, phone, w.now), w.signer).value();

  SUBCASE("card reported lost") {
    auto suspended = w.ledger.report_card_lost(holder.card, w.now + 1).value();
    REQUIRE(suspended.size() == 1);
    CHECK(suspended[0] == c.credential_id);
    auto rec = w.ledger.credential(c.credential_id).value();
    CHECK(rec.state == CredentialState::kSuspended);
    CHECK(rec.state_reason == "card_lost");
    CHECK(rec.card_state == "lost");
    CHECK(w.ledger.report_card_lost(holder.card, w.now + 2).error().code == ErrorCode::kState);
    // Resume is refused while the card is lost; finding the card resumes it.
    CHECK(w.ledger.resume(c.credential_id, w.now + 3).error().code == ErrorCode::kRefused);
    auto resumed = w.ledger.card_found(holder.card, w.now + 4).value();
    CHECK(resumed == std::vector<std::string>{c.credential_id});
    CHECK(w.ledger.credential(c.credential_id)->state == CredentialState::kActive);
  }
  SUBCASE("phone reported lost, then resumed, then suspended and revoked") {
    REQUIRE(w.ledger.suspend(c.credential_id, "phone_lost", w.now + 1).ok());
    CHECK(w.ledger.credential(c.credential_id)->state_reason == "phone_lost");
    CHECK(w.ledger.status_list()->get(c.status_idx).value() == kStatusInvalid);
    CHECK(w.ledger.suspend(c.credential_id, "phone_lost", w.now + 2).error().code == ErrorCode::kState);
    REQUIRE(w.ledger.resume(c.credential_id, w.now + 3).ok());
    CHECK(w.ledger.status_list()->get(c.status_idx).value() == kStatusValid);
    REQUIRE(w.ledger.suspend(c.credential_id, "phone_lost", w.now + 4).ok());
    REQUIRE(w.ledger.revoke(c.credential_id, "phone not found", w.now + 5).ok());
    CHECK(w.ledger.credential(c.credential_id)->state == CredentialState::kRevoked);
    CHECK(w.ledger.resume(c.credential_id, w.now + 6).error().code == ErrorCode::kState);
    CHECK(w.ledger.revoke("0000", "x", w.now).error().code == ErrorCode::kNotFound);
  }
  SUBCASE("expiry after three years") {
    CHECK(w.ledger.expire_due(c.validity.valid_until - 1)->empty());
    CHECK(w.ledger.expire_due(c.validity.valid_until).value() == std::vector<std::string>{c.credential_id});
    CHECK(w.ledger.credential(c.credential_id)->state == CredentialState::kExpired);
  }
  auto report = w.ledger.verify().value();
  for (const auto& f : report.findings) MESSAGE(f.what);
  CHECK(report.consistent());
}

TEST_CASE_TEMPLATE("a card first reported lost while unknown gets its holder at issuance (H1)", B, LEDGER_BACKENDS) {
  LedgerWorld<B> w;
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();
  // Unknown card: recorded lost with no holder, nothing suspended.
  CHECK(w.ledger.report_card_lost(holder.card, w.now, Ledger::UnknownCard::kRecord).value().empty());
  CHECK(w.ledger.card_found(holder.card, w.now + 1).value().empty());
  auto c = w.ledger.issue(request_for(w.ledger, holder, phone, w.now + 2), w.signer).value();
  // The second report finds the holder through the card and suspends the credential.
  auto suspended = w.ledger.report_card_lost(holder.card, w.now + 3).value();
  CHECK(suspended == std::vector<std::string>{c.credential_id});
  CHECK(w.ledger.credential(c.credential_id)->state == CredentialState::kSuspended);
  CHECK(w.ledger.status_list()->get(c.status_idx).value() == kStatusInvalid);
  // Once the card has a holder, another holder presenting it is still refused.
  REQUIRE(w.ledger.card_found(holder.card, w.now + 4).ok());
  VerifiedHolder other = sample_holder("850101-2345678", Date{1985, 1, 1});
  auto others_phone = EcPrivateKey::generate().value();  // one person per phone (issue 14 item 2)
  auto r = w.ledger.issue(request_for(w.ledger, other, others_phone, w.now + 5), w.signer);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().context == "the card is recorded for another holder");
  CHECK(w.ledger.verify()->consistent());
}

TEST_CASE_TEMPLATE("card found resumes only credentials whose own card is no longer lost (M1)", B, LEDGER_BACKENDS) {
  LedgerWorld<B> w;
  auto phone = EcPrivateKey::generate().value();
  VerifiedHolder on_a = sample_holder("900515-1234567", Date{1990, 5, 15}, "M00000001");
  VerifiedHolder on_b = sample_holder("900515-1234567", Date{1990, 5, 15}, "M00000002");
  REQUIRE(w.ledger.issue(request_for(w.ledger, on_a, phone, w.now), w.signer).ok());
  auto x = w.ledger.issue(request_for(w.ledger, on_b, phone, w.now + 1), w.signer).value();  // from card B
  CHECK(w.ledger.report_card_lost(on_a.card, w.now + 2).value() == std::vector<std::string>{x.credential_id});
  CHECK(w.ledger.report_card_lost(on_b.card, w.now + 3).value().empty());  // already suspended
  // Card A found: X's own card B is still lost, so X stays suspended.
  CHECK(w.ledger.card_found(on_a.card, w.now + 4).value().empty());
  CHECK(w.ledger.credential(x.credential_id)->state == CredentialState::kSuspended);
  CHECK(w.ledger.status_list()->get(x.status_idx).value() == kStatusInvalid);
  // Card B found: now it is resumed.
  CHECK(w.ledger.card_found(on_b.card, w.now + 5).value() == std::vector<std::string>{x.credential_id});
  CHECK(w.ledger.credential(x.credential_id)->state == CredentialState::kActive);
  CHECK(w.ledger.verify()->consistent());
}

TEST_CASE_TEMPLATE("document numbers are taken as the MRZ writes them, wherever they enter (issue 14 item 1)", B, LEDGER_BACKENDS) {
  struct Good {
    const char* typed;
    const char* normalized;
  };
  const Good goods[] = {
      {"M12345678", "M12345678"},    // as printed
      {"m12345678", "M12345678"},    // lower case (the desk bug: matched nothing)
      {"m1234 5678", "M12345678"},   // spaces as read aloud
      {" M12345678 ", "M12345678"},  // pasted with blanks
      {"M12345678<", "M12345678"},   // copied from the MRZ with its filler
      {"kr<123<4567", "KR1234567"},  // fillers inside, as a TD1 line shows them
  };
  for (const auto& g : goods) {
    CAPTURE(g.typed);
    CHECK(normalize_document_number(g.typed).value() == g.normalized);
  }
  struct Bad {
    const char* typed;
    const char* why;
  };
  const Bad bads[] = {
      {"", "nothing typed"},
      {"<<< ", "only fillers and spaces"},
      {"M1234-5678", "a dash is not an MRZ character"},
      {"M12345678\xC3\xA9", "a non-ASCII letter"},
      {"M1234\t5678", "a tab is not a space"},
  };
  for (const auto& b : bads) {
    CAPTURE(b.why);
    auto n = normalize_document_number(b.typed);
    REQUIRE_FALSE(n.ok());
    CHECK(n.error().code == ErrorCode::kInvalidArgument);
  }
  CHECK(normalize_issuing_state("kor").value() == "KOR");
  CHECK(normalize_issuing_state("d<<").value() == "D");  // as lds::Mrz keeps Germany's code
  CHECK_FALSE(normalize_issuing_state("KOREA").ok());     // not a 3-letter code
  CHECK_FALSE(normalize_issuing_state("K0R").ok());       // a digit

  // Through the ledger: every spelling finds the card the MRZ recorded.
  for (const char* typed : {"m12345678", "m1234 5678", "M12345678<"}) {
    CAPTURE(typed);
    LedgerWorld<B> w;
    auto phone = EcPrivateKey::generate().value();
    VerifiedHolder holder = sample_holder();  // MRZ document number M12345678
    auto c = w.ledger.issue(request_for(w.ledger, holder, phone, w.now), w.signer).value();
    const CardIdentity lower{typed, "kor"};
    CHECK(w.ledger.credentials(lower).value().size() == 1);
    CHECK(w.ledger.report_card_lost(lower, w.now + 1).value() == std::vector<std::string>{c.credential_id});
    CHECK(w.ledger.credential(c.credential_id)->state == CredentialState::kSuspended);
    CHECK(w.ledger.card_found(lower, w.now + 2).value() == std::vector<std::string>{c.credential_id});
    CHECK(w.backend.count_rows("cards") == 1);  // no second, lower-case card
  }
}

TEST_CASE_TEMPLATE("a card the ledger does not know is refused unless recording it is asked for (issue 14 item 1)", B, LEDGER_BACKENDS) {
  LedgerWorld<B> w;
  const CardIdentity unknown{"X9999999", "KOR"};
  bool known = true;
  auto refused = w.ledger.report_card_lost(unknown, w.now, Ledger::UnknownCard::kRefuse, &known);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kNotFound);
  CHECK_MESSAGE(refused.error().context.find("no card KOR X9999999 in the ledger") == 0, refused.error().context);
  CHECK_FALSE(known);
  CHECK(w.backend.count_rows("cards") == 0);
  CHECK(w.backend.count_rows("events") == 0);
  // A malformed number is refused before anything is looked up.
  CHECK(w.ledger.report_card_lost(CardIdentity{"X-1", "KOR"}, w.now).error().code == ErrorCode::kInvalidArgument);
  // On purpose: recorded as lost, and a later provisioning from it is refused.
  auto recorded = w.ledger.report_card_lost(CardIdentity{"x999 9999", "KOR"}, w.now, Ledger::UnknownCard::kRecord, &known);
  REQUIRE(recorded.ok());
  CHECK(recorded->empty());
  CHECK_FALSE(known);
  CHECK(w.backend.count_rows("cards") == 1);
  VerifiedHolder holder = sample_holder("900515-1234567", Date{1990, 5, 15}, "X9999999");
  auto phone = EcPrivateKey::generate().value();
  auto issued = w.ledger.issue(request_for(w.ledger, holder, phone, w.now + 1), w.signer);
  REQUIRE_FALSE(issued.ok());
  CHECK(issued.error().context == "the card is reported lost");
}
