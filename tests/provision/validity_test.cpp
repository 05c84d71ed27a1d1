// A card's date of expiry (the simulated card's personalization) and a mobile credential's
// validUntil (provision) follow one rule: the issue day's anniversary (base/date.h, Korean
// Civil Act Art. 160(3)). Before the one Date they disagreed on 29 February: the card expired
// on 28 February, the credential ran to 1 March.
#include <doctest/doctest.h>

#include "idtap/base/date.h"
#include "idtap/lds/dg1.h"
#include "idtap/provision/date.h"
#include "idtap/provision/holder.h"
#include "idtap/sim/personalize.h"

using namespace idtap;

namespace {

// card_expiry_read: the date of expiry in the MRZ of a card personalized on `issued`.
Date card_expiry_read(const Date& issued) {
  sim::PersonalizeOptions o;
  o.today = issued;
  auto card = sim::personalize_card(o);
  REQUIRE(card.ok());
  auto dg1 = lds::parse_dg1(card->image.files.data_groups.at(1), lds::MrzOptions{issued});
  REQUIRE(dg1.ok());
  REQUIRE(dg1->mrz.date_of_expiry.date.has_value());
  return *dg1->mrz.date_of_expiry.date;
}

}  // namespace

TEST_CASE("card expiry and credential validity agree, 29 February included") {
  struct Case {
    Date issued;
    Date card_expires;       // + sim::kCardValidityYears
    Date credential_until;   // + provision::kCredentialValidityYears
    const char* why;
  } cases[] = {
      {{2024, 2, 29}, {2034, 2, 28}, {2027, 2, 28}, "29 February: both end on 28 February (Art. 160(3))"},
      {{2024, 3, 15}, {2034, 3, 15}, {2027, 3, 15}, "an ordinary day: the same day"},
      {{2023, 2, 28}, {2033, 2, 28}, {2026, 2, 28}, "28 February: stays 28 February"},
      {{2024, 3, 1}, {2034, 3, 1}, {2027, 3, 1}, "1 March after a leap day: stays 1 March"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.why));
    const Date expires = card_expiry_read(c.issued);
    CHECK(expires == c.card_expires);
    CHECK(expires == sim::card_expiry(c.issued));

    const UnixSeconds issued_at = start_of_day(c.issued) + 9 * 3600 + 30 * 60 + 5;  // 09:30:05Z
    const UnixSeconds until = provision::credential_valid_until(issued_at);
    CHECK(date_of(until) == c.credential_until);
    CHECK(until - start_of_day(date_of(until)) == 9 * 3600 + 30 * 60 + 5);  // the same time of day

    // The agreement itself: both land on the issue day's anniversary.
    CHECK(expires == anniversary(c.issued, sim::kCardValidityYears));
    CHECK(date_of(until) == anniversary(c.issued, provision::kCredentialValidityYears));
    CHECK(expires.month == date_of(until).month);
    CHECK(expires.day == date_of(until).day);
  }
}
