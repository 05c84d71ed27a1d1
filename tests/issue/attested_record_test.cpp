// The clerk-attested holder record (the chipless path): parsed strictly.
#include "idtap/issue/attested_record.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "idtap/base/file_io.h"
#include "provision/fixtures.h"

using namespace idtap;
using namespace idtap::issue;
using namespace idtap::provision::testing;

namespace {

nlohmann::json good_record() {
  return {{"family_name", "HONG"},
          {"given_name", "GIL DONG"},
          {"family_name_national", "홍"},
          {"given_name_national", "길동"},
          {"birth_date", "1990-01-01"},
          {"resident_registration_number", "900101-1234567"},
          {"document_number", "kr 1234567"},
          {"issuing_authority", "서울특별시 종로구청장"},
          {"issue_date", "2015-06-01"},
          {"expiry_date", "2030-06-01"},
          {"resident_address", "서울특별시 종로구 세종대로 209"},
          {"portrait", "face.jpg"}};
}

}  // namespace

TEST_CASE("a clerk-attested record gives a holder marked clerk:ID with its portrait") {
  TempDir dir;
  REQUIRE(write_file_atomic(dir.file("face.jpg"), sample_jpeg(), 0600).ok());
  auto h = parse_attested_holder(good_record().dump(), dir.path(), "clerk-7");
  REQUIRE_MESSAGE(h.ok(), h.error().message());
  CHECK(h->evidence == provision::Evidence::kClerk);
  CHECK(h->evidence_label() == "clerk:clerk-7");
  CHECK_FALSE(h->genuine);
  CHECK(h->family_name == "HONG");
  CHECK(h->given_name == "GIL DONG");
  CHECK(h->family_name_national == "홍");
  CHECK(h->birth_date == Date{1990, 1, 1});
  CHECK(h->card.document_number == "KR1234567");
  CHECK(h->card.issuing_state == "KOR");
  CHECK(h->portrait_jpeg == sample_jpeg());
  CHECK(h->masked_resident_number() == "900101-1******");
  // the pipeline's rules take it (genuine is not asked of an attested holder)
  CHECK(provision::check_issuance_policy(*h, Date{2026, 3, 2}).ok());
}

TEST_CASE("a bad attested record is refused with the key named, never the resident number") {
  TempDir dir;
  REQUIRE(write_file_atomic(dir.file("face.jpg"), sample_jpeg(), 0600).ok());
  REQUIRE(write_file_atomic(dir.file("face.png"), bytes_of("\x89PNG\r\n\x1a\n...."), 0600).ok());
  struct Case {
    const char* what;
    std::function<void(nlohmann::json&)> edit;
    std::string says;
  };
  const Case cases[] = {
      {"a missing key", [](nlohmann::json& j) { j.erase("birth_date"); }, "\"birth_date\" is missing"},
      {"an unknown (misspelt) key", [](nlohmann::json& j) { j["given_nmae"] = "X"; }, "\"given_nmae\" is not a field"},
      {"a number for a string", [](nlohmann::json& j) { j["family_name"] = 7; }, "\"family_name\" must be a string"},
      {"an empty string", [](nlohmann::json& j) { j["resident_address"] = ""; }, "\"resident_address\" is empty"},
      {"a Latin name in lower case", [](nlohmann::json& j) { j["family_name"] = "Hong"; }, "\"family_name\" must be A-Z"},
      {"a national name in Latin", [](nlohmann::json& j) { j["given_name_national"] = "Gildong"; }, "must be Hangul"},
      {"a date that is not a date", [](nlohmann::json& j) { j["birth_date"] = "1990-02-30"; }, "\"birth_date\" must be a date"},
      {"a compact date", [](nlohmann::json& j) { j["issue_date"] = "20150601"; }, "\"issue_date\" must be a date"},
      {"a 12-digit resident number", [](nlohmann::json& j) { j["resident_registration_number"] = "900101-123456"; },
       "\"resident_registration_number\" must be 13 digits"},
      {"a document number with punctuation", [](nlohmann::json& j) { j["document_number"] = "KR-123"; }, "\"document_number\""},
      {"expiry before issue", [](nlohmann::json& j) { j["expiry_date"] = "2014-01-01"; }, "is before issue_date"},
      {"a portrait that is not a JPEG", [](nlohmann::json& j) { j["portrait"] = "face.png"; }, "is not a JPEG file"},
      {"a portrait that is not there", [](nlohmann::json& j) { j["portrait"] = "none.jpg"; }, "\"portrait\""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    nlohmann::json j = good_record();
    c.edit(j);
    auto r = parse_attested_holder(j.dump(), dir.path(), "clerk-7");
    REQUIRE_FALSE(r.ok());
    CHECK_MESSAGE(r.error().message().find(c.says) != std::string::npos, r.error().message());
    CHECK(r.error().message().find("1234567") == std::string::npos);  // never the resident number
  }
  // not JSON, not an object, a bad clerk id
  CHECK(parse_attested_holder("{", dir.path(), "c").error().code == ErrorCode::kInvalidArgument);
  CHECK(parse_attested_holder("[]", dir.path(), "c").error().code == ErrorCode::kInvalidArgument);
  CHECK(parse_attested_holder(good_record().dump(), dir.path(), "").error().code == ErrorCode::kInvalidArgument);
  CHECK(parse_attested_holder(good_record().dump(), dir.path(), "a b").error().code == ErrorCode::kInvalidArgument);
}
