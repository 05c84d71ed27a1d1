// Pending offers in the ledger, through the pipeline and the OfferBackend `idtap serve` uses.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <fstream>
#include <sstream>

#include "idtap/issue/ledger_offer_backend.h"
#include "idtap/provision/pending_offers.h"
#include "issue_fixtures.h"

using namespace idtap;
using namespace idtap::issue;
using namespace idtap::issue::testing;

namespace {

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void run_sql(const std::string& db, const std::string& sql) {
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &raw) == SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &err);
  CHECK_MESSAGE(rc == SQLITE_OK, (err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(raw);
}

// wrong_code: a 6-digit code that is not `right`.
std::string wrong_code(const std::string& right) { return right == "000000" ? "000001" : "000000"; }

}  // namespace

TEST_CASE("an offer: created at the desk, redeemed once with its tx_code, issued bound to the phone's key") {
  Desk desk;
  const UnixSeconds now = fixture_now();
  VerifiedHolder holder = sample_holder();
  auto offer = desk.pipeline->create_offer({&holder, now});
  REQUIRE_MESSAGE(offer.ok(), offer.error().message());
  CHECK(offer->offer_id.size() == 32);
  CHECK(offer->pre_authorized_code.size() == 43);  // 256 bits, base64url without padding
  CHECK(offer->tx_code.size() == 6);
  CHECK(offer->tx_code.find_first_not_of("0123456789") == std::string::npos);
  CHECK(offer->expires_at == now + kOfferDefaultTtlSeconds);
  // two offers never share a code
  auto other = desk.pipeline->create_offer({&holder, now}).value();
  CHECK(other.pre_authorized_code != offer->pre_authorized_code);

  LedgerOfferBackend backend(*desk.pipeline);
  auto redeemed = backend.redeem(offer->pre_authorized_code, offer->tx_code, now + 30);
  REQUIRE_MESSAGE(redeemed.ok(), redeemed.error().message());
  CHECK(redeemed->offer_id == offer->offer_id);
  CHECK(redeemed->credential_configuration_id == kResidentIdDocType);
  // a code is redeemed once
  auto again = backend.redeem(offer->pre_authorized_code, offer->tx_code, now + 31);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == ErrorCode::kNotFound);

  auto phone = EcPrivateKey::generate().value();
  auto credential = backend.issue(*redeemed, point_of(phone), now + 40);
  REQUIRE_MESSAGE(credential.ok(), credential.error().message());
  auto verified = desk.verify(*credential, now + 40);
  REQUIRE_MESSAGE(verified.ok(), verified.error().message());
  CHECK(verified->mso.device_key == phone.public_key());
  // recorded in the ledger, as chip evidence
  auto records = desk.ledger->credentials().value();
  REQUIRE(records.size() == 1);
  CHECK(records[0].evidence == "chip");
  CHECK(records[0].device_thumbprint == phone.public_key().thumbprint());
  // the sealed holder record went with the issuance
  PendingOffers offers(*desk.ledger);
  auto info = offers.info(offer->offer_id).value();
  CHECK(info.state == OfferState::kIssued);
  CHECK_FALSE(info.holder_sealed);
  CHECK(info.credential_id == records[0].id);
  CHECK(desk.ledger->verify().value().consistent());
}

TEST_CASE("issue is idempotent for the same key and refuses another key (a wallet retrying after a lost response)") {
  Desk desk;
  const UnixSeconds now = fixture_now();
  VerifiedHolder holder = sample_holder();
  auto offer = desk.pipeline->create_offer({&holder, now}).value();
  LedgerOfferBackend backend(*desk.pipeline);
  auto redeemed = backend.redeem(offer.pre_authorized_code, offer.tx_code, now).value();
  auto phone = EcPrivateKey::generate().value();
  Bytes first = backend.issue(redeemed, point_of(phone), now + 1).value();
  Bytes second = backend.issue(redeemed, point_of(phone), now + 2).value();
  CHECK(first == second);  // the same bytes, not a second credential
  CHECK(desk.ledger->credentials().value().size() == 1);
  auto thief = EcPrivateKey::generate().value();
  auto refused = backend.issue(redeemed, point_of(thief), now + 3);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kRefused);
  CHECK(desk.ledger->credentials().value().size() == 1);
  // and the same after a restart: the credential is kept sealed in the ledger
  desk.reopen();
  LedgerOfferBackend after(*desk.pipeline);
  CHECK(after.issue(redeemed, point_of(phone), now + 4).value() == first);
  // a key that is not a P-256 point
  auto bad = after.issue(redeemed, Bytes(64, 4), now + 5);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("wrong tx_codes are counted durably and the fifth kills the offer") {
  Desk desk;
  const UnixSeconds now = fixture_now();
  VerifiedHolder holder = sample_holder();
  auto offer = desk.pipeline->create_offer({&holder, now}).value();
  const std::string wrong = wrong_code(offer.tx_code);
  for (int attempt = 1; attempt <= 4; ++attempt) {
    CAPTURE(attempt);
    auto r = desk.pipeline->redeem_offer(offer.pre_authorized_code, wrong, now + attempt);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kAuthFailed);
    if (attempt == 2) desk.reopen();  // the count survives a restart
  }
  PendingOffers offers(*desk.ledger);
  CHECK(offers.info(offer.offer_id).value().failed_attempts == 4);
  CHECK(offers.info(offer.offer_id).value().holder_sealed);
  auto fifth = desk.pipeline->redeem_offer(offer.pre_authorized_code, wrong, now + 5);
  REQUIRE_FALSE(fifth.ok());
  CHECK(fifth.error().code == ErrorCode::kRefused);
  auto info = offers.info(offer.offer_id).value();
  CHECK(info.state == OfferState::kKilled);
  CHECK_FALSE(info.holder_sealed);  // the holder record is deleted at once
  // the right code no longer helps
  auto right = desk.pipeline->redeem_offer(offer.pre_authorized_code, offer.tx_code, now + 6);
  REQUIRE_FALSE(right.ok());
  CHECK(right.error().code == ErrorCode::kRefused);
  CHECK(desk.ledger->credentials().value().empty());
}

TEST_CASE("an offer expires: not redeemable after its ttl, and swept with its sealed record") {
  Desk desk;
  const UnixSeconds now = fixture_now();
  VerifiedHolder holder = sample_holder();
  auto offer = desk.pipeline->create_offer({&holder, now, 120}).value();
  CHECK(offer.expires_at == now + 120);
  auto late = desk.pipeline->redeem_offer(offer.pre_authorized_code, offer.tx_code, now + 120);
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().code == ErrorCode::kNotFound);
  PendingOffers offers(*desk.ledger);
  CHECK(offers.info(offer.offer_id).error().code == ErrorCode::kNotFound);  // swept by the redeem
  // sweep() on its own
  auto second = desk.pipeline->create_offer({&holder, now, 60}).value();
  CHECK(offers.sweep(now + 59).value() == 0);
  CHECK(offers.sweep(now + 60).value() == 1);
  CHECK(offers.info(second.offer_id).error().code == ErrorCode::kNotFound);
  // a redeemed offer not fetched within the issue window expires too
  auto third = desk.pipeline->create_offer({&holder, now}).value();
  auto redeemed = desk.pipeline->redeem_offer(third.pre_authorized_code, third.tx_code, now + 10).value();
  auto phone = EcPrivateKey::generate().value();
  auto stale = desk.pipeline->issue_offer(redeemed.offer_id, phone.public_key(), now + 10 + kIssueWindowSeconds);
  REQUIRE_FALSE(stale.ok());
  CHECK(stale.error().code == ErrorCode::kNotFound);
  // bad ttls
  for (int64_t ttl : {int64_t(0), int64_t(-5), kOfferMaxTtlSeconds + 1}) {
    CAPTURE(ttl);
    CHECK(desk.pipeline->create_offer({&holder, now, ttl}).error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("an offer survives a restart between the desk and the phone") {
  Desk desk;
  const UnixSeconds now = fixture_now();
  VerifiedHolder holder = sample_holder();
  auto offer = desk.pipeline->create_offer({&holder, now}).value();
  desk.reopen();
  auto redeemed = desk.pipeline->redeem_offer(offer.pre_authorized_code, offer.tx_code, now + 60);
  REQUIRE_MESSAGE(redeemed.ok(), redeemed.error().message());
  desk.reopen();
  auto phone = EcPrivateKey::generate().value();
  auto issued = desk.pipeline->issue_offer(redeemed->offer_id, phone.public_key(), now + 61);
  REQUIRE_MESSAGE(issued.ok(), issued.error().message());
  auto verified = desk.verify(issued->issuer_signed, now + 61);
  REQUIRE(verified.ok());
}

TEST_CASE("the holder record is sealed at rest: the resident number is nowhere in the ledger's files") {
  Desk desk;
  const UnixSeconds now = fixture_now();
  VerifiedHolder holder = sample_holder("900515-1234567");
  auto offer = desk.pipeline->create_offer({&holder, now}).value();
  desk.reopen();  // checkpoints nothing away: the WAL is read too
  for (const std::string suffix : {"", "-wal"}) {
    const std::string bytes = file_bytes(desk.db + suffix);
    CAPTURE(suffix);
    CHECK_FALSE(bytes.find("900515-1234567") != std::string::npos);
    CHECK_FALSE(bytes.find("9005151234567") != std::string::npos);
    CHECK_FALSE(bytes.find(offer.pre_authorized_code) != std::string::npos);
  }
  // the data is there (the bytes grew by the sealed portrait) and opens only under the ledger key
  auto redeemed = desk.pipeline->redeem_offer(offer.pre_authorized_code, offer.tx_code, now).value();
  auto phone = EcPrivateKey::generate().value();
  auto issued = desk.pipeline->issue_offer(redeemed.offer_id, phone.public_key(), now + 1).value();
  // the credential kept for retries is sealed too
  for (const std::string suffix : {"", "-wal"}) {
    const std::string bytes = file_bytes(desk.db + suffix);
    CAPTURE(suffix);
    CHECK_FALSE(bytes.find("900515-1234567") != std::string::npos);
  }
}

TEST_CASE("a sealed record that was edited, or moved to another offer, is a typed error, never a credential") {
  Desk desk;
  const UnixSeconds now = fixture_now();
  VerifiedHolder holder = sample_holder();
  auto phone = EcPrivateKey::generate().value();
  SUBCASE("a byte of the sealed holder record flipped") {
    auto offer = desk.pipeline->create_offer({&holder, now}).value();
    auto redeemed = desk.pipeline->redeem_offer(offer.pre_authorized_code, offer.tx_code, now).value();
    run_sql(desk.db, "UPDATE offers SET sealed_holder = substr(sealed_holder, 1, 20) || x'00' || substr(sealed_holder, 22) "
                     "WHERE id = '" + offer.offer_id + "'");
    auto r = desk.pipeline->issue_offer(redeemed.offer_id, phone.public_key(), now + 1);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
    CHECK(r.error().context.find("does not open") != std::string::npos);
  }
  SUBCASE("another offer's sealed record copied in (the offer id is the associated data)") {
    auto a = desk.pipeline->create_offer({&holder, now}).value();
    VerifiedHolder someone = sample_holder("850101-2345678", Date{1985, 1, 1}, "M87654321");
    auto b = desk.pipeline->create_offer({&someone, now}).value();
    run_sql(desk.db, "UPDATE offers SET sealed_holder = (SELECT sealed_holder FROM offers WHERE id = '" + b.offer_id +
                         "') WHERE id = '" + a.offer_id + "'");
    auto redeemed = desk.pipeline->redeem_offer(a.pre_authorized_code, a.tx_code, now).value();
    auto r = desk.pipeline->issue_offer(redeemed.offer_id, phone.public_key(), now + 1);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
  }
  SUBCASE("the sealed record truncated") {
    auto offer = desk.pipeline->create_offer({&holder, now}).value();
    auto redeemed = desk.pipeline->redeem_offer(offer.pre_authorized_code, offer.tx_code, now).value();
    run_sql(desk.db, "UPDATE offers SET sealed_holder = x'0102' WHERE id = '" + offer.offer_id + "'");
    auto r = desk.pipeline->issue_offer(redeemed.offer_id, phone.public_key(), now + 1);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
  }
  CHECK(desk.ledger->credentials().value().empty());
}

TEST_CASE("one phone per holder through offers: a second offer redeemed by another phone revokes the first phone") {
  Desk desk;
  const UnixSeconds now = fixture_now();
  VerifiedHolder holder = sample_holder();
  LedgerOfferBackend backend(*desk.pipeline);
  auto first_phone = EcPrivateKey::generate().value();
  auto o1 = desk.pipeline->create_offer({&holder, now}).value();
  auto r1 = backend.redeem(o1.pre_authorized_code, o1.tx_code, now).value();
  REQUIRE(backend.issue(r1, point_of(first_phone), now + 1).ok());
  const std::string first_id = desk.ledger->credentials().value().at(0).id;

  auto second_phone = EcPrivateKey::generate().value();
  auto o2 = desk.pipeline->create_offer({&holder, now + 100}).value();
  auto r2 = backend.redeem(o2.pre_authorized_code, o2.tx_code, now + 100).value();
  auto issued = desk.pipeline->issue_offer(r2.offer_id, second_phone.public_key(), now + 101);
  REQUIRE_MESSAGE(issued.ok(), issued.error().message());
  REQUIRE(issued->revoked.size() == 1);
  CHECK(issued->revoked[0] == first_id);
  auto first = desk.ledger->credential(first_id).value();
  CHECK(first.state == CredentialState::kRevoked);
  CHECK(first.state_reason == "replaced by " + issued->credential_id);
  CHECK(desk.ledger->credential(issued->credential_id).value().state == CredentialState::kActive);
  CHECK(desk.ledger->verify().value().consistent());
}

TEST_CASE("the rules at the desk and again at the phone: under 17, expired card, lost card") {
  Desk desk;
  const UnixSeconds now = fixture_now();  // 2026-03-02
  SUBCASE("a 16-year-old is refused at the desk: nothing stored") {
    VerifiedHolder young = sample_holder("090815-3234567", Date{2009, 8, 15});
    auto r = desk.pipeline->create_offer({&young, now});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kRefused);
    CHECK(r.error().context.find("under 17") != std::string::npos);
  }
  SUBCASE("a card reported lost in the ledger is refused at the desk") {
    VerifiedHolder holder = sample_holder();
    REQUIRE(desk.ledger->report_card_lost(holder.card, now - 10, Ledger::UnknownCard::kRecord).ok());
    auto r = desk.pipeline->create_offer({&holder, now});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kRefused);
    CHECK(r.error().context.find("lost") != std::string::npos);
  }
  SUBCASE("a card reported lost between the offer and the redemption refuses the credential") {
    VerifiedHolder holder = sample_holder();
    auto offer = desk.pipeline->create_offer({&holder, now}).value();
    auto redeemed = desk.pipeline->redeem_offer(offer.pre_authorized_code, offer.tx_code, now + 5).value();
    REQUIRE(desk.ledger->report_card_lost(holder.card, now + 10, Ledger::UnknownCard::kRecord).ok());
    auto phone = EcPrivateKey::generate().value();
    auto r = desk.pipeline->issue_offer(redeemed.offer_id, phone.public_key(), now + 20);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kRefused);
    CHECK(r.error().context.find("lost") != std::string::npos);
    CHECK(desk.ledger->credentials().value().empty());
  }
  SUBCASE("a card that expires between the offer and the redemption refuses the credential") {
    VerifiedHolder holder = sample_holder();
    holder.expiry_date = date_of(now);  // valid today, not tomorrow
    auto offer = desk.pipeline->create_offer({&holder, now, kOfferMaxTtlSeconds}).value();
    auto redeemed = desk.pipeline->redeem_offer(offer.pre_authorized_code, offer.tx_code, now + 86000).value();
    auto phone = EcPrivateKey::generate().value();
    auto r = desk.pipeline->issue_offer(redeemed.offer_id, phone.public_key(), now + 86000);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kRefused);
    CHECK(r.error().context.find("expired") != std::string::npos);
  }
}

TEST_CASE("the chipless path: a clerk-attested holder is refused unless the ledger allows it, and marked when issued") {
  const UnixSeconds now = fixture_now();
  VerifiedHolder attested = sample_holder();
  attested.genuine = false;
  attested.verdict_reason = "attested by clerk";
  attested.evidence = Evidence::kClerk;
  attested.clerk_id = "clerk-042";
  SUBCASE("policy off (the default): refused at the desk, and by the ledger itself") {
    Desk desk;
    CHECK_FALSE(desk.ledger->allow_attested());
    auto r = desk.pipeline->create_offer({&attested, now});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kRefused);
    CHECK(r.error().context.find("--allow-attested") != std::string::npos);
    auto phone = EcPrivateKey::generate().value();
    IssueRequest direct = request_for(*desk.ledger, attested, phone, now);
    auto d = desk.ledger->issue(direct, desk.pipeline->signer());
    REQUIRE_FALSE(d.ok());
    CHECK(d.error().code == ErrorCode::kRefused);
  }
  SUBCASE("policy on: issued, the ledger records clerk:ID, the credential says clerk") {
    Desk desk(/*allow_attested=*/true);
    CHECK(desk.ledger->allow_attested());
    auto offer = desk.pipeline->create_offer({&attested, now});
    REQUIRE_MESSAGE(offer.ok(), offer.error().message());
    auto redeemed = desk.pipeline->redeem_offer(offer->pre_authorized_code, offer->tx_code, now).value();
    auto phone = EcPrivateKey::generate().value();
    auto issued = desk.pipeline->issue_offer(redeemed.offer_id, phone.public_key(), now + 1);
    REQUIRE_MESSAGE(issued.ok(), issued.error().message());
    CHECK(desk.ledger->credential(issued->credential_id).value().evidence == "clerk:clerk-042");
    auto verified = desk.verify(issued->issuer_signed, now + 1).value();
    bool found = false;
    for (const auto& e : verified.elements)
      if (e.identifier == "verification_method") {
        found = true;
        CHECK(cbor::get_text(cbor::decode(e.value).value().get()).value() == "clerk");
      }
    CHECK(found);
    // every other rule is the same: an attested 16-year-old is refused
    VerifiedHolder young = attested;
    young.birth_date = Date{2009, 8, 15};
    young.resident_registration_number = SecureBytes{'0', '9', '0', '8', '1', '5', '3', '2', '3', '4', '5', '6', '7'};
    CHECK(desk.pipeline->create_offer({&young, now}).error().code == ErrorCode::kRefused);
    // the policy survives a restart
    desk.reopen();
    CHECK(desk.ledger->allow_attested());
    CHECK(desk.ledger->verify().value().consistent());
  }
  SUBCASE("an edited policy row reads as off") {
    Desk desk(true);
    desk.ledger.reset();
    desk.pipeline.reset();
    run_sql(desk.db, "UPDATE meta SET value = '00' WHERE key = 'allow_attested'");
    Ledger reopened = Ledger::open(desk.db, ledger_options()).value();
    CHECK_FALSE(reopened.allow_attested());
  }
  SUBCASE("a clerk-attested holder without a clerk id is refused") {
    Desk desk(true);
    VerifiedHolder anonymous = attested;
    anonymous.clerk_id.clear();
    CHECK(desk.pipeline->create_offer({&anonymous, now}).error().code == ErrorCode::kRefused);
  }
}

TEST_CASE("the holder record round-trips through its encoding, and a damaged one is kMalformed") {
  VerifiedHolder h = sample_holder();
  h.evidence = Evidence::kClerk;
  h.clerk_id = "c1";
  h.card_status = CardStatus::kValid;
  auto encoded = encode_holder_record(h).value();
  auto back = decode_holder_record(encoded);
  REQUIRE(back.ok());
  CHECK(back->family_name == h.family_name);
  CHECK(back->given_name_national == h.given_name_national);
  CHECK(back->birth_date == h.birth_date);
  CHECK(back->resident_registration_number == h.resident_registration_number);
  CHECK(back->portrait_jpeg == h.portrait_jpeg);
  CHECK(back->card.document_number == h.card.document_number);
  CHECK(back->expiry_date == h.expiry_date);
  CHECK(back->issue_date == h.issue_date);
  CHECK(back->evidence == Evidence::kClerk);
  CHECK(back->clerk_id == "c1");
  CHECK(back->genuine == h.genuine);
  CHECK(decode_holder_record(Bytes{0xA0}).error().code == ErrorCode::kMalformed);       // an empty map
  CHECK(decode_holder_record(Bytes{0x01, 0x02}).error().code == ErrorCode::kMalformed);  // not one item
}
