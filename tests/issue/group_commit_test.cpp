// Group commit: Ledger::run_in_one_transaction (several logical operations under one commit,
// each with its own rules and events) and GroupCommitBackend (the writer thread `idtap serve`
// sends the phones' redemptions and issuances to), against a real ledger file.
#include "idtap/issue/group_commit.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <future>
#include <condition_variable>
#include <functional>
#include <map>
#include <thread>
#include <vector>

#include "idtap/base/file_io.h"
#include "issue_fixtures.h"

using namespace idtap;
using namespace idtap::issue;
using namespace idtap::issue::testing;

namespace {

// state_of: the ledger's state of credential `id` ("" when unknown).
std::string state_of(Ledger& ledger, const std::string& id) {
  const std::vector<CredentialRecord> records = ledger.credentials().value();
  for (const auto& c : records)
    if (c.id == id) return credential_state_name(c.state);
  return "";
}

// Redeemed: an offer for `holder`, already redeemed (what the token endpoint leaves).
RedeemedOfferRow redeemed_offer(Desk& desk, const VerifiedHolder& holder, UnixSeconds now) {
  auto offer = desk.pipeline->create_offer({&holder, now});
  REQUIRE_MESSAGE(offer.ok(), offer.error().message());
  auto row = desk.pipeline->redeem_offer(offer->pre_authorized_code, offer->tx_code, now);
  REQUIRE_MESSAGE(row.ok(), row.error().message());
  return *row;
}

// issuer_config: the desk's test issuer as files, for GroupCommitBackend::open.
PipelineConfig issuer_config(Desk& desk) {
  REQUIRE(write_file_atomic(desk.dir.file("issuer.key"), bytes_of(string_of(desk.pki.ds_key.to_pem().value())), 0600).ok());
  REQUIRE(write_file_atomic(desk.dir.file("issuer.pem"), bytes_of(desk.pki.ds.to_pem() + desk.pki.ca.to_pem()), 0600).ok());
  PipelineConfig config;
  config.issuer = IssuerFiles{desk.dir.file("issuer.key"), desk.dir.file("issuer.pem"), ""};
  return config;
}

}  // namespace

TEST_CASE("run_in_one_transaction: each operation keeps its rules and events, sees the ones before it, and fails alone") {
  Desk desk;
  const UnixSeconds now = now_seconds();
  const VerifiedHolder holder = sample_holder();
  const VerifiedHolder other = sample_holder("850101-2345678", Date{1985, 1, 1}, "M99999999");
  // Two offers of one holder (two phones), one of another holder.
  const RedeemedOfferRow first = redeemed_offer(desk, holder, now);
  const RedeemedOfferRow second = redeemed_offer(desk, holder, now);
  const RedeemedOfferRow third = redeemed_offer(desk, other, now);
  const auto phone1 = EcPrivateKey::generate().value();
  const auto phone2 = EcPrivateKey::generate().value();
  const auto phone3 = EcPrivateKey::generate().value();
  const uint64_t events_before = desk.ledger->verify().value().events;

  std::optional<Result<OfferCredential>> a, b, c;
  Status reentered = ok_status();
  std::vector<std::function<Status()>> ops = {
      [&]() -> Status {
        a = desk.pipeline->issue_offer(first.offer_id, phone1.public_key(), now);
        return a->ok() ? ok_status() : Status(a->error());
      },
      [&]() -> Status {
        // the same holder's second phone, in the same transaction: one phone per holder sees
        // the first phone's credential (not yet committed) and revokes it
        b = desk.pipeline->issue_offer(second.offer_id, phone2.public_key(), now);
        return b->ok() ? ok_status() : Status(b->error());
      },
      [&]() -> Status {
        // an operation that issues and then fails: all of it is undone, the others stay
        c = desk.pipeline->issue_offer(third.offer_id, phone3.public_key(), now);
        REQUIRE(c->ok());
        return make_error(ErrorCode::kInternal, "this operation fails after issuing");
      },
      [&]() -> Status {
        // not reentrant
        std::vector<std::function<Status()>> inner = {[] { return ok_status(); }};
        reentered = desk.ledger->run_in_one_transaction(inner);
        return ok_status();
      },
  };
  REQUIRE(desk.ledger->run_in_one_transaction(ops).ok());
  REQUIRE_MESSAGE(a->ok(), a->error().message());
  REQUIRE_MESSAGE(b->ok(), b->error().message());
  REQUIRE(b->value().revoked == std::vector<std::string>{a->value().credential_id});
  CHECK(state_of(*desk.ledger, a->value().credential_id) == "revoked");
  CHECK(state_of(*desk.ledger, b->value().credential_id) == "active");
  // the failed operation left nothing: no credential, the offer still redeemed and issuable
  CHECK(state_of(*desk.ledger, c->value().credential_id).empty());
  CHECK(desk.ledger->credentials().value().size() == 2);
  CHECK(reentered.error().code == ErrorCode::kState);
  // the event chain holds: the holder, issued, revoked, issued (the undone issuance appended nothing)
  auto report = desk.ledger->verify().value();
  CHECK(report.consistent());
  CHECK(report.events == events_before + 4);

  auto later = desk.pipeline->issue_offer(third.offer_id, phone3.public_key(), now);
  REQUIRE_MESSAGE(later.ok(), later.error().message());
  CHECK(desk.ledger->verify().value().consistent());
}

TEST_CASE("GroupCommitBackend: concurrent redemptions and issuances, each answered after its commit") {
  Desk desk;
  const PipelineConfig config = issuer_config(desk);
  const UnixSeconds now = now_seconds();
  // 20 holders, and one holder with two offers (two phones).
  struct Pending {
    CreatedOffer offer;
    std::string holder;
  };
  std::vector<Pending> offers;
  std::vector<VerifiedHolder> holders;
  for (int i = 0; i < 20; ++i)
    holders.push_back(sample_holder("900515-1" + std::to_string(100000 + i), Date{1990, 5, 15}, "M" + std::to_string(10000000 + i)));
  for (const auto& h : holders) offers.push_back({desk.pipeline->create_offer({&h, now}).value(), h.masked_resident_number()});
  offers.push_back({desk.pipeline->create_offer({&holders[0], now}).value(), holders[0].masked_resident_number()});
  // One offer that a wallet keeps guessing the tx_code of.
  const CreatedOffer guessed = desk.pipeline->create_offer({&holders[1], now}).value();

  auto backend = GroupCommitBackend::open(desk.db, config, now);
  REQUIRE_MESSAGE(backend.ok(), backend.error().message());
  std::vector<std::optional<Result<Bytes>>> results(offers.size());
  std::vector<std::optional<RedeemedOffer>> rows(offers.size());
  std::vector<EcPrivateKey> phones;
  for (size_t i = 0; i < offers.size(); ++i) phones.push_back(EcPrivateKey::generate().value());
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (size_t i; (i = next++) < offers.size();) {
        auto redeemed = (*backend)->redeem(offers[i].offer.pre_authorized_code, offers[i].offer.tx_code, now);
        if (!redeemed.ok()) {
          results[i] = redeemed.error();
          continue;
        }
        rows[i] = *redeemed;
        results[i] = (*backend)->issue(*redeemed, point_of(phones[i]), now);
      }
    });
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < offers.size(); ++i) {
    CAPTURE(i);
    REQUIRE(results[i].has_value());
    REQUIRE_MESSAGE(results[i]->ok(), results[i]->error().message());
    auto v = desk.verify(results[i]->value(), now);
    REQUIRE_MESSAGE(v.ok(), v.error().message());
    CHECK(v->mso.device_key == phones[i].public_key());
  }

  // The same offer and key again: the same credential (an OID4VCI retry after a lost answer).
  // Another key for that offer is refused.
  {
    REQUIRE(rows[2].has_value());
    auto again = (*backend)->issue(*rows[2], point_of(phones[2]), now);
    REQUIRE_MESSAGE(again.ok(), again.error().message());
    CHECK(*again == results[2]->value());
    CHECK((*backend)->issue(*rows[2], point_of(phones[3]), now).error().code == ErrorCode::kRefused);
  }
  // A wrong tx_code is counted (kAuthFailed).
  auto first = (*backend)->redeem(guessed.pre_authorized_code, guessed.tx_code == "000000" ? "111111" : "000000", now);
  CHECK(first.error().code == ErrorCode::kAuthFailed);
  // Five wrong tx_codes kill the offer; each count was committed before its answer.
  for (int i = 0; i < 4; ++i) (void)(*backend)->redeem(guessed.pre_authorized_code, guessed.tx_code == "000000" ? "111111" : "000000", now);
  CHECK((*backend)->redeem(guessed.pre_authorized_code, guessed.tx_code, now).error().code == ErrorCode::kRefused);

  const GroupCommitStats stats = (*backend)->stats();
  CHECK(stats.operations == 2 * offers.size() + 2 + 6);
  CHECK(stats.commits >= 1);
  CHECK(stats.commits <= stats.operations);
  CHECK(stats.largest_batch >= 1);
  (*backend)->close();
  CHECK((*backend)->redeem("x", "123456", now).error().code == ErrorCode::kState);

  // What the callers were told is what the ledger holds (another connection reads it): every
  // credential, the holder with two phones holding one active, the chain consistent.
  auto records = desk.ledger->credentials().value();
  CHECK(records.size() == offers.size());
  size_t active = 0;
  for (const auto& r : records)
    if (r.state == CredentialState::kActive) ++active;
  CHECK(active == offers.size() - 1);
  CHECK(desk.ledger->verify().value().consistent());
}

// Pipelined sync (group_commit.h): a SQLite writer commits without waiting for the disk and a
// second thread syncs; an issuance (and a wrong tx_code's count) is answered only after the sync
// of its commit, a redemption that succeeded at once (its token lives in memory only). Once a
// sync fails the writer answers every later operation with that error and writes nothing more.
TEST_CASE("GroupCommitBackend: what must be durable waits for its sync; a failed sync stops the writer") {
  Desk desk;
  const PipelineConfig config = issuer_config(desk);
  const UnixSeconds now = now_seconds();
  std::vector<VerifiedHolder> holders;
  std::vector<CreatedOffer> offers;
  for (int i = 0; i < 4; ++i)
    holders.push_back(sample_holder("900515-1" + std::to_string(200000 + i), Date{1990, 5, 15}, "M" + std::to_string(20000000 + i)));
  for (const auto& h : holders) offers.push_back(desk.pipeline->create_offer({&h, now}).value());

  // A disk the test holds: a sync waits until `open_disk` and fails once `disk_fails`.
  std::mutex m;
  std::condition_variable cv;
  bool disk_open = false;
  std::atomic<int> syncs{0};
  std::atomic<bool> disk_fails{false};
  GroupCommitOptions options;
  options.sync = [&](const Ledger& ledger) -> Status {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return disk_open; });
    ++syncs;
    if (disk_fails) return make_error(ErrorCode::kIo, "test: the disk failed to sync");
    return ledger.sync_committed();
  };
  auto open_disk = [&](bool open) {
    std::lock_guard lock(m);
    disk_open = open;
    cv.notify_all();
  };
  auto backend = GroupCommitBackend::open(desk.db, config, now, options);
  REQUIRE_MESSAGE(backend.ok(), backend.error().message());

  // The disk is held: a redemption is answered anyway; an issuance and a wrong tx_code's count
  // are not, until their sync.
  auto redeemed = (*backend)->redeem(offers[0].pre_authorized_code, offers[0].tx_code, now);
  REQUIRE_MESSAGE(redeemed.ok(), redeemed.error().message());
  const std::string wrong = offers[1].tx_code == "000000" ? "111111" : "000000";
  auto guessed = std::async(std::launch::async, [&] { return (*backend)->redeem(offers[1].pre_authorized_code, wrong, now); });
  auto issued = std::async(std::launch::async, [&] { return (*backend)->issue(*redeemed, point_of(EcPrivateKey::generate().value()), now); });
  CHECK(guessed.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout);
  CHECK(issued.wait_for(std::chrono::milliseconds(1)) == std::future_status::timeout);
  CHECK(syncs == 0);
  open_disk(true);
  CHECK(guessed.get().error().code == ErrorCode::kAuthFailed);
  auto credential = issued.get();
  REQUIRE_MESSAGE(credential.ok(), credential.error().message());
  CHECK(syncs >= 1);
  GroupCommitStats stats = (*backend)->stats();
  CHECK(stats.syncs == static_cast<uint64_t>(syncs.load()));
  CHECK(stats.syncs <= stats.commits);

  // The disk fails: the issuance whose commit it could not sync is not answered with success,
  // and nothing after it is written.
  auto second = (*backend)->redeem(offers[2].pre_authorized_code, offers[2].tx_code, now);
  REQUIRE_MESSAGE(second.ok(), second.error().message());
  disk_fails = true;
  auto cut = (*backend)->issue(*second, point_of(EcPrivateKey::generate().value()), now);
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.error().code == ErrorCode::kIo);
  CHECK(cut.error().message().find("disk failed") != std::string::npos);
  const int syncs_at_failure = syncs;
  const uint64_t events_at_failure = desk.ledger->verify().value().events;
  auto after = (*backend)->redeem(offers[3].pre_authorized_code, offers[3].tx_code, now);
  REQUIRE_FALSE(after.ok());
  CHECK(after.error().code == ErrorCode::kIo);
  CHECK(after.error().message().find("writer stopped") != std::string::npos);
  CHECK(syncs == syncs_at_failure);  // not even run: no commit, nothing to sync
  CHECK(desk.ledger->verify().value().events == events_at_failure);
  (*backend)->close();
  CHECK(desk.ledger->verify().value().consistent());
}

TEST_CASE("GroupCommitBackend: without pipelined sync every commit syncs itself") {
  Desk desk;
  const PipelineConfig config = issuer_config(desk);
  const UnixSeconds now = now_seconds();
  VerifiedHolder holder = sample_holder();
  const CreatedOffer offer = desk.pipeline->create_offer({&holder, now}).value();
  GroupCommitOptions options;
  options.pipelined_sync = false;
  bool called = false;
  options.sync = [&](const Ledger&) -> Status {
    called = true;
    return ok_status();
  };
  auto backend = GroupCommitBackend::open(desk.db, config, now, options);
  REQUIRE(backend.ok());
  auto redeemed = (*backend)->redeem(offer.pre_authorized_code, offer.tx_code, now);
  REQUIRE(redeemed.ok());
  REQUIRE((*backend)->issue(*redeemed, point_of(EcPrivateKey::generate().value()), now).ok());
  CHECK((*backend)->stats().syncs == 0);
  CHECK_FALSE(called);
}

TEST_CASE("GroupCommitBackend::open refuses a bad batch size and a missing issuer") {
  Desk desk;
  PipelineConfig config = issuer_config(desk);
  CHECK(GroupCommitBackend::open(desk.db, config, now_seconds(), {.max_batch = 0}).error().code == ErrorCode::kInvalidArgument);
  CHECK(GroupCommitBackend::open(desk.db, config, now_seconds(), {.max_batch = 5000}).error().code == ErrorCode::kInvalidArgument);
  config.issuer.key_path = desk.dir.file("none.key");
  CHECK_FALSE(GroupCommitBackend::open(desk.db, config, now_seconds()).ok());
  CHECK_FALSE(GroupCommitBackend::open(desk.dir.file("no-ledger.db"), issuer_config(desk), now_seconds()).ok());
}
