// support/attested_record.h: the holder record a clerk attests on the chipless path (README,
// "The chipless path"), as `idtap provision offer --attested FILE` and the admin endpoint of
// `idtap serve` read it.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace idtap::test {

// sample_attested_record: KIM MINSU (김민수), born 1980-03-04, resident number 800304-1234567,
// an old card OLD123456 valid until 2099; its portrait the file `portrait` (a path relative to
// the record's directory or the server's --attested-dir).
inline nlohmann::json sample_attested_record(const std::string& portrait = "face.jpg") {
  return {{"family_name", "KIM"},
          {"given_name", "MINSU"},
          {"family_name_national", "김"},
          {"given_name_national", "민수"},
          {"birth_date", "1980-03-04"},
          {"resident_registration_number", "800304-1234567"},
          {"document_number", "OLD123456"},
          {"issue_date", "2010-01-05"},
          {"expiry_date", "2099-01-05"},
          {"resident_address", "부산광역시 해운대구"},
          {"portrait", portrait}};
}

}  // namespace idtap::test
