#include "idtap/lds/files.h"

#include <doctest/doctest.h>

#include "idtap/base/hex.h"

using namespace idtap;
using namespace idtap::lds;

TEST_CASE("registry: data group number, tag, FID, SFI (ICAO 9303-10 §4.7 Table 42)") {
  struct Row {
    int dg;
    uint32_t tag;
    uint16_t fid;
    uint8_t sfi;
  } rows[] = {{1, 0x61, 0x0101, 0x01}, {2, 0x75, 0x0102, 0x02}, {3, 0x63, 0x0103, 0x03}, {4, 0x76, 0x0104, 0x04},
              {11, 0x6B, 0x010B, 0x0B}, {12, 0x6C, 0x010C, 0x0C}, {14, 0x6E, 0x010E, 0x0E}, {15, 0x6F, 0x010F, 0x0F},
              {16, 0x70, 0x0110, 0x10}};
  for (const auto& r : rows) {
    CAPTURE(r.dg);
    auto f = data_group(r.dg);
    REQUIRE(f.has_value());
    CHECK(f->tag == r.tag);
    CHECK(f->fid == r.fid);
    CHECK(f->sfi == r.sfi);
    CHECK(data_group_number(r.tag) == r.dg);
    CHECK(file_by_fid(r.fid, false)->id == static_cast<LdsFileId>(r.dg));
    CHECK(file_by_sfi(r.sfi, false)->id == static_cast<LdsFileId>(r.dg));
  }
  CHECK_FALSE(data_group(0).has_value());
  CHECK_FALSE(data_group(17).has_value());
  CHECK_FALSE(data_group_number(0x60).has_value());  // EF.COM is not a data group
  CHECK(lds_file(LdsFileId::kCom).fid == 0x011E);
  CHECK(lds_file(LdsFileId::kCom).sfi == 0x1E);
  CHECK(lds_file(LdsFileId::kSod).fid == 0x011D);
  CHECK(lds_file(LdsFileId::kSod).tag == 0x77);
  CHECK(lds_file(LdsFileId::kCardAccess).fid == 0x011C);
  CHECK(lds_file(LdsFileId::kCardAccess).in_master_file);
  // 011D is EF.SOD in the application and EF.CardSecurity in the MF.
  CHECK(file_by_fid(0x011D, false)->id == LdsFileId::kSod);
  CHECK(file_by_fid(0x011D, true)->id == LdsFileId::kCardSecurity);
  CHECK(file_by_tag(0x77)->id == LdsFileId::kSod);
  CHECK_FALSE(file_by_tag(0x99).has_value());
}

TEST_CASE("file_length from the first bytes") {
  struct Case {
    const char* head;
    size_t header;
    size_t total;
  } cases[] = {
      {"615b5f1f58", 2, 0x5B + 2},         // DG1, short form
      {"75820f12 7f61", 4, 0x0F12 + 4},    // DG2, two length bytes
      {"77 81 c8 30", 3, 0xC8 + 3},        // EF.SOD, one length byte
      {"7f61 830100 00", 6, 0x10000 + 6},  // two-byte tag, three length bytes
      {"31 14", 2, 0x16},                  // EF.CardAccess SET
  };
  for (const auto& c : cases) {
    CAPTURE(c.head);
    auto l = file_length(hex_or_die(c.head));
    REQUIRE(l.ok());
    CHECK(l->header_length == c.header);
    CHECK(l->total == c.total);
  }
  // BER indefinite length: no total, only in lenient mode (the EF.SOD leniency).
  auto ber = file_length(hex_or_die("7780 3080"), apdu::TlvMode::kBerLenient);
  REQUIRE(ber.ok());
  CHECK(ber->header_length == 2);
  CHECK_FALSE(ber->total.has_value());
}

TEST_CASE("file_length: malformed or short headers") {
  struct Case {
    const char* head;
    const char* why;
  } cases[] = {
      {"", "no byte"},
      {"61", "tag only"},
      {"7f", "truncated two-byte tag"},
      {"7582 0f", "long form with a missing length byte"},
      {"778500000000 01", "five length bytes"},
      {"7780", "indefinite length in strict mode"},
      {"6181 05", "non-minimal length in strict mode"},
      {"1fffffff7f 01", "tag longer than 4 bytes"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    CHECK(file_length(hex_or_die(c.head)).error().code == ErrorCode::kMalformed);
  }
  CHECK(file_length(hex_or_die("0480"), apdu::TlvMode::kBerLenient).error().code == ErrorCode::kMalformed);  // primitive
}

TEST_CASE("peek_file_length: too short to tell is not an error, the rest is as file_length") {
  for (const char* head : {"", "61", "7f", "7582 0f"}) {
    CAPTURE(head);
    auto l = peek_file_length(hex_or_die(head));
    REQUIRE(l.ok());
    CHECK_FALSE(l->has_value());
  }
  auto whole = peek_file_length(hex_or_die("7582 4e20"));
  REQUIRE(whole.ok());
  REQUIRE(whole->has_value());
  CHECK((*whole)->total == size_t{0x4E20 + 4});
  CHECK(peek_file_length(hex_or_die("778500000000 01")).error().code == ErrorCode::kMalformed);
  auto ber = peek_file_length(hex_or_die("7780"), apdu::TlvMode::kBerLenient);
  REQUIRE(ber.ok());
  REQUIRE(ber->has_value());
  CHECK_FALSE((*ber)->total.has_value());
}
