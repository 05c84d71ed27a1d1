#include "idtap/apdu/commands.h"

#include <doctest/doctest.h>

#include "idtap/base/hex.h"

using namespace idtap;
using namespace idtap::apdu;

namespace {
std::string wire(const CommandApdu& c) { return to_hex(c.encode().value(), true); }
}  // namespace

TEST_CASE("command builders produce the ICAO 9303 wire bytes") {
  CHECK(wire(select_by_df_name(kEmrtdAid)) == "00A4040C07A0000002471001");
  CHECK(wire(select_by_df_name(kEmrtdAid, true)) == "00A4040007A000000247100100");
  CHECK(wire(select_by_fid(0x011E)) == "00A4020C02011E");
  CHECK(wire(select_mf()) == "00A4000C023F00");
  CHECK(wire(read_binary(0, 4).value()) == "00B0000004");
  CHECK(wire(read_binary(0x7FFF, 256).value()) == "00B07FFF00");
  CHECK(wire(read_binary(0, 65536).value()) == "00B00000000000");
  CHECK(wire(read_binary_sfi(0x1E, 0, 4).value()) == "00B09E0004");
  CHECK(wire(read_binary_odd(0x8000, 200).value()) == "00B100000454028000C8");
  CHECK(wire(read_binary_odd(0x012345, 16).value()) == "00B1000005540301234510");
  CHECK(wire(get_challenge()) == "0084000008");
  CHECK(wire(get_response(256)) == "00C0000000");
  CHECK(wire(mse_set_at(0xC1, hex_or_die("800A04007F00070202040202830102"))) ==
        "0022C1A40F800A04007F00070202040202830102");
  CHECK(wire(general_authenticate({}, true)) == "10860000027C0000");
  CHECK(wire(mse_set_kat(hex_or_die("9101AA"))) == "002241A6039101AA");
}

TEST_CASE("command builders reject out-of-range parameters") {
  struct Case {
    Result<CommandApdu> r;
    const char* why;
  } cases[] = {
      {read_binary(0x8000, 1), "even INS offset over 32767"},
      {read_binary(0, 0), "Ne of zero"},
      {read_binary(0, 65537), "Ne over 65536"},
      {read_binary_sfi(0, 0, 1), "SFI zero"},
      {read_binary_sfi(31, 0, 1), "SFI 31"},
      {read_binary_odd(0x1000000, 1), "odd INS offset over 2^24-1"},
  };
  for (auto& c : cases) {
    CAPTURE(c.why);
    REQUIRE_FALSE(c.r.ok());
    CHECK(c.r.error().code == ErrorCode::kInvalidArgument);
  }
}
