#include "idtap/provision/cbor.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace idtap::provision::cbor {
namespace {

Item own(cbor_item_t* raw) {
  if (raw == nullptr) std::abort();  // libcbor allocation failure
  return Item(raw);
}

Error malformed(std::string what) { return make_error(ErrorCode::kMalformed, "CBOR: " + std::move(what)); }

// Pre-scan context: declared collection sizes must fit the input before libcbor allocates.
struct ScanContext {
  size_t input_size = 0;
  bool too_big = false;
};

void scan_array_start(void* ctx, size_t size) {
  auto* c = static_cast<ScanContext*>(ctx);
  if (size > c->input_size) c->too_big = true;
}
void scan_map_start(void* ctx, size_t size) {
  auto* c = static_cast<ScanContext*>(ctx);
  if (size > c->input_size / 2) c->too_big = true;
}

Status prescan(ByteView data) {
  cbor_callbacks callbacks = cbor_empty_callbacks;
  callbacks.array_start = scan_array_start;
  callbacks.map_start = scan_map_start;
  ScanContext ctx;
  ctx.input_size = data.size();
  size_t offset = 0;
  while (offset < data.size()) {
    cbor_decoder_result r = cbor_stream_decode(data.data() + offset, data.size() - offset, &callbacks, &ctx);
    if (r.status != CBOR_DECODER_FINISHED || r.read == 0) return malformed("truncated or invalid item header");
    if (ctx.too_big) return malformed("declared size exceeds the input");
    offset += r.read;
  }
  return ok_status();
}

void append_escaped(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
      out += buf;
      continue;
    }
    out += c;
  }
  out += '"';
}

void diag(const cbor_item_t* item, size_t max_bytes, std::string& out) {
  char buf[64];
  switch (cbor_typeof(item)) {
    case CBOR_TYPE_UINT:
      out += std::to_string(cbor_get_int(item));
      break;
    case CBOR_TYPE_NEGINT:
      out += "-" + std::to_string(cbor_get_int(item) + 1);  // -1 - n (shown for n < 2^64-1)
      break;
    case CBOR_TYPE_BYTESTRING: {
      auto b = get_bytes(item);
      if (!b.ok()) {
        out += "h'?'";
        break;
      }
      static const char* digits = "0123456789abcdef";
      out += "h'";
      size_t n = std::min(b->size(), max_bytes);
      for (size_t i = 0; i < n; ++i) {
        out += digits[(*b)[i] >> 4];
        out += digits[(*b)[i] & 15];
      }
      if (n < b->size()) out += "…(" + std::to_string(b->size()) + " bytes)";
      out += "'";
      break;
    }
    case CBOR_TYPE_STRING: {
      auto t = get_text(item);
      append_escaped(out, t.ok() ? std::string_view(*t) : std::string_view("?"));
      break;
    }
    case CBOR_TYPE_ARRAY: {
      out += "[";
      size_t n = cbor_array_size(item);
      for (size_t i = 0; i < n; ++i) {
        if (i) out += ", ";
        diag(cbor_array_handle(item)[i], max_bytes, out);
      }
      out += "]";
      break;
    }
    case CBOR_TYPE_MAP: {
      out += "{";
      size_t n = cbor_map_size(item);
      for (size_t i = 0; i < n; ++i) {
        if (i) out += ", ";
        diag(cbor_map_handle(item)[i].key, max_bytes, out);
        out += ": ";
        diag(cbor_map_handle(item)[i].value, max_bytes, out);
      }
      out += "}";
      break;
    }
    case CBOR_TYPE_TAG:
      std::snprintf(buf, sizeof buf, "%llu(", static_cast<unsigned long long>(cbor_tag_value(item)));
      out += buf;
      diag(get_tagged(item, cbor_tag_value(item)).value(), max_bytes, out);
      out += ")";
      break;
    case CBOR_TYPE_FLOAT_CTRL:
      if (is_bool(item)) {
        out += cbor_get_bool(item) ? "true" : "false";
      } else if (is_null(item)) {
        out += "null";
      } else if (is_undefined(item)) {
        out += "undefined";
      } else if (cbor_is_float(item)) {
        std::snprintf(buf, sizeof buf, "%g", cbor_float_get_float(item));
        out += buf;
      } else {
        out += "simple(" + std::to_string(cbor_ctrl_value(item)) + ")";
      }
      break;
  }
}

}  // namespace

Item uint(uint64_t v) {
  if (v <= 0xFF) return own(cbor_build_uint8(static_cast<uint8_t>(v)));
  if (v <= 0xFFFF) return own(cbor_build_uint16(static_cast<uint16_t>(v)));
  if (v <= 0xFFFFFFFFu) return own(cbor_build_uint32(static_cast<uint32_t>(v)));
  return own(cbor_build_uint64(v));
}

Item integer(int64_t v) {
  if (v >= 0) return uint(static_cast<uint64_t>(v));
  uint64_t n = static_cast<uint64_t>(-(v + 1));  // CBOR major type 1 holds -1 - v
  if (n <= 0xFF) return own(cbor_build_negint8(static_cast<uint8_t>(n)));
  if (n <= 0xFFFF) return own(cbor_build_negint16(static_cast<uint16_t>(n)));
  if (n <= 0xFFFFFFFFu) return own(cbor_build_negint32(static_cast<uint32_t>(n)));
  return own(cbor_build_negint64(n));
}

Item text(std::string_view s) { return own(cbor_build_stringn(s.data(), s.size())); }
Item bytes(ByteView b) { return own(cbor_build_bytestring(b.data(), b.size())); }
Item boolean(bool b) { return own(cbor_build_bool(b)); }
Item null_item() { return own(cbor_new_null()); }
Item tag(uint64_t tag_value, Item content) {
  return own(cbor_build_tag(tag_value, cbor_move(content.release())));
}

Item array(std::vector<Item> items) {
  Item a = own(cbor_new_definite_array(items.size()));
  for (auto& it : items)
    if (!cbor_array_push(a.get(), cbor_move(it.release()))) std::abort();
  return a;
}

MapBuilder& MapBuilder::add(Item key, Item value) {
  pairs_.emplace_back(std::move(key), std::move(value));
  return *this;
}

namespace {

// size_bound: an upper bound of the encoding size of `item` (headers counted at 9 bytes).
size_t size_bound(const cbor_item_t* item) {
  switch (cbor_typeof(item)) {
    case CBOR_TYPE_UINT:
    case CBOR_TYPE_NEGINT:
    case CBOR_TYPE_FLOAT_CTRL:
      return 9;
    case CBOR_TYPE_BYTESTRING:
      if (cbor_bytestring_is_definite(item)) return 9 + cbor_bytestring_length(item);
      else {
        size_t n = 10;
        for (size_t i = 0; i < cbor_bytestring_chunk_count(item); ++i) n += size_bound(cbor_bytestring_chunks_handle(item)[i]);
        return n;
      }
    case CBOR_TYPE_STRING:
      if (cbor_string_is_definite(item)) return 9 + cbor_string_length(item);
      else {
        size_t n = 10;
        for (size_t i = 0; i < cbor_string_chunk_count(item); ++i) n += size_bound(cbor_string_chunks_handle(item)[i]);
        return n;
      }
    case CBOR_TYPE_ARRAY: {
      size_t n = 10;
      for (size_t i = 0; i < cbor_array_size(item); ++i) n += size_bound(cbor_array_handle(item)[i]);
      return n;
    }
    case CBOR_TYPE_MAP: {
      size_t n = 10;
      for (size_t i = 0; i < cbor_map_size(item); ++i)
        n += size_bound(cbor_map_handle(item)[i].key) + size_bound(cbor_map_handle(item)[i].value);
      return n;
    }
    case CBOR_TYPE_TAG: {
      cbor_item_t* inner = cbor_tag_item(item);
      size_t n = 9 + size_bound(inner);
      cbor_decref(&inner);
      return n;
    }
  }
  return 9;
}

}  // namespace

Item share(const Item& item) { return Item(cbor_incref(item.get())); }

Result<Item> MapBuilder::build() {
  // The keys' encodings, back to back in one buffer.
  struct KeyRef {
    size_t offset, size, index;
  };
  std::vector<KeyRef> order;
  order.reserve(pairs_.size());
  Bytes arena;
  for (size_t i = 0; i < pairs_.size(); ++i) {
    size_t bound = size_bound(pairs_[i].first.get());
    size_t off = arena.size();
    arena.resize(off + bound);
    size_t n = cbor_serialize(pairs_[i].first.get(), arena.data() + off, bound);
    if (n == 0) return make_error(ErrorCode::kInternal, "CBOR: map key does not encode");
    arena.resize(off + n);
    order.push_back({off, n, i});
  }
  auto key_of = [&](const KeyRef& k) { return ByteView(arena.data() + k.offset, k.size); };
  // RFC 8949 §4.2.1: keys sorted by the bytewise lexicographic order of their encodings.
  std::sort(order.begin(), order.end(), [&](const KeyRef& a, const KeyRef& b) {
    ByteView x = key_of(a), y = key_of(b);
    return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end());
  });
  for (size_t i = 1; i < order.size(); ++i)
    if (equal_bytes(key_of(order[i]), key_of(order[i - 1])))
      return make_error(ErrorCode::kInvalidArgument, "CBOR map: duplicate key");
  Item m = own(cbor_new_definite_map(pairs_.size()));
  for (const auto& k : order) {
    cbor_pair p{cbor_move(pairs_[k.index].first.release()), cbor_move(pairs_[k.index].second.release())};
    if (!cbor_map_add(m.get(), p)) std::abort();
  }
  pairs_.clear();
  return m;
}

Result<Bytes> encode(const cbor_item_t* item) {
  size_t bound = size_bound(item);
  Bytes out(bound);
  size_t n = cbor_serialize(item, out.data(), out.size());
  if (n == 0) return make_error(ErrorCode::kInternal, "CBOR: serialisation failed");
  out.resize(n);
  return out;
}

namespace {

// write_head: the head of a data item with major type `major` and argument `v` at `out`
// (room for `room` bytes), written by libcbor's cbor_encode_* in its shortest form (RFC 8949 §3
// and §4.2.1: preferred serialisation); returns its size (1 to 9 bytes), 0 when it does not fit.
size_t write_head(uint8_t* out, size_t room, uint8_t major, uint64_t v) {
  switch (major) {
    case 0: return cbor_encode_uint(v, out, room);
    case 1: return cbor_encode_negint(v, out, room);
    case 2: return cbor_encode_bytestring_start(v, out, room);
    case 3: return cbor_encode_string_start(v, out, room);
    case 4: return cbor_encode_array_start(v, out, room);
    case 5: return cbor_encode_map_start(v, out, room);
    case 6: return cbor_encode_tag(v, out, room);
    default: return 0;  // major type 7 (simple values, floats) has no head of this kind
  }
}

}  // namespace

bool Writer::reserve(size_t extra) {
  if (failed_) return false;
  if (size_ + extra > buf_.size()) buf_.resize(std::max<size_t>(buf_.size() * 2, size_ + extra + 256));
  return true;
}

#define IDTAP_CBOR_WRITE(call)                 \
  do {                                         \
    size_t n_ = (call);                        \
    if (n_ == 0) failed_ = true;               \
    size_ += n_;                               \
  } while (0)

Writer& Writer::head(uint8_t major, uint64_t v) {
  if (reserve(9)) IDTAP_CBOR_WRITE(write_head(buf_.data() + size_, buf_.size() - size_, major, v));
  return *this;
}

Writer& Writer::uint(uint64_t v) { return head(0, v); }

Writer& Writer::integer(int64_t v) {
  if (v >= 0) return uint(static_cast<uint64_t>(v));
  return head(1, static_cast<uint64_t>(-(v + 1)));
}

Writer& Writer::text(std::string_view s) {
  if (reserve(9 + s.size())) {
    IDTAP_CBOR_WRITE(write_head(buf_.data() + size_, buf_.size() - size_, 3, s.size()));
    if (failed_) return *this;
    if (!s.empty()) std::memcpy(buf_.data() + size_, s.data(), s.size());
    size_ += s.size();
  }
  return *this;
}

Writer& Writer::bytes(ByteView b) {
  if (reserve(9 + b.size())) {
    IDTAP_CBOR_WRITE(write_head(buf_.data() + size_, buf_.size() - size_, 2, b.size()));
    if (failed_) return *this;
    if (!b.empty()) std::memcpy(buf_.data() + size_, b.data(), b.size());
    size_ += b.size();
  }
  return *this;
}

Writer& Writer::boolean(bool b) {
  if (reserve(1)) IDTAP_CBOR_WRITE(cbor_encode_bool(b, buf_.data() + size_, buf_.size() - size_));
  return *this;
}

Writer& Writer::map(size_t pairs) { return head(5, pairs); }
Writer& Writer::array(size_t elements) { return head(4, elements); }
Writer& Writer::tag(uint64_t tag_value) { return head(6, tag_value); }

Writer& Writer::item(const cbor_item_t* item) {
  size_t bound = size_bound(item);
  if (reserve(bound)) IDTAP_CBOR_WRITE(cbor_serialize(item, buf_.data() + size_, buf_.size() - size_));
  return *this;
}

#undef IDTAP_CBOR_WRITE

Result<Bytes> Writer::take() {
  if (failed_) return make_error(ErrorCode::kInternal, "CBOR: a write failed");
  buf_.resize(size_);
  Bytes out = std::move(buf_);
  buf_.clear();
  size_ = 0;
  return out;
}

bool text_key_less(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return a.size() < b.size();
  return std::memcmp(a.data(), b.data(), a.size()) < 0;
}

EncodedCborHeader encoded_cbor_header(size_t inner_size) {
  EncodedCborHeader h;
  size_t a = write_head(h.bytes, sizeof h.bytes, 6, kTagEncodedCbor);
  h.size = a + write_head(h.bytes + a, sizeof h.bytes - a, 2, inner_size);
  return h;
}

Result<Item> decode(ByteView data, const DecodeLimits& limits) {
  if (data.empty()) return malformed("empty input");
  if (data.size() > limits.max_input) return malformed("input larger than " + std::to_string(limits.max_input) + " bytes");
  IDTAP_TRY(prescan(data));
  cbor_load_result result;
  cbor_item_t* raw = cbor_load(data.data(), data.size(), &result);
  if (raw == nullptr || result.error.code != CBOR_ERR_NONE) {
    if (raw != nullptr) cbor_decref(&raw);
    return malformed("not well-formed (libcbor error " + std::to_string(int(result.error.code)) + " at byte " +
                     std::to_string(result.error.position) + ")");
  }
  Item item(raw);
  if (result.read != data.size()) return malformed(std::to_string(data.size() - result.read) + " trailing bytes");
  return item;
}

Item encoded_cbor(ByteView inner_encoding) { return tag(kTagEncodedCbor, bytes(inner_encoding)); }

Result<ByteView> unwrap_encoded_cbor(const cbor_item_t* item) {
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* content, get_tagged(item, kTagEncodedCbor));
  return get_bytes(content);
}

Result<uint64_t> get_uint(const cbor_item_t* item) {
  if (item == nullptr || !cbor_isa_uint(item)) return malformed("expected an unsigned integer");
  return cbor_get_int(item);
}

Result<int64_t> get_int(const cbor_item_t* item) {
  if (item == nullptr || !cbor_is_int(item)) return malformed("expected an integer");
  uint64_t v = cbor_get_int(item);
  if (v > static_cast<uint64_t>(INT64_MAX)) return malformed("integer out of range");
  return cbor_isa_uint(item) ? static_cast<int64_t>(v) : -1 - static_cast<int64_t>(v);
}

Result<std::string> get_text(const cbor_item_t* item) {
  if (item == nullptr || !cbor_isa_string(item)) return malformed("expected a text string");
  if (!cbor_string_is_definite(item)) return malformed("indefinite-length text string");
  const unsigned char* p = cbor_string_handle(item);
  return std::string(reinterpret_cast<const char*>(p), cbor_string_length(item));
}

Result<ByteView> get_bytes(const cbor_item_t* item) {
  if (item == nullptr || !cbor_isa_bytestring(item)) return malformed("expected a byte string");
  if (!cbor_bytestring_is_definite(item)) return malformed("indefinite-length byte string");
  size_t n = cbor_bytestring_length(item);
  if (n == 0) return ByteView();
  return ByteView(cbor_bytestring_handle(item), n);
}

namespace {

// is_simple_value: a simple value (major type 7 without a float payload), the only kind
// cbor_ctrl_value() accepts (RFC 8949 §3.3).
bool is_simple_value(const cbor_item_t* item) {
  return item != nullptr && cbor_isa_float_ctrl(item) && cbor_float_get_width(item) == CBOR_FLOAT_0;
}

}  // namespace

bool is_bool(const cbor_item_t* item) {
  if (!is_simple_value(item)) return false;
  const uint8_t v = cbor_ctrl_value(item);
  return v == CBOR_CTRL_FALSE || v == CBOR_CTRL_TRUE;
}
bool is_null(const cbor_item_t* item) { return is_simple_value(item) && cbor_ctrl_value(item) == CBOR_CTRL_NULL; }
bool is_undefined(const cbor_item_t* item) { return is_simple_value(item) && cbor_ctrl_value(item) == CBOR_CTRL_UNDEF; }

Result<bool> get_bool(const cbor_item_t* item) {
  if (!is_bool(item)) return malformed("expected a boolean");
  return cbor_get_bool(item);
}

Result<const cbor_item_t*> get_tagged(const cbor_item_t* item, uint64_t tag_value) {
  if (item == nullptr || !cbor_isa_tag(item)) return malformed("expected tag " + std::to_string(tag_value));
  if (cbor_tag_value(item) != tag_value)
    return malformed("expected tag " + std::to_string(tag_value) + ", found " + std::to_string(cbor_tag_value(item)));
  const cbor_item_t* content = cbor_tag_item(item);
  // cbor_tag_item increments the reference count; the tag still holds its own reference.
  cbor_item_t* mutable_content = const_cast<cbor_item_t*>(content);
  cbor_decref(&mutable_content);
  return content;
}

Result<std::vector<const cbor_item_t*>> array_items(const cbor_item_t* item) {
  if (item == nullptr || !cbor_isa_array(item)) return malformed("expected an array");
  std::vector<const cbor_item_t*> out(cbor_array_size(item));
  for (size_t i = 0; i < out.size(); ++i) out[i] = cbor_array_handle(item)[i];
  return out;
}

Result<std::vector<std::pair<const cbor_item_t*, const cbor_item_t*>>> map_pairs(const cbor_item_t* item) {
  if (item == nullptr || !cbor_isa_map(item)) return malformed("expected a map");
  std::vector<std::pair<const cbor_item_t*, const cbor_item_t*>> out(cbor_map_size(item));
  for (size_t i = 0; i < out.size(); ++i) out[i] = {cbor_map_handle(item)[i].key, cbor_map_handle(item)[i].value};
  return out;
}

namespace {

template <class Match>
Result<const cbor_item_t*> find_key(const cbor_item_t* map, Match match, const std::string& name) {
  if (map == nullptr || !cbor_isa_map(map)) return malformed("expected a map");
  const cbor_item_t* found = nullptr;
  size_t n = cbor_map_size(map);
  for (size_t i = 0; i < n; ++i) {
    if (!match(cbor_map_handle(map)[i].key)) continue;
    if (found != nullptr) return malformed("key " + name + " occurs twice");
    found = cbor_map_handle(map)[i].value;
  }
  return found;
}

}  // namespace

Result<const cbor_item_t*> find_text(const cbor_item_t* map, std::string_view key) {
  return find_key(
      map,
      [&](const cbor_item_t* k) {
        return cbor_isa_string(k) && cbor_string_is_definite(k) && cbor_string_length(k) == key.size() &&
               (key.empty() || std::memcmp(cbor_string_handle(k), key.data(), key.size()) == 0);
      },
      "\"" + std::string(key) + "\"");
}

Result<const cbor_item_t*> find_int(const cbor_item_t* map, int64_t key) {
  return find_key(
      map,
      [&](const cbor_item_t* k) {
        if (!cbor_is_int(k)) return false;
        auto v = get_int(k);
        return v.ok() && *v == key;
      },
      std::to_string(key));
}

Result<const cbor_item_t*> require_text(const cbor_item_t* map, std::string_view key) {
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* v, find_text(map, key));
  if (v == nullptr) return malformed("missing \"" + std::string(key) + "\"");
  return v;
}

Result<const cbor_item_t*> require_int(const cbor_item_t* map, int64_t key) {
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* v, find_int(map, key));
  if (v == nullptr) return malformed("missing key " + std::to_string(key));
  return v;
}

Result<Item> clone(const cbor_item_t* item) {
  IDTAP_ASSIGN_OR_RETURN(Bytes enc, encode(item));
  auto r = decode(enc);
  if (!r.ok()) return make_error(ErrorCode::kInternal, "CBOR clone: " + r.error().context);
  return std::move(r).value();
}

std::string diagnostic(const cbor_item_t* item, size_t max_bytes) {
  std::string out;
  if (item != nullptr) diag(item, max_bytes, out);
  return out;
}

}  // namespace idtap::provision::cbor
