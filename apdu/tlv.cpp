#include "idtap/apdu/tlv.h"

#include <cstdio>
#include <string>

namespace idtap::apdu {
namespace {

constexpr int kMaxIndefiniteDepth = 32;

Error malformed(const std::string& why) { return make_error(ErrorCode::kMalformed, "TLV: " + why); }

std::string tag_name(uint32_t tag) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%X", tag);
  return buf;
}

// decode: one object at `pos` of `data`; sets `*consumed` to its whole length.
Result<Tlv> decode(ByteView data, size_t pos, TlvMode mode, int depth, size_t* consumed) {
  const size_t start = pos;
  const size_t n = data.size();
  if (pos >= n) return malformed("no data object where one was expected");
  // Tag (X.690 §8.1.2).
  uint8_t first = data[pos++];
  uint32_t tag = first;
  if ((first & 0x1F) == 0x1F) {
    uint32_t number = 0;
    size_t tag_bytes = 1;
    for (;;) {
      if (pos >= n) return malformed("truncated tag");
      uint8_t b = data[pos++];
      if (++tag_bytes > 4) return malformed("tag longer than 4 bytes");
      if (tag_bytes == 2 && b == 0x80 && mode == TlvMode::kDer) return malformed("non-minimal tag");
      tag = tag << 8 | b;
      number = number << 7 | (b & 0x7F);
      if ((b & 0x80) == 0) break;
    }
    // X.690 §8.1.2.2 requires the short form for tag numbers below 31; ISO/IEC 7816-4 §5.2.2
    // and ICAO 9303-10 use the two-byte form for such application-class tags (5F01, 5F0E,
    // 5F19...), so the DER rule applies to the universal class only.
    if (number < 31 && mode == TlvMode::kDer && (first & 0xC0) == 0) return malformed("tag number below 31 in the long form");
  }
  const bool constructed = (first & 0x20) != 0;
  // Length (X.690 §8.1.3).
  if (pos >= n) return malformed("truncated length of tag " + tag_name(tag));
  uint8_t l0 = data[pos++];
  size_t len = 0;
  if (l0 < 0x80) {
    len = l0;
  } else if (l0 == 0x80) {
    if (mode != TlvMode::kBerLenient) return malformed("indefinite length in DER (tag " + tag_name(tag) + ")");
    if (!constructed) return malformed("indefinite length on a primitive tag " + tag_name(tag));
    if (depth >= kMaxIndefiniteDepth) return malformed("indefinite lengths nested too deeply");
    const size_t content = pos;
    for (;;) {
      if (pos + 2 <= n && data[pos] == 0 && data[pos + 1] == 0) break;
      if (pos >= n) return malformed("indefinite length without end-of-contents (tag " + tag_name(tag) + ")");
      size_t child = 0;
      auto r = decode(data, pos, mode, depth + 1, &child);
      if (!r.ok()) return r;
      pos += child;
    }
    Tlv t;
    t.tag = tag;
    t.constructed = true;
    t.value = data.subspan(content, pos - content);
    t.raw = data.subspan(start, pos + 2 - start);
    *consumed = pos + 2 - start;
    return t;
  } else {
    const size_t count = l0 & 0x7F;
    if (count > 4) return malformed("length field of " + std::to_string(count) + " bytes");
    if (pos + count > n) return malformed("truncated length of tag " + tag_name(tag));
    for (size_t i = 0; i < count; ++i) len = len << 8 | data[pos + i];
    if (mode == TlvMode::kDer) {
      if (data[pos] == 0) return malformed("non-minimal length (leading zero) of tag " + tag_name(tag));
      if (count == 1 && len < 0x80) return malformed("non-minimal length (long form below 128) of tag " + tag_name(tag));
    }
    pos += count;
  }
  if (len > n - pos)
    return malformed("length " + std::to_string(len) + " of tag " + tag_name(tag) + " beyond the " +
                     std::to_string(n - pos) + " bytes left");
  Tlv t;
  t.tag = tag;
  t.constructed = constructed;
  t.value = data.subspan(pos, len);
  t.raw = data.subspan(start, pos + len - start);
  *consumed = pos + len - start;
  return t;
}

}  // namespace

bool tag_is_constructed(uint32_t tag) {
  while (tag > 0xFF) tag >>= 8;
  return (tag & 0x20) != 0;
}

Result<Tlv> TlvReader::decode_at(size_t pos, size_t* consumed) const {
  return decode(data_, pos, mode_, 0, consumed);
}

Result<Tlv> TlvReader::next() {
  size_t used = 0;
  auto r = decode_at(pos_, &used);
  if (r.ok()) pos_ += used;
  return r;
}

Result<uint32_t> TlvReader::peek_tag() const {
  size_t used = 0;
  IDTAP_ASSIGN_OR_RETURN(Tlv t, decode_at(pos_, &used));
  return t.tag;
}

Result<Tlv> TlvReader::read(uint32_t tag) {
  size_t used = 0;
  IDTAP_ASSIGN_OR_RETURN(Tlv t, decode_at(pos_, &used));
  if (t.tag != tag) return malformed("expected tag " + tag_name(tag) + ", found " + tag_name(t.tag));
  pos_ += used;
  return t;
}

Result<TlvReader> TlvReader::enter(uint32_t tag) {
  IDTAP_ASSIGN_OR_RETURN(Tlv t, read(tag));
  return TlvReader(t.value, mode_);
}

Result<std::optional<Tlv>> TlvReader::read_optional(uint32_t tag) {
  if (empty()) return std::optional<Tlv>();
  size_t used = 0;
  IDTAP_ASSIGN_OR_RETURN(Tlv t, decode_at(pos_, &used));
  if (t.tag != tag) return std::optional<Tlv>();
  pos_ += used;
  return std::optional<Tlv>(t);
}

Result<Tlv> TlvReader::find(uint32_t tag) {
  while (!empty()) {
    IDTAP_ASSIGN_OR_RETURN(Tlv t, next());
    if (t.tag == tag) return t;
  }
  return malformed("missing tag " + tag_name(tag));
}

Status TlvReader::expect_end() const {
  if (!empty()) return malformed(std::to_string(data_.size() - pos_) + " trailing bytes");
  return ok_status();
}

Result<Tlv> parse_single(ByteView data, uint32_t tag, TlvMode mode) {
  TlvReader r(data, mode);
  IDTAP_ASSIGN_OR_RETURN(Tlv t, r.read(tag));
  IDTAP_TRY(r.expect_end());
  return t;
}

Bytes encode_tag(uint32_t tag) {
  Bytes out;
  bool started = false;
  for (int shift = 24; shift >= 0; shift -= 8) {
    uint8_t b = static_cast<uint8_t>(tag >> shift);
    if (b != 0 || started || shift == 0) {
      out.push_back(b);
      started = true;
    }
  }
  return out;
}

Bytes encode_length(size_t len) {
  if (len < 0x80) return {static_cast<uint8_t>(len)};
  Bytes body;
  for (size_t v = len; v != 0; v >>= 8) body.insert(body.begin(), static_cast<uint8_t>(v));
  Bytes out = {static_cast<uint8_t>(0x80 | body.size())};
  append(out, body);
  return out;
}

Bytes encode_tlv(uint32_t tag, ByteView value) {
  Bytes out = encode_tag(tag);
  append(out, encode_length(value.size()));
  append(out, value);
  return out;
}

Bytes& TlvWriter::top() { return stack_.empty() ? out_ : stack_.back().content; }

TlvWriter& TlvWriter::open(uint32_t tag) {
  if (!failed_) stack_.push_back(Frame{tag, {}});
  return *this;
}

TlvWriter& TlvWriter::close() {
  if (failed_) return *this;
  if (stack_.empty()) {
    failed_ = true;
    return *this;
  }
  Frame f = std::move(stack_.back());
  stack_.pop_back();
  append(top(), encode_tlv(f.tag, f.content));
  return *this;
}

TlvWriter& TlvWriter::add(uint32_t tag, ByteView value) {
  if (!failed_) append(top(), encode_tlv(tag, value));
  return *this;
}

TlvWriter& TlvWriter::add_uint(uint32_t tag, uint64_t value) {
  Bytes v;
  do {
    v.insert(v.begin(), static_cast<uint8_t>(value));
    value >>= 8;
  } while (value != 0);
  return add(tag, v);
}

TlvWriter& TlvWriter::add_raw(ByteView encoded) {
  if (!failed_) append(top(), encoded);
  return *this;
}

Result<Bytes> TlvWriter::finish() const {
  if (failed_) return make_error(ErrorCode::kInvalidArgument, "TLV writer: close() without a matching open()");
  if (!stack_.empty())
    return make_error(ErrorCode::kInvalidArgument, "TLV writer: " + std::to_string(stack_.size()) + " objects left open");
  return out_;
}

}  // namespace idtap::apdu
