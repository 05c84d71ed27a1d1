// idtap/provision/national_name.h: a Korean full name in Hangul split into family name and
// given name, for the mdoc's family_name_national_character / given_name_national_character.
//
// The card's own structure comes first: ICAO 9303-10 §4.7.11 writes DG11's full name (5F0E)
// as primary identifier '<<' secondary identifier. Only when the card gives no structure (no
// '<<', no space) is it inferred: from the MRZ's Latin split (DG1: primary<<secondary) when its
// syllable count fits the Hangul name, else from the table of two-syllable Korean surnames
// (남궁, 황보, 제갈, ...), else the first syllable (the common case: 홍 길동).
#pragma once

#include <string>
#include <string_view>

namespace idtap::provision {

// NameSplitSource: where a split came from (tests and reports say which rule decided).
enum class NameSplitSource {
  kCardStructure,    // DG11 '<<' (or a space) between primary and secondary identifier
  kMrzSyllables,     // the MRZ primary identifier's syllable count
  kCompoundSurname,  // the two-syllable surname table
  kFirstSyllable,    // one-syllable family name (the default)
  kWhole,            // one syllable or not Hangul: all of it is the family name
};

// NationalName: the split.
struct NationalName {
  std::string family;
  std::string given;
  NameSplitSource source = NameSplitSource::kWhole;
};

// is_compound_surname: whether `two_syllables` (UTF-8 Hangul) is one of the well-known Korean
// two-syllable surnames (복성).
bool is_compound_surname(std::string_view two_syllables);

// latin_syllable_count: the syllables of a romanized Korean name part ("NAMGUNG" -> 2,
// "SEONU" -> 2, "SEOYEON" -> 2, "LEE" -> 1): its vowel groups, a 'W' or 'Y' before a vowel
// beginning a new one.
// 0 for an empty part. Meaningful only for romanized Korean.
int latin_syllable_count(std::string_view latin);

// split_national_name: `full_name` (DG11 5F0E, UTF-8) split as above. `mrz_primary` and
// `mrz_secondary` are DG1's name fields (may be empty); the MRZ count is used only when the
// Latin syllables of both fields add up to the Hangul syllable count (a romanized Korean name,
// not a foreigner's transliteration) and leave at least one given-name syllable. Fillers '<' in
// the given name become spaces. Never fails: a name that is not Hangul is kept whole as the
// family name unless it has '<<' or a space.
NationalName split_national_name(std::string_view full_name, std::string_view mrz_primary, std::string_view mrz_secondary);

// national_name_text: a split name as a clerk reads it (`idtap read`, `idtap provision`): a
// Hangul name written whole, as Koreans write it, with its surname named ("남궁민수 (surname
// 남궁)"); a name in Latin script as "FAMILY, GIVEN"; the family name alone when there is no
// given name. Never the card's '<<' fillers.
std::string national_name_text(std::string_view family, std::string_view given);

}  // namespace idtap::provision
