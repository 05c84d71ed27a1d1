// idtap/describe/atr.h: the words for people about a decoded ATR (apdu::Atr): a one-line
// summary for listings, the field-by-field description `idtap atr` prints, and the names of the
// PC/SC part 3 supplement's registries and of ISO 7816-4 life cycle states. Pure: no I/O. The
// decoding itself (parse_atr, decode_atr) is apdu's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "idtap/apdu/atr.h"
#include "idtap/base/bytes.h"

namespace idtap::describe {

// storage_standard_name: the PC/SC part 3 supplement name of standard byte SS ("ISO 14443 A
// part 3"); nullptr when unknown.
const char* storage_standard_name(uint8_t ss);
// storage_card_name: the PC/SC part 3 supplement name of card name NN NN ("MIFARE Classic
// 1K"), also the ACS reader codes F004/F011/F012 (Topaz, FeliCa 212K/424K); nullptr when
// unknown.
const char* storage_card_name(uint16_t nn);
// life_cycle_name: ISO 7816-4 table 13 name of an LCS byte ("operational state (activated)").
const char* life_cycle_name(uint8_t lcs);

// atr_summary: one line for `idtap readers`, e.g. "ISO 14443-4 Type A, T=1, historical
// 80 31 B8 73 ..., TCK ok"; bytes are spaced upper-case hex, as pcsc-tools prints them.
std::string atr_summary(const apdu::Atr& atr);

// AtrField: one line of the field-by-field description: a name ("TA1"), the bytes it covers
// (may be empty for derived lines), what they mean, and a nesting level (0 top).
struct AtrField {
  std::string name;
  Bytes bytes;
  std::string meaning;
  int level = 0;
};

// describe_atr: the field-by-field description (for `idtap atr`), in ATR order.
std::vector<AtrField> describe_atr(const apdu::Atr& atr);

}  // namespace idtap::describe
