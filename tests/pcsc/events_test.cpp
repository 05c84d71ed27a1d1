#include "idtap/pcsc/events.h"

#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include "idtap/base/hex.h"
#include "pcsc/fake_winscard.h"

using namespace idtap;
using namespace idtap::pcsc;
using idtap::pcsc::testing::FakeWinscard;

namespace {

const Bytes kAtr = hex_or_die("3B8F8001804F0CA000000306030001000000006A");
const Bytes kOtherAtr = hex_or_die("3B8880014241544F524D6F646519");

FakeWinscard::Reader reader(const std::string& name) {
  FakeWinscard::Reader r;
  r.name = name;
  return r;
}

// The next `n` events as "kind reader" strings (ATR appended for insertions).
std::vector<std::string> take(EventMonitor& m, size_t n) {
  std::vector<std::string> out;
  while (out.size() < n) {
    auto e = m.next(std::chrono::milliseconds(200));
    REQUIRE(e.ok());
    if (!*e) break;  // nothing more came
    std::string s = std::string(event_kind_name((*e)->kind)) + " " + (*e)->reader;
    if ((*e)->kind == ReaderEvent::Kind::kCardInserted) s += " " + to_hex((*e)->state.atr);
    out.push_back(s);
  }
  return out;
}

}  // namespace

TEST_CASE("the monitor starts with what is present, then reports insertions and removals") {
  auto fake = std::make_shared<FakeWinscard>();
  fake->readers = {reader("A"), reader("B")};
  fake->insert("B", kAtr);
  fake->on_wait.push_back([](FakeWinscard& f) { f.insert("A", kOtherAtr); });
  fake->on_wait.push_back([](FakeWinscard& f) { f.remove("B"); });
  auto m = EventMonitor::create({}, fake);
  REQUIRE(m.ok());
  auto events = take(**m, 5);
  const std::vector<std::string> expected = {
      "reader_added A",
      "reader_added B",
      "card_inserted B " + to_hex(kAtr),
      "card_inserted A " + to_hex(kOtherAtr),
      "card_removed B",
  };
  CHECK(events == expected);
  CHECK((*m)->readers().at("A").card_present());
  CHECK_FALSE((*m)->readers().at("B").card_present());
}

TEST_CASE("without the initial report only changes are events") {
  auto fake = std::make_shared<FakeWinscard>();
  fake->readers = {reader("A")};
  fake->insert("A", kAtr);
  fake->on_wait.push_back([](FakeWinscard& f) { f.remove("A"); });
  auto m = EventMonitor::create({.report_initial = false}, fake);
  REQUIRE(m.ok());
  CHECK(take(**m, 1) == std::vector<std::string>{"card_removed A"});
}

TEST_CASE("readers plugged and unplugged come through the PnP notification") {
  auto fake = std::make_shared<FakeWinscard>();
  fake->readers = {reader("A")};
  fake->on_wait.push_back([](FakeWinscard& f) {
    f.readers.push_back(reader("B"));
    f.insert("B", kAtr);
  });
  fake->on_wait.push_back([](FakeWinscard& f) { f.readers.erase(f.readers.begin() + 1); });
  auto m = EventMonitor::create({.report_initial = false}, fake);
  REQUIRE(m.ok());
  const std::vector<std::string> expected = {
      "reader_added B",
      "card_inserted B " + to_hex(kAtr),
      "card_removed B",  // the card goes with its reader
      "reader_removed B",
  };
  CHECK(take(**m, 4) == expected);
}

TEST_CASE("a card swapped between two waits is a removal and an insertion") {
  auto fake = std::make_shared<FakeWinscard>();
  fake->readers = {reader("A")};
  fake->insert("A", kAtr);
  fake->on_wait.push_back([](FakeWinscard& f) {
    f.remove("A");
    f.insert("A", kOtherAtr);
  });
  auto m = EventMonitor::create({.report_initial = false}, fake);
  REQUIRE(m.ok());
  const std::vector<std::string> expected = {"card_removed A", "card_inserted A " + to_hex(kOtherAtr)};
  CHECK(take(**m, 2) == expected);
}

TEST_CASE("stop() from another thread ends run() promptly") {
  auto fake = std::make_shared<FakeWinscard>();
  fake->readers = {reader("A")};
  auto m = EventMonitor::create({}, fake);
  REQUIRE(m.ok());
  std::vector<std::string> seen;
  std::thread kiosk([&] {
    Status s = (*m)->run([&](const ReaderEvent& e) { seen.push_back(event_kind_name(e.kind)); });
    CHECK(s.ok());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  (*m)->stop();
  kiosk.join();
  CHECK(fake->cancels >= 1);  // it woke the blocked wait with SCardCancel
  CHECK(seen == std::vector<std::string>{"reader_added"});
  CHECK((*m)->next(std::chrono::milliseconds(10)).error().code == ErrorCode::kCancelled);
}

TEST_CASE("the monitor reports pcscd going away") {
  auto fake = std::make_shared<FakeWinscard>();
  fake->establish_rc = SCARD_E_NO_SERVICE;
  auto m = EventMonitor::create({}, fake);
  CHECK(m.error().code == ErrorCode::kServiceUnavailable);
}
