// idtap/lds/dg1.h: DG1, the MRZ information (ICAO 9303-10 §4.7.1): 61 { 5F1F MRZ }.
#pragma once

#include <string_view>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/lds/mrz.h"

namespace idtap::lds {

// Dg1: the decoded data group; its check digits are reported in mrz, not enforced.
struct Dg1 {
  Mrz mrz;
};

// parse_dg1: decodes DG1 in strict DER. kMalformed on a wrong tag, trailing bytes, or an MRZ of
// the wrong length or alphabet (check digit failures are reported in the Mrz, not errors).
Result<Dg1> parse_dg1(ByteView file, const MrzOptions& options = {});

// encode_dg1: DG1 for `mrz_text` (lines with or without breaks). kInvalidArgument when the text
// is not a TD1/TD2/TD3 MRZ; check digits are not enforced here (see verify_mrz_checks), so a
// test can build a DG1 with a wrong one.
Result<Bytes> encode_dg1(std::string_view mrz_text);

}  // namespace idtap::lds
