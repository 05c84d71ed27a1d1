#include "idtap/nfc/pcsc_bridge.h"

#include <doctest/doctest.h>

#include "idtap/base/hex.h"

using namespace idtap;
using namespace idtap::nfc;

TEST_CASE("pcscd device names become libnfc connection strings") {
  const std::vector<std::string> listed = {"pn532_uart:/dev/ttyUSB0", "pn53x_usb:001:004", "acr122_usb:002:011"};
  struct Case {
    const char* device_name;
    const char* connstring;
    const char* why;
  } cases[] = {
      {"", "", "no name: libnfc's default device"},
      {"nfc:", "", "the selector's own spelling of the default"},
      {"nfc:default", "", "reader.conf spelling of the default"},
      {"nfc:pn532_uart:/dev/ttyS1", "pn532_uart:/dev/ttyS1", "nfc: prefix dropped"},
      {"pn532_uart:/dev/ttyUSB0:115200", "pn532_uart:/dev/ttyUSB0:115200", "a reader.conf connection string as it is"},
      {"usb:04cc/2533:libudev:0:/dev/bus/usb/001/004", "pn53x_usb:001:004", "pcscd hotplug (libudev): found in the list"},
      {"usb:04cc/2533:libusb-1.0:1:4:0", "pn53x_usb:001:004",
       "pcscd hotplug (libusb-1.0, written with %d: unpadded): found in the list as libnfc pads it"},
      {"usb:04cc/2533:libusb-1.0:001:004:0", "pn53x_usb:001:004", "a padded libusb-1.0 name is accepted too"},
      {"usb:072f/2200:libusb-1.0:7:99:0", "acr122_usb:007:099", "unpadded, not listed yet: named as libnfc would"},
      {"usb:04e6/5591:libusb-1.0:12:104:0", "pn53x_usb:012:104", "two and three digits, not listed yet"},
      {"usb:072f/2200:libudev:0:/dev/bus/usb/002/011", "acr122_usb:002:011", "an ACS reader in the list"},
      {"usb:04e6/5591:libudev:0:/dev/bus/usb/003/002", "pn53x_usb:003:002", "not listed yet: named as libnfc would"},
      {"usb:072f/90cc:libudev:0:/dev/bus/usb/003/007", "acr122_usb:003:007", "not listed, ACS vendor: acr122_usb"},
  };
  for (const auto& c : cases) {
    INFO(c.why);
    auto cs = connstring_for_device_name(c.device_name, listed);
    REQUIRE(cs.ok());
    CHECK(*cs == c.connstring);
  }
  struct Bad {
    const char* device_name;
    const char* why;
  } bad[] = {
      {"usb:04cc/2533", "no bus and device"},
      {"usb:04cc/2533:libudev:0:/dev/bus/usb/x/y", "bus and device not numbers"},
      {"usb:04cc/2533:libusb-1.0:1a:2", "libusb-1.0 form with a non-numeric bus"},
      {"usb:04cc/2533:libusb-1.0:1:1000:0", "a device number libnfc's three digits cannot hold"},
  };
  for (const auto& b : bad) {
    INFO(b.why);
    CHECK(connstring_for_device_name(b.device_name, listed).error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("GET DATA pseudo-APDUs are answered by the reader (PC/SC part 3 §3.2.2.1.3)") {
  TargetInfo a;
  a.uid = hex_or_die("04A1B2C3D4E5F6");
  a.sak = 0x20;
  a.ats = hex_or_die("78 80 70 02 4A 43 4F 50");
  TargetInfo b;
  b.type = TargetType::kIso14443B;
  b.uid = hex_or_die("11223344");
  struct Case {
    const TargetInfo* target;
    const char* command;
    const char* response;
    const char* why;
  } cases[] = {
      {&a, "FFCA000000", "04A1B2C3D4E5F69000", "UID, Le 00: all of it"},
      {&a, "FFCA000007", "04A1B2C3D4E5F69000", "UID, exact Le"},
      {&a, "FFCA000004", "6C07", "Le too short: 6C with the right length"},
      {&a, "FFCA000010", "04A1B2C3D4E5F66282", "Le too long: the data and 6282"},
      {&a, "FFCA0000", "04A1B2C3D4E5F69000", "no Le at all"},
      {&a, "FFCA010000", "4A434F509000", "ATS historical bytes"},
      {&b, "FFCA000000", "112233449000", "Type B: the PUPI"},
      {&b, "FFCA010000", "6A81", "Type B has no ATS"},
      {&a, "FFCA000100", "6A86", "P2 must be 00"},
      {&a, "FF00000000", "6A81", "other CLA FF commands: not supported"},
      {&a, "FFCA", "6A81", "truncated pseudo-APDU"},
  };
  for (const auto& c : cases) {
    INFO(c.why);
    auto r = answer_pseudo_apdu(hex_or_die(c.command), *c.target);
    REQUIRE(r.has_value());
    CHECK(to_hex(*r, true) == c.response);
  }
  CHECK_FALSE(answer_pseudo_apdu(hex_or_die("00A4040C07A0000002471001"), a).has_value());  // for the card
  CHECK_FALSE(answer_pseudo_apdu({}, a).has_value());
}
