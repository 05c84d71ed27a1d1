// The simulated card's plain (no access control yet) behaviour: file system, READ BINARY forms,
// and the ISO 7816-4 error status words, each case on a freshly powered card.
#include <doctest/doctest.h>

#include "idtap/apdu/commands.h"
#include "idtap/base/hex.h"
#include "idtap/sim/card.h"
#include "support/sim_images.h"

using namespace idtap;
using namespace idtap::sim;

namespace {

std::unique_ptr<SimCard> powered_card(CardImage image = test::basic_card_image()) {
  auto card = SimCard::create(std::move(image));
  REQUIRE(card.ok());
  (*card)->power_on();
  return std::move(*card);
}

std::string run(SimCard& card, std::string_view command_hex) { return to_hex(card.process(hex_or_die(command_hex)), true); }

struct Case {
  const char* what;                    // the behaviour checked
  std::vector<const char*> setup;      // commands sent first (their answers must end 9000/6282)
  const char* command;
  std::string expect;                  // the whole response, hex (data then SW)
};

}  // namespace

TEST_CASE("plain commands and their status words") {
  const CardImage image = test::basic_card_image();
  const std::string card_access = to_hex(*image.files.card_access, true);
  const std::string ca_head = card_access.substr(0, 8);
  const Case cases[] = {
      // After reset the MF is current: EF.CardAccess selects by FID without FCI.
      {"select EF.CardAccess", {}, "00A4020C02011C", "9000"},
      // Reading it whole with Le=00: fewer bytes than 256 remain, so 6282 follows the data.
      {"read EF.CardAccess, short Le 00", {"00A4020C02011C"}, "00B0000000", card_access + "6282"},
      // The SFI form selects and reads at once (P1 = 80 | 1C).
      {"read by SFI", {}, "00B09C0004", ca_head + "9000"},
      // An offset inside the file, exact Le.
      {"read the last 2 bytes exactly", {"00A4020C02011C"}, "00B0001402", "010D9000"},
      // Asking for 2 where 1 remains: the byte, then 6282.
      {"read 2 where 1 remains", {"00A4020C02011C"}, "00B0001502", "0D6282"},
      // Exactly at the end: no data, end of file.
      {"read at the end", {"00A4020C02011C"}, "00B0001601", "6282"},
      // Past the end: wrong parameters.
      {"read past the end", {"00A4020C02011C"}, "00B0001701", "6B00"},
      // The odd INS with offset DO 54: data comes back in DO 53, and its header counts in Ne.
      {"odd read, offset 20", {"00A4020C02011C"}, "00B100000354011400", "5302010D" "6282"},
      {"odd read by SFI", {}, "00B19C000354010004", "53023114" "9000"},
      {"odd read by FID", {}, "00B1011C0354010103", "530114" "9000"},
      // Odd INS without DO 54 is wrong data.
      {"odd read without DO 54", {"00A4020C02011C"}, "00B1000003550100" "00", "6A80"},
      // Extended Le on an extended-capable card: all of the file, 6282.
      {"extended Le", {"00A4020C02011C"}, "00B00000000000", card_access + "6282"},
      // SELECT with FCP (P2 04): size 22 (0016), transparent, FID, SFI 1C << 3.
      {"select with FCP", {}, "00A4020402011C00", "620E80020016820101830201 1C8801E0 9000"},
      // SELECT with FCI (P2 00) carries the same under 6F.
      {"select with FCI", {}, "00A4020002011C00", "6F0E80020016820101830201 1C8801E0 9000"},
      // FCI asked for but no Le: ISO 7816-4 gives no data then.
      {"select FCI without Le", {}, "00A4020002011C", "9000"},
      // The eMRTD application by DF name, with its FCI.
      {"select eMRTD AID with FCI", {}, "00A4040007A000000247100100", "6F0C8201388407A0000002471001 9000"},
      {"select eMRTD AID", {}, "00A4040C07A0000002471001", "9000"},
      // An application the card does not have.
      {"select unknown AID", {}, "00A4040C07A0000002471002", "6A82"},
      // EF.COM is in the application, not in the MF.
      {"EF.COM from the MF", {}, "00A4020C02011E", "6A82"},
      // In the application, EF.COM selects, but reading it needs secure messaging.
      {"EF.COM plain read", {"00A4040C07A0000002471001", "00A4020C02011E"}, "00B0000004", "6982"},
      // Reading a data group by SFI without access control.
      {"DG1 by SFI in plain", {"00A4040C07A0000002471001"}, "00B0810004", "6982"},
      // EF.SOD in plain by odd INS.
      {"EF.SOD odd INS in plain", {"00A4040C07A0000002471001"}, "00B1011D0354010004", "6982"},
      // SFI 1C is EF.CardAccess only in the MF; in the application no file has it.
      {"SFI 1C inside the application", {"00A4040C07A0000002471001"}, "00B09C0004", "6A82"},
      // The MF by its FID, and the MF by P1 00 with no data.
      {"select MF by FID", {"00A4040C07A0000002471001"}, "00A4000C023F00", "9000"},
      {"select MF without data", {"00A4040C07A0000002471001"}, "00A4000C", "9000"},
      // After selecting the MF no EF is current.
      {"read with no EF", {"00A4000C023F00"}, "00B0000004", "6986"},
      // SELECT with an unknown P1 (08: path from MF).
      {"select by path", {}, "00A4080C02011C", "6A86"},
      // SELECT with an unknown P2.
      {"select P2 08", {}, "00A4020802011C", "6A86"},
      // A 3-byte FID.
      {"select with a 3-byte FID", {}, "00A4020C0301011C", "6700"},
      // READ BINARY without Le.
      {"read without Le", {"00A4020C02011C"}, "00B00000", "6700"},
      // READ BINARY (even) with a data field.
      {"read with data", {"00A4020C02011C"}, "00B000000100" "00", "6700"},
      // SFI 0 is not an SFI.
      {"SFI zero", {}, "00B0800004", "6A86"},
      // P1 = 1xx with b7/b6 set is not the SFI form.
      {"bad SFI P1", {}, "00B0DC0004", "6A86"},
      // An instruction the card does not know (PERFORM SECURITY OPERATION).
      {"unknown INS", {}, "002A9E9A00", "6D00"},
      // A proprietary class.
      {"proprietary CLA", {}, "80A4020C02011C", "6E00"},
      // A logical channel.
      {"logical channel 1", {}, "01A4020C02011C", "6881"},
      // Command chaining on anything but GENERAL AUTHENTICATE.
      {"chained READ", {"00A4020C02011C"}, "10B0000004", "6884"},
      // Secure messaging without a session: the MAC cannot verify.
      {"SM without a session", {}, "0CB0000004", "6988"},
      // SM bits other than 11 (proprietary SM format).
      {"SM format 01", {}, "04B0000004", "6882"},
      // Lc that does not match the data.
      {"bad Lc", {}, "00A4020C03011C", "6700"},
      // Fewer than 4 header bytes.
      {"truncated header", {}, "00A4", "6700"},
      // PC/SC part 3 GET DATA: the UID (answered by the reader part).
      {"FF CA UID", {}, "FFCA000000", to_hex(image.config.uid, true) + "9000"},
      // GET DATA with a bad P1.
      {"FF CA bad P1", {}, "FFCA050000", "6A86"},
  };
  for (const auto& tc : cases) {
    std::string what = tc.what;
    CAPTURE(what);
    auto card = powered_card();
    for (const char* s : tc.setup) {
      std::string r = run(*card, s);
      REQUIRE((r.ends_with("9000") || r.ends_with("6282")));
    }
    std::string expect = hex_or_die(tc.expect).empty() ? "" : to_hex(hex_or_die(tc.expect), true);
    CHECK(run(*card, tc.command) == expect);
  }
}

TEST_CASE("files past 32767 bytes: even INS stops at 7FFF, odd INS reaches the end") {
  // A 40000-byte EF.CardAccess stands in for a large data group (readable without access
  // control, so the offset arithmetic is tested on its own here).
  CardImage image = test::basic_card_image();
  image.files.card_access = test::pattern_file(0x31, 40000, 0x01);
  const Bytes content = *image.files.card_access;
  auto card = powered_card(std::move(image));
  REQUIRE(run(*card, "00A4020C02011C") == "9000");
  // Even INS at the largest 15-bit offset 7FFF.
  Bytes r = card->process(hex_or_die("00B07FFF04"));
  REQUIRE(r.size() == 6);
  CHECK(to_hex(ByteView(r).first(4)) == to_hex(ByteView(content).subspan(0x7FFF, 4)));
  CHECK(to_hex(ByteView(r).subspan(4), true) == "9000");
  // Odd INS at offset 39998 (00 9C 3E): the last 2 bytes in DO 53, then 6282.
  Bytes tail = card->process(hex_or_die("00B10000055403009C3E00"));
  REQUIRE(tail.size() == 6);
  CHECK(to_hex(tail, true) == "5302" + to_hex(ByteView(content).subspan(39998), true) + "6282");
  // Odd INS at offset 33000 with Ne 104: DO 53 header (2 bytes) + 102 bytes, 9000.
  Bytes mid = card->process(hex_or_die("00B10000055403 0080E8 68"));
  REQUIRE(mid.size() == 106);
  CHECK(to_hex(ByteView(mid).subspan(2, 102)) == to_hex(ByteView(content).subspan(33000, 102)));
  CHECK(to_hex(ByteView(mid).subspan(104), true) == "9000");
  // Odd INS past the end.
  CHECK(to_hex(card->process(hex_or_die("00B10000055403009C4100")), true) == "6B00");
}

TEST_CASE("card quirks: no extended length, small response buffer") {
  CardImage image = test::basic_card_image();
  image.config.quirks.extended_length = false;
  image.config.quirks.max_response = 223;
  auto card = powered_card(std::move(image));
  REQUIRE(run(*card, "00A4020C02011C") == "9000");
  // Extended-length APDUs are refused.
  CHECK(run(*card, "00B00000000010") == "6700");
  // Ne above the card's buffer: 6700, the answer readers step down on.
  CHECK(run(*card, "00B00000E0") == "6700");
  CHECK(run(*card, "00B0000000") == "6700");  // Le 00 = 256
  // Ne within it works.
  CHECK(run(*card, "00B00000DF").ends_with("6282"));
}

TEST_CASE("card quirk no_sfi: every READ BINARY by SFI is 6A82, the FID forms still read") {
  CardImage image = test::basic_card_image();
  image.config.quirks.no_sfi = true;
  const std::string card_access = to_hex(*image.files.card_access, true);
  auto card = powered_card(std::move(image));
  // Even INS with P1 = 80|1C, and odd INS with P1-P2 = 100 SFI / 00: as for a file not there.
  CHECK(run(*card, "00B09C0004") == "6A82");
  CHECK(run(*card, "00B19C000354010004") == "6A82");
  // SELECT by FID and READ BINARY on the current EF, and the odd INS by FID, still work.
  CHECK(run(*card, "00A4020C02011C") == "9000");
  CHECK(run(*card, "00B0000000") == card_access + "6282");
  CHECK(run(*card, "00B1011C0354010103") == "530114" "9000");
  // The file the refused SFI read would have selected is not selected by it.
  CHECK(run(*card, "00A4000C023F00") == "9000");
  CHECK(run(*card, "00B09C0004") == "6A82");
  CHECK(run(*card, "00B0000004") == "6986");
}

TEST_CASE("a card that is not powered answers nothing useful; power cycles reset the session") {
  auto made = SimCard::create(test::basic_card_image());
  REQUIRE(made.ok());
  SimCard& card = **made;
  CHECK_FALSE(card.powered());
  CHECK(run(card, "00A4020C02011C") == "6F00");
  CHECK(to_hex(card.power_on(), true) == "3B80800101");
  CHECK(run(card, "00A4040C07A0000002471001") == "9000");
  CHECK(run(card, "00A4020C02011E") == "9000");
  card.power_off();
  card.power_on();
  // After the reset the MF is current again: EF.COM is not found there.
  CHECK(run(card, "00A4020C02011E") == "6A82");
  CHECK(card.security_state() == SecurityState::kNone);
  CHECK(card.apdus_processed() == 4);
}
