// idtap/apdu/tlv.h: BER-TLV (ISO/IEC 7816-4 §5.2, X.690) reading and writing.
//
// Tags are held as their encoded bytes read big-endian: 0x30, 0x5F1F, 0x7F49, 0x9F8101.
// A tag of more than 4 bytes is rejected.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"

namespace idtap::apdu {

// TlvMode: kDer (strict: definite, minimal lengths; minimal tags) or kBerLenient (also accepts
// the BER indefinite length 0x80 ... 00 00 on constructed tags and non-minimal length forms,
// which some issuing states use in EF.SOD).
enum class TlvMode { kDer, kBerLenient };

// Tlv: one decoded data object. `value` and `raw` view the reader's buffer.
struct Tlv {
  uint32_t tag = 0;
  bool constructed = false;
  ByteView value;  // contents (for indefinite length: without the end-of-contents octets)
  ByteView raw;    // the whole encoding, tag through last content (or EOC) byte
};

// tag_is_constructed: bit b6 of the first tag byte.
bool tag_is_constructed(uint32_t tag);

// TlvReader: a non-owning, bounds-checked cursor over a sequence of data objects. The bytes it
// views must outlive it and every Tlv / reader it returns. Each read either consumes exactly one
// object or fails without moving.
class TlvReader {
 public:
  explicit TlvReader(ByteView data, TlvMode mode = TlvMode::kDer) : data_(data), mode_(mode) {}

  // TlvReader::empty: no bytes left.
  bool empty() const { return pos_ >= data_.size(); }
  // TlvReader::remaining: the unread bytes.
  ByteView remaining() const { return data_.subspan(pos_); }
  TlvMode mode() const { return mode_; }

  // TlvReader::next: the next object, whatever its tag. kMalformed on a truncated tag or
  // length, a length beyond the buffer, a length of more than 4 bytes, a tag over 4 bytes, or
  // (in DER) a non-minimal length or tag, or indefinite length.
  Result<Tlv> next();
  // TlvReader::peek_tag: the next object's tag without consuming it; kMalformed when empty or
  // the tag is bad.
  Result<uint32_t> peek_tag() const;
  // TlvReader::read: the next object, which must carry `tag`; kMalformed naming both tags if
  // not.
  Result<Tlv> read(uint32_t tag);
  // TlvReader::enter: read(tag) and a reader over its contents (same mode).
  Result<TlvReader> enter(uint32_t tag);
  // TlvReader::read_optional: the next object if it carries `tag`, nullopt if the reader is
  // empty or the next tag differs; errors only for malformed encoding.
  Result<std::optional<Tlv>> read_optional(uint32_t tag);
  // TlvReader::find: scans forward, skipping other objects, to the first with `tag`; kMalformed
  // if absent ("missing tag XX").
  Result<Tlv> find(uint32_t tag);
  // TlvReader::expect_end: ok when every byte was consumed, kMalformed ("trailing bytes") if not.
  Status expect_end() const;

 private:
  Result<Tlv> decode_at(size_t pos, size_t* consumed) const;
  ByteView data_;
  size_t pos_ = 0;
  TlvMode mode_;
};

// parse_single: decodes `data` as exactly one object with `tag` and nothing after it.
Result<Tlv> parse_single(ByteView data, uint32_t tag, TlvMode mode = TlvMode::kDer);

// encode_tag: the bytes of `tag` (1-4 bytes, leading zero bytes dropped).
Bytes encode_tag(uint32_t tag);
// encode_length: the DER length octets for `len` (short form below 128).
Bytes encode_length(size_t len);
// encode_tlv: tag || DER length || value.
Bytes encode_tlv(uint32_t tag, ByteView value);

// TlvWriter: builds nested BER-TLV; lengths are filled in when a constructed object closes.
// Misuse (close() with nothing open, finish() with objects still open) marks the writer failed;
// it stays failed and finish() reports it.
class TlvWriter {
 public:
  // TlvWriter::open: starts a constructed object with `tag`.
  TlvWriter& open(uint32_t tag);
  // TlvWriter::close: ends the innermost open object.
  TlvWriter& close();
  // TlvWriter::add: a primitive object `tag` with `value`.
  TlvWriter& add(uint32_t tag, ByteView value);
  // TlvWriter::add_uint: an object whose value is the minimal big-endian `value` (at least one
  // byte, no sign handling: for small counters and lengths, not ASN.1 INTEGERs).
  TlvWriter& add_uint(uint32_t tag, uint64_t value);
  // TlvWriter::add_raw: already-encoded bytes copied as they are.
  TlvWriter& add_raw(ByteView encoded);
  // TlvWriter::failed: true once misused.
  bool failed() const { return failed_; }
  // TlvWriter::finish: the encoding; kInvalidArgument if the writer failed or objects remain open.
  Result<Bytes> finish() const;

 private:
  struct Frame {
    uint32_t tag;
    Bytes content;
  };
  Bytes& top();
  Bytes out_;
  std::vector<Frame> stack_;
  bool failed_ = false;
};

}  // namespace idtap::apdu
