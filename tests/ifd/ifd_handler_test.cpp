// The pcscd IFD handler as pcscd sees it: the built shared object, loaded with dlopen, its C entry
// points called the way pcscd calls them, against the PN532 emulator and libnfc's pn532_uart
// driver.
#include <dlfcn.h>
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>
#include <utility>

extern "C" {
#include <ifdhandler.h>
#include <reader.h>
}

#include "idtap/base/hex.h"
#include "idtap/nfc/target.h"
#include "nfc/tiny_board.h"
#include "nfc/tiny_card.h"
#include "support/pn532_emulator.h"
#include "support/scratch_dir.h"

using namespace idtap;
using namespace std::chrono_literals;
using idtap::testing::Pn532Card;
using idtap::testing::Pn532Emulator;
using idtap::testing::TinyCard;

namespace {

// Ifd: the handler's entry points, resolved from the .so the build made.
struct Ifd {
  void* handle = nullptr;
  decltype(&IFDHCreateChannelByName) create_by_name = nullptr;
  decltype(&IFDHCreateChannel) create = nullptr;
  decltype(&IFDHCloseChannel) close = nullptr;
  decltype(&IFDHGetCapabilities) get_capabilities = nullptr;
  decltype(&IFDHSetCapabilities) set_capabilities = nullptr;
  decltype(&IFDHSetProtocolParameters) set_protocol = nullptr;
  decltype(&IFDHPowerICC) power = nullptr;
  decltype(&IFDHTransmitToICC) transmit_raw = nullptr;
  decltype(&IFDHControl) control = nullptr;
  decltype(&IFDHICCPresence) presence = nullptr;

  Ifd() {
    handle = dlopen(IDTAP_BUILD_DIR "/lib/libidtap_ifd.so", RTLD_NOW | RTLD_LOCAL);
    REQUIRE_MESSAGE(handle != nullptr, dlerror());
    load(create_by_name, "IFDHCreateChannelByName");
    load(create, "IFDHCreateChannel");
    load(close, "IFDHCloseChannel");
    load(get_capabilities, "IFDHGetCapabilities");
    load(set_capabilities, "IFDHSetCapabilities");
    load(set_protocol, "IFDHSetProtocolParameters");
    load(power, "IFDHPowerICC");
    load(transmit_raw, "IFDHTransmitToICC");
    load(control, "IFDHControl");
    load(presence, "IFDHICCPresence");
  }
  template <class F>
  void load(F& f, const char* name) {
    void* symbol = dlsym(handle, name);
    REQUIRE_MESSAGE(symbol != nullptr, name);
    f = reinterpret_cast<F>(symbol);
  }

  // transmit: one APDU; the response bytes, or the RESPONSECODE when it failed.
  std::pair<RESPONSECODE, Bytes> transmit(DWORD lun, const Bytes& apdu, DWORD room = MAX_BUFFER_SIZE) {
    SCARD_IO_HEADER send{SCARD_PROTOCOL_T1, sizeof(SCARD_IO_HEADER)}, recv{};
    Bytes rx(std::max<DWORD>(room, 1));
    DWORD len = room;
    Bytes tx = apdu;
    const RESPONSECODE rc = transmit_raw(lun, send, tx.data(), static_cast<DWORD>(tx.size()), rx.data(), &len, &recv);
    rx.resize(rc == IFD_SUCCESS ? len : 0);
    return {rc, rx};
  }
  std::string transmit_hex(DWORD lun, const char* apdu_hex) {
    auto [rc, rx] = transmit(lun, hex_or_die(apdu_hex));
    return rc == IFD_SUCCESS ? to_hex(rx, true) : "rc " + std::to_string(rc);
  }
  std::pair<RESPONSECODE, Bytes> power_up(DWORD lun, DWORD action = IFD_POWER_UP) {
    Bytes atr(MAX_ATR_SIZE);
    DWORD len = MAX_ATR_SIZE;
    const RESPONSECODE rc = power(lun, action, atr.data(), &len);
    atr.resize(rc == IFD_SUCCESS ? len : 0);
    return {rc, atr};
  }
  Bytes capability(DWORD lun, DWORD tag) {
    Bytes v(64);
    DWORD len = 64;
    if (get_capabilities(lun, tag, &len, v.data()) != IFD_SUCCESS) return {};
    v.resize(len);
    return v;
  }
};

Ifd& ifd() {
  static Ifd loaded;  // dlopen once per test binary, as pcscd does once per driver
  return loaded;
}

// Board: an emulated PN532 with the tiny card.
using Board = idtap::testing::TinyBoard;

// Channel: a Lun opened on the handler, closed at the end of the test.
struct Channel {
  DWORD lun;
  explicit Channel(DWORD l, const std::string& name) : lun(l) {
    std::string n = name;
    REQUIRE(ifd().create_by_name(lun, n.data()) == IFD_SUCCESS);
  }
  ~Channel() { CHECK(ifd().close(lun) == IFD_SUCCESS); }
};

// SilentOnce: the tiny card, except that once armed it falls silent on the next APDU (the
// emulated chip then reports a timeout status, as when a card does not answer on the air).
class SilentOnce : public TinyCard {
 public:
  void fall_silent_once() { silent_ = true; }
  Result<apdu::ResponseApdu> transmit(const apdu::CommandApdu& c) override {
    if (silent_.exchange(false)) return make_error(ErrorCode::kTimeout, "the card fell silent");
    return TinyCard::transmit(c);
  }

 private:
  std::atomic<bool> silent_{false};
};

const char* kSelectEmrtd = "00A4040C07A0000002471001";
const char* kSelectEfCom = "00A4020C02011E";
const char* kReadEfCom = "00B0000016";

// check_comes_back: `board`, unplugged, is plugged in again with its card; pcscd's polling of
// `lun` (100 ms apart, a little faster than pcscd's; 5 s at most) finds the card present again,
// and it powers up and answers.
void check_comes_back(Board& board, DWORD lun) {
  REQUIRE(board.emu->replug().ok());
  board.insert();
  RESPONSECODE rc = IFD_NO_SUCH_DEVICE;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (rc == IFD_NO_SUCH_DEVICE && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
    rc = ifd().presence(lun);
  }
  CHECK(rc == IFD_ICC_PRESENT);
  REQUIRE(ifd().power_up(lun).first == IFD_SUCCESS);
  CHECK(ifd().transmit_hex(lun, kSelectEmrtd) == "9000");
}

}  // namespace

TEST_CASE("only the IFDH entry points are exported") {
  Ifd& h = ifd();
  CHECK(dlsym(h.handle, "IFDHICCPresence") != nullptr);
  // idtap's own code inside the handler stays private (exports.map).
  CHECK(dlsym(h.handle, "_ZN5idtap10make_errorENS_9ErrorCodeENSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE") == nullptr);
  CHECK(dlsym(h.handle, "_ZN5idtap3nfc14synthesize_atrERKNS0_10TargetInfoE") == nullptr);
}

TEST_CASE("a libnfc device as a PC/SC reader: presence, ATR, protocol, APDUs, GET DATA") {
  Board board;
  Ifd& h = ifd();
  Channel ch(0x00010000, board.connstring());
  CHECK(h.capability(ch.lun, TAG_IFD_SLOTS_NUMBER) == Bytes{1});
  CHECK(h.capability(ch.lun, TAG_IFD_THREAD_SAFE) == Bytes{1});
  CHECK(h.capability(ch.lun, TAG_IFD_SIMULTANEOUS_ACCESS) == Bytes{16});
  CHECK(string_of(h.capability(ch.lun, SCARD_ATTR_VENDOR_NAME)) == "idtap");

  REQUIRE(h.presence(ch.lun) == IFD_ICC_PRESENT);
  CHECK(h.capability(ch.lun, SCARD_ATTR_ICC_PRESENCE) == Bytes{2});
  CHECK(h.capability(ch.lun, SCARD_ATTR_ICC_INTERFACE_STATUS) == Bytes{0});
  auto [rc, atr] = h.power_up(ch.lun);
  REQUIRE(rc == IFD_SUCCESS);
  CHECK(to_hex(atr, true) == "3B8780014A434F5076323460");  // PC/SC part 3 from the emulated ATS
  CHECK(h.capability(ch.lun, TAG_IFD_ATR) == atr);
  CHECK(h.capability(ch.lun, SCARD_ATTR_ICC_INTERFACE_STATUS) == Bytes{1});
  CHECK(board.emu->stats().activations == 1);  // the power-up used the card presence found

  CHECK(h.set_protocol(ch.lun, SCARD_PROTOCOL_T1, 0, 0, 0, 0) == IFD_SUCCESS);
  CHECK(h.set_protocol(ch.lun, SCARD_PROTOCOL_T0, 0, 0, 0, 0) == IFD_PROTOCOL_NOT_SUPPORTED);

  CHECK(h.transmit_hex(ch.lun, kSelectEmrtd) == "9000");
  CHECK(h.transmit_hex(ch.lun, kSelectEfCom) == "9000");
  CHECK(h.transmit_hex(ch.lun, kReadEfCom) == to_hex(board.card->file(0x011E), true) + "9000");
  // GET DATA pseudo-APDUs (PC/SC part 3 §3.2.2.1.3), answered by the reader, not the card.
  const size_t card_apdus = board.card->apdus();
  CHECK(h.transmit_hex(ch.lun, "FFCA000000") == "085A3C119000");
  CHECK(h.transmit_hex(ch.lun, "FFCA010000") == "4A434F507632349000");
  CHECK(board.card->apdus() == card_apdus);
  CHECK(h.presence(ch.lun) == IFD_ICC_PRESENT);  // a presence check between APDUs disturbs nothing
  CHECK(h.transmit_hex(ch.lun, kReadEfCom) == to_hex(board.card->file(0x011E), true) + "9000");
}

TEST_CASE("Type B card through the handler") {
  Board board(true, Pn532Card::Type::kB);
  Ifd& h = ifd();
  Channel ch(0x00020000, board.connstring());
  REQUIRE(h.presence(ch.lun) == IFD_ICC_PRESENT);
  auto [rc, atr] = h.power_up(ch.lun);
  REQUIRE(rc == IFD_SUCCESS);
  CHECK(to_hex(atr, true) == "3B88800100000000778191006E");
  CHECK(h.transmit_hex(ch.lun, "FFCA000000") == "112233449000");  // the PUPI
  CHECK(h.transmit_hex(ch.lun, kSelectEmrtd) == "9000");
}

TEST_CASE("the card coming and going, and power cycles giving fresh card sessions") {
  Board board(/*with_card=*/false);
  Ifd& h = ifd();
  Channel ch(0x00030000, board.connstring());
  CHECK(h.presence(ch.lun) == IFD_ICC_NOT_PRESENT);
  CHECK(h.transmit(ch.lun, hex_or_die(kSelectEmrtd)).first == IFD_ICC_NOT_PRESENT);
  CHECK(h.power_up(ch.lun).first == IFD_ERROR_POWER_ACTION);

  board.insert();
  REQUIRE(h.presence(ch.lun) == IFD_ICC_PRESENT);
  REQUIRE(h.power_up(ch.lun).first == IFD_SUCCESS);
  CHECK(h.transmit_hex(ch.lun, kSelectEmrtd) == "9000");
  CHECK(h.transmit_hex(ch.lun, kSelectEfCom) == "9000");

  // Power down and up: a new session (the card forgot its selection); no presence flicker.
  DWORD len = 0;
  CHECK(h.power(ch.lun, IFD_POWER_DOWN, nullptr, &len) == IFD_SUCCESS);
  CHECK(h.presence(ch.lun) == IFD_ICC_PRESENT);
  REQUIRE(h.power_up(ch.lun).first == IFD_SUCCESS);
  CHECK(h.transmit_hex(ch.lun, kReadEfCom) == "6986");
  CHECK(h.transmit_hex(ch.lun, kSelectEmrtd) == "9000");
  // A reset: the same.
  REQUIRE(h.power_up(ch.lun, IFD_RESET).first == IFD_SUCCESS);
  CHECK(h.transmit_hex(ch.lun, kSelectEfCom) == "6A82");

  board.emu->remove_card();
  CHECK(h.presence(ch.lun) == IFD_ICC_NOT_PRESENT);
  CHECK(h.capability(ch.lun, SCARD_ATTR_ICC_PRESENCE) == Bytes{0});
  CHECK(h.transmit(ch.lun, hex_or_die(kSelectEmrtd)).first == IFD_ICC_NOT_PRESENT);

  board.insert();
  REQUIRE(h.presence(ch.lun) == IFD_ICC_PRESENT);
  REQUIRE(h.power_up(ch.lun).first == IFD_SUCCESS);
  board.emu->remove_card();  // leaves in the middle of a session: the exchange fails, as on CCID
  CHECK(h.transmit(ch.lun, hex_or_die(kSelectEmrtd)).first == IFD_COMMUNICATION_ERROR);
  CHECK(h.transmit(ch.lun, hex_or_die(kSelectEmrtd)).first == IFD_ICC_NOT_PRESENT);
  // Even when a card is back before pcscd asks, the removal is reported once: pcscd must see
  // the old card go (its handles go stale) before it sees the new one.
  board.insert();
  CHECK(h.presence(ch.lun) == IFD_ICC_NOT_PRESENT);
  CHECK(h.presence(ch.lun) == IFD_ICC_PRESENT);
}

TEST_CASE("the device disappearing is IFD_NO_SUCH_DEVICE, and closing still returns") {
  Board board;
  Ifd& h = ifd();
  DWORD lun = 0x00040000;
  std::string name = board.connstring();
  REQUIRE(h.create_by_name(lun, name.data()) == IFD_SUCCESS);
  REQUIRE(h.presence(lun) == IFD_ICC_PRESENT);
  REQUIRE(h.power_up(lun).first == IFD_SUCCESS);
  board.emu->unplug();
  CHECK(h.transmit(lun, hex_or_die(kSelectEmrtd)).first == IFD_NO_SUCH_DEVICE);
  CHECK(h.presence(lun) == IFD_NO_SUCH_DEVICE);
  CHECK(h.power_up(lun).first == IFD_NO_SUCH_DEVICE);
  CHECK(h.set_protocol(lun, SCARD_PROTOCOL_T1, 0, 0, 0, 0) == IFD_NO_SUCH_DEVICE);
  CHECK(h.close(lun) == IFD_SUCCESS);
  CHECK(h.presence(lun) == IFD_COMMUNICATION_ERROR);  // that Lun is no more
}

TEST_CASE("a gone device's name does not lead the handler to another board") {
  // The handler keeps a gone device's name and opens it again now and then. A board started
  // meanwhile (here, or in another process) may get the very pseudo-terminal number the gone one
  // had; the emulator's private port names keep the handler off it, as distinct udev names keep
  // pcscd off another reader.
  Board gone;
  Ifd& h = ifd();
  Channel ch(0x00120000, gone.connstring());
  REQUIRE(h.presence(ch.lun) == IFD_ICC_PRESENT);
  gone.emu->unplug();
  CHECK(h.presence(ch.lun) == IFD_NO_SUCH_DEVICE);
  Board next;
  // Bounded: 15 polls 100 ms apart span the handler's reopen interval (1 s) at least once.
  for (int i = 0; i < 15; ++i) {
    std::this_thread::sleep_for(100ms);
    CHECK(h.presence(ch.lun) == IFD_NO_SUCH_DEVICE);
  }
  CHECK(next.emu->stats().wakeups == 0);  // nothing of the handler's reached the other board
}

TEST_CASE("a device that comes back is opened again: the reader recovers without pcscd's help") {
  test::ScratchDir dir("ifd");
  // The board's port has a stable name, as udev gives a USB-serial adapter.
  Board board(true, Pn532Card::Type::kA, {.link_path = dir.path() + "/ttyPN532"});
  Ifd& h = ifd();
  Channel ch(0x000A0000, board.connstring());
  REQUIRE(h.presence(ch.lun) == IFD_ICC_PRESENT);
  board.emu->unplug();
  CHECK(h.presence(ch.lun) == IFD_NO_SUCH_DEVICE);
  CHECK(h.presence(ch.lun) == IFD_NO_SUCH_DEVICE);  // the port is gone: nothing to reopen
  check_comes_back(board, ch.lun);
}

TEST_CASE("a device that comes back is opened again even when another reader was closed meanwhile") {
  // pcscd keeps one Lun per reader: closing one (its reader unplugged for good) must not leave
  // the others unable to reopen their device. libnfc's driver registry is process-wide and an
  // nfc_exit empties it; the handler's Luns share one libnfc set-up, torn down with the last.
  test::ScratchDir dir("ifd");
  Board board(true, Pn532Card::Type::kA, {.link_path = dir.path() + "/ttyPN532"});
  Ifd& h = ifd();
  Channel ch(0x00100000, board.connstring());
  REQUIRE(h.presence(ch.lun) == IFD_ICC_PRESENT);
  {
    Board other;
    Channel passing(0x00110000, other.connstring());
    CHECK(h.presence(passing.lun) == IFD_ICC_PRESENT);
  }  // that reader's Lun is closed
  board.emu->unplug();
  CHECK(h.presence(ch.lun) == IFD_NO_SUCH_DEVICE);
  check_comes_back(board, ch.lun);
}

TEST_CASE("several readers at once, used from several threads") {
  Board a, b;
  Ifd& h = ifd();
  Channel ca(0x00050000, a.connstring());
  Channel cb(0x00060000, b.connstring());
  std::atomic<int> failures{0};
  auto work = [&](DWORD lun, const TinyCard& card) {
    if (h.presence(lun) != IFD_ICC_PRESENT || h.power_up(lun).first != IFD_SUCCESS) ++failures;
    for (int i = 0; i < 20; ++i) {
      if (h.presence(lun) != IFD_ICC_PRESENT) ++failures;
      if (h.transmit_hex(lun, kSelectEmrtd) != "9000") ++failures;
      if (h.transmit_hex(lun, kSelectEfCom) != "9000") ++failures;
      if (h.transmit_hex(lun, kReadEfCom) != to_hex(card.file(0x011E), true) + "9000") ++failures;
    }
  };
  std::thread ta(work, ca.lun, std::cref(*a.card));
  std::thread tb(work, cb.lun, std::cref(*b.card));
  ta.join();
  tb.join();
  CHECK(failures == 0);
  CHECK(a.emu->stats().apdus == 60);
  CHECK(b.emu->stats().apdus == 60);
}

TEST_CASE("closing a channel while pcscd's polling thread is inside the handler does not deadlock") {
  Board board;
  Ifd& h = ifd();
  DWORD lun = 0x00070000;
  std::string name = board.connstring();
  REQUIRE(h.create_by_name(lun, name.data()) == IFD_SUCCESS);
  std::atomic<bool> stop{false}, poller_done{false};
  std::atomic<int> polls{0};
  std::thread poller([&] {
    while (!stop) {
      const RESPONSECODE rc = h.presence(lun);
      if (rc == IFD_COMMUNICATION_ERROR) break;  // the channel is closed
      ++polls;
    }
    poller_done = true;
  });
  // Bounded: a poller that stopped early (a presence check failing) ends the wait, not the test run.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (polls < 5 && !poller_done && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  if (polls < 5) {
    stop = true;
    poller.join();
    FAIL("the polling thread stopped after " << polls << " presence checks");
  }
  auto closed = std::async(std::launch::async, [&] { return h.close(lun); });
  REQUIRE(closed.wait_for(5s) == std::future_status::ready);
  CHECK(closed.get() == IFD_SUCCESS);
  stop = true;
  poller.join();
  CHECK(board.emu->stats().commands.back() == 0x16);  // the chip was put to sleep (PowerDown)
}

TEST_CASE("the handler refuses what it cannot do, with the codes ifdhandler.h documents") {
  Board board;
  Ifd& h = ifd();
  Channel ch(0x00080000, board.connstring());
  std::string again = board.connstring();
  CHECK(h.create_by_name(ch.lun, again.data()) == IFD_COMMUNICATION_ERROR);  // Lun already open
  std::string missing = "pn532_uart:/dev/pts/no-such-port";
  CHECK(h.create_by_name(0x00090000, missing.data()) == IFD_NO_SUCH_DEVICE);

  REQUIRE(h.presence(ch.lun) == IFD_ICC_PRESENT);
  REQUIRE(h.power_up(ch.lun).first == IFD_SUCCESS);
  DWORD small = 2;
  UCHAR buf[2];
  CHECK(h.get_capabilities(ch.lun, TAG_IFD_ATR, &small, buf) == IFD_ERROR_INSUFFICIENT_BUFFER);
  CHECK(h.get_capabilities(ch.lun, 0x12345678, &small, buf) == IFD_ERROR_TAG);
  CHECK(h.set_capabilities(ch.lun, TAG_IFD_ATR, 2, buf) == IFD_ERROR_TAG);
  CHECK(h.transmit(ch.lun, hex_or_die("FFCA000000"), 4).first == IFD_ERROR_INSUFFICIENT_BUFFER);  // 6 bytes
  // An extended-length APDU does not fit a PN53x frame: refused without reaching the card.
  Bytes extended = hex_or_die("00B00000000400");
  CHECK(h.transmit(ch.lun, concat({extended, Bytes(300, 0)})).first == IFD_COMMUNICATION_ERROR);

  DWORD returned = 99;
  CHECK(h.control(ch.lun, CM_IOCTL_GET_FEATURE_REQUEST, nullptr, 0, buf, sizeof buf, &returned) == IFD_SUCCESS);
  CHECK(returned == 0);  // no PC/SC part 10 features
  CHECK(h.control(ch.lun, SCARD_CTL_CODE(1), nullptr, 0, buf, sizeof buf, &returned) == IFD_ERROR_NOT_SUPPORTED);
}

TEST_CASE("a first APDU that fails still uses up the fresh session: the next reset or power-up activates again") {
  auto card = std::make_shared<SilentOnce>();
  auto emu = Pn532Emulator::start().value();
  Pn532Card c;
  c.application = card;
  emu->place_card(c);
  Ifd& h = ifd();
  Channel ch(0x000B0000, emu->connstring());
  REQUIRE(h.presence(ch.lun) == IFD_ICC_PRESENT);
  REQUIRE(h.power_up(ch.lun).first == IFD_SUCCESS);  // the card found by presence is fresh: no new activation
  size_t activations = emu->stats().activations;

  // The very first APDU of the session fails (the card may still have acted on it).
  card->fall_silent_once();
  CHECK(h.transmit(ch.lun, hex_or_die(kSelectEmrtd)).first == IFD_COMMUNICATION_ERROR);
  REQUIRE(h.power_up(ch.lun, IFD_RESET).first == IFD_SUCCESS);
  CHECK(emu->stats().activations == activations + 1);  // a reset is a new card session
  activations = emu->stats().activations;

  // The same with a power-up that follows the failed first APDU.
  card->fall_silent_once();
  CHECK(h.transmit(ch.lun, hex_or_die(kSelectEmrtd)).first == IFD_COMMUNICATION_ERROR);
  REQUIRE(h.power_up(ch.lun).first == IFD_SUCCESS);
  CHECK(emu->stats().activations == activations + 1);
  CHECK(h.transmit_hex(ch.lun, kSelectEmrtd) == "9000");
}

TEST_CASE("channels on two Luns opened and closed from two threads at once (pcscd's thread-safe mode)") {
  // TAG_IFD_THREAD_SAFE = 1 lets pcscd call different Luns concurrently. Each thread opens its
  // emulated board and a usb: reader that is not there (which makes libnfc scan the USB buses),
  // uses the board and closes both, again and again: no crash, and both readers keep working.
  // One thread's Lun closing (or its usb: open failing) between the other's set-up and open
  // once left that open without libnfc drivers ("no PN53x answered", nothing sent to the board):
  // libnfc's driver registry is process-wide and the Luns now share one libnfc set-up.
  Board a, b;
  Ifd& h = ifd();
  CHECK(h.capability(0, TAG_IFD_THREAD_SAFE) == Bytes{1});
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  auto work = [&](DWORD lun, DWORD usb_lun, const std::string& name, const std::string& usb_name) {
    auto failed = [&](int i, const char* step) {
      std::lock_guard<std::mutex> lock(failures_mutex);
      failures.push_back(name + " round " + std::to_string(i) + ": " + step);
    };
    for (int i = 0; i < 4; ++i) {
      std::string n = name, u = usb_name;
      if (h.create_by_name(lun, n.data()) != IFD_SUCCESS) {
        failed(i, "create");
        continue;
      }
      if (h.create_by_name(usb_lun, u.data()) == IFD_SUCCESS) failed(i, "usb create succeeded");  // nothing on that USB port
      if (h.presence(lun) != IFD_ICC_PRESENT) failed(i, "presence");
      else if (h.power_up(lun).first != IFD_SUCCESS) failed(i, "power up");
      if (h.transmit_hex(lun, kSelectEmrtd) != "9000") failed(i, "transmit");
      if (h.close(lun) != IFD_SUCCESS) failed(i, "close");
    }
  };
  std::thread ta(work, 0x000C0000, 0x000D0000, a.connstring(), "usb:04cc/2533:libusb-1.0:250:1:0");
  std::thread tb(work, 0x000E0000, 0x000F0000, b.connstring(), "usb:04e6/5591:libudev:0:/dev/bus/usb/251/002");
  ta.join();
  tb.join();
  std::string all;
  for (const auto& f : failures) all += f + "; ";
  CHECK_MESSAGE(failures.empty(), all);
  CHECK(a.emu->stats().apdus == 4);
  CHECK(b.emu->stats().apdus == 4);
}
