// The PN532 emulator at the frame level (UM0701-02 §6.2): what libnfc never exercises (NACK, bad
// checksums, host-side MI chaining, sleep) is checked here byte by byte.
#include "support/pn532_emulator.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>

#include "idtap/base/hex.h"
#include "nfc/tiny_card.h"
#include "support/pn532_frame.h"

using namespace idtap;
using idtap::testing::Pn532Card;
using idtap::testing::Pn532Emulator;
using idtap::testing::TinyCard;
using idtap::testing::pn532::host_frame;

namespace {

// Host: the host side of the link, written by hand.
struct Host {
  int fd = -1;
  explicit Host(const std::string& path) {
    fd = ::open(path.c_str(), O_RDWR | O_NOCTTY);
    termios t{};
    tcgetattr(fd, &t);
    cfmakeraw(&t);
    tcsetattr(fd, TCSANOW, &t);
  }
  ~Host() { ::close(fd); }
  void send(const Bytes& b) { REQUIRE(::write(fd, b.data(), b.size()) == static_cast<ssize_t>(b.size())); }
  void send_hex(const char* hex) { send(hex_or_die(hex)); }
  // receive: `want` bytes (or what came before 2 s passed); with want = 0, whatever arrives
  // within 80 ms (used to show that nothing does).
  Bytes receive(size_t want = 0) {
    Bytes out;
    const int wait_ms = want == 0 ? 80 : 2000;
    while (want == 0 || out.size() < want) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, wait_ms) <= 0) return out;
      uint8_t buf[512];
      const ssize_t n = ::read(fd, buf, want == 0 ? sizeof buf : std::min(sizeof buf, want - out.size()));
      if (n <= 0) return out;
      out.insert(out.end(), buf, buf + n);
    }
    return out;
  }
  // answer: the next answer, ACK and frame, read by its announced length.
  Bytes answer() {
    Bytes out = receive(6 + 5);  // ACK, then preamble, start code, LEN, LCS (or 00 FF 01 FF 7F)
    if (out.size() < 11) return out;
    if (out[9] == 0x01 && out[10] == 0xFF) return concat({out, receive(3)});  // syntax-error frame
    return concat({out, receive(static_cast<size_t>(out[9]) + 2)});  // TFI .. DCS, postamble
  }
};

const char* kAckHex = "0000ff00ff00";

// awake: a host that has woken the chip and configured the SAM.
std::unique_ptr<Host> awake(Pn532Emulator& emu) {
  auto host = std::make_unique<Host>(emu.tty_path());
  host->send(concat({hex_or_die("5555000000"), host_frame({0x14, 0x01})}));
  CHECK(to_hex(host->answer()) == std::string(kAckHex) + "0000ff02fed5151600");
  return host;
}

}  // namespace

TEST_CASE("asleep until the wake-up preamble; then ACK and answer") {
  auto emu = Pn532Emulator::start().value();
  Host host(emu->tty_path());
  host.send(host_frame({0x02}));  // GetFirmwareVersion without waking the chip first
  CHECK(host.receive().empty());
  CHECK(emu->stats().ignored_asleep == 1);
  host.send(concat({hex_or_die("55550000000000"), host_frame({0x14, 0x01})}));
  CHECK(to_hex(host.answer()) == std::string(kAckHex) + "0000ff02fed5151600");
  host.send(host_frame({0x02}));
  // ACK, then D5 03 32 01 06 07: PN532, firmware 1.6, ISO/IEC 14443-A, -B and 18092.
  CHECK(to_hex(host.answer()) == std::string(kAckHex) + "0000ff06fad50332010607e800");
  host.send(host_frame({0x16, 0xF0}));  // PowerDown: answered, then asleep again
  CHECK(to_hex(host.answer()) == std::string(kAckHex) + "0000ff03fdd517001400");
  host.send(host_frame({0x02}));
  CHECK(host.receive().empty());
  CHECK(emu->stats().wakeups == 1);
}

TEST_CASE("bad frames are dropped unanswered; NACK repeats the last answer") {
  auto emu = Pn532Emulator::start().value();
  auto host = awake(*emu);
  struct Case {
    const char* hex;
    const char* why;
  } bad[] = {
      {"0000ff02fdd4022a00", "length checksum wrong (LEN + LCS != 0)"},
      {"0000ff02fed4022b00", "data checksum wrong"},
      {"0000ff02fed5022900", "TFI D5 (chip to host) sent by the host"},
      {"0000ffffff0002fd d4022a00", "extended frame with a wrong length checksum"},
  };
  for (const auto& c : bad) {
    INFO(c.why);
    host->send_hex(c.hex);
    CHECK(host->receive().empty());
  }
  CHECK(emu->stats().checksum_errors == 4);
  host->send(host_frame({0x02}));
  CHECK(to_hex(host->answer()) == std::string(kAckHex) + "0000ff06fad50332010607e800");
  host->send_hex("0000ffff0000");  // NACK
  CHECK(to_hex(host->receive(13)) == "0000ff06fad50332010607e800");
  CHECK(emu->stats().nacks == 1);
}

TEST_CASE("an unknown command gets the syntax-error frame; extended frames are understood") {
  auto emu = Pn532Emulator::start().value();
  auto host = awake(*emu);
  host->send(host_frame({0x7E}));
  CHECK(to_hex(host->answer()) == std::string(kAckHex) + "0000ff01ff7f8100");
  host->send(host_frame({0x02}, /*force_extended=*/true));
  CHECK(to_hex(host->answer()) == std::string(kAckHex) + "0000ff06fad50332010607e800");
  auto s = emu->stats();
  CHECK(s.error_frames == 1);
  CHECK(s.extended_frames == 1);
}

TEST_CASE("registers read back what was written") {
  auto emu = Pn532Emulator::start().value();
  auto host = awake(*emu);
  host->send(host_frame({0x08, 0x63, 0x3C, 0x10, 0x63, 0x05, 0x40}));
  CHECK(to_hex(host->answer()) == std::string(kAckHex) + "0000ff02fed5092200");
  host->send(host_frame({0x06, 0x63, 0x05, 0x63, 0x3C}));
  CHECK(to_hex(host->answer()) == std::string(kAckHex) + "0000ff04fcd5074010d400");
}

TEST_CASE("InDataExchange: MI chaining in both directions around a small frame limit") {
  auto emu = Pn532Emulator::start({.max_frame_data = 16, .trace = false}).value();
  auto card = std::make_shared<TinyCard>();
  Pn532Card c;
  c.application = card;
  emu->place_card(c);
  auto host = awake(*emu);
  host->send(host_frame({0x12, 0x14}));  // SetParameters: automatic RATS
  host->answer();
  host->send(host_frame({0x4A, 0x01, 0x00}));  // InListPassiveTarget, one Type A target
  const Bytes listed = host->answer();
  REQUIRE(listed.size() > 12);
  CHECK(to_hex(ByteView(listed).subspan(11, 8)) == "d54b010100042004");  // NbTg 1, Tg 1, ATQA, SAK, UID length

  // SELECT eMRTD sent in two parts: Tg with MI (0x41), then the rest.
  const Bytes select = hex_or_die("00A4040C07A0000002471001");
  host->send(host_frame(concat({Bytes{0x40, 0x41}, ByteView(select).first(6)})));
  CHECK(to_hex(host->answer()) == std::string(kAckHex) + "0000ff03fdd54100ea00");
  host->send(host_frame(concat({Bytes{0x40, 0x01}, ByteView(select).subspan(6)})));
  CHECK(to_hex(host->answer()) == std::string(kAckHex) + "0000ff05fbd5410090005a00");
  CHECK(emu->stats().mi_chunks_in == 1);

  // SELECT EF.COM, then READ BINARY 22 bytes: 24 bytes of answer over a 16-byte limit.
  host->send(host_frame({0x40, 0x01, 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1E}));
  host->answer();
  host->send(host_frame({0x40, 0x01, 0x00, 0xB0, 0x00, 0x00, 0x16}));
  Bytes first = host->answer();
  REQUIRE(first.size() == 6 + 5 + 3 + 16 + 2);
  CHECK(first[6 + 5 + 2] == 0x40);  // status: MI set
  host->send(host_frame({0x40, 0x01}));  // Tg only: the next part
  Bytes second = host->answer();
  REQUIRE(second.size() == 6 + 5 + 3 + 8 + 2);
  CHECK(second[6 + 5 + 2] == 0x00);  // last part
  Bytes joined = concat({ByteView(first).subspan(14, 16), ByteView(second).subspan(14, 8)});
  CHECK(to_hex(joined) == to_hex(card->file(0x011E)) + "9000");
  CHECK(emu->stats().mi_chunks_out == 1);
}

TEST_CASE("InDataExchange without an active target is refused; a removed card times out") {
  auto emu = Pn532Emulator::start().value();
  auto card = std::make_shared<TinyCard>();
  Pn532Card c;
  c.application = card;
  emu->place_card(c);
  auto host = awake(*emu);
  host->send(host_frame({0x40, 0x01, 0x00, 0xA4, 0x04, 0x0C, 0x00}));
  CHECK(to_hex(host->answer()) == std::string(kAckHex) + "0000ff03fdd54127c300");  // status 27: wrong context
  host->send(host_frame({0x4A, 0x01, 0x00}));
  host->answer();
  CHECK(emu->target_active());
  emu->remove_card();
  host->send(host_frame({0x00, 0x06}));  // Diagnose: card presence
  CHECK(to_hex(host->answer()) == std::string(kAckHex) + "0000ff03fdd501012900");  // status 01: gone
  host->send(host_frame({0x4A, 0x01, 0x00}));
  CHECK(to_hex(host->answer()) == std::string(kAckHex) + "0000ff03fdd54b00e000");  // NbTg 0
}

TEST_CASE("the port's name is private to the board and goes with it") {
  // /dev/pts/N numbers are shared by every process and reused at once: the port's name is a
  // symlink of the emulator's own, so a host that keeps a gone board's name finds nothing there
  // rather than another process's new pseudo-terminal.
  auto emu = Pn532Emulator::start().value();
  const std::string name = emu->tty_path();
  CHECK(name.rfind("/dev/", 0) != 0);
  CHECK(emu->connstring() == "pn532_uart:" + name);
  char target[128] = {};
  REQUIRE(::readlink(name.c_str(), target, sizeof target - 1) > 0);
  CHECK(std::string(target).rfind("/dev/pts/", 0) == 0);
  { awake(*emu); }  // the name reaches the chip
  emu->unplug();
  CHECK(::access(name.c_str(), F_OK) != 0);  // gone with the board, not left to be reused
  REQUIRE(emu->replug().ok());
  CHECK(emu->tty_path() == name);  // back under the same name
  { awake(*emu); }
  CHECK(emu->stats().wakeups == 2);
  const std::string dir = name.substr(0, name.rfind('/'));
  emu.reset();
  CHECK(::access(dir.c_str(), F_OK) != 0);  // the private directory goes with the emulator
}
