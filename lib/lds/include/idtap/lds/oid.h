// idtap/lds/oid.h: ASN.1 object identifiers as DER content bytes (X.690 §8.19).
#pragma once

#include <string>
#include <string_view>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"

namespace idtap::lds {

// Oid: an object identifier kept as its DER content bytes (no 06 tag/length), compared as bytes.
using Oid = Bytes;

// oid_to_string: "0.4.0.127.0.7.2.2.4.2.2"; kMalformed on a bad encoding (empty, truncated last
// arc, non-minimal 0x80 arc start, an arc beyond 64 bits).
Result<std::string> oid_to_string(ByteView oid);
// oid_from_string: the DER content bytes of a dotted OID; kInvalidArgument on bad text (fewer than
// two arcs, a first arc above 2, a second arc above 39 under 0 or 1, non-digits, overflow).
Result<Oid> oid_from_string(std::string_view dotted);
// oid_or_die: oid_from_string for literals in tables and tests; aborts on bad text.
Oid oid_or_die(std::string_view dotted);
// check_oid: ok when `oid` is a well-formed OID content encoding; kMalformed otherwise.
Status check_oid(ByteView oid);

// has_prefix: true when `oid` starts with `prefix` (e.g. any id-PACE-* under oid::kPace).
bool has_prefix(ByteView oid, ByteView prefix);

}  // namespace idtap::lds
