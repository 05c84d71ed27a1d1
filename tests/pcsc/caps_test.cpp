#include "idtap/pcsc/caps.h"

#include <doctest/doctest.h>

#include "idtap/base/hex.h"

using namespace idtap;
using namespace idtap::pcsc;

TEST_CASE("the part 10 feature list gives tag -> control code") {
  // FEATURE_VERIFY_PIN_DIRECT (06) and FEATURE_GET_TLV_PROPERTIES (12), codes big-endian.
  auto list = parse_feature_list(hex_or_die("06 04 42330006  12 04 42330012"));
  REQUIRE(list.ok());
  CHECK(list->size() == 2);
  CHECK(list->at(0x06) == 0x42330006u);
  CHECK(list->at(kFeatureGetTlvProperties) == 0x42330012u);
  CHECK(parse_feature_list({})->empty());  // a reader with no features

  const char* bad[] = {
      "12",                // tag without length
      "12 04 423300",      // code cut short
      "12 02 4233",        // length other than 4
      "06 04 42330006 12", // a good entry then a truncated one
  };
  for (const char* b : bad) {
    CAPTURE(b);
    CHECK(parse_feature_list(hex_or_die(b)).error().code == ErrorCode::kMalformed);
  }
}

TEST_CASE("TLV properties are little-endian and strings are skipped") {
  // wLcdLayout (01, 2 bytes), sFirmwareID (08, a string), dwMaxAPDUDataSize (0A, 4 bytes = 65538).
  auto props = parse_tlv_properties(hex_or_die("01 02 0000  08 05 312E3233 00  0A 04 02000100"));
  REQUIRE(props.ok());
  CHECK(props->at(kPropertyMaxApduDataSize) == 65538u);
  CHECK(props->count(0x08) == 0);
  CHECK(props->at(0x01) == 0u);
  const char* bad[] = {
      "0A",            // tag without length
      "0A 04 020001",  // value cut short
  };
  for (const char* b : bad) {
    CAPTURE(b);
    CHECK(parse_tlv_properties(hex_or_die(b)).error().code == ErrorCode::kMalformed);
  }
}

TEST_CASE("what the reader says decides short or extended APDUs") {
  struct Row {
    const char* why;
    ReaderLengthInfo info;
    LengthPolicy policy;
    bool extended;
    size_t max_nc;
    size_t max_ne;
  };
  const Row rows[] = {
      {"nothing known: short", {}, LengthPolicy::kAuto, false, 255, 256},
      {"dwMaxAPDUDataSize 0 means short only", {.max_apdu_data_size = 0}, LengthPolicy::kAuto, false, 255, 256},
      {"dwMaxAPDUDataSize 261: extended, data up to 261", {.max_apdu_data_size = 261}, LengthPolicy::kAuto, true, 261, 261},
      {"dwMaxAPDUDataSize 256 is short", {.max_apdu_data_size = 256}, LengthPolicy::kAuto, false, 255, 256},
      {"dwMaxAPDUDataSize 65538: capped at the ISO maxima", {.max_apdu_data_size = 65538}, LengthPolicy::kAuto, true, 65535, 65536},
      {"dwMaxAPDUDataSize wins over MAXINPUT", {.max_apdu_data_size = 0, .max_input = 65540}, LengthPolicy::kAuto, false, 255, 256},
      {"MAXINPUT 271: a short-APDU CCID reader", {.max_input = 271}, LengthPolicy::kAuto, false, 255, 256},
      {"MAXINPUT 1024: extended within the buffer", {.max_input = 1024}, LengthPolicy::kAuto, true, 1015, 1022},
      {"vpcd relays anything", {.reader_name = "Virtual PCD 00 00"}, LengthPolicy::kAuto, true, 65535, 65536},
      {"T=0 never carries extended APDUs", {.max_apdu_data_size = 65538, .t0 = true}, LengthPolicy::kAuto, false, 255, 256},
      {"kShort overrides the reader", {.max_apdu_data_size = 65538}, LengthPolicy::kShort, false, 255, 256},
      {"kExtended trusts the caller", {}, LengthPolicy::kExtended, true, 65535, 65536},
      {"kExtended still short on T=0", {.t0 = true}, LengthPolicy::kExtended, false, 255, 256},
  };
  for (const auto& row : rows) {
    CAPTURE(row.why);
    auto caps = length_caps(row.info, row.policy);
    CHECK(caps.extended_length == row.extended);
    CHECK(caps.max_command_data == row.max_nc);
    CHECK(caps.max_response_data == row.max_ne);
  }
}
