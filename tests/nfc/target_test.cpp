#include "idtap/nfc/target.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "idtap/nfc/device.h"
#include "idtap/base/hex.h"
#include "support/scratch_dir.h"

using namespace idtap;
using namespace idtap::nfc;

namespace {

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string field;
  while (std::getline(ss, field, sep)) out.push_back(field);
  return out;
}

}  // namespace

TEST_CASE("PC/SC part 3 ATRs are synthesized from the ATS and the ATQB (published ATRs)") {
  std::ifstream in(IDTAP_SOURCE_DIR "/tests/vectors/nfc/contactless_atr.txt");
  REQUIRE(in.good());
  std::string line;
  int checked = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto f = split(line, '|');
    TargetInfo t;
    Bytes expected;
    if (f[0].find('A') != std::string::npos) {
      REQUIRE(f.size() == 4);
      t.type = TargetType::kIso14443A;
      t.sak = 0x20;
      t.ats = hex_or_die(f[1]);
      expected = hex_or_die(f[2]);
    } else {
      REQUIRE(f.size() == 6);
      t.type = TargetType::kIso14443B;
      t.application_data = hex_or_die(f[1]);
      t.protocol_info = hex_or_die(f[2]);
      t.attrib_res = hex_or_die(f[3]).at(0);
      expected = hex_or_die(f[4]);
    }
    INFO(line);
    auto atr = synthesize_atr(t);
    REQUIRE(atr.ok());
    CHECK(to_hex(*atr, true) == to_hex(expected, true));
    ++checked;
  }
  CHECK(checked == 7);
}

TEST_CASE("more than 15 historical bytes are cut to what the ATR can hold") {
  TargetInfo t;
  t.sak = 0x20;
  t.ats = Bytes{0x02};  // T0: no interface bytes, FSCI 2
  for (int i = 0; i < 20; ++i) t.ats.push_back(static_cast<uint8_t>(i));
  auto atr = synthesize_atr(t);
  REQUIRE(atr.ok());
  CHECK(atr->size() == 4 + 15 + 1);
  CHECK((*atr)[1] == 0x8F);
}

TEST_CASE("ATR synthesis refuses what PC/SC part 3 builds differently or what does not parse") {
  TargetInfo memory;  // a MIFARE Classic: SAK 08, no ISO/IEC 14443-4
  memory.sak = 0x08;
  CHECK(synthesize_atr(memory).error().code == ErrorCode::kNotSupported);

  TargetInfo short_atqb;
  short_atqb.type = TargetType::kIso14443B;
  short_atqb.application_data = hex_or_die("000000");  // 3 bytes instead of 4
  short_atqb.protocol_info = hex_or_die("778191");
  CHECK(synthesize_atr(short_atqb).error().code == ErrorCode::kMalformed);

  TargetInfo bad_ats;
  bad_ats.sak = 0x20;
  bad_ats.ats = hex_or_die("78 80");  // T0 announces TA, TB, TC; only TA follows
  CHECK(synthesize_atr(bad_ats).error().code == ErrorCode::kMalformed);
}

TEST_CASE("ATS parsing: interface bytes, FSC and the historical bytes") {
  auto a = parse_ats(hex_or_die("78 77 B1 02 4A 43 4F 50"));
  REQUIRE(a.ok());
  CHECK(a->fsci == 8);
  CHECK(a->fsc == 256);
  CHECK(a->ta1 == uint8_t{0x77});
  CHECK(a->tb1 == uint8_t{0xB1});
  CHECK(a->tc1 == uint8_t{0x02});
  CHECK(to_hex(a->historical) == "4a434f50");

  auto only_tb = parse_ats(hex_or_die("25 81 C1"));  // TB only, FSCI 5
  REQUIRE(only_tb.ok());
  CHECK_FALSE(only_tb->ta1.has_value());
  CHECK(only_tb->tb1 == uint8_t{0x81});
  CHECK(only_tb->fsc == 64);
  CHECK(to_hex(only_tb->historical) == "c1");

  auto none = parse_ats({});  // no ATS bytes after TL: the defaults (ISO/IEC 14443-4 §5.2.1)
  REQUIRE(none.ok());
  CHECK(none->fsc == 32);

  struct Case {
    const char* hex;
    const char* why;
  } bad[] = {
      {"F8", "T0 b8 set (RFU, must be 0)"},
      {"10", "TA announced, nothing follows"},
      {"20", "TB announced, nothing follows"},
      {"40", "TC announced, nothing follows"},
      {"70 01 02", "TA TB TC announced, only two bytes follow"},
  };
  for (const auto& c : bad) {
    INFO(c.why);
    CHECK(parse_ats(hex_or_die(c.hex)).error().code == ErrorCode::kMalformed);
  }
}

TEST_CASE("FSCI table, with RFU values read as 256 (ISO/IEC 14443-4 §5.2.3)") {
  const size_t expected[] = {16, 24, 32, 40, 48, 64, 96, 128, 256, 256, 256, 256, 256, 256, 256, 256};
  for (uint8_t i = 0; i < 16; ++i) CHECK(fsc_for_fsci(i) == expected[i]);

  TargetInfo b;
  b.type = TargetType::kIso14443B;
  b.protocol_info = hex_or_die("00 51 00");  // Max_Frame_Size 5 -> 64 bytes, ISO/IEC 14443-4
  CHECK(card_frame_size(b).value() == 64);
  CHECK(b.iso_dep());
  b.protocol_info = hex_or_die("00 50 00");  // protocol type 0: not ISO/IEC 14443-4
  CHECK_FALSE(b.iso_dep());
}

TEST_CASE("libnfc's PN53x frame limit gives short APDUs only, no extended length") {
  auto caps = transport_caps_for(kPn53xMaxFrameData);
  CHECK(caps.max_command_data == 255);
  CHECK(caps.max_response_data == 256);
  CHECK_FALSE(caps.extended_length);
  auto small = transport_caps_for(64);  // a link taking 64 bytes: 58 in, 62 out
  CHECK(small.max_command_data == 58);
  CHECK(small.max_response_data == 62);
}

TEST_CASE("open failures become typed errors that say what to do") {
  struct Case {
    OpenFailureFacts facts;
    ErrorCode code;
    const char* must_say;
    const char* why;
  } cases[] = {
      {{"", 0, false, false, false}, ErrorCode::kNoReader, "no libnfc device found",
       "nothing plugged in (the pn533 module may be loaded, but it holds no reader)"},
      {{"", 0, true, false, false}, ErrorCode::kSharingViolation, "idtap-blacklist-pn533.conf",
       "a USB reader hidden by the kernel's pn533 driver"},
      {{"pn53x_usb:001:004", 0, true, false, false}, ErrorCode::kSharingViolation, "modprobe -r pn533",
       "named USB reader held by the kernel"},
      {{"acr122_usb:001:005", 0, false, false, false}, ErrorCode::kNoReader, "acr122_usb:001:005",
       "named USB reader, no kernel module: not there"},
      {{"pn532_uart:/dev/ttyUSB9", 0, false, false, false}, ErrorCode::kNoReader, "no serial port",
       "serial port does not exist"},
      {{"pn532_uart:/dev/ttyUSB0", 0, false, true, true}, ErrorCode::kSharingViolation, "in use",
       "serial port held by another libnfc program"},
      {{"pn532_uart:/dev/ttyUSB0", 0, false, true, false}, ErrorCode::kNoReader, "no PN53x answered",
       "a port with nothing (or something else) on it"},
      {{"nosuchdriver:x", 0, false, false, false}, ErrorCode::kNoReader, "no driver", "unknown libnfc driver"},
  };
  for (const auto& c : cases) {
    INFO(c.why);
    Error e = diagnose_open_failure(c.facts);
    CHECK(e.code == c.code);
    CHECK(e.context.find(c.must_say) != std::string::npos);
  }
  CHECK(connstring_bus("pn532_uart:/dev/ttyS0:115200") == "serial");
  CHECK(connstring_bus("acr122_usb:001:002") == "usb");
  CHECK(connstring_bus("pn532_i2c:/dev/i2c-1") == "i2c");
  CHECK(connstring_bus("") == "");
}

TEST_CASE("the kernel's pn533 driver is blamed only when it holds a USB reader (a fake sysfs tree)") {
  test::ScratchDir root("sysfs");
  const std::filesystem::path driver = std::filesystem::path(root.path()) / "bus/usb/drivers/pn533_usb";
  // No pn533_usb driver directory: the module is not loaded.
  CHECK_FALSE(pn533_holds_a_reader(root.path()));
  // The module loaded, nothing bound: only the driver's control files.
  std::filesystem::create_directories(driver);
  for (const char* control : {"bind", "unbind", "new_id", "remove_id", "uevent"}) std::ofstream(driver / control) << "";
  std::filesystem::create_directory_symlink("../../../../module/pn533_usb", driver / "module");
  CHECK_FALSE(pn533_holds_a_reader(root.path()));
  // A reader's interface bound to it (as the kernel links it: BUS-PORT.PORT:CONFIG.INTERFACE).
  std::filesystem::create_directory_symlink("../../../../devices/pci0000:00/usb3/3-1/3-1.2/3-1.2:1.0",
                                            driver / "3-1.2:1.0");
  CHECK(pn533_holds_a_reader(root.path()));
  CHECK_FALSE(pn533_holds_a_reader(root.path() + "/no-such-root"));
}
