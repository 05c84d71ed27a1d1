// tests/apdu/parse_atr_ok.h: what the ATR tests (tests/apdu decoding, tests/describe wording)
// share: an ATR parsed from hex that must parse, and a substring check (header only).
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <utility>

#include "idtap/apdu/atr.h"
#include "idtap/base/hex.h"

namespace idtap::apdu_test {

// parse_ok: parse_atr of `hex`; the test fails, naming the ATR and the error, if it does not parse.
inline apdu::Atr parse_ok(const char* hex) {
  auto r = apdu::parse_atr(hex_or_die(hex));
  if (!r.ok()) FAIL("parse_atr(" << hex << "): " << r.error().message());
  return std::move(r).value();
}

// contains: `needle` occurs in `haystack`.
inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace idtap::apdu_test
