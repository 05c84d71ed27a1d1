#include "idtap/provision/national_name.h"

#include <vector>

namespace idtap::provision {
namespace {

// kCompoundSurnames: the two-syllable Korean surnames in use (복성): the Chinese-origin ones and
// those registered from Japanese names.
constexpr std::string_view kCompoundSurnames[] = {
    "남궁",  // 南宮
    "황보",  // 皇甫
    "제갈",  // 諸葛
    "선우",  // 鮮于
    "독고",  // 獨孤
    "사공",  // 司空
    "서문",  // 西門
    "동방",  // 東方
    "망절",  // 網切
    "어금",  // 魚金
    "장곡",  // 長谷
    "소봉",  // 小峰
    "황목",  // 荒木
    "등정",  // 藤井
    "강전",  // 岡田
    "무본",  // 武本
};

// hangul_syllables: the code points of `text` split into UTF-8 strings when every one is a
// precomposed Hangul syllable (U+AC00..U+D7A3); empty otherwise.
std::vector<std::string_view> hangul_syllables(std::string_view text) {
  std::vector<std::string_view> out;
  for (size_t i = 0; i < text.size();) {
    if (i + 3 > text.size()) return {};
    const auto b0 = static_cast<unsigned char>(text[i]);
    const auto b1 = static_cast<unsigned char>(text[i + 1]);
    const auto b2 = static_cast<unsigned char>(text[i + 2]);
    if ((b0 & 0xF0) != 0xE0 || (b1 & 0xC0) != 0x80 || (b2 & 0xC0) != 0x80) return {};
    const uint32_t cp = (uint32_t(b0 & 0x0F) << 12) | (uint32_t(b1 & 0x3F) << 6) | (b2 & 0x3F);
    if (cp < 0xAC00 || cp > 0xD7A3) return {};
    out.push_back(text.substr(i, 3));
    i += 3;
  }
  return out;
}

std::string fillers_to_spaces(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c == '<') c = ' ';
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool is_vowel(char c) {
  switch (c) {
    case 'A': case 'E': case 'I': case 'O': case 'U': case 'a': case 'e': case 'i': case 'o': case 'u': return true;
    default: return false;
  }
}

}  // namespace

bool is_compound_surname(std::string_view two_syllables) {
  for (auto s : kCompoundSurnames)
    if (s == two_syllables) return true;
  return false;
}

int latin_syllable_count(std::string_view latin) {
  int count = 0;
  bool in_vowel = false;
  for (size_t i = 0; i < latin.size(); ++i) {
    const char c = latin[i];
    // A glide before a vowel begins a syllable's vowel ("SEOYEON": SEO-YEON, "HWANGBO").
    const bool glide = (c == 'W' || c == 'Y' || c == 'w' || c == 'y') && i + 1 < latin.size() && is_vowel(latin[i + 1]);
    const bool vowel = is_vowel(c) || glide;
    if (glide || (vowel && !in_vowel)) ++count;
    in_vowel = vowel;
  }
  return count;
}

NationalName split_national_name(std::string_view full, std::string_view mrz_primary, std::string_view mrz_secondary) {
  // The card's structure: ICAO 9303-10 §4.7.11, primary '<<' secondary.
  if (auto p = full.find("<<"); p != std::string_view::npos)
    return {std::string(full.substr(0, p)), fillers_to_spaces(full.substr(p + 2)), NameSplitSource::kCardStructure};
  if (auto p = full.find(' '); p != std::string_view::npos)
    return {std::string(full.substr(0, p)), std::string(full.substr(p + 1)), NameSplitSource::kCardStructure};
  const std::vector<std::string_view> syllables = hangul_syllables(full);
  if (syllables.size() < 2) return {std::string(full), "", NameSplitSource::kWhole};
  auto split_at = [&](size_t n, NameSplitSource source) {
    NationalName out;
    for (size_t i = 0; i < syllables.size(); ++i) (i < n ? out.family : out.given).append(syllables[i]);
    out.source = source;
    return out;
  };
  // The MRZ's split, when its romanization accounts for every Hangul syllable.
  const int family_latin = latin_syllable_count(mrz_primary);
  const int given_latin = latin_syllable_count(mrz_secondary);
  if (family_latin >= 1 && given_latin >= 1 && size_t(family_latin + given_latin) == syllables.size())
    return split_at(size_t(family_latin), NameSplitSource::kMrzSyllables);
  if (syllables.size() >= 3 && is_compound_surname(std::string(syllables[0]) + std::string(syllables[1])))
    return split_at(2, NameSplitSource::kCompoundSurname);
  return split_at(1, NameSplitSource::kFirstSyllable);
}

std::string national_name_text(std::string_view family, std::string_view given) {
  if (given.empty()) return std::string(family);
  const bool latin = family.empty() || static_cast<unsigned char>(family[0]) < 0x80;
  if (latin) return std::string(family) + ", " + std::string(given);
  return std::string(family) + std::string(given) + " (surname " + std::string(family) + ")";
}

}  // namespace idtap::provision
