// The one conversion from a read to a VerifiedHolder: the Hangul name split (issue 14 item 3)
// and the portrait a credential needs (item 9), on cards personalized by the simulator.
#include "idtap/provision/holder_from_read.h"

#include <doctest/doctest.h>

#include "fixtures.h"
#include "idtap/provision/national_name.h"
#include "idtap/sim/sim_transport.h"
#include "reader/read_requests.h"
#include "support/test_card.h"

using namespace idtap;
using namespace idtap::provision;

namespace {

// read_test_card: personalizes `p` (the test card's holder unless changed), optionally drops a
// data group from the chip (EF.SOD still lists it), reads it with the CAN against its CSCA.
reader::ReadResult read_test_card(const sim::PersonalizeOptions& p, std::optional<int> withhold = std::nullopt,
                                  std::vector<int> data_groups = {}) {
  test::TestCard card = test::personalize_test_card(p);
  if (withhold) REQUIRE(card.image.files.data_groups.erase(*withhold) == 1);
  auth::TrustStore trust;
  REQUIRE(trust.add_certificates(bytes_of(card.csca_pem), "test csca").ok());
  auto t = sim::open_sim_card_image(card.image, {});
  REQUIRE(t.ok());
  reader::ReadRequest request = test::can_request(&trust);
  request.data_groups = std::move(data_groups);
  auto r = reader::read_card(**t, request);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message()));
  return std::move(r).value();
}

const char* source_name(NameSplitSource s) {
  switch (s) {
    case NameSplitSource::kCardStructure: return "card";
    case NameSplitSource::kMrzSyllables: return "mrz";
    case NameSplitSource::kCompoundSurname: return "table";
    case NameSplitSource::kFirstSyllable: return "first";
    case NameSplitSource::kWhole: return "whole";
  }
  return "?";
}

}  // namespace

TEST_CASE("split_national_name: the card's '<<' first, then the MRZ, the compound surnames, the first syllable") {
  struct Case {
    const char* why;
    const char* full;
    const char* primary;
    const char* secondary;
    const char* family;
    const char* given;
    const char* source;
  };
  const Case cases[] = {
      // The card's structure (ICAO 9303-10 DG11 full name) decides, whatever the rest says.
      {"card '<<', two-syllable surname", "남궁<<민수", "NAMGUNG", "MINSU", "남궁", "민수", "card"},
      {"card '<<', one-syllable surname", "홍<<길동", "HONG", "GILDONG", "홍", "길동", "card"},
      {"card '<<' beats the table (선 + 우진, not 선우 + 진)", "선<<우진", "", "", "선", "우진", "card"},
      {"card '<<' with a filler inside the given name", "김<<민<수", "KIM", "MIN SU", "김", "민 수", "card"},
      {"a space is the card's structure too", "제갈 공명", "", "", "제갈", "공명", "card"},
      // No structure: the MRZ split, when its syllables account for every Hangul syllable.
      {"the bug: 남궁민수 was 남 + 궁민수", "남궁민수", "NAMGUNG", "MINSU", "남궁", "민수", "mrz"},
      {"MRZ 황보 with a W glide", "황보현", "HWANGBO", "HYEON", "황보", "현", "mrz"},
      {"MRZ says 선 + 우진, the table would say 선우 + 진", "선우진", "SEON", "UJIN", "선", "우진", "mrz"},
      {"MRZ 선우 + 진", "선우진", "SEONU", "JIN", "선우", "진", "mrz"},
      {"MRZ one syllable, common name", "이서연", "LEE", "SEOYEON", "이", "서연", "mrz"},
      // The MRZ does not fit (a foreign resident's transliteration, or none): the table.
      {"no MRZ name: 제갈 from the table", "제갈공명", "", "", "제갈", "공명", "table"},
      {"MRZ syllables do not add up: 독고 from the table", "독고영재", "DOKGO", "", "독고", "영재", "table"},
      {"MRZ without a given name: 사공 from the table", "사공일", "SAGONGIL", "", "사공", "일", "table"},
      // Neither: the first syllable (most Korean surnames).
      {"no MRZ, ordinary surname", "홍길동", "", "", "홍", "길동", "first"},
      {"a compound surname alone is not split to nothing", "남궁", "", "", "남", "궁", "first"},
      {"a foreigner's name, counts do not match", "스미스존", "SMITH", "JOHN", "스", "미스존", "first"},
      // Nothing to split.
      {"one syllable", "김", "KIM", "", "김", "", "whole"},
      {"Latin script without structure", "SMITH", "SMITH", "", "SMITH", "", "whole"},
      {"empty", "", "", "", "", "", "whole"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    NationalName n = split_national_name(c.full, c.primary, c.secondary);
    CHECK(n.family == c.family);
    CHECK(n.given == c.given);
    CHECK(std::string(source_name(n.source)) == c.source);
  }
}

TEST_CASE("latin_syllable_count and the compound surname table") {
  struct Count {
    const char* latin;
    int syllables;
  };
  const Count counts[] = {{"NAMGUNG", 2}, {"HWANGBO", 2}, {"JEGAL", 2}, {"SEONU", 2}, {"SEONWOO", 2}, {"DOKGO", 2},
                          {"SAGONG", 2},  {"SEOMUN", 2},  {"DONGBANG", 2}, {"LEE", 1}, {"KIM", 1}, {"CHOI", 1},
                          {"KWON", 1},    {"YOO", 1},     {"YI", 1},       {"GILDONG", 2}, {"SEOYEON", 2}, {"HYEON", 1}, {"", 0}};
  for (const auto& c : counts) {
    CAPTURE(c.latin);
    CHECK(latin_syllable_count(c.latin) == c.syllables);
  }
  for (const char* s : {"남궁", "황보", "제갈", "선우", "독고", "사공", "서문", "동방", "망절", "어금", "장곡", "소봉", "황목", "등정",
                        "강전", "무본"}) {
    CAPTURE(s);
    CHECK(is_compound_surname(s));
  }
  for (const char* s : {"김이", "홍길", "남", ""}) {
    CAPTURE(s);
    CHECK_FALSE(is_compound_surname(s));
  }
}

TEST_CASE("national_name_text: the one way `idtap read` and `idtap provision` write a split name") {
  struct Case {
    const char* why;
    const char* family;
    const char* given;
    const char* text;
  };
  const Case cases[] = {
      // Hangul is written whole, as Koreans write it, and the surname is named.
      {"one-syllable surname", "홍", "길동", "홍길동 (surname 홍)"},
      {"two-syllable surname", "남궁", "민수", "남궁민수 (surname 남궁)"},
      // Latin script keeps the family name apart with a comma.
      {"a name in Latin script", "SMITH", "JOHN", "SMITH, JOHN"},
      // Nothing to name: the family name alone.
      {"no given name (Hangul)", "김", "", "김"},
      {"no given name (Latin)", "SMITH", "", "SMITH"},
      {"nothing at all", "", "", ""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    CHECK(national_name_text(c.family, c.given) == c.text);
  }
}

TEST_CASE("the simulated card writes DG11's full name with '<<' and the mdoc gets the card's split") {
  SUBCASE("the default holder") {
    reader::ReadResult r = read_test_card(test::test_card_personalization());
    REQUIRE(r.dg11.has_value());
    CHECK(*r.dg11->dg11.full_name == "홍<<길동");
    VerifiedHolder h = holder_from_read(r).value();
    CHECK(h.family_name_national == "홍");
    CHECK(h.given_name_national == "길동");
  }
  SUBCASE("a two-syllable surname") {
    sim::PersonalizeOptions p = test::test_card_personalization();
    p.holder.primary_identifier = "NAMGUNG";
    p.holder.secondary_identifier = "MINSU";
    p.holder.full_name = "남궁<<민수";
    VerifiedHolder h = holder_from_read(read_test_card(p)).value();
    CHECK(h.family_name_national == "남궁");
    CHECK(h.given_name_national == "민수");
    CHECK(h.family_name == "NAMGUNG");
    CHECK(h.given_name == "MINSU");
  }
  SUBCASE("an older card without '<<': the MRZ's split") {
    sim::PersonalizeOptions p = test::test_card_personalization();
    p.holder.primary_identifier = "NAMGUNG";
    p.holder.secondary_identifier = "MINSU";
    p.holder.full_name = "남궁민수";
    VerifiedHolder h = holder_from_read(read_test_card(p)).value();
    CHECK(h.family_name_national == "남궁");
    CHECK(h.given_name_national == "민수");
  }
}

TEST_CASE("a portrait EF.SOD lists but the chip withholds: not genuine, and no credential (issue 14 item 9)") {
  reader::ReadResult r = read_test_card(test::test_card_personalization(), 2);
  CHECK(r.verification.passive == auth::PassiveStatus::kValid);  // what was read verified
  CHECK(r.verification.withheld_data_groups == std::vector<int>{2});
  CHECK_FALSE(r.verification.genuine);
  CHECK_MESSAGE(r.verification.genuine_reason.find("EF.SOD lists DG2 but the chip did not deliver it") == 0,
                r.verification.genuine_reason);
  VerifiedHolder h = holder_from_read(r).value();
  CHECK(h.portrait_jpeg.empty());
  auto refused = check_issuance_policy(h, Date{2026, 3, 2});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kRefused);
  CHECK_MESSAGE(refused.error().context.find("not read as genuine (EF.SOD lists DG2") != std::string::npos, refused.error().context);
}

TEST_CASE("a genuine read without DG2 (not asked for) gives no portrait, and issuance needs one") {
  reader::ReadResult r = read_test_card(test::test_card_personalization(), std::nullopt, {1, 11, 12});
  CHECK(r.verification.genuine);  // nothing was withheld: DG2 was not asked for
  CHECK(r.verification.withheld_data_groups.empty());
  VerifiedHolder h = holder_from_read(r).value();
  REQUIRE(h.genuine);
  CHECK(h.portrait_jpeg.empty());
  auto refused = check_issuance_policy(h, Date{2026, 3, 2});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kRefused);
  CHECK(refused.error().context == "the card gave no portrait (DG2): the mobile ID needs it for the face check");
  // The same read with the portrait passes the rules.
  reader::ReadResult full = read_test_card(test::test_card_personalization());
  REQUIRE(full.verification.genuine);
  CHECK(check_issuance_policy(holder_from_read(full).value(), Date{2026, 3, 2}).ok());
}
