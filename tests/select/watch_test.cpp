// The driver-neutral watch (drivers/select/watch.cpp): a Watcher over scripted sources, and over
// the real PC/SC source on the fake PC/SC stack.
#include "idtap/select/watch.h"

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "idtap/base/hex.h"
#include "idtap/select/drivers.h"
#include "pcsc/fake_winscard.h"

using namespace idtap;
using namespace idtap::select;
using idtap::pcsc::testing::FakeWinscard;
using namespace std::chrono_literals;
using Kind = WatchEvent::Kind;

namespace {

const Bytes kAtr = hex_or_die("3B8F8001804F0CA000000306030001000000006A");
const Bytes kNfcAtr = hex_or_die("3B8880014241544F524D6F646519");
const Bytes kUid = hex_or_die("04A1B2C3D4E5F6");

WatchEvent event(Kind kind, std::string reader, Bytes atr = {}, Bytes uid = {}) {
  return WatchEvent{kind, std::move(reader), std::move(atr), std::move(uid), {}};
}

// ScriptedSource: each wait() hands out the next step of the script (events, or an error). With
// the script used up, a polling source reports nothing and a blocking one sleeps until cancel()
// or the timeout, as a driver with nothing to say. It counts its readers from the events it hands
// out, as the real sources do.
class ScriptedSource : public WatchSource {
 public:
  struct Step {
    std::vector<WatchEvent> events;
    std::optional<Error> error;
  };
  ScriptedSource(const char* driver, bool blocks, size_t readers = 0)
      : driver_(driver), blocks_(blocks), readers_(readers) {}
  const char* driver() const override { return driver_; }
  bool blocks() const override { return blocks_; }
  size_t reader_count() const override { return readers_; }
  void cancel() noexcept override {
    std::lock_guard<std::mutex> lock(mutex_);
    cancelled_ = true;
    ++cancels;
    cv_.notify_all();
  }
  Result<std::vector<WatchEvent>> wait(std::chrono::milliseconds timeout) override {
    ++waits;
    if (script.empty()) {
      if (!blocks_) return std::vector<WatchEvent>{};
      std::unique_lock<std::mutex> lock(mutex_);
      if (cv_.wait_for(lock, timeout, [this] { return cancelled_; }))
        return make_error(ErrorCode::kCancelled, "scripted source cancelled");
      return std::vector<WatchEvent>{};
    }
    Step step = std::move(script.front());
    script.pop_front();
    if (step.error) return *step.error;
    for (const auto& e : step.events) {
      if (e.kind == Kind::kReaderAdded) ++readers_;
      if (e.kind == Kind::kReaderRemoved) --readers_;
    }
    return step.events;
  }

  std::deque<Step> script;
  int waits = 0;
  std::atomic<int> cancels{0};

 private:
  const char* driver_;
  bool blocks_;
  size_t readers_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool cancelled_ = false;
};

// Every event the watcher gives until it has nothing more within a short wait (a bound, not
// an assertion on time), at most `limit`.
std::vector<WatchEvent> drain(Watcher& w, size_t limit = 32) {
  std::vector<WatchEvent> out;
  while (out.size() < limit) {
    auto e = w.next(50ms);
    REQUIRE(e.ok());
    if (!*e) break;
    out.push_back(**e);
  }
  return out;
}

std::vector<MadeSource> made(std::unique_ptr<WatchSource> a, std::unique_ptr<WatchSource> b = nullptr) {
  std::vector<MadeSource> out;
  out.push_back({a->driver(), std::move(a)});
  if (b) out.push_back({b->driver(), std::move(b)});
  return out;
}

}  // namespace

TEST_CASE("a reader appears, a card comes and goes, the reader is unplugged: in order, in one vocabulary") {
  auto source = std::make_unique<ScriptedSource>("PC/SC", true);
  source->script = {
      {{event(Kind::kReaderAdded, "pcsc:ACR")}, {}},
      {{event(Kind::kCardInserted, "pcsc:ACR", kAtr)}, {}},
      {{event(Kind::kCardRemoved, "pcsc:ACR")}, {}},
      {{event(Kind::kReaderRemoved, "pcsc:ACR")}, {}},
  };
  auto w = Watcher::from_sources(made(std::move(source)));
  REQUIRE(w.ok());
  const std::vector<WatchEvent> expected = {
      event(Kind::kReaderAdded, "pcsc:ACR"),
      event(Kind::kCardInserted, "pcsc:ACR", kAtr),
      event(Kind::kCardRemoved, "pcsc:ACR"),
      event(Kind::kReaderRemoved, "pcsc:ACR"),
  };
  CHECK(drain(**w) == expected);
  CHECK((*w)->reader_count() == 0);
}

TEST_CASE("events of both drivers at once are merged, the polled driver's first, each in its own order") {
  auto pcsc = std::make_unique<ScriptedSource>("PC/SC", true);
  auto nfc = std::make_unique<ScriptedSource>("libnfc", false);
  pcsc->script = {{{event(Kind::kReaderAdded, "pcsc:ACR"), event(Kind::kCardInserted, "pcsc:ACR", kAtr)}, {}},
                  {{event(Kind::kCardRemoved, "pcsc:ACR")}, {}}};
  nfc->script = {{{event(Kind::kReaderAdded, "nfc:pn532_uart:/dev/ttyS0"),
                   event(Kind::kCardInserted, "nfc:pn532_uart:/dev/ttyS0", kNfcAtr, kUid)},
                  {}}};
  auto w = Watcher::from_sources(made(std::move(pcsc), std::move(nfc)));
  REQUIRE(w.ok());
  const std::vector<WatchEvent> expected = {
      event(Kind::kReaderAdded, "nfc:pn532_uart:/dev/ttyS0"),
      event(Kind::kCardInserted, "nfc:pn532_uart:/dev/ttyS0", kNfcAtr, kUid),
      event(Kind::kReaderAdded, "pcsc:ACR"),
      event(Kind::kCardInserted, "pcsc:ACR", kAtr),
      event(Kind::kCardRemoved, "pcsc:ACR"),
  };
  CHECK(drain(**w) == expected);
  CHECK((*w)->reader_count() == 2);
}

TEST_CASE("a polled source alone is polled again and again, and its later events come through") {
  auto nfc = std::make_unique<ScriptedSource>("libnfc", false, 1);
  auto* raw = nfc.get();
  nfc->script = {{{}, {}},  // nothing on the first rounds
                 {{}, {}},
                 {{event(Kind::kCardInserted, "nfc:usb", kNfcAtr, kUid)}, {}},
                 {{}, {}},
                 {{event(Kind::kCardRemoved, "nfc:usb")}, {}}};
  WatchOptions options;
  options.poll_interval = 1ms;
  auto w = Watcher::from_sources(made(std::move(nfc)), options);
  REQUIRE(w.ok());
  const std::vector<WatchEvent> expected = {event(Kind::kCardInserted, "nfc:usb", kNfcAtr, kUid),
                                            event(Kind::kCardRemoved, "nfc:usb")};
  CHECK(drain(**w) == expected);
  CHECK(raw->waits >= 5);
}

TEST_CASE("nothing within the timeout is no event, not an error") {
  auto w = Watcher::from_sources(made(std::make_unique<ScriptedSource>("PC/SC", true)));
  REQUIRE(w.ok());
  auto e = (*w)->next(10ms);
  REQUIRE(e.ok());
  CHECK_FALSE(e->has_value());
}

TEST_CASE("which drivers a watch starts with") {
  const Error no_pcscd = make_error(ErrorCode::kServiceUnavailable, "pcscd is not running");
  SUBCASE("PC/SC down, a libnfc device present: watched, and the problem named") {
    std::vector<MadeSource> sources;
    sources.push_back({"PC/SC", no_pcscd});
    sources.push_back({"libnfc", std::make_unique<ScriptedSource>("libnfc", false, 1)});
    auto w = Watcher::from_sources(std::move(sources));
    REQUIRE(w.ok());
    REQUIRE((*w)->problems().size() == 1);
    CHECK((*w)->problems()[0].code == ErrorCode::kServiceUnavailable);
    CHECK((*w)->problems()[0].context == "PC/SC readers are not watched: pcscd is not running");
  }
  SUBCASE("PC/SC down and no libnfc device: the PC/SC error") {
    std::vector<MadeSource> sources;
    sources.push_back({"PC/SC", no_pcscd});
    sources.push_back({"libnfc", std::make_unique<ScriptedSource>("libnfc", false, 0)});
    auto w = Watcher::from_sources(std::move(sources));
    REQUIRE_FALSE(w.ok());
    CHECK(w.error().code == ErrorCode::kServiceUnavailable);
    CHECK(w.error().context == "pcscd is not running");
  }
  SUBCASE("PC/SC up with no reader yet: watched (it hears of readers plugged in later)") {
    std::vector<MadeSource> sources;
    sources.push_back({"PC/SC", std::make_unique<ScriptedSource>("PC/SC", true, 0)});
    sources.push_back({"libnfc", make_error(ErrorCode::kInternal, "nfc_init failed")});
    auto w = Watcher::from_sources(std::move(sources));
    REQUIRE(w.ok());
    REQUIRE((*w)->problems().size() == 1);
    CHECK((*w)->problems()[0].context == "libnfc readers are not watched: nfc_init failed");
  }
  SUBCASE("no source at all") {
    auto w = Watcher::from_sources({});
    REQUIRE_FALSE(w.ok());
    CHECK(w.error().code == ErrorCode::kNoReader);
  }
}

TEST_CASE("a source's error ends the watch, after the events that came before it") {
  auto pcsc = std::make_unique<ScriptedSource>("PC/SC", true);
  pcsc->script = {{{event(Kind::kReaderAdded, "pcsc:ACR")}, {}},
                  {{}, make_error(ErrorCode::kServiceUnavailable, "pcscd stopped")}};
  auto w = Watcher::from_sources(made(std::move(pcsc)));
  REQUIRE(w.ok());
  auto first = (*w)->next(1s);
  REQUIRE(first.ok());
  REQUIRE(first->has_value());
  CHECK((*first)->kind == Kind::kReaderAdded);
  for (int i = 0; i < 2; ++i) {  // the same error on every later call
    auto e = (*w)->next(1s);
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().code == ErrorCode::kServiceUnavailable);
  }
}

TEST_CASE("cancel() from another thread ends a blocked next(), and every later one") {
  for (bool polled : {false, true}) {
    CAPTURE(polled);
    auto source = std::make_unique<ScriptedSource>(polled ? "libnfc" : "PC/SC", !polled, 1);
    auto* raw = source.get();
    auto w = Watcher::from_sources(made(std::move(source)));
    REQUIRE(w.ok());
    std::thread canceller([&] {
      std::this_thread::sleep_for(20ms);  // most likely inside next() by then; before it works too
      (*w)->cancel();
    });
    auto e = (*w)->next(60s);  // a bound: the cancel ends it long before
    canceller.join();
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().code == ErrorCode::kCancelled);
    CHECK(raw->cancels.load() == 1);
    auto again = (*w)->next(60s);
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().code == ErrorCode::kCancelled);
  }
}

TEST_CASE("a cancel slot cancels the watcher, also when cancelled before, and outlives it safely") {
  SUBCASE("cancelled before the watcher is made") {
    WatchOptions options;
    options.cancel = std::make_shared<CancelSlot>();
    options.cancel->cancel();
    auto w = Watcher::from_sources(made(std::make_unique<ScriptedSource>("PC/SC", true)), options);
    REQUIRE(w.ok());
    auto e = (*w)->next(60s);
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().code == ErrorCode::kCancelled);
  }
  SUBCASE("cancelled while next() waits") {
    WatchOptions options;
    options.cancel = std::make_shared<CancelSlot>();
    auto w = Watcher::from_sources(made(std::make_unique<ScriptedSource>("PC/SC", true)), options);
    REQUIRE(w.ok());
    std::thread canceller([&] { options.cancel->cancel(); });
    auto e = (*w)->next(60s);
    canceller.join();
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().code == ErrorCode::kCancelled);
  }
  SUBCASE("the slot outlives the watcher") {
    auto slot = std::make_shared<CancelSlot>();
    {
      WatchOptions options;
      options.cancel = slot;
      auto w = Watcher::from_sources(made(std::make_unique<ScriptedSource>("PC/SC", true)), options);
      REQUIRE(w.ok());
    }
    slot->cancel();  // reaches no destroyed watcher (ASan would tell)
    CHECK(slot->requested());
  }
}

TEST_CASE("the PC/SC source on the fake stack: readers and cards as pcsc: events, with the ATR") {
  auto fake = std::make_shared<FakeWinscard>();
  FakeWinscard::Reader a;
  a.name = "ACS ACR1252";
  fake->readers = {a};
  fake->on_wait.push_back([](FakeWinscard& f) {
    FakeWinscard::Reader b;
    b.name = "OMNIKEY 5422";
    f.readers.push_back(b);
  });
  fake->on_wait.push_back([](FakeWinscard& f) { f.insert("OMNIKEY 5422", kAtr); });
  fake->on_wait.push_back([](FakeWinscard& f) { f.remove("OMNIKEY 5422"); });
  fake->on_wait.push_back([](FakeWinscard& f) { f.insert("OMNIKEY 5422", kAtr); });
  fake->on_wait.push_back([](FakeWinscard& f) { f.readers.pop_back(); });  // unplugged with the card in
  WatchOptions options;
  options.pcsc_api = fake;
  options.nfc = false;
  auto w = Watcher::create(options);
  REQUIRE(w.ok());
  CHECK((*w)->problems().empty());
  const std::vector<WatchEvent> expected = {
      event(Kind::kReaderAdded, "pcsc:ACS ACR1252"),  // the initial report
      event(Kind::kReaderAdded, "pcsc:OMNIKEY 5422"),
      event(Kind::kCardInserted, "pcsc:OMNIKEY 5422", kAtr),
      event(Kind::kCardRemoved, "pcsc:OMNIKEY 5422"),
      event(Kind::kCardInserted, "pcsc:OMNIKEY 5422", kAtr),
      event(Kind::kCardRemoved, "pcsc:OMNIKEY 5422"),  // the card goes with its reader
      event(Kind::kReaderRemoved, "pcsc:OMNIKEY 5422"),
  };
  CHECK(drain(**w) == expected);
}

TEST_CASE("the PC/SC source without the initial report, and with pcscd down") {
  auto fake = std::make_shared<FakeWinscard>();
  FakeWinscard::Reader a;
  a.name = "ACR";
  fake->readers = {a};
  fake->insert("ACR", kAtr);
  fake->on_wait.push_back([](FakeWinscard& f) { f.remove("ACR"); });
  WatchOptions options;
  options.pcsc_api = fake;
  options.nfc = false;
  options.report_initial = false;
  auto w = Watcher::create(options);
  REQUIRE(w.ok());
  CHECK(drain(**w) == std::vector<WatchEvent>{event(Kind::kCardRemoved, "pcsc:ACR")});

  fake->establish_rc = SCARD_E_NO_SERVICE;
  auto down = Watcher::create(options);
  REQUIRE_FALSE(down.ok());
  CHECK(down.error().code == ErrorCode::kServiceUnavailable);
}

TEST_CASE("libnfc events in the watch's terms: the UID and ATR of a card, the reason a device left") {
  nfc::NfcEvent inserted;
  inserted.kind = nfc::NfcEvent::Kind::kCardInserted;
  inserted.reader = "nfc:pn532_uart:/dev/ttyS0";
  inserted.target = nfc::TargetInfo{};
  inserted.target->uid = kUid;
  inserted.atr = kNfcAtr;
  CHECK(watch_event_from_nfc(inserted) == event(Kind::kCardInserted, "nfc:pn532_uart:/dev/ttyS0", kNfcAtr, kUid));

  nfc::NfcEvent gone;
  gone.kind = nfc::NfcEvent::Kind::kReaderRemoved;
  gone.reader = "nfc:pn532_uart:/dev/ttyS0";
  gone.detail = "device_gone: no answer";
  WatchEvent expected = event(Kind::kReaderRemoved, "nfc:pn532_uart:/dev/ttyS0");
  expected.detail = "device_gone: no answer";
  CHECK(watch_event_from_nfc(gone) == expected);

  nfc::NfcEvent added;
  added.kind = nfc::NfcEvent::Kind::kReaderAdded;
  added.reader = "nfc:usb";
  added.name = "PN533";
  CHECK(watch_event_from_nfc(added) == event(Kind::kReaderAdded, "nfc:usb"));
}

TEST_CASE("event kinds have the names idtap watch prints") {
  CHECK(std::string(watch_event_kind_name(Kind::kReaderAdded)) == "reader_added");
  CHECK(std::string(watch_event_kind_name(Kind::kReaderRemoved)) == "reader_removed");
  CHECK(std::string(watch_event_kind_name(Kind::kCardInserted)) == "card_inserted");
  CHECK(std::string(watch_event_kind_name(Kind::kCardRemoved)) == "card_removed");
}
