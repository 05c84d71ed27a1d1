// idtap/lds/ef_com.h: EF.COM (ICAO 9303-10 §4.6.1): LDS version, Unicode version and the list of
// data group tags present. Not signed: a reader trusts EF.SOD's list, not this one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"

namespace idtap::lds {

// EfCom: the decoded file.
struct EfCom {
  std::string lds_version = "0107";        // 5F01: "aabb", LDS version aa.bb (4 digits)
  std::string unicode_version = "040000";  // 5F36: "aabbcc", Unicode version aa.bb.cc (6 digits)
  std::vector<uint32_t> tags;              // 5C: data group tags present (61, 75, 6B, ...)

  // EfCom::data_groups: the data group numbers of `tags` (unknown tags skipped), in order.
  std::vector<int> data_groups() const;
  // EfCom::lds_version_text: "1.7" from "0107".
  std::string lds_version_text() const;
};

// parse_ef_com: decodes `60 { 5F01 .., 5F36 .., 5C .. }` in strict DER. kMalformed on a wrong
// outer tag, a missing element, a version that is not 4 / 6 decimal digits, an empty or
// duplicated tag list entry, or trailing bytes.
Result<EfCom> parse_ef_com(ByteView file);

// encode_ef_com: the file for `com`; kInvalidArgument when the versions are not decimal digits
// of the right length or a tag is not a data group tag.
Result<Bytes> encode_ef_com(const EfCom& com);

}  // namespace idtap::lds
