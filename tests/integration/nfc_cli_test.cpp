// The idtap command line with libnfc devices: `idtap readers`, `idtap apdu --reader nfc:...`
// and `idtap watch`, against the simulated card in the field of an emulated PN532 board
// (libnfc's own pn532_uart driver, configured through LIBNFC_DEVICE as a user would).
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "idtap/sim/sim_transport.h"
#include "support/pcscd_fixture.h"
#include "support/pn532_emulator.h"
#include "support/scratch_dir.h"
#include "support/sim_images.h"

using namespace idtap;
using namespace std::chrono_literals;
using idtap::testing::Pn532Card;
using idtap::testing::Pn532Emulator;

namespace {

struct Board {
  std::unique_ptr<Pn532Emulator> emu = Pn532Emulator::start().value();
  test::ScratchDir dir{"nfc-cli"};
  Board() { insert(); }
  void insert() {
    auto card = sim::open_sim_card_image(test::basic_card_image(), {}, "nfc-cli");
    REQUIRE(card.ok());
    Pn532Card c;
    c.application = std::shared_ptr<apdu::Transport>(std::move(*card));
    emu->place_card(c);
  }
  // env: libnfc configured for this board only (no USB scan), and quiet.
  std::vector<std::string> env() const {
    return {"LIBNFC_DEVICE=" + emu->connstring(), "LIBNFC_AUTO_SCAN=false", "LIBNFC_LOG_LEVEL=0"};
  }
  // run: `idtap ARGS...` to completion; its output (stdout and stderr) and wait status.
  std::pair<std::string, int> run(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {test::idtap_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    test::ChildProcess p;
    REQUIRE(p.start(argv, dir.path() + "/out.log", env()));
    const int status = p.wait_exit(20s);
    return {p.log(), status};
  }
};

bool contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

}  // namespace

TEST_CASE("idtap readers lists the libnfc device, its card, the UID and the eMRTD application") {
  Board board;
  auto [out, status] = board.run({"readers", "--json"});
  INFO(out);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(contains(out, "\"spec\": \"nfc:" + board.emu->connstring() + "\""));
  CHECK(contains(out, "\"driver\": \"nfc\""));
  CHECK(contains(out, "\"card_present\": true"));
  CHECK(contains(out, "\"atr\": \"3B8780014A434F5076323460\""));
  CHECK(contains(out, "\"uid\": \"085A3C11\""));
  CHECK(contains(out, "\"emrtd\": true"));
}

TEST_CASE("idtap apdu --reader nfc:CONNSTRING talks to the card") {
  Board board;
  auto [out, status] = board.run({"apdu", "--reader", "nfc:" + board.emu->connstring(), "00A4040C07A0000002471001",
                                  "00A4020C02011E", "00B0000004"});
  INFO(out);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(contains(out, "9000"));
  CHECK(contains(out, "6982"));  // EF.COM: access control first

  board.emu->remove_card();
  auto [empty, empty_status] = board.run({"apdu", "--reader", "nfc:" + board.emu->connstring(), "00A4040C07A0000002471001"});
  INFO(empty);
  REQUIRE(WIFEXITED(empty_status));
  CHECK(WEXITSTATUS(empty_status) == 4);  // no card: a reader or card problem
}

TEST_CASE("idtap watch reports the libnfc reader, the card coming and going, and the reader leaving") {
  Board board;
  test::ChildProcess watch;
  REQUIRE(watch.start({test::idtap_binary(), "watch", "--json", "--timeout", "30"}, board.dir.path() + "/watch.log",
                      board.env()));
  auto wait_for = [&](const std::string& what, size_t occurrences = 1) { return watch.wait_for_log(what, 10s, occurrences); };
  const std::string reader = "\"reader\":\"nfc:" + board.emu->connstring() + "\"";
  CHECK(wait_for("\"event\":\"reader_added\"," + reader));
  CHECK(wait_for("\"event\":\"card_inserted\"," + reader + ",\"atr\":\"3B8780014A434F5076323460\""));
  board.emu->remove_card();
  CHECK(wait_for("\"event\":\"card_removed\"," + reader));
  board.insert();
  CHECK(wait_for("\"event\":\"card_inserted\"", 2));
  board.emu->unplug();
  CHECK(wait_for("\"event\":\"reader_removed\"," + reader));
  CHECK_MESSAGE(watch.interrupt(5s) == 0, watch.log());
}

TEST_CASE("idtap watch finds a libnfc reader plugged in after it started, with none there at start") {
  // pcscd runs (its vpcd reader is watched), and libnfc is configured for a serial port that
  // appears only later, as a USB-serial adapter plugged in while `idtap watch` runs.
  test::ScratchDir dir("nfc-watch-late");
  test::PcscdFixture pcscd;
  REQUIRE_MESSAGE(pcscd.ok(), pcscd.error());
  const std::string port = dir.path() + "/ttyPN532";
  const std::string connstring = "pn532_uart:" + port;
  test::ChildProcess watch;
  REQUIRE(watch.start({test::idtap_binary(), "watch", "--json", "--timeout", "30"}, dir.path() + "/watch.log",
                      {"LIBNFC_DEVICE=" + connstring, "LIBNFC_AUTO_SCAN=false", "LIBNFC_LOG_LEVEL=0"}));
  auto wait_for = [&](const std::string& what) { return watch.wait_for_log(what, 10s); };
  REQUIRE_MESSAGE(wait_for("\"reader\":\"pcsc:" + pcscd.reader_name(0) + "\""), watch.log());
  CHECK_FALSE(contains(watch.log(), "nfc:"));

  auto emu = Pn532Emulator::start({.max_frame_data = 262, .trace = false, .link_path = port}).value();
  CHECK_MESSAGE(wait_for("\"event\":\"reader_added\",\"reader\":\"nfc:" + connstring + "\""), watch.log());
  CHECK_MESSAGE(watch.interrupt(5s) == 0, watch.log());
}
