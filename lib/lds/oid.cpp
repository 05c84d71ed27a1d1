#include "idtap/lds/oid.h"

#include <cstdlib>

namespace idtap::lds {
namespace {

Error bad_oid(const std::string& why) { return make_error(ErrorCode::kMalformed, "OID: " + why); }

}  // namespace

Status check_oid(ByteView oid) {
  // X.690 §8.19.2: each subidentifier is base-128, high bit set on all but its last byte, and
  // minimal (its first byte is never 0x80).
  if (oid.empty()) return bad_oid("empty");
  if ((oid.back() & 0x80) != 0) return bad_oid("truncated last arc");
  bool arc_start = true;
  size_t arc_bytes = 0;
  for (uint8_t b : oid) {
    if (arc_start && b == 0x80) return bad_oid("non-minimal arc (leading 0x80)");
    if (++arc_bytes > 9) return bad_oid("arc beyond 63 bits");
    arc_start = (b & 0x80) == 0;
    if (arc_start) arc_bytes = 0;
  }
  return ok_status();
}

Result<std::string> oid_to_string(ByteView oid) {
  IDTAP_TRY(check_oid(oid));
  std::string out;
  uint64_t value = 0;
  bool first = true;
  for (uint8_t b : oid) {
    value = value << 7 | (b & 0x7F);
    if (b & 0x80) continue;
    if (first) {
      // X.690 §8.19.4: the first subidentifier is 40 * arc1 + arc2.
      uint64_t arc1 = value < 40 ? 0 : value < 80 ? 1 : 2;
      out = std::to_string(arc1) + "." + std::to_string(value - 40 * arc1);
      first = false;
    } else {
      out += "." + std::to_string(value);
    }
    value = 0;
  }
  return out;
}

Result<Oid> oid_from_string(std::string_view dotted) {
  std::vector<uint64_t> arcs;
  size_t i = 0;
  while (i <= dotted.size()) {
    size_t dot = dotted.find('.', i);
    if (dot == std::string_view::npos) dot = dotted.size();
    std::string_view part = dotted.substr(i, dot - i);
    if (part.empty() || part.size() > 18)
      return make_error(ErrorCode::kInvalidArgument, "OID: bad arc in \"" + std::string(dotted) + "\"");
    uint64_t v = 0;
    for (char c : part) {
      if (c < '0' || c > '9') return make_error(ErrorCode::kInvalidArgument, "OID: non-digit in \"" + std::string(dotted) + "\"");
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    arcs.push_back(v);
    i = dot + 1;
  }
  if (arcs.size() < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39))
    return make_error(ErrorCode::kInvalidArgument, "OID: bad first arcs in \"" + std::string(dotted) + "\"");
  Oid out;
  auto put = [&out](uint64_t v) {
    uint8_t tmp[10];
    size_t n = 0;
    do {
      tmp[n++] = static_cast<uint8_t>(v & 0x7F);
      v >>= 7;
    } while (v != 0);
    while (n > 1) out.push_back(tmp[--n] | 0x80);
    out.push_back(tmp[0]);
  };
  put(arcs[0] * 40 + arcs[1]);
  for (size_t k = 2; k < arcs.size(); ++k) put(arcs[k]);
  return out;
}

Oid oid_or_die(std::string_view dotted) {
  auto r = oid_from_string(dotted);
  if (!r.ok()) std::abort();
  return std::move(r).value();
}

bool has_prefix(ByteView oid, ByteView prefix) {
  return oid.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), oid.begin());
}

}  // namespace idtap::lds
