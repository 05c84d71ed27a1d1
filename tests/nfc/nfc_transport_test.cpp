// libnfc's own pn532_uart driver against the PN532 emulator: the nfc transport end to end.
#include "idtap/nfc/transport.h"

#include <fcntl.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "idtap/apdu/commands.h"
#include "idtap/apdu/exchange.h"
#include "idtap/base/hex.h"
#include "idtap/sim/sim_transport.h"
#include "nfc/tiny_board.h"
#include "nfc/tiny_card.h"
#include "support/pn532_emulator.h"
#include "support/sim_images.h"

using namespace idtap;
using namespace idtap::nfc;
using namespace std::chrono_literals;
using idtap::testing::Pn532Card;
using idtap::testing::Pn532Emulator;
using idtap::testing::TinyCard;

namespace {

// Rig: an emulated PN532 board with the tiny card in its field, and the transport over it.
struct Rig : idtap::testing::TinyBoard {
  explicit Rig(Pn532Card::Type type = Pn532Card::Type::kA, size_t max_frame_data = 262)
      : TinyBoard(true, type, {.max_frame_data = max_frame_data}) {}
  NfcTransportOptions options() const {
    NfcTransportOptions o;
    o.connstring = emu->connstring();
    o.exchange_timeout = 3000ms;
    return o;
  }
  std::unique_ptr<NfcTransport> open() const { return NfcTransport::open(options()).value(); }
};

// read_file: SELECT the eMRTD application and `fid`, then READ BINARY in `chunk`-byte steps.
Result<Bytes> read_file(apdu::Transport& t, uint16_t fid, size_t length, size_t chunk) {
  IDTAP_ASSIGN_OR_RETURN(auto sel, apdu::exchange(t, apdu::select_by_df_name(apdu::kEmrtdAid)));
  IDTAP_TRY(sel.status("SELECT eMRTD"));
  IDTAP_ASSIGN_OR_RETURN(auto ef, apdu::exchange(t, apdu::select_by_fid(fid)));
  IDTAP_TRY(ef.status("SELECT EF"));
  Bytes out;
  while (out.size() < length) {
    IDTAP_ASSIGN_OR_RETURN(auto cmd, apdu::read_binary(static_cast<uint16_t>(out.size()), std::min(chunk, length - out.size())));
    IDTAP_ASSIGN_OR_RETURN(auto r, apdu::exchange(t, cmd));
    IDTAP_TRY(r.status("READ BINARY"));
    append(out, r.data);
  }
  return out;
}

}  // namespace

TEST_CASE("libnfc's pn532_uart driver starts the emulated chip as it starts a real board") {
  Rig rig;
  auto context = NfcContext::create().value();
  auto device = NfcDevice::open(context, rig.emu->connstring());
  REQUIRE(device.ok());
  CHECK((*device)->connstring() == rig.emu->connstring());
  CHECK((*device)->name() == "pn532_uart:" + rig.emu->tty_path());  // libnfc names it by its port
  auto s = rig.emu->stats();
  CHECK(s.wakeups >= 1);       // the HSU wake-up preamble came first
  CHECK(s.sam_configured);     // and SAMConfiguration took the chip out of LowVbat
  REQUIRE(s.commands.size() >= 3);
  CHECK(s.commands[0] == 0x14);  // SAMConfiguration
  CHECK(s.commands[1] == 0x00);  // Diagnose: communication line test
  CHECK(s.commands[2] == 0x02);  // GetFirmwareVersion
  CHECK(s.checksum_errors == 0);
  CHECK(s.error_frames == 0);
  CHECK((*device)->close().ok());
  CHECK(rig.emu->stats().commands.back() == 0x16);  // closing idles the chip: PowerDown
}

TEST_CASE("a configured libnfc device is listed") {
  Rig rig;
  ::setenv("LIBNFC_DEVICE", rig.emu->connstring().c_str(), 1);
  auto context = NfcContext::create().value();
  auto devices = context->list_devices();
  ::unsetenv("LIBNFC_DEVICE");
  REQUIRE(devices.size() == 1);
  CHECK(devices[0] == rig.emu->connstring());
}

TEST_CASE("a context that goes away leaves the others working (libnfc's driver registry is process-wide)") {
  // libnfc's nfc_exit empties the one driver list of the process, whatever context it is given:
  // a second libnfc context closing would leave the first without drivers, and its opens and
  // listings would then fail without a byte sent ("no PN53x answered" with a board there).
  Rig rig;
  ::setenv("LIBNFC_DEVICE", rig.emu->connstring().c_str(), 1);
  auto kept = NfcContext::create().value();
  ::unsetenv("LIBNFC_DEVICE");
  NfcContext::create().value().reset();  // another user comes and goes
  CHECK(kept->list_devices() == std::vector<std::string>{rig.emu->connstring()});
  auto device = NfcDevice::open(kept, rig.emu->connstring());
  REQUIRE_MESSAGE(device.ok(), device.error().message());
  CHECK(rig.emu->stats().sam_configured);

  // And one going away while the other has a device open: that device is reopened as before.
  auto passing = NfcContext::create().value();
  passing.reset();
  REQUIRE((*device)->close().ok());
  device = NfcDevice::open(kept, rig.emu->connstring());
  REQUIRE_MESSAGE(device.ok(), device.error().message());
  CHECK((*device)->poll(500ms).value().has_value());
}

TEST_CASE("libnfc's default device (nfc:) is the configured one, and is locked like a named one") {
  Rig rig;
  ::setenv("LIBNFC_DEVICE", rig.emu->connstring().c_str(), 1);
  auto t = NfcTransport::open(NfcTransportOptions{});
  REQUIRE(t.ok());
  CHECK((*t)->describe() == "nfc:" + rig.emu->connstring());
  auto second = NfcTransport::open(NfcTransportOptions{});
  ::unsetenv("LIBNFC_DEVICE");
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == ErrorCode::kSharingViolation);
  CHECK((*t)->transmit(apdu::select_by_df_name(apdu::kEmrtdAid))->sw == 0x9000);
}

TEST_CASE("Type A: UID, ATQA, SAK and ATS, the PC/SC ATR, the FSC and honest capabilities") {
  Rig rig;
  auto t = rig.open();
  const TargetInfo& target = t->target();
  CHECK(target.type == TargetType::kIso14443A);
  CHECK(to_hex(target.uid) == "085a3c11");
  CHECK(to_hex(target.atqa) == "0004");
  CHECK(target.sak == 0x20);
  CHECK(to_hex(target.ats) == "7877b1024a434f50763234");  // without TL
  CHECK(to_hex(t->atr(), true) == "3B8780014A434F5076323460");
  CHECK(t->card_frame_size() == 256);
  CHECK(t->capabilities().max_command_data == 255);
  CHECK(t->capabilities().max_response_data == 256);
  CHECK_FALSE(t->capabilities().extended_length);
  CHECK(t->describe() == "nfc:" + rig.emu->connstring());
}

TEST_CASE("Type B: PUPI, ATQB fields and the PC/SC ATR") {
  Rig rig(Pn532Card::Type::kB);
  auto t = rig.open();
  const TargetInfo& target = t->target();
  CHECK(target.type == TargetType::kIso14443B);
  CHECK(to_hex(target.uid) == "11223344");
  CHECK(to_hex(target.application_data) == "00000000");
  CHECK(to_hex(target.protocol_info) == "778191");
  CHECK(to_hex(t->atr(), true) == "3B88800100000000778191006E");
  CHECK(t->card_frame_size() == 256);
  auto com = read_file(*t, 0x011E, rig.card->file(0x011E).size(), 256);
  REQUIRE(com.ok());
  CHECK(equal_bytes(*com, rig.card->file(0x011E)));
}

TEST_CASE("APDUs travel: SELECT the eMRTD application, READ BINARY a 1000-byte file") {
  Rig rig;
  auto t = rig.open();
  auto com = read_file(*t, 0x011E, rig.card->file(0x011E).size(), 256);
  REQUIRE(com.ok());
  CHECK(equal_bytes(*com, rig.card->file(0x011E)));
  auto big = read_file(*t, 0x0102, 1000, 256);  // 256-byte answers: 258 bytes, extended frames
  REQUIRE(big.ok());
  CHECK(equal_bytes(*big, rig.card->file(0x0102)));
  // The largest short command (Nc 255) travels in an extended host frame; the card says 6A82.
  auto r = t->transmit(apdu::select_by_df_name(Bytes(255, 0xA0)));
  REQUIRE(r.ok());
  CHECK(r->sw == 0x6A82);
  CHECK(rig.emu->stats().extended_frames >= 1);
}

TEST_CASE("the simulated card behind libnfc: SELECT the eMRTD application, READ BINARY EF.CardAccess") {
  auto emu = Pn532Emulator::start().value();
  auto sim_card = sim::open_sim_card_image(test::basic_card_image(), {}, "nfc-test").value();
  sim::SimTransport* sim = sim_card.get();
  Pn532Card c;
  c.application = std::shared_ptr<apdu::Transport>(std::move(sim_card));
  emu->place_card(c);
  auto t = NfcTransport::open(NfcTransportOptions{.connstring = emu->connstring()}).value();

  auto selected = t->transmit(apdu::select_by_df_name(apdu::kEmrtdAid));
  REQUIRE(selected.ok());
  CHECK(selected->sw == 0x9000);
  REQUIRE(t->transmit(apdu::select_by_fid(0x011E))->sw == 0x9000);
  CHECK(t->transmit(apdu::read_binary(0, 4).value())->sw == 0x6982);  // EF.COM: access control first

  REQUIRE(t->transmit(apdu::select_mf())->sw == 0x9000);
  REQUIRE(t->transmit(apdu::select_by_fid(0x011C))->sw == 0x9000);
  const Bytes expected = test::basic_card_image().files.card_access.value();
  auto read = apdu::exchange(*t, apdu::read_binary(0, expected.size()).value());
  REQUIRE(read.ok());
  CHECK(read->sw == 0x9000);
  CHECK(to_hex(read->data) == to_hex(expected));
  CHECK(sim->statistics().apdus == 6);
}

TEST_CASE("answers longer than the chip's frame come in MI-chained parts that libnfc joins") {
  Rig rig(Pn532Card::Type::kA, /*max_frame_data=*/64);
  auto t = rig.open();
  auto big = read_file(*t, 0x0102, 1000, 256);
  REQUIRE(big.ok());
  CHECK(equal_bytes(*big, rig.card->file(0x0102)));
  // Three 258-byte answers in five parts (four with MI set), one 234-byte answer in four parts.
  CHECK(rig.emu->stats().mi_chunks_out == 3 * 4 + 3);
}

TEST_CASE("an APDU the reader cannot carry is refused before it reaches the card") {
  Rig rig;
  auto t = rig.open();
  const size_t before = rig.card->apdus();
  apdu::CommandApdu extended = apdu::read_binary(0, 1000).value();  // Ne 1000: extended length
  CHECK(t->transmit(extended).error().code == ErrorCode::kInvalidArgument);
  apdu::CommandApdu forced = apdu::select_by_df_name(apdu::kEmrtdAid);
  forced.extended = true;
  CHECK(t->transmit(forced).error().code == ErrorCode::kInvalidArgument);
  CHECK(rig.card->apdus() == before);
}

TEST_CASE("the card leaving the field is kCardRemoved; reconnect() polls for it again") {
  Rig rig;
  auto t = rig.open();
  REQUIRE(read_file(*t, 0x011E, 4, 4).ok());
  rig.emu->remove_card();
  auto r = t->transmit(apdu::select_by_df_name(apdu::kEmrtdAid));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kCardRemoved);
  CHECK(t->transmit(apdu::select_by_df_name(apdu::kEmrtdAid)).error().code == ErrorCode::kCardRemoved);
  CHECK(t->reconnect(150ms).error().code == ErrorCode::kTimeout);  // nothing came back

  rig.emu->place_card(rig.card_of(Pn532Card::Type::kA));
  REQUIRE(t->reconnect(1000ms).ok());
  // A fresh session: nothing is selected any more.
  auto rb = t->transmit(apdu::read_binary(0, 4).value());
  REQUIRE(rb.ok());
  CHECK(rb->sw == 0x6986);
  CHECK(read_file(*t, 0x011E, 4, 4).ok());
}

TEST_CASE("reconnect() on a card that stayed gives a fresh card session") {
  Rig rig;
  auto t = rig.open();
  REQUIRE(read_file(*t, 0x011E, 4, 4).ok());
  const size_t activations = rig.emu->stats().activations;
  const size_t sessions = rig.card->fresh_sessions();
  REQUIRE(t->reconnect(500ms).ok());
  CHECK(rig.emu->stats().activations == activations + 1);
  CHECK(rig.card->fresh_sessions() == sessions + 1);
  CHECK(t->transmit(apdu::read_binary(0, 4).value())->sw == 0x6986);
}

TEST_CASE("the reader disappearing is kDeviceGone, everywhere, at once") {
  Rig rig;
  auto t = rig.open();
  rig.emu->unplug();
  auto r = t->transmit(apdu::select_by_df_name(apdu::kEmrtdAid));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kDeviceGone);
  CHECK(t->transmit(apdu::select_by_df_name(apdu::kEmrtdAid)).error().code == ErrorCode::kDeviceGone);
  CHECK(t->reconnect(100ms).error().code == ErrorCode::kDeviceGone);
  CHECK(t->device().poll(100ms).error().code == ErrorCode::kDeviceGone);
  CHECK(t->close().ok());
}

TEST_CASE("the emulator's armed faults: the card leaves at the chosen APDU and returns; the board vanishes at one") {
  SUBCASE("remove_card_at_apdu with back_after") {
    Rig rig;
    auto t = rig.open();
    rig.emu->remove_card_at_apdu(2, 100ms);  // the third APDU from now
    const size_t before = rig.card->apdus();
    CHECK(t->transmit(apdu::select_by_df_name(apdu::kEmrtdAid))->sw == 0x9000);
    CHECK(t->transmit(apdu::select_by_fid(0x011E))->sw == 0x9000);
    auto gone = t->transmit(apdu::read_binary(0, 4).value());
    REQUIRE_FALSE(gone.ok());
    CHECK(gone.error().code == ErrorCode::kCardRemoved);
    CHECK(rig.card->apdus() == before + 2);  // the third never reached the card
    REQUIRE(t->reconnect(2000ms).ok());       // back after 100 ms, as a fresh card session
    CHECK(rig.emu->stats().activations == 2);
    CHECK(read_file(*t, 0x011E, 4, 4).ok());
  }
  SUBCASE("remove_card_at_apdu without back_after: gone for good") {
    Rig rig;
    auto t = rig.open();
    rig.emu->remove_card_at_apdu(0);
    CHECK(t->transmit(apdu::select_by_df_name(apdu::kEmrtdAid)).error().code == ErrorCode::kCardRemoved);
    CHECK(t->reconnect(300ms).error().code == ErrorCode::kTimeout);
  }
  SUBCASE("unplug_at_apdu") {
    Rig rig;
    auto t = rig.open();
    rig.emu->unplug_at_apdu(1);
    CHECK(t->transmit(apdu::select_by_df_name(apdu::kEmrtdAid))->sw == 0x9000);
    const auto start = std::chrono::steady_clock::now();
    auto r = t->transmit(apdu::select_by_fid(0x011E));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kDeviceGone);
    CHECK(std::chrono::steady_clock::now() - start < 2s);  // the closed link, not the 3 s exchange timeout
    CHECK(t->reconnect(100ms).error().code == ErrorCode::kDeviceGone);
    rig.emu->unplug();  // tidies up after the board's own unplug
    REQUIRE(rig.emu->replug().ok());
  }
}

TEST_CASE("an answer that does not come in time is kTimeout, and the link recovers") {
  Rig rig;
  NfcTransportOptions o = rig.options();
  o.exchange_timeout = 200ms;
  auto t = NfcTransport::open(o).value();
  rig.emu->set_response_delay(1500ms);
  auto r = t->transmit(apdu::select_by_df_name(apdu::kEmrtdAid));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kTimeout);
  rig.emu->set_response_delay(0ms);
  auto again = t->transmit(apdu::select_by_df_name(apdu::kEmrtdAid));
  REQUIRE(again.ok());
  CHECK(again->sw == 0x9000);
  CHECK(rig.emu->stats().aborted == 1);  // the late answer was dropped, not mistaken for the next
}

TEST_CASE("no card in the field: open() waits card_wait, then kNoCard; a memory card is not taken") {
  Rig rig;
  rig.emu->remove_card();
  NfcTransportOptions o = rig.options();
  o.card_wait = 150ms;
  const auto start = std::chrono::steady_clock::now();
  auto t = NfcTransport::open(o);
  REQUIRE_FALSE(t.ok());
  CHECK(t.error().code == ErrorCode::kNoCard);
  CHECK(std::chrono::steady_clock::now() - start >= 150ms);

  Pn532Card mifare = rig.card_of(Pn532Card::Type::kA);
  mifare.sel_res = 0x08;  // MIFARE Classic: no ISO/IEC 14443-4
  rig.emu->place_card(mifare);
  auto context = NfcContext::create().value();
  auto device = NfcDevice::open(context, rig.emu->connstring()).value();
  auto found = device->poll(100ms);
  REQUIRE(found.ok());
  CHECK_FALSE(found->has_value());
}

TEST_CASE("presence: the chip's presence check sees the card go") {
  Rig rig;
  auto context = NfcContext::create().value();
  auto device = NfcDevice::open(context, rig.emu->connstring()).value();
  CHECK(device->target_present().error().code == ErrorCode::kState);  // nothing selected yet
  auto found = device->poll(500ms);
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK(device->target_present().value());
  rig.emu->remove_card();
  CHECK_FALSE(device->target_present().value());
  CHECK_FALSE(device->target().has_value());
  CHECK(device->transceive(hex_or_die("00A4040C07A0000002471001"), 500ms).error().code == ErrorCode::kState);
}

TEST_CASE("open failures: a missing port is kNoReader, a port another program holds is kSharingViolation") {
  Rig rig;
  auto context = NfcContext::create().value();
  auto missing = NfcDevice::open(context, "pn532_uart:/dev/pts/no-such-port");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ErrorCode::kNoReader);

  auto first = NfcDevice::open(context, rig.emu->connstring());
  REQUIRE(first.ok());
  auto second = NfcDevice::open(context, rig.emu->connstring());
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == ErrorCode::kSharingViolation);
  CHECK(second.error().context.find("in use") != std::string::npos);

  auto unknown = NfcTransport::open(NfcTransportOptions{.connstring = "nosuchdriver:foo"});
  CHECK(unknown.error().code == ErrorCode::kNoReader);
}

TEST_CASE("a port with nothing behind it is 'no PN53x answered', not a port held by another program") {
  // A pseudo-terminal nobody answers on: libnfc's pn532_uart driver gets no reply. Our own port
  // lock must not be mistaken for another program's (flock conflicts across two opens).
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  REQUIRE(master >= 0);
  REQUIRE(::grantpt(master) == 0);
  REQUIRE(::unlockpt(master) == 0);
  const std::string port = ::ptsname(master);
  auto context = NfcContext::create().value();
  auto silent = NfcDevice::open(context, "pn532_uart:" + port);
  ::close(master);
  REQUIRE_FALSE(silent.ok());
  CHECK(silent.error().code == ErrorCode::kNoReader);
  CHECK(silent.error().context.find("no PN53x answered") != std::string::npos);
}
