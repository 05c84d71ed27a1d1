// drivers/pcsc through a real pcscd: the private pcscd with its vpcd reader
// (tests/support/pcscd_fixture.h) and the simulated card served by `idtap sim serve`.
#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "idtap/apdu/commands.h"
#include "idtap/base/hex.h"
#include "idtap/pcsc/events.h"
#include "idtap/pcsc/pcsc_transport.h"
#include "idtap/sim/card_image.h"
#include "support/pcscd_fixture.h"
#include "support/scratch_dir.h"
#include "support/sim_images.h"

using namespace idtap;
using namespace idtap::pcsc;
using namespace std::chrono_literals;

namespace {

std::string write_basic_card(const test::ScratchDir& dir) {
  std::string card = dir.path() + "/card";
  REQUIRE(sim::write_card_image(card, test::basic_card_image()).ok());
  return card;
}

uint16_t sw_of(Result<apdu::ResponseApdu> r) {
  REQUIRE_MESSAGE(r.ok(), r.error().message());
  return r->sw;
}

}  // namespace

TEST_CASE("PcscTransport on the simulated card: transactions, UID, sharing, a swapped card") {
  test::ScratchDir tmp("pcsc-driver");
  const std::string card_dir = write_basic_card(tmp);
  const sim::CardImage image = test::basic_card_image();
  test::PcscdFixture pcscd;
  REQUIRE_MESSAGE(pcscd.ok(), pcscd.error());
  auto serve = std::make_unique<test::SimServeProcess>(card_dir, pcscd.vpcd_port(), std::vector<std::string>{"--quiet"});
  REQUIRE_MESSAGE(pcscd.wait_card(true, 10000ms), serve->log());
  const std::string reader = pcscd.reader_name(0);

  auto context = Context::establish();
  REQUIRE_MESSAGE(context.ok(), context.error().message());
  auto names = (*context)->list_readers();
  REQUIRE(names.ok());
  CHECK(*names == std::vector<std::string>{reader, pcscd.reader_name(1)});

  auto t = PcscTransport::connect(*context, reader);
  REQUIRE_MESSAGE(t.ok(), t.error().message());
  CHECK((*t)->atr() == image.config.atr);
  CHECK((*t)->protocol() == static_cast<DWORD>(SCARD_PROTOCOL_T1));
  // vpcd answers neither part 10 nor SCARD_ATTR_MAXINPUT, and this one is not named "Virtual
  // PCD": short APDUs.
  CHECK_FALSE((*t)->length_info().max_apdu_data_size.has_value());
  CHECK_FALSE((*t)->capabilities().extended_length);
  auto uid = (*t)->contactless_uid();
  REQUIRE_MESSAGE(uid.ok(), uid.error().message());
  CHECK(*uid == image.config.uid);
  {
    auto tx = (*t)->begin_transaction();
    REQUIRE_MESSAGE(tx.ok(), tx.error().message());
    CHECK(sw_of((*t)->transmit(apdu::select_by_df_name(apdu::kEmrtdAid))) == 0x9000);
    CHECK(sw_of((*t)->transmit(apdu::select_mf())) == 0x9000);
  }
  {
    // While we are connected, another program cannot take the card exclusively. (Not inside a
    // transaction: pcsc-lite makes a connect wait for the transaction to end.)
    auto other_context = Context::establish();
    REQUIRE(other_context.ok());
    auto excl = PcscTransport::connect(*other_context, reader, ConnectOptions{.share = ShareMode::kExclusive});
    REQUIRE_FALSE(excl.ok());
    CHECK(excl.error().code == ErrorCode::kSharingViolation);
  }

  // The card leaves and comes back (sim serve stops and starts): never taken for the same card.
  serve.reset();
  REQUIRE(pcscd.wait_card(false, 5000ms));
  serve = std::make_unique<test::SimServeProcess>(card_dir, pcscd.vpcd_port(), std::vector<std::string>{"--quiet"});
  REQUIRE_MESSAGE(pcscd.wait_card(true, 10000ms), serve->log());
  auto after = (*t)->transmit(apdu::select_mf());
  REQUIRE_FALSE(after.ok());
  CHECK(after.error().code == ErrorCode::kCardRemoved);
  CHECK(after.error().context.find("card was swapped") != std::string::npos);
  // reconnect() takes the new card as a fresh session.
  Status re = (*t)->reconnect(5000ms);
  REQUIRE_MESSAGE(re.ok(), re.error().message());
  CHECK(sw_of((*t)->transmit(apdu::select_by_df_name(apdu::kEmrtdAid))) == 0x9000);
  CHECK((*t)->close().ok());
}

TEST_CASE("PcscTransport: the card leaving mid-session, then reconnect() once it is back") {
  test::ScratchDir tmp("pcsc-driver-leave");
  const std::string card_dir = write_basic_card(tmp);
  test::PcscdFixture pcscd;
  REQUIRE_MESSAGE(pcscd.ok(), pcscd.error());
  test::SimServeProcess serve(card_dir, pcscd.vpcd_port(), {"--quiet", "--leave-after", "2", "--return-after", "1500"});
  REQUIRE_MESSAGE(pcscd.wait_card(true, 10000ms), serve.log());
  auto context = Context::establish();
  REQUIRE(context.ok());
  auto t = PcscTransport::connect(*context, pcscd.reader_name(0), ConnectOptions{.hold_transaction = true});
  REQUIRE_MESSAGE(t.ok(), t.error().message());
  CHECK(sw_of((*t)->transmit(apdu::select_by_df_name(apdu::kEmrtdAid))) == 0x9000);
  CHECK(sw_of((*t)->transmit(apdu::select_mf())) == 0x9000);
  auto gone = (*t)->transmit(apdu::select_by_df_name(apdu::kEmrtdAid));
  REQUIRE_FALSE(gone.ok());
  CHECK_MESSAGE(gone.error().code == ErrorCode::kCardRemoved, gone.error().message());
  Status re = (*t)->reconnect(10000ms);
  REQUIRE_MESSAGE(re.ok(), (re.ok() ? std::string() : re.error().message() + "\n" + serve.log()));
  CHECK(sw_of((*t)->transmit(apdu::select_by_df_name(apdu::kEmrtdAid))) == 0x9000);
}

TEST_CASE("EventMonitor in a kiosk thread: insertion, removal, and stop() from another thread") {
  test::ScratchDir tmp("pcsc-events");
  const std::string card_dir = write_basic_card(tmp);
  const sim::CardImage image = test::basic_card_image();
  test::PcscdFixture pcscd;
  REQUIRE_MESSAGE(pcscd.ok(), pcscd.error());
  auto monitor = EventMonitor::create({.report_initial = false});
  REQUIRE_MESSAGE(monitor.ok(), monitor.error().message());
  std::mutex mutex;
  std::vector<ReaderEvent> events;
  Status result;
  std::thread kiosk([&] {
    result = (*monitor)->run([&](const ReaderEvent& e) {
      std::lock_guard<std::mutex> lock(mutex);
      events.push_back(e);
    });
  });
  auto count = [&] {
    std::lock_guard<std::mutex> lock(mutex);
    return events.size();
  };
  auto wait_events = [&](size_t n) {
    for (int i = 0; i < 100 && count() < n; ++i) std::this_thread::sleep_for(100ms);
    return count() >= n;
  };
  {
    test::SimServeProcess serve(card_dir, pcscd.vpcd_port(), {"--quiet"});
    CHECK(wait_events(1));
    serve.stop();
    CHECK(wait_events(2));
  }
  (*monitor)->stop();
  kiosk.join();
  CHECK(result.ok());
  REQUIRE(events.size() == 2);
  CHECK(events[0].kind == ReaderEvent::Kind::kCardInserted);
  CHECK(events[0].reader == pcscd.reader_name(0));
  CHECK(events[0].state.atr == image.config.atr);
  CHECK(events[1].kind == ReaderEvent::Kind::kCardRemoved);
}

TEST_CASE("a wait for a card is cancelled from another thread") {
  test::PcscdFixture pcscd;
  REQUIRE_MESSAGE(pcscd.ok(), pcscd.error());
  auto context = Context::establish();
  REQUIRE(context.ok());
  std::thread canceller([&] {
    std::this_thread::sleep_for(200ms);
    (*context)->cancel();
  });
  auto r = (*context)->wait_for_card(pcscd.reader_name(1), 30000ms);
  canceller.join();
  CHECK(r.error().code == ErrorCode::kCancelled);
  // And a short wait on the empty slot times out.
  (*context)->clear_cancel();
  CHECK((*context)->wait_for_card(pcscd.reader_name(1), 300ms).error().code == ErrorCode::kTimeout);
}
