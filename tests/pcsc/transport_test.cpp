#include "idtap/pcsc/pcsc_transport.h"

#include <doctest/doctest.h>

#include "idtap/apdu/commands.h"
#include "idtap/base/hex.h"
#include "pcsc/fake_winscard.h"

using namespace idtap;
using namespace idtap::pcsc;
using idtap::pcsc::testing::FakeWinscard;

namespace {

const Bytes kAtr = hex_or_die("3B8F8001804F0CA000000306030001000000006A");
const Bytes kOtherAtr = hex_or_die("3B8880014241544F524D6F646519");

std::shared_ptr<FakeWinscard> one_reader(bool card = true) {
  auto fake = std::make_shared<FakeWinscard>();
  FakeWinscard::Reader r;
  r.name = "ACS ACR1252 1S CL Reader [ACR1252 Reader PICC] 00 00";
  fake->readers.push_back(r);
  if (card) fake->insert(r.name, kAtr);
  return fake;
}

Result<std::unique_ptr<PcscTransport>> open(const std::shared_ptr<FakeWinscard>& fake, ConnectOptions options = {}) {
  auto context = Context::establish(fake);
  if (!context.ok()) return context.error();
  return PcscTransport::connect(*context, fake->readers[0].name, options);
}

apdu::CommandApdu read_1000() { return apdu::read_binary(0, 1000).value(); }

}  // namespace

TEST_CASE("connect, transmit, ATR, close") {
  auto fake = one_reader();
  fake->card = [](ByteView c) { return c[1] == 0xB0 ? hex_or_die("0102 9000") : hex_or_die("6D00"); };
  auto t = open(fake);
  REQUIRE(t.ok());
  CHECK(to_hex((*t)->atr()) == to_hex(kAtr));
  CHECK((*t)->describe() == "pcsc:" + fake->readers[0].name);
  auto r = (*t)->transmit(apdu::read_binary(0, 2).value());
  REQUIRE(r.ok());
  CHECK(r->sw == 0x9000);
  CHECK(to_hex(r->data) == "0102");
  CHECK(to_hex(fake->sent.back()) == "00b0000002");
  CHECK((*t)->close().ok());
  CHECK((*t)->close().ok());  // idempotent
  CHECK(fake->disconnects == 1);
  CHECK(fake->dispositions.back() == static_cast<DWORD>(SCARD_LEAVE_CARD));
  CHECK((*t)->transmit(apdu::get_challenge()).error().code == ErrorCode::kState);

  auto probe = open(fake, ConnectOptions{.reset_on_close = true});
  REQUIRE(probe.ok());
  CHECK((*probe)->close().ok());
  CHECK(fake->dispositions.back() == static_cast<DWORD>(SCARD_RESET_CARD));
}

TEST_CASE("connect errors are typed") {
  SUBCASE("pcscd not running") {
    auto fake = one_reader();
    fake->establish_rc = SCARD_E_NO_SERVICE;
    auto c = Context::establish(fake);
    REQUIRE_FALSE(c.ok());
    CHECK(c.error().code == ErrorCode::kServiceUnavailable);
    CHECK(c.error().context.find("systemctl start pcscd") != std::string::npos);
  }
  SUBCASE("no card") {
    auto t = open(one_reader(false));
    CHECK(t.error().code == ErrorCode::kNoCard);
  }
  SUBCASE("another program holds the card exclusively") {
    auto fake = one_reader();
    fake->readers[0].connect_rc = SCARD_E_SHARING_VIOLATION;
    CHECK(open(fake).error().code == ErrorCode::kSharingViolation);
  }
  SUBCASE("the reader is gone") {
    auto fake = one_reader();
    auto context = Context::establish(fake);
    CHECK(PcscTransport::connect(*context, "no such reader").error().code == ErrorCode::kDeviceGone);
  }
}

TEST_CASE("capabilities come from the reader's part 10 properties") {
  auto fake = one_reader();
  fake->readers[0].max_apdu_data_size = 65538;
  auto t = open(fake);
  REQUIRE(t.ok());
  CHECK((*t)->capabilities().extended_length);
  CHECK((*t)->capabilities().max_response_data == 65536);
  CHECK((*t)->length_info().max_apdu_data_size == 65538u);

  auto short_fake = one_reader();
  short_fake->readers[0].max_apdu_data_size = 0;
  auto s = open(short_fake);
  REQUIRE(s.ok());
  CHECK_FALSE((*s)->capabilities().extended_length);
  // A command that needs extended length is refused before it reaches the reader.
  auto r = (*s)->transmit(read_1000());
  CHECK(r.error().code == ErrorCode::kNotSupported);
  CHECK(short_fake->sent.empty());
}

// A short wait for the reader to report a removal: the fake reports at once.
constexpr ConnectOptions kQuickSettle{.removal_settle = std::chrono::milliseconds(20)};

TEST_CASE("a reader failing an extended APDU drops the session to short APDUs") {
  auto fake = one_reader();
  fake->readers[0].max_apdu_data_size = 65538;
  auto t = open(fake, kQuickSettle);
  REQUIRE(t.ok());
  fake->transmit_rc.push_back(SCARD_E_NOT_TRANSACTED);
  auto r = (*t)->transmit(read_1000());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kTransport);
  CHECK(r.error().context.find("falling back to short APDUs") != std::string::npos);
  CHECK_FALSE((*t)->capabilities().extended_length);
  CHECK((*t)->capabilities().max_response_data == 256);
  REQUIRE((*t)->last_length_fallback().has_value());
  CHECK(*(*t)->last_length_fallback() == "00 B0 00 00 (Nc=0, Ne=1000)");
  // The caller resizes: short commands go through.
  CHECK((*t)->transmit(apdu::read_binary(0, 256).value()).ok());
  CHECK((*t)->transmit(read_1000()).error().code == ErrorCode::kNotSupported);

  // The same failure on a short APDU is not a length problem: capabilities stay.
  auto u = open(fake, kQuickSettle);
  REQUIRE(u.ok());
  fake->transmit_rc.push_back(SCARD_E_NOT_TRANSACTED);
  CHECK((*u)->transmit(apdu::read_binary(0, 16).value()).error().code == ErrorCode::kTransport);
  CHECK((*u)->capabilities().extended_length);
  CHECK_FALSE((*u)->last_length_fallback().has_value());
}

TEST_CASE("an extended APDU failing because the card left is a removal, not a length fallback") {
  auto fake = one_reader();
  fake->readers[0].max_apdu_data_size = 65538;
  auto t = open(fake, ConnectOptions{.hold_transaction = true, .removal_settle = std::chrono::seconds(5)});
  REQUIRE(t.ok());  // a held transaction: no check before the transmit
  fake->during_transmit = [](FakeWinscard& f) { f.remove(f.readers[0].name); };
  fake->transmit_rc.push_back(SCARD_F_COMM_ERROR);
  auto r = (*t)->transmit(read_1000());
  CHECK(r.error().code == ErrorCode::kCardRemoved);
  CHECK((*t)->capabilities().extended_length);
  CHECK_FALSE((*t)->last_length_fallback().has_value());
}

TEST_CASE("an answer without status word is a link failure, or a removal when the card is gone") {
  auto fake = one_reader();
  auto t = open(fake, kQuickSettle);
  REQUIRE(t.ok());
  fake->card = [](ByteView) { return Bytes{}; };  // what vpcd gives for a card that died mid-APDU
  auto r = (*t)->transmit(apdu::get_challenge());
  CHECK(r.error().code == ErrorCode::kTransport);
  CHECK(r.error().context.find("no status word") != std::string::npos);
  fake->during_transmit = [](FakeWinscard& f) { f.remove(f.readers[0].name); };
  CHECK((*t)->transmit(apdu::get_challenge()).error().code == ErrorCode::kCardRemoved);
}

TEST_CASE("a card swapped between two operations is detected, never taken for the same card") {
  const std::string name = "ACS ACR1252 1S CL Reader [ACR1252 Reader PICC] 00 00";
  SUBCASE("by the driver's own counter check, when the stack keeps the handle") {
    auto fake = one_reader();
    fake->handles_survive_swap = true;
    auto t = open(fake);
    REQUIRE(t.ok());
    CHECK((*t)->transmit(apdu::get_challenge()).ok());
    fake->remove(name);
    fake->insert(name, kOtherAtr);
    auto r = (*t)->transmit(apdu::get_challenge());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kCardRemoved);
    CHECK(r.error().context.find("card was swapped") != std::string::npos);
    CHECK(fake->sent.size() == 1);  // nothing went to the new card
    // A transaction begun on the new card is refused the same way.
    CHECK(static_cast<bool>((*t)->begin_transaction().error().code == ErrorCode::kCardRemoved));
  }
  SUBCASE("when pcsc-lite reports the removal, the message still says swapped") {
    auto fake = one_reader();
    auto t = open(fake, ConnectOptions{.check_swap = false});
    REQUIRE(t.ok());
    fake->remove(name);
    fake->insert(name, kOtherAtr);
    auto r = (*t)->transmit(apdu::get_challenge());
    CHECK(r.error().code == ErrorCode::kCardRemoved);
    CHECK(r.error().context.find("card was swapped") != std::string::npos);
  }
  SUBCASE("a card simply pulled out is removed") {
    auto fake = one_reader();
    auto t = open(fake);
    REQUIRE(t.ok());
    fake->remove(name);
    auto r = (*t)->transmit(apdu::get_challenge());
    CHECK(r.error().code == ErrorCode::kCardRemoved);
    CHECK(r.error().context.find("swapped") == std::string::npos);
  }
}

TEST_CASE("transactions nest, and a held one spans the session") {
  auto fake = one_reader();
  auto t = open(fake);
  REQUIRE(t.ok());
  {
    auto outer = (*t)->begin_transaction();
    REQUIRE(outer.ok());
    auto inner = (*t)->begin_transaction();
    REQUIRE(inner.ok());
    CHECK(fake->begins == 1);
    CHECK(inner->end().ok());
    CHECK(fake->ends == 0);
  }
  CHECK(fake->ends == 1);

  auto held = open(fake, ConnectOptions{.hold_transaction = true});
  REQUIRE(held.ok());
  CHECK(fake->begins == 2);
  CHECK((*held)->transmit(apdu::get_challenge()).ok());
  CHECK((*held)->close().ok());
  CHECK(fake->ends == 2);
}

TEST_CASE("reconnect resets a card that stayed and keeps a card newly presented") {
  const std::string name = "ACS ACR1252 1S CL Reader [ACR1252 Reader PICC] 00 00";
  auto fake = one_reader();
  auto t = open(fake, ConnectOptions{.hold_transaction = true});
  REQUIRE(t.ok());
  auto user_tx = (*t)->begin_transaction();  // outlives the reconnect: becomes a no-op
  REQUIRE(user_tx.ok());
  CHECK((*t)->reconnect(std::chrono::milliseconds(100)).ok());
  CHECK(fake->reconnect_inits.back() == static_cast<DWORD>(SCARD_RESET_CARD));
  CHECK(fake->begins == 2);  // the held transaction was taken again

  fake->remove(name);
  fake->on_wait.push_back([&](FakeWinscard& f) { f.insert(name, kOtherAtr); });
  CHECK((*t)->reconnect(std::chrono::milliseconds(1000)).ok());
  CHECK(fake->reconnect_inits.back() == static_cast<DWORD>(SCARD_LEAVE_CARD));
  CHECK(to_hex((*t)->atr()) == to_hex(kOtherAtr));
  CHECK((*t)->transmit(apdu::get_challenge()).ok());  // the new baseline: no swap reported
  CHECK(user_tx->end().ok());
  int ends_before = fake->ends;
  CHECK((*t)->close().ok());
  CHECK(fake->ends == ends_before + 1);  // only the held transaction ends, once

  auto empty = one_reader();
  auto e = open(empty);
  REQUIRE(e.ok());
  empty->remove(empty->readers[0].name);
  CHECK((*e)->reconnect(std::chrono::milliseconds(50)).error().code == ErrorCode::kTimeout);
}

TEST_CASE("contactless UID and historical bytes through PC/SC part 3 GET DATA") {
  auto fake = one_reader();
  fake->card = [](ByteView c) {
    if (to_hex(c) == "ffca000000") return hex_or_die("04A1B2C3 9000");
    if (to_hex(c) == "ffca010000") return hex_or_die("8031B8 9000");
    return hex_or_die("6A81");
  };
  auto t = open(fake);
  REQUIRE(t.ok());
  CHECK(to_hex((*t)->contactless_uid().value()) == "04a1b2c3");
  CHECK(to_hex((*t)->contactless_historical_bytes().value()) == "8031b8");

  auto contact = one_reader();
  contact->card = [](ByteView) { return hex_or_die("6E00"); };
  auto c = open(contact);
  REQUIRE(c.ok());
  CHECK((*c)->contactless_uid().error().code == ErrorCode::kNotSupported);
}

TEST_CASE("cancel makes the next blocking call and transmit return kCancelled") {
  auto fake = one_reader(false);
  auto context = Context::establish(fake);
  REQUIRE(context.ok());
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    (*context)->cancel();
  });
  auto r = (*context)->wait_for_card(fake->readers[0].name, std::chrono::seconds(10));
  canceller.join();
  CHECK(r.error().code == ErrorCode::kCancelled);
  CHECK(fake->cancels == 1);

  fake->insert(fake->readers[0].name, kAtr);
  (*context)->clear_cancel();
  auto t = PcscTransport::connect(*context, fake->readers[0].name);
  REQUIRE(t.ok());
  (*t)->cancel();
  CHECK((*t)->transmit(apdu::get_challenge()).error().code == ErrorCode::kCancelled);
}

TEST_CASE("a reader whose driver lost the device (SCARD_STATE_UNAVAILABLE) is gone, not merely empty") {
  // pcscd reports a reader whose IFD handler answers IFD_NO_SUCH_DEVICE (an unplugged serial
  // board) as unavailable: waiting for a card there must end at once with kDeviceGone, not
  // after the whole timeout as "no card".
  auto fake = one_reader(false);
  fake->readers[0].extra_state = SCARD_STATE_UNAVAILABLE;
  auto context = Context::establish(fake);
  REQUIRE(context.ok());
  auto r = (*context)->wait_for_card(fake->readers[0].name, std::chrono::seconds(2));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kDeviceGone);  // before: kTimeout, after the whole wait
  auto st = (*context)->state(fake->readers[0].name);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == ErrorCode::kDeviceGone);
}
