#include "idtap/auth/mrz_key.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "idtap/auth/password.h"
#include "idtap/base/hex.h"
#include "vectors/vector_file.h"

using namespace idtap;
using namespace idtap::auth;

namespace {

const test::VectorFile& specimens() {
  static const test::VectorFile f = test::VectorFile::load("icao9303_mrz_specimens.txt");
  return f;
}
const test::VectorFile& appendix_d() {
  static const test::VectorFile f = test::VectorFile::load("icao9303_11_appendix_d.txt");
  return f;
}

// The specimen MRZ with '|' turned into the given line break.
std::string mrz_of(const std::string& section, const std::string& line_break) {
  std::string out;
  for (char c : specimens().text(section, "mrz")) {
    if (c == '|') out += line_break;
    else out += c;
  }
  return out;
}

std::string info_of(const MrzKey& k) { return string_of(k.mrz_information()); }

}  // namespace

TEST_CASE("check digits follow ICAO 9303-3 §4.9") {
  CHECK(check_digit("L898902C<") == '3');
  CHECK(check_digit("690806") == '1');
  CHECK(check_digit("940623") == '6');
  CHECK(check_digit("D23145890734") == '9');
  CHECK(check_digit("") == '0');
  CHECK(check_digit("ab") == '?');  // lower case is not an MRZ character
}

TEST_CASE("the Appendix D MRZ information and Kseed") {
  const auto& v = appendix_d();
  auto key = MrzKey::from_fields(v.text("d2_keys", "document_number"), v.text("d2_keys", "date_of_birth"),
                                 v.text("d2_keys", "date_of_expiry"));
  REQUIRE(key.ok());
  CHECK(info_of(*key) == v.text("d2_keys", "mrz_information"));
  auto seed = key->key_seed();
  REQUIRE(seed.ok());
  CHECK(to_hex(Bytes(seed->begin(), seed->end()), true) == v.text("d2_keys", "kseed"));
  // Without the '<' fill, and in lower case, the key is the same.
  auto bare = MrzKey::from_fields("l898902c", "690806", "940623");
  REQUIRE(bare.ok());
  CHECK(info_of(*bare) == v.text("d2_keys", "mrz_information"));
  CHECK(bare->document_number() == "L898902C<");
  CHECK(bare->date_of_birth() == "690806");
  CHECK(bare->date_of_expiry() == "940623");
}

TEST_CASE("whole MRZs parse in every layout, with or without line breaks") {
  const struct {
    std::string section;
    MrzFormat format;
  } cases[] = {{"td3_specimen", MrzFormat::kTd3},
               {"td1_specimen", MrzFormat::kTd1},
               {"td1_long_number", MrzFormat::kTd1},
               {"td2_specimen", MrzFormat::kTd2}};
  for (const auto& c : cases) {
    for (const std::string brk : {"", "\n", "\r\n"}) {
      CAPTURE(c.section);
      CAPTURE(brk.size());
      auto key = MrzKey::from_mrz(mrz_of(c.section, brk) + brk);
      REQUIRE_MESSAGE(key.ok(), key.error().message());
      CHECK(key->format() == c.format);
      CHECK(info_of(*key) == specimens().text(c.section, "mrz_information"));
      CHECK(key->date_of_birth() == specimens().text(c.section, "date_of_birth"));
      CHECK(key->date_of_expiry() == specimens().text(c.section, "date_of_expiry"));
      CHECK(key->document_number() == specimens().text(c.section, "document_number"));
    }
  }
}

TEST_CASE("bad MRZs and fields are refused naming the field, never echoing the MRZ") {
  const std::string td3 = mrz_of("td3_specimen", "\n");
  auto with = [&](size_t line2_pos, char c) {
    std::string m = td3;
    m[45 + line2_pos] = c;
    return m;
  };
  const struct {
    std::string mrz;
    const char* expect;
    std::string why;
  } bad[] = {
      {with(9, '5'), "document number check digit is 5, expected 6", "document number check digit"},
      {with(19, '0'), "date of birth check digit is 0, expected 2", "birth date check digit"},
      {with(27, '1'), "date of expiry check digit is 1, expected 9", "expiry date check digit"},
      {with(43, '3'), "composite check digit", "composite check digit"},
      {with(42, '7'), "personal number check digit", "TD3 personal number check digit"},
      {with(14, 'X'), "date of birth must be digits", "a letter inside the birth date (check digit fixed up below)"},
      {td3.substr(0, 80), "(TD1 has 90, TD2 72, TD3 88)", "truncated"},
      {td3 + "<", "TD1 has 90", "one character too many"},
      {"p<utoeriksson", "is not 0-9, A-Z or '<'", "lower case"},
      {"I<UTOD23145890<<<<<<<<<<<<<<<<|3407127M9507122UTO<<<<<<<<<<<2|STEVENSON<<PETER<JOHN<<<<<<<<<",
       "optional data does not continue the number", "TD1 '<' check digit without the long number"},
  };
  for (const auto& b : bad) {
    CAPTURE(b.why);
    std::string m = b.mrz;
    std::replace(m.begin(), m.end(), '|', '\n');
    auto r = MrzKey::from_mrz(m);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
    CHECK_MESSAGE(r.error().context.find(b.expect) != std::string::npos, r.error().context);
    CHECK(r.error().context.find("L898902C") == std::string::npos);
    CHECK(r.error().context.find("ERIKSSON") == std::string::npos);
  }
  // Field-level refusals.
  CHECK(MrzKey::from_fields("", "690806", "940623").error().code == ErrorCode::kInvalidArgument);
  CHECK(MrzKey::from_fields("L8989-02", "690806", "940623").error().code == ErrorCode::kInvalidArgument);
  CHECK(MrzKey::from_fields("L898902C", "69080", "940623").error().code == ErrorCode::kInvalidArgument);
  CHECK(MrzKey::from_fields("L898902C", "690806", "94<623").error().code == ErrorCode::kInvalidArgument);
  // An unknown birth day is written '<<' in the MRZ and is allowed.
  CHECK(MrzKey::from_fields("L898902C", "6908<<", "940623").ok());
}

TEST_CASE("passwords carry their PACE reference and key seed") {
  auto mrz = MrzKey::from_fields("T22000129", "640812", "101031");
  REQUIRE(mrz.ok());
  CHECK(info_of(*mrz) == "T22000129364081251010318");  // ICAO 9303-11 Appendix G.1
  const Password p = Password::mrz(*mrz);
  CHECK(p.kind() == PasswordKind::kMrz);
  CHECK(p.pace_reference() == 1);
  auto seed = p.pace_key_seed();
  REQUIRE(seed.ok());
  CHECK(to_hex(Bytes(seed->begin(), seed->end()), true) == "7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD");

  auto can = Password::can("123456");
  REQUIRE(can.ok());
  CHECK(can->pace_reference() == 2);
  auto can_seed = can->pace_key_seed();
  REQUIRE(can_seed.ok());
  CHECK(string_of(Bytes(can_seed->begin(), can_seed->end())) == "123456");
  CHECK(can->describe().find("123456") == std::string::npos);
  CHECK(can->describe().rfind("CAN", 0) == 0);
  CHECK(Password::pin("1234")->pace_reference() == 3);
  CHECK(Password::puk("1234567890")->pace_reference() == 4);

  const struct {
    Result<Password> r;
    std::string why;
  } bad[] = {
      {Password::can(""), "empty CAN"},
      {Password::can("12 456"), "CAN with a space"},
      {Password::pin("123"), "PIN shorter than 4"},
      {Password::pin("12a4"), "PIN with a letter"},
      {Password::puk("12345"), "PUK shorter than 6"},
      {Password::can("12345678901234567"), "CAN longer than 16"},
  };
  for (const auto& b : bad) {
    CAPTURE(b.why);
    REQUIRE_FALSE(b.r.ok());
    CHECK(b.r.error().code == ErrorCode::kInvalidArgument);
  }
}
