#include "idtap/lds/der.h"

namespace idtap::lds::der {
namespace {

Error malformed(const std::string& why) { return make_error(ErrorCode::kMalformed, "DER: " + why); }

}  // namespace

Result<int64_t> parse_integer(ByteView c) {
  if (c.empty()) return malformed("empty INTEGER");
  // X.690 §8.3.2: the first nine bits are not all equal.
  if (c.size() > 1 && ((c[0] == 0x00 && (c[1] & 0x80) == 0) || (c[0] == 0xFF && (c[1] & 0x80) != 0)))
    return malformed("non-minimal INTEGER");
  if (c.size() > 8) return malformed("INTEGER beyond 64 bits");
  uint64_t v = (c[0] & 0x80) ? ~uint64_t{0} : 0;
  for (uint8_t b : c) v = v << 8 | b;
  return static_cast<int64_t>(v);
}

Result<int64_t> read_integer(apdu::TlvReader& r, uint32_t tag) {
  IDTAP_ASSIGN_OR_RETURN(apdu::Tlv t, r.read(tag));
  if (t.constructed) return malformed("constructed INTEGER");
  return parse_integer(t.value);
}

Result<uint64_t> read_unsigned(apdu::TlvReader& r, uint32_t tag) {
  IDTAP_ASSIGN_OR_RETURN(int64_t v, read_integer(r, tag));
  if (v < 0) return malformed("negative value where an unsigned INTEGER is expected");
  return static_cast<uint64_t>(v);
}

Result<Oid> read_oid(apdu::TlvReader& r) {
  IDTAP_ASSIGN_OR_RETURN(apdu::Tlv t, r.read(kOid));
  IDTAP_TRY(check_oid(t.value));
  return to_bytes(t.value);
}

Bytes integer_content(int64_t value) {
  Bytes out;
  uint64_t v = static_cast<uint64_t>(value);
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  size_t skip = 0;
  while (skip + 1 < out.size() && ((out[skip] == 0x00 && (out[skip + 1] & 0x80) == 0) ||
                                   (out[skip] == 0xFF && (out[skip + 1] & 0x80) != 0)))
    ++skip;
  return Bytes(out.begin() + static_cast<std::ptrdiff_t>(skip), out.end());
}

void add_integer(apdu::TlvWriter& w, int64_t value, uint32_t tag) { w.add(tag, integer_content(value)); }

void add_oid(apdu::TlvWriter& w, ByteView oid) { w.add(kOid, oid); }

Result<AlgorithmIdentifier> read_algorithm_identifier(apdu::TlvReader& r) {
  IDTAP_ASSIGN_OR_RETURN(apdu::TlvReader seq, r.enter(kSequence));
  AlgorithmIdentifier alg;
  IDTAP_ASSIGN_OR_RETURN(alg.algorithm, read_oid(seq));
  if (!seq.empty()) {
    IDTAP_ASSIGN_OR_RETURN(apdu::Tlv p, seq.next());
    alg.parameters = to_bytes(p.raw);
  }
  IDTAP_TRY(seq.expect_end());
  return alg;
}

void add_algorithm_identifier(apdu::TlvWriter& w, const AlgorithmIdentifier& alg) {
  w.open(kSequence);
  add_oid(w, alg.algorithm);
  if (!alg.parameters.empty()) w.add_raw(alg.parameters);
  w.close();
}

}  // namespace idtap::lds::der
