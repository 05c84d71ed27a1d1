// idtap/issue/attested_record.h: the chipless path: a holder record a clerk attests (an old card
// without a chip, checked against the resident registry), as JSON (README "Phone delivery").
//
//   {
//     "family_name": "HONG",                       Latin, as on the card: A-Z and spaces
//     "given_name": "GILDONG",                     Latin: A-Z and spaces
//     "family_name_national": "홍",                Hangul (UTF-8)
//     "given_name_national": "길동",               Hangul (UTF-8)
//     "birth_date": "1990-01-01",                  YYYY-MM-DD
//     "resident_registration_number": "900101-1234567",
//     "document_number": "KR1234567",              as the MRZ writes it (normalized)
//     "issuing_state": "KOR",                      optional, default KOR
//     "issuing_authority": "서울특별시 종로구청장", optional
//     "issue_date": "2015-06-01",                  YYYY-MM-DD
//     "expiry_date": "2030-06-01",                 YYYY-MM-DD
//     "resident_address": "서울특별시 종로구 세종대로 209",
//     "portrait": "portrait.jpg"                   a JPEG file, relative to the record's directory
//   }
//
// Every key not listed is refused (a misspelt key must not silently drop a field).
#pragma once

#include <string>
#include <string_view>

#include "idtap/base/result.h"
#include "idtap/provision/holder.h"

namespace idtap::issue {

// kMaxPortraitBytes: the largest portrait file taken (a card photo is tens of kilobytes).
inline constexpr size_t kMaxPortraitBytes = 1 << 20;

// parse_attested_holder: the holder of the record `json`, attested by `clerk_id`
// (provision::check_clerk_id), evidence Evidence::kClerk, its portrait read from the path the
// record names (relative paths from `base_dir`). kInvalidArgument naming the key for JSON that
// does not parse, a key missing, unknown or of the wrong type, a date that is not a date, a
// Latin name outside A-Z and spaces, a national name without Hangul, a malformed resident or
// document number, a portrait that is not a JPEG (no SOI marker) or larger than
// kMaxPortraitBytes; the file's error (kNotFound, kIo) for a portrait that cannot be read. The
// rules (17+, resident number against the birth date, card expiry) are the pipeline's, not
// this parser's.
Result<provision::VerifiedHolder> parse_attested_holder(std::string_view json, const std::string& base_dir,
                                                        std::string_view clerk_id);

}  // namespace idtap::issue
