// libnfc devices in the rest of the stack: the event watcher (`idtap watch`) and the nfc: branch
// of the reader selector, against the PN532 emulator.
#include "idtap/nfc/watch.h"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "idtap/apdu/commands.h"
#include "idtap/base/hex.h"
#include "idtap/select/select.h"
#include "nfc/tiny_board.h"
#include "nfc/tiny_card.h"
#include "support/pn532_emulator.h"

using namespace idtap;
using namespace idtap::nfc;
using namespace std::chrono_literals;
using idtap::testing::Pn532Card;
using idtap::testing::Pn532Emulator;
using idtap::testing::TinyCard;

namespace {

using Board = idtap::testing::TinyBoard;

std::string kinds(const std::vector<NfcEvent>& events) {
  std::string out;
  for (const auto& e : events) out += std::string(out.empty() ? "" : " ") + nfc_event_kind_name(e.kind);
  return out;
}

}  // namespace

TEST_CASE("the watcher reports the reader, the card coming and going, and the reader leaving") {
  Board board;
  auto watcher = NfcWatcher::create({.report_initial = true, .connstrings = {board.emu->connstring()}}).value();
  auto first = watcher->poll();
  REQUIRE(kinds(first) == "reader_added card_inserted");
  CHECK(first[0].reader == "nfc:" + board.emu->connstring());
  CHECK(to_hex(first[1].atr, true) == "3B8780014A434F5076323460");
  REQUIRE(first[1].target.has_value());
  CHECK(to_hex(first[1].target->uid) == "085a3c11");
  CHECK(watcher->poll().empty());  // nothing changed

  board.emu->remove_card();
  CHECK(kinds(watcher->poll()) == "card_removed");
  CHECK(watcher->poll().empty());
  board.insert();
  CHECK(kinds(watcher->poll()) == "card_inserted");

  board.emu->unplug();
  auto last = watcher->poll();
  REQUIRE(kinds(last) == "card_removed reader_removed");
  CHECK_FALSE(last[1].detail.empty());
  CHECK(watcher->device_count() == 0);
}

TEST_CASE("without report_initial the first poll is the baseline, not news") {
  Board board;
  auto watcher = NfcWatcher::create({.report_initial = false, .connstrings = {board.emu->connstring()}}).value();
  CHECK(watcher->poll().empty());
  CHECK(watcher->device_count() == 1);
  board.emu->remove_card();
  CHECK(kinds(watcher->poll()) == "card_removed");
}

TEST_CASE("the nfc: selector opens the card on a libnfc device") {
  Board board;
  select::OpenOptions options;
  options.reader = "nfc:" + board.emu->connstring();
  auto opened = select::open_reader(options);
  REQUIRE(opened.ok());
  CHECK(opened->pcsc == nullptr);
  CHECK(opened->description.find("nfc:" + board.emu->connstring()) == 0);
  CHECK(opened->description.find("short APDUs: 255 / 256") != std::string::npos);
  CHECK(opened->transport->transmit(apdu::select_by_df_name(apdu::kEmrtdAid))->sw == 0x9000);
  auto uid = opened->transport->transmit(apdu::CommandApdu{0xFF, 0xCA, 0x00, 0x00, {}, 256});
  REQUIRE(uid.ok());
  CHECK(to_hex(uid->data, true) == "085A3C11");  // answered by the reader
  CHECK(board.card->apdus() == 1);
}

TEST_CASE("the nfc: selector waits for a card, and a cancel ends the wait at once") {
  Board board(/*with_card=*/false);
  select::OpenOptions options;
  options.reader = "nfc:" + board.emu->connstring();
  CHECK(select::open_reader(options).error().code == ErrorCode::kNoCard);  // no wait asked

  options.wait_for_card = 10s;
  options.cancel = std::make_shared<select::CancelSlot>();
  std::thread canceller([slot = options.cancel] {
    std::this_thread::sleep_for(200ms);
    slot->cancel();
  });
  const auto start = std::chrono::steady_clock::now();
  auto opened = select::open_reader(options);
  canceller.join();
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().code == ErrorCode::kCancelled);
  CHECK(std::chrono::steady_clock::now() - start < 3s);

  options.cancel.reset();
  std::thread inserter([&board] {
    std::this_thread::sleep_for(200ms);
    board.insert();
  });
  auto late = select::open_reader(options);
  inserter.join();
  REQUIRE(late.ok());
  CHECK(late->transport->transmit(apdu::select_by_df_name(apdu::kEmrtdAid))->sw == 0x9000);
}

TEST_CASE("the reader inventory lists a configured libnfc device with its card") {
  Board board;
  ::setenv("LIBNFC_DEVICE", board.emu->connstring().c_str(), 1);
  select::Inventory inventory = select::list_readers();
  ::unsetenv("LIBNFC_DEVICE");
  const select::ReaderInfo* nfc_reader = nullptr;
  for (const auto& r : inventory.readers)
    if (r.driver == "nfc") nfc_reader = &r;
  REQUIRE(nfc_reader != nullptr);
  CHECK(nfc_reader->spec == "nfc:" + board.emu->connstring());
  CHECK(nfc_reader->card_present);
  CHECK(nfc_reader->state == "card present");
  CHECK(to_hex(nfc_reader->atr, true) == "3B8780014A434F5076323460");
}
