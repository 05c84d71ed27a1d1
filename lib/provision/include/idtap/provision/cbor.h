// idtap/provision/cbor.h: a thin RAII layer over libcbor for the mdoc and status-list formats.
//
// Building: items are owned by `cbor::Item` (a unique_ptr that drops libcbor's reference).
// Maps are built with MapBuilder, which orders the pairs by their encoded keys (RFC 8949
// §4.2.1 core deterministic encoding: bytewise lexicographic order of the encoded keys), so
// equal content always encodes to equal bytes. Integers are built in their shortest form.
//
// Reading: decode() accepts exactly one well-formed data item filling the whole input; lookups
// return kMalformed on a wrong type, a missing key or a key present twice.
#pragma once

#include <cbor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"

namespace idtap::provision::cbor {

// ItemDeleter: drops one libcbor reference.
struct ItemDeleter {
  void operator()(cbor_item_t* item) const { cbor_decref(&item); }
};
// Item: one owned libcbor item (null only after a move).
using Item = std::unique_ptr<cbor_item_t, ItemDeleter>;

// Well-known tags (RFC 8949 §3.4, RFC 8943, ISO/IEC 18013-5 §8.1).
inline constexpr uint64_t kTagTdate = 0;          // date/time text (RFC 3339)
inline constexpr uint64_t kTagEncodedCbor = 24;   // bstr holding an encoded data item
inline constexpr uint64_t kTagFullDate = 1004;    // full-date text "YYYY-MM-DD"
inline constexpr uint64_t kTagCoseSign1 = 18;     // RFC 9052 §4.2

// uint / integer / text / bytes / boolean / null_item / tag: builders (never null; libcbor
// allocation failure aborts, as a failed small malloc would anywhere else).
Item uint(uint64_t v);
Item integer(int64_t v);
Item text(std::string_view s);
Item bytes(ByteView b);
Item boolean(bool b);
Item null_item();
Item tag(uint64_t tag_value, Item content);
// array: an array of `items` (consumed).
Item array(std::vector<Item> items);

// MapBuilder: collects key/value pairs and builds a map in deterministic key order.
class MapBuilder {
 public:
  MapBuilder& add(Item key, Item value);
  MapBuilder& add(std::string_view key, Item value) { return add(text(key), std::move(value)); }
  MapBuilder& add(int64_t key, Item value) { return add(integer(key), std::move(value)); }
  // MapBuilder::build: the map; kInternal if a key failed to encode, kInvalidArgument if two
  // keys are equal. The builder is empty afterwards.
  Result<Item> build();

 private:
  std::vector<std::pair<Item, Item>> pairs_;
};

// share: another owning reference to `item` (libcbor reference counting: no copy).
Item share(const Item& item);

// Writer: a streaming encoder for the hot path of issuance, where building an item tree costs
// more than the bytes themselves. Heads are written by libcbor's cbor_encode_* (shortest form;
// cbor_test checks the boundary arguments), items through libcbor's cbor_serialize.
// The caller writes map keys in deterministic order (RFC 8949 §4.2.1; text_key_less() gives
// it for text keys); the tests re-encode every output through MapBuilder and compare. Once an
// operation fails the writer stays failed and take() reports it.
class Writer {
 public:
  // Writer: `capacity_hint` bytes are reserved up front (the writer grows past them).
  explicit Writer(size_t capacity_hint = 0) { buf_.resize(capacity_hint); }
  Writer& uint(uint64_t v);
  Writer& integer(int64_t v);
  Writer& text(std::string_view s);
  Writer& bytes(ByteView b);
  Writer& boolean(bool b);
  Writer& map(size_t pairs);
  Writer& array(size_t elements);
  Writer& tag(uint64_t tag_value);
  // Writer::item: the encoding of an existing item.
  Writer& item(const cbor_item_t* item);

  // Writer::view: the bytes written so far (valid until the next write or take).
  ByteView view() const { return ByteView(buf_.data(), size_); }
  size_t size() const { return size_; }
  // Writer::take: the bytes; kInternal if a write failed. The writer is empty afterwards.
  Result<Bytes> take();

 private:
  bool reserve(size_t extra);
  Writer& head(uint8_t major, uint64_t v);
  Bytes buf_;
  size_t size_ = 0;
  bool failed_ = false;
};

// text_key_less: the deterministic order of two text-string map keys (RFC 8949 §4.2.1: by
// encoding, which for text is shorter first, then bytewise).
bool text_key_less(std::string_view a, std::string_view b);

// encode: the encoding of `item` (one cbor_serialize into a buffer sized from the item);
// kInternal if libcbor fails.
Result<Bytes> encode(const cbor_item_t* item);
inline Result<Bytes> encode(const Item& item) { return encode(item.get()); }

// DecodeLimits: what decode() accepts. Declared array/map sizes beyond the input length are
// rejected before libcbor allocates for them.
struct DecodeLimits {
  size_t max_input = 16 * 1024 * 1024;
};

// decode: the one data item that fills `data` exactly. kMalformed for bad CBOR, trailing bytes,
// or sizes that cannot fit the input.
Result<Item> decode(ByteView data, const DecodeLimits& limits = {});

// encoded_cbor_header: the encoding of the tag 24 and the bstr header for `inner_size` bytes
// of content (so a digest over #6.24(bstr) can run over header and content in two parts).
struct EncodedCborHeader {
  uint8_t bytes[18];
  size_t size = 0;
  ByteView view() const { return ByteView(bytes, size); }
};
EncodedCborHeader encoded_cbor_header(size_t inner_size);

// encoded_cbor: #6.24(bstr .cbor inner): the tag-24 wrapping of already encoded bytes.
Item encoded_cbor(ByteView inner_encoding);
// unwrap_encoded_cbor: the bytes inside #6.24(bstr); kMalformed if `item` is not that.
Result<ByteView> unwrap_encoded_cbor(const cbor_item_t* item);

// is_bool / is_null / is_undefined: whether `item` is that simple value. Use these, never
// libcbor's cbor_is_bool / cbor_is_null / cbor_is_undef: in libcbor 0.8 those call
// cbor_ctrl_value(), which asserts (aborts the process) when the item is a float (a half,
// single or double precision value a hostile input can hold anywhere). False for null `item`.
bool is_bool(const cbor_item_t* item);
bool is_null(const cbor_item_t* item);
bool is_undefined(const cbor_item_t* item);

// Readers. The views returned point into the item's storage: valid while the item lives.
Result<uint64_t> get_uint(const cbor_item_t* item);
Result<int64_t> get_int(const cbor_item_t* item);
Result<std::string> get_text(const cbor_item_t* item);
Result<ByteView> get_bytes(const cbor_item_t* item);
Result<bool> get_bool(const cbor_item_t* item);
// get_tagged: the content of tag `tag_value`; kMalformed for another tag or no tag.
Result<const cbor_item_t*> get_tagged(const cbor_item_t* item, uint64_t tag_value);
// array_items: the elements of a definite or indefinite array; kMalformed if not an array.
Result<std::vector<const cbor_item_t*>> array_items(const cbor_item_t* item);
// map_pairs: the pairs of a map; kMalformed if not a map.
Result<std::vector<std::pair<const cbor_item_t*, const cbor_item_t*>>> map_pairs(const cbor_item_t* item);

// find_text / find_int: the value under a text / integer key, nullptr when absent. kMalformed
// if `map` is not a map or the key occurs twice.
Result<const cbor_item_t*> find_text(const cbor_item_t* map, std::string_view key);
Result<const cbor_item_t*> find_int(const cbor_item_t* map, int64_t key);
// require_text / require_int: as find_*, but a missing key is kMalformed naming `key`.
Result<const cbor_item_t*> require_text(const cbor_item_t* map, std::string_view key);
Result<const cbor_item_t*> require_int(const cbor_item_t* map, int64_t key);

// clone: an owned deep copy of `item` (through encode/decode); kInternal on failure.
Result<Item> clone(const cbor_item_t* item);

// diagnostic: RFC 8949 §8 diagnostic notation of `item` (byte strings longer than
// `max_bytes` shown as h'…' with their length), for `idtap mdoc show`.
std::string diagnostic(const cbor_item_t* item, size_t max_bytes = 32);

}  // namespace idtap::provision::cbor
