// The simulated card through real pcscd: a private pcscd with the vsmartcard vpcd reader
// (tests/support/pcscd_fixture.h), `idtap sim serve` connected to it, and libpcsclite used
// directly (SCardEstablishContext, SCardConnect, SCardTransmit), as any PC/SC program would.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <winscard.h>

#include <cctype>
#include <cstring>
#include <thread>

#include "idtap/base/hex.h"
#include "idtap/sim/card_image.h"
#include "support/pcscd_fixture.h"
#include "support/run_shell.h"
#include "support/scratch_dir.h"
#include "support/sim_images.h"

using namespace idtap;
using namespace std::chrono_literals;

namespace {

// PcscCard: one SCardConnect'ed card, released at scope end.
class PcscCard {
 public:
  explicit PcscCard(const std::string& reader) {
    rv_ = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx_);
    if (rv_ != SCARD_S_SUCCESS) return;
    rv_ = SCardConnect(ctx_, reader.c_str(), SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card_, &protocol_);
  }
  ~PcscCard() {
    if (card_) SCardDisconnect(card_, SCARD_LEAVE_CARD);
    if (ctx_) SCardReleaseContext(ctx_);
  }
  LONG status() const { return rv_; }

  // transmit: the response as upper-case hex, or "ERR:<pcsc error>" when the transmit failed.
  std::string transmit(std::string_view command_hex) {
    Bytes cmd = hex_or_die(command_hex);
    uint8_t buf[65538];
    DWORD len = sizeof buf;
    const SCARD_IO_REQUEST* pci = protocol_ == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
    LONG rv = SCardTransmit(card_, pci, cmd.data(), static_cast<DWORD>(cmd.size()), nullptr, buf, &len);
    if (rv != SCARD_S_SUCCESS) return std::string("ERR:") + pcsc_stringify_error(rv);
    return to_hex(ByteView(buf, len), true);
  }

  Bytes atr() {
    char name[256];
    DWORD name_len = sizeof name;
    DWORD state = 0, protocol = 0;
    uint8_t atr[MAX_ATR_SIZE];
    DWORD atr_len = sizeof atr;
    if (SCardStatus(card_, name, &name_len, &state, &protocol, atr, &atr_len) != SCARD_S_SUCCESS) return {};
    return Bytes(atr, atr + atr_len);
  }

  LONG reconnect() {
    return SCardReconnect(card_, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, SCARD_RESET_CARD, &protocol_);
  }

 private:
  SCARDCONTEXT ctx_ = 0;
  SCARDHANDLE card_ = 0;
  DWORD protocol_ = 0;
  LONG rv_ = SCARD_F_INTERNAL_ERROR;
};

std::string write_basic_card(const test::ScratchDir& dir) {
  std::string card = dir.path() + "/card";
  REQUIRE(write_card_image(card, test::basic_card_image()).ok());
  return card;
}

}  // namespace

TEST_CASE("the pcscd fixture: a private pcscd with an empty vpcd reader, stopped by pid") {
  test::PcscdFixture pcscd;
  REQUIRE_MESSAGE(pcscd.ok(), pcscd.error());
  CHECK(pcscd.pid() > 0);
  CHECK(pcscd.wait_card(false, 2000ms));
  // The client reaches this pcscd through the private socket, never /run/pcscd.
  const char* sock = std::getenv("PCSCLITE_CSOCK_NAME");
  REQUIRE(sock != nullptr);
  CHECK(std::string(sock) == test::test_pcscd_socket_path());
  const pid_t pid = pcscd.pid();
  pcscd.stop();
  CHECK(::kill(pid, 0) != 0);  // gone (and reaped)
}

TEST_CASE("idtap sim serve: SELECT and READ BINARY through pcscd, then a clean exit on SIGTERM") {
  test::ScratchDir tmp("vpcd");
  const std::string card_dir = write_basic_card(tmp);
  test::PcscdFixture pcscd;
  REQUIRE_MESSAGE(pcscd.ok(), pcscd.error());
  test::SimServeProcess serve(card_dir, pcscd.vpcd_port());
  REQUIRE_MESSAGE(serve.ok(), serve.error());
  REQUIRE_MESSAGE(pcscd.wait_card(true, 10000ms), (std::string("card never appeared; serve log:\n") + serve.log() + "\npcscd log:\n" + pcscd.log()));

  const sim::CardImage image = test::basic_card_image();
  {
    PcscCard card(pcscd.reader_name());
    REQUIRE_MESSAGE(card.status() == SCARD_S_SUCCESS, pcsc_stringify_error(card.status()));
    CHECK(card.atr() == image.config.atr);
    // EF.CardAccess by SFI from the MF: all 22 bytes, then 6282 (fewer than Le=00).
    CHECK(card.transmit("00B09C0000") == to_hex(*image.files.card_access, true) + "6282");
    // The eMRTD application by AID.
    CHECK(card.transmit("00A4040C07A0000002471001") == "9000");
    // DG1 without access control: security status not satisfied.
    CHECK(card.transmit("00B0810004") == "6982");
    // Unknown instruction.
    CHECK(card.transmit("0000000000") == "6D00");
    // The reader pseudo-APDU for the UID reaches the card through vpcd.
    CHECK(card.transmit("FFCA000000") == to_hex(image.config.uid, true) + "9000");
  }
  const pid_t pid = serve.pid();
  const int status = serve.stop();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(::kill(pid, 0) != 0);
  const std::string log = serve.log();
  CAPTURE(log);
  CHECK(log.find("APDU CLA 00 INS A4 Nc 7 Ne 0 -> 0 bytes SW 9000") != std::string::npos);
  CHECK(log.find("stopped by a signal") != std::string::npos);
  // The log has lengths and status words, never data: the EF.CardAccess bytes are not in it.
  CHECK(log.find("3114") == std::string::npos);
  CHECK(pcscd.wait_card(false, 5000ms));
}

TEST_CASE("idtap sim serve survives a pcscd restart and exits cleanly on SIGINT") {
  test::ScratchDir tmp("vpcd");
  const std::string card_dir = write_basic_card(tmp);
  test::PcscdFixture pcscd;
  REQUIRE_MESSAGE(pcscd.ok(), pcscd.error());
  test::SimServeProcess serve(card_dir, pcscd.vpcd_port(), {"--quiet"});
  REQUIRE(serve.ok());
  REQUIRE_MESSAGE(pcscd.wait_card(true, 10000ms), serve.log());
  REQUIRE_MESSAGE(pcscd.restart(), pcscd.error());
  REQUIRE_MESSAGE(pcscd.wait_card(true, 15000ms), (std::string("no card after the pcscd restart; serve log:\n") + serve.log()));
  {
    PcscCard card(pcscd.reader_name());
    REQUIRE(card.status() == SCARD_S_SUCCESS);
    CHECK(card.transmit("00A4040C07A0000002471001") == "9000");
  }
  CHECK(serve.process().running());
  CHECK_MESSAGE(serve.process().interrupt(5000ms) == 0, serve.log());
  const std::string log = serve.log();
  CAPTURE(log);
  CHECK(log.find("reconnecting") != std::string::npos);
  CHECK(log.find("stopped by a signal") != std::string::npos);
  CHECK(log.find("APDU CLA") == std::string::npos);  // --quiet
}

TEST_CASE("idtap sim serve --leave-after: the card leaves the reader and comes back") {
  test::ScratchDir tmp("vpcd");
  const std::string card_dir = write_basic_card(tmp);
  test::PcscdFixture pcscd;
  REQUIRE_MESSAGE(pcscd.ok(), pcscd.error());
  test::SimServeProcess serve(card_dir, pcscd.vpcd_port(), {"--leave-after", "2", "--return-after", "1500"});
  REQUIRE(serve.ok());
  REQUIRE_MESSAGE(pcscd.wait_card(true, 10000ms), serve.log());
  PcscCard card(pcscd.reader_name());
  REQUIRE(card.status() == SCARD_S_SUCCESS);
  CHECK(card.transmit("00A4040C07A0000002471001") == "9000");
  CHECK(card.transmit("00A4000C023F00") == "9000");
  // The third APDU finds the card gone.
  // The third APDU finds the card gone. vpcd 3.3 reports a connection that dies mid-APDU
  // either as a communication error or (reading an uninitialised length) as an empty
  // "successful" response; both are failures no card could give (a response has at least SW1
  // SW2), and the reader shows the card absent right after.
  const std::string third = card.transmit("00A4040C07A0000002471001");
  CAPTURE(third);
  CHECK((third.starts_with("ERR:") || third.empty()));
  REQUIRE_MESSAGE(pcscd.wait_card(false, 5000ms), serve.log());
  REQUIRE_MESSAGE(pcscd.wait_card(true, 10000ms), serve.log());
  // Back: a fresh session after reconnecting.
  LONG rv = SCARD_F_INTERNAL_ERROR;
  for (int i = 0; i < 50 && rv != SCARD_S_SUCCESS; ++i) {
    rv = card.reconnect();
    if (rv != SCARD_S_SUCCESS) std::this_thread::sleep_for(100ms);
  }
  REQUIRE_MESSAGE(rv == SCARD_S_SUCCESS, pcsc_stringify_error(rv));
  CHECK(card.transmit("00A4040C07A0000002471001") == "9000");
  CHECK(card.transmit("00A4020C02011E") == "9000");
  CAPTURE(pcscd.log());
  CHECK(serve.log().find("card left the field after 2 APDUs") != std::string::npos);
}

TEST_CASE("any PC/SC program sees the served card: opensc-tool and pcsc_scan") {
  test::ScratchDir tmp("vpcd-tools");
  const std::string card_dir = write_basic_card(tmp);
  test::PcscdFixture pcscd;
  REQUIRE_MESSAGE(pcscd.ok(), pcscd.error());
  test::SimServeProcess serve(card_dir, pcscd.vpcd_port());
  REQUIRE_MESSAGE(serve.ok(), serve.error());
  REQUIRE_MESSAGE(pcscd.wait_card(true, 10000ms), serve.log());
  const sim::CardImage image = test::basic_card_image();
  const std::string atr_hex = to_hex(image.config.atr, true);

  // opensc-tool: the reader list, the ATR, and an APDU sent through its own PC/SC layer.
  auto list = test::run_shell("opensc-tool --list-readers");
  CAPTURE(list.out);
  CHECK(list.exit_code == 0);
  CHECK(list.out.find(pcscd.reader_name()) != std::string::npos);
  auto atr = test::run_shell("opensc-tool --reader 0 --atr");
  CAPTURE(atr.out);
  CHECK(atr.exit_code == 0);
  std::string atr_colons = atr_hex;  // opensc-tool prints 3b:80:80:01:01
  for (size_t i = 2; i < atr_colons.size(); i += 3) atr_colons.insert(i, ":");
  for (char& c : atr_colons) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  CHECK(atr.out.find(atr_colons) != std::string::npos);
  auto apdu = test::run_shell("opensc-tool --reader 0 --send-apdu 00:A4:04:0C:07:A0:00:00:02:47:10:01");
  CAPTURE(apdu.out);
  CHECK(apdu.out.find("SW1=0x90, SW2=0x00") != std::string::npos);

  // pcsc_scan: the reader and the card's ATR, with its own ATR analysis.
  test::ChildProcess scan;
  const std::string log = tmp.path() + "/pcsc_scan.log";
  REQUIRE(scan.start({"pcsc_scan", "-n"}, log));
  std::string spaced;  // pcsc_scan prints 3B 80 80 01 01
  for (size_t i = 0; i < atr_hex.size(); i += 2) spaced += (i ? " " : "") + atr_hex.substr(i, 2);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  std::string out;
  while (std::chrono::steady_clock::now() < deadline) {
    out = scan.log();
    if (out.find(spaced) != std::string::npos) break;
    std::this_thread::sleep_for(100ms);
  }
  scan.stop();
  CAPTURE(out);
  CHECK(out.find(pcscd.reader_name()) != std::string::npos);
  CHECK(out.find(spaced) != std::string::npos);
}
