#include "idtap/lds/mrz.h"

#include <doctest/doctest.h>

#include "lds/vectors.h"

using namespace idtap;
using namespace idtap::lds;

namespace {
const MrzOptions kRef{Date{2024, 1, 1}};
}

TEST_CASE("MRZ check digits of the ICAO 9303 specimens") {
  // ICAO 9303-3 §4.9 worked example: "520727" -> 3, and the specimen fields.
  CHECK(mrz_check_digit("520727") == '3');
  CHECK(mrz_check_digit("D23145890") == '7');
  CHECK(mrz_check_digit("L898902C3") == '6');
  CHECK(mrz_check_digit("AB2134<<<") == '5');
  CHECK(mrz_check_digit("<<<<") == '0');
  CHECK_FALSE(mrz_check_digit("ab1").has_value());  // lower case is not an MRZ character
}

TEST_CASE("every field and check digit of the ICAO 9303 MRZ specimens") {
  auto blocks = lds_test::load_vectors("lds/icao9303_mrz.txt");
  REQUIRE(blocks.size() == 5);
  for (auto& v : blocks) {
    CAPTURE(v["source"]);
    auto m = parse_mrz(v["mrz"], kRef);
    REQUIRE(m.ok());
    CHECK(mrz_format_name(m->format) == v["format"]);
    CHECK(m->document_code == v["document_code"]);
    CHECK(m->issuing_state == v["issuing_state"]);
    CHECK(m->document_number == v["document_number"]);
    CHECK(m->long_document_number == (v["long_document_number"] == "1"));
    CHECK(m->optional_data == v["optional_data"]);
    REQUIRE(m->date_of_birth.date.has_value());
    CHECK(format_date(*m->date_of_birth.date) == v["date_of_birth"]);
    REQUIRE(m->date_of_expiry.date.has_value());
    CHECK(format_date(*m->date_of_expiry.date) == v["date_of_expiry"]);
    CHECK(std::string(1, m->sex) == v["sex"]);
    CHECK(m->nationality == v["nationality"]);
    CHECK(m->primary_identifier == v["primary"]);
    CHECK(m->secondary_identifier == v["secondary"]);
    CHECK(std::string(1, m->document_number_check.read) == v["check_document_number"]);
    CHECK(std::string(1, m->date_of_birth_check.computed) == v["check_date_of_birth"]);
    CHECK(std::string(1, m->date_of_expiry_check.computed) == v["check_date_of_expiry"]);
    CHECK(std::string(1, m->composite_check.computed) == v["check_composite"]);
    if (v.count("check_optional_data")) {
      REQUIRE(m->optional_data_check.has_value());
      CHECK(std::string(1, m->optional_data_check->computed) == v["check_optional_data"]);
    } else {
      CHECK_FALSE(m->optional_data_check.has_value());
    }
    CHECK(m->checks_valid());
    CHECK(verify_mrz_checks(*m).ok());
  }
}

TEST_CASE("a wrong check digit is reported per field, not as a parse failure") {
  // TD3 specimen with the date-of-birth check digit changed 2 -> 3: the composite covers the
  // printed digit, so it fails too.
  std::string td3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408123F1204159ZE184226B<<<<<10";
  auto m = parse_mrz(td3, kRef);
  REQUIRE(m.ok());
  CHECK(m->document_number_check.valid);
  CHECK_FALSE(m->date_of_birth_check.valid);
  CHECK(m->date_of_birth_check.read == '3');
  CHECK(m->date_of_birth_check.computed == '2');
  CHECK(m->date_of_expiry_check.valid);
  CHECK_FALSE(m->composite_check.valid);
  CHECK(m->invalid_checks() == std::vector<std::string>{"date of birth", "composite"});
  auto s = verify_mrz_checks(*m);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().context.find("date of birth (read 3, computed 2)") != std::string::npos);

  // TD1 specimen with the document number check digit wrong (7 -> 8).
  std::string td1 = "I<UTOD231458908<<<<<<<<<<<<<<<7408122F1204159UTO<<<<<<<<<<<6ERIKSSON<<ANNA<MARIA<<<<<<<<<<";
  auto t = parse_mrz(td1, kRef);
  REQUIRE(t.ok());
  CHECK_FALSE(t->document_number_check.valid);
  CHECK_FALSE(t->composite_check.valid);  // the composite covers the printed check digit
  CHECK(t->date_of_birth_check.valid);
}

TEST_CASE("MRZ lines may be given with line breaks and surrounding blanks") {
  auto m = parse_mrz(" I<UTOD231458907<<<<<<<<<<<<<<<\r\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<\n", kRef);
  REQUIRE(m.ok());
  CHECK(m->lines().size() == 3);
  CHECK(m->lines()[1] == "7408122F1204159UTO<<<<<<<<<<<6");
}

TEST_CASE("century rule: birth dates in the past, expiry up to 50 years ahead") {
  MrzFields f;
  f.format = MrzFormat::kTd3;
  f.document_code = "P";
  f.issuing_state = "UTO";
  f.nationality = "UTO";
  f.document_number = "X1234567";
  f.primary_identifier = "DOE";
  f.date_of_birth = Date{2023, 12, 31};
  f.date_of_expiry = Date{2074, 1, 1};
  auto text = compose_mrz(f);
  REQUIRE(text.ok());
  auto m = parse_mrz(*text, kRef);
  REQUIRE(m.ok());
  CHECK(format_date(*m->date_of_birth.date) == "2023-12-31");   // yesterday: this century
  CHECK(format_date(*m->date_of_expiry.date) == "2074-01-01");  // within 50 years
  f.date_of_birth = Date{1924, 1, 2};                      // "240102" is after today: 1924
  f.date_of_expiry = Date{1975, 6, 1};                     // "750601": 2075 is beyond +50: 1975
  auto m2 = parse_mrz(*compose_mrz(f), kRef);
  REQUIRE(m2.ok());
  CHECK(format_date(*m2->date_of_birth.date) == "1924-01-02");
  CHECK(format_date(*m2->date_of_expiry.date) == "1975-06-01");
  // A YYMMDD that is not a date is reported raw, without a date.
  auto bad_date = parse_mrz("I<UTOD231458907<<<<<<<<<<<<<<<7413322F1204159UTO<<<<<<<<<<<6ERIKSSON<<ANNA<MARIA<<<<<<<<<<", kRef);
  REQUIRE(bad_date.ok());
  CHECK(bad_date->date_of_birth.raw == "741332");
  CHECK_FALSE(bad_date->date_of_birth.date.has_value());
}

TEST_CASE("compose_mrz reproduces the specimens and long TD1 numbers") {
  MrzFields f;
  f.format = MrzFormat::kTd1;
  f.document_code = "I";
  f.issuing_state = "UTO";
  f.document_number = "D23145890";
  f.date_of_birth = Date{1974, 8, 12};
  f.sex = 'F';
  f.date_of_expiry = Date{2012, 4, 15};
  f.nationality = "UTO";
  f.primary_identifier = "ERIKSSON";
  f.secondary_identifier = "ANNA MARIA";
  CHECK(compose_mrz(f).value() == "I<UTOD231458907<<<<<<<<<<<<<<<7408122F1204159UTO<<<<<<<<<<<6ERIKSSON<<ANNA<MARIA<<<<<<<<<<");
  f.document_number = "D23145890734";
  f.date_of_birth = Date{1934, 7, 12};
  f.sex = 'M';
  f.date_of_expiry = Date{1995, 7, 12};
  f.primary_identifier = "STEVENSON";
  f.secondary_identifier = "PETER JOHN";
  CHECK(compose_mrz(f).value() == "I<UTOD23145890<7349<<<<<<<<<<<3407127M9507122UTO<<<<<<<<<<<2STEVENSON<<PETER<JOHN<<<<<<<<<");
  f.format = MrzFormat::kTd3;
  f.document_code = "P";
  f.document_number = "L898902C3";
  f.optional_data = "ZE184226B";
  f.date_of_birth = Date{1974, 8, 12};
  f.sex = 'F';
  f.date_of_expiry = Date{2012, 4, 15};
  f.primary_identifier = "ERIKSSON";
  f.secondary_identifier = "ANNA MARIA";
  CHECK(compose_mrz(f).value() == "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10");
  f.format = MrzFormat::kTd2;
  f.document_code = "I";
  f.document_number = "D23145890";
  f.optional_data = "";
  CHECK(compose_mrz(f).value() == "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<D231458907UTO7408122F1204159<<<<<<<6");
}

TEST_CASE("malformed MRZ text is an error naming the problem") {
  struct Case {
    const char* text;
    const char* why;
  } cases[] = {
      {"", "empty"},
      {"I<UTOD231458907<<<<<<<<<<<<<<<7408122F1204159UTO<<<<<<<<<<<6", "two TD1 lines only (60 characters)"},
      {"i<UTOD231458907<<<<<<<<<<<<<<<7408122F1204159UTO<<<<<<<<<<<6ERIKSSON<<ANNA<MARIA<<<<<<<<<<", "lower case"},
      {"I<UTOD231458907<<<<<<<<<<<<<<<7408122F1204159UTO<<<<<<<<<<<6ERIKSSON<<ANNA-MARIA<<<<<<<<<<", "hyphen is not an MRZ character"},
      {"I<UTOD231458907<<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<", "lines of 31, 30, 29 characters adding up to 90"},
      {"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10<", "TD3 plus one character"},
      {"P<UTOERIKSSON<<ANNA<MARIA\xC3\xA9<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10", "UTF-8 letter"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto m = parse_mrz(c.text, kRef);
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().code == ErrorCode::kMalformed);
  }
}

TEST_CASE("compose_mrz rejects what does not fit") {
  MrzFields f;
  f.format = MrzFormat::kTd3;
  f.issuing_state = "UTO";
  f.nationality = "UTO";
  f.document_number = "L898902C3";
  f.date_of_birth = Date{1974, 8, 12};
  f.date_of_expiry = Date{2012, 4, 15};
  f.primary_identifier = "ERIKSSON";
  f.document_number = "L898902C31";  // TD3 has no continuation for long numbers
  CHECK(compose_mrz(f).error().code == ErrorCode::kInvalidArgument);
  f.document_number = "L898902C3";
  f.primary_identifier = std::string(40, 'A');  // longer than the 39-character name field
  CHECK(compose_mrz(f).error().code == ErrorCode::kInvalidArgument);
  f.primary_identifier = "O'BRIEN";  // apostrophe must be transliterated by the caller
  CHECK(compose_mrz(f).error().code == ErrorCode::kInvalidArgument);
  f.primary_identifier = "OBRIEN";
  f.date_of_birth = Date{1974, 2, 30};
  CHECK(compose_mrz(f).error().code == ErrorCode::kInvalidArgument);
}
