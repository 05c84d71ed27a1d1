// lib/provision/ledger_events.cpp: the HMAC event chain: the canonical row, the links, the
// authenticated head in meta, and appending an event (ledger.h describes the design).
#include <algorithm>
#include <charconv>

#include "idtap/base/hex.h"
#include "idtap/crypto/mac.h"
#include "idtap/provision/cbor.h"
#include "ledger_detail.h"
#include "ledger_internal.h"

namespace idtap::provision {
namespace {

// kHeadLabel: the HMAC domain of the event head tag (the links are HMAC(prev || row)).
constexpr std::string_view kHeadLabel = "idtap ledger event head";
// kMetaTagLabel: the HMAC domain of the tags of the meta rows the rules read (meta_tag).
constexpr std::string_view kMetaTagLabel = "idtap ledger meta";

Result<EventHead> parse_event_head(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return make_error(ErrorCode::kMalformed, "ledger is corrupt: meta 'event_head' " + why);
  };
  auto c1 = text.find(':');
  auto c2 = c1 == std::string::npos ? c1 : text.find(':', c1 + 1);
  if (c2 == std::string::npos) return bad("is not SEQ:HASH:TAG");
  EventHead h;
  IDTAP_ASSIGN_OR_RETURN(uint64_t seq, parse_meta_number("event_head", std::string_view(text).substr(0, c1), 0, INT64_MAX - 1));
  h.seq = static_cast<int64_t>(seq);
  auto hash = from_hex(text.substr(c1 + 1, c2 - c1 - 1));
  auto tag = from_hex(text.substr(c2 + 1));
  if (!hash.ok() || hash->size() != 32 || !tag.ok() || tag->size() != 32) return bad("has a malformed hash or tag");
  h.hash = std::move(hash).value();
  h.tag = std::move(tag).value();
  return h;
}

std::string escape_field(std::string_view v) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(v.size());
  for (unsigned char c : v) {
    if (c == '%' || c == ';' || c == '=' || c < 0x20) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::optional<std::string> unescape_field(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '%') {
      out += v[i];
      continue;
    }
    if (i + 2 >= v.size()) return std::nullopt;
    auto byte = from_hex(v.substr(i + 1, 2));
    if (!byte.ok() || byte->size() != 1) return std::nullopt;
    out += static_cast<char>((*byte)[0]);
    i += 2;
  }
  return out;
}

}  // namespace

EventDetail EventDetail::versioned() {
  EventDetail d;
  d.add("v", kDetailVersion);
  return d;
}

EventDetail& EventDetail::add(std::string_view key, std::string_view value) {
  if (!text_.empty()) text_ += ';';
  text_ += escape_field(key) + "=" + escape_field(value);
  fields_.emplace_back(std::string(key), std::string(value));
  return *this;
}

EventDetail& EventDetail::add(std::string_view key, int64_t value) { return add(key, std::to_string(value)); }

EventDetail& EventDetail::add_hex(std::string_view key, ByteView value) { return add(key, to_hex(value)); }

EventDetail EventDetail::parse(std::string_view detail) {
  EventDetail d;
  if (detail.find('=') == std::string_view::npos) return d;
  std::vector<std::pair<std::string, std::string>> fields;
  size_t at = 0;
  while (at <= detail.size()) {
    size_t end = detail.find(';', at);
    if (end == std::string_view::npos) end = detail.size();
    std::string_view field = detail.substr(at, end - at);
    const size_t eq = field.find('=');
    if (eq == std::string_view::npos) return d;
    auto k = unescape_field(field.substr(0, eq));
    auto v = unescape_field(field.substr(eq + 1));
    if (!k || !v) return d;
    fields.emplace_back(std::move(*k), std::move(*v));
    at = end + 1;
  }
  d.text_ = std::string(detail);
  d.fields_ = std::move(fields);
  return d;
}

bool EventDetail::has_version() const { return !fields_.empty() && fields_[0].first == "v" && fields_[0].second == kDetailVersion; }

std::optional<std::string> EventDetail::text(std::string_view key) const {
  for (const auto& [k, v] : fields_)
    if (k == key) return v;
  return std::nullopt;
}

std::optional<int64_t> EventDetail::number(std::string_view key) const {
  auto t = text(key);
  if (!t) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(t->data(), t->data() + t->size(), v);
  if (t->empty() || ec != std::errc() || end != t->data() + t->size()) return std::nullopt;
  return v;
}

std::optional<Bytes> EventDetail::hex(std::string_view key) const {
  auto t = text(key);
  if (!t) return std::nullopt;
  auto b = from_hex(*t);
  if (!b.ok()) return std::nullopt;
  return std::move(b).value();
}

EventDetail issued_detail(const IssuedDetail& i) {
  EventDetail d = EventDetail::versioned();
  d.add("holder", i.holder_id).add("card", i.card).add("idx", i.status_idx).add("device", i.device_thumbprint)
      .add("doc_type", i.doc_type).add("valid_from", i.valid_from).add("valid_until", i.valid_until).add_hex("sha256", i.file_sha256)
      .add("evidence", i.evidence).add("file", i.file_path);
  if (!i.challenge.empty()) d.add_hex("challenge", i.challenge);
  if (!i.idempotency_id.empty()) d.add("idem", i.idempotency_id);
  return d;
}

EventDetail holder_detail(int64_t holder_id, ByteView holder_key, int64_t created_at) {
  EventDetail d = EventDetail::versioned();
  d.add("id", holder_id).add_hex("key", holder_key).add("created_at", created_at);
  return d;
}

const Bytes kGenesis(32, 0);

Result<Bytes> canonical_event(int64_t seq, int64_t at, std::string_view kind, std::string_view credential_id, int64_t card_id,
                              std::string_view detail, std::string_view site) {
  std::vector<cbor::Item> row;
  row.push_back(cbor::integer(seq));
  row.push_back(cbor::integer(at));
  row.push_back(cbor::text(kind));
  row.push_back(cbor::text(credential_id));
  row.push_back(cbor::integer(card_id));
  row.push_back(cbor::text(detail));
  if (!site.empty()) row.push_back(cbor::text(site));
  return cbor::encode(cbor::array(std::move(row)));
}

Result<uint64_t> parse_meta_number(std::string_view key, std::string_view text, uint64_t min, uint64_t max) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < min || v > max)
    return make_error(ErrorCode::kMalformed, "ledger is corrupt: meta '" + std::string(key) + "' is '" + std::string(text) +
                                                 "', not a number in " + std::to_string(min) + ".." + std::to_string(max));
  return v;
}

Result<Bytes> Ledger::Impl::event_link(ByteView prev, ByteView canonical) const {
  Bytes data(prev.begin(), prev.end());
  data.insert(data.end(), canonical.begin(), canonical.end());
  return crypto::hmac_sha256(ByteView(key.data(), key.size()), data);
}

Result<Bytes> Ledger::Impl::head_tag(int64_t seq, ByteView hash) const {
  Bytes data(kHeadLabel.begin(), kHeadLabel.end());
  for (int shift = 56; shift >= 0; shift -= 8) data.push_back(static_cast<uint8_t>(static_cast<uint64_t>(seq) >> shift));
  data.insert(data.end(), hash.begin(), hash.end());
  return crypto::hmac_sha256(ByteView(key.data(), key.size()), data);
}

Status Ledger::Impl::set_event_head(int64_t seq, ByteView hash, bool ahead) {
  IDTAP_ASSIGN_OR_RETURN(Bytes tag, head_tag(seq, hash));
  return set_meta("event_head", std::to_string(seq) + ":" + to_hex(hash) + ":" + to_hex(tag), ahead);
}

Result<EventHead> Ledger::Impl::event_head() {
  if (tip && tip->dirty) {
    IDTAP_ASSIGN_OR_RETURN(Bytes tag, head_tag(tip->seq, tip->hash));
    return EventHead{tip->seq, tip->hash, std::move(tag)};
  }
  IDTAP_ASSIGN_OR_RETURN(std::string text, meta("event_head"));
  IDTAP_ASSIGN_OR_RETURN(EventHead head, parse_event_head(text));
  IDTAP_ASSIGN_OR_RETURN(Bytes tag, head_tag(head.seq, head.hash));
  if (!crypto::constant_time_equal(tag, head.tag))
    return make_error(ErrorCode::kMalformed, "ledger is corrupt: meta 'event_head' is not authentic (rewound or forged): "
                                             "run `idtap ledger verify`");
  return head;
}

Result<Ledger::Impl::ChainTip*> Ledger::Impl::chain_tip() {
  if (!tip) {
    IDTAP_ASSIGN_OR_RETURN(EventHead head, event_head());
    tip = ChainTip{head.seq, std::move(head.hash), false};
  }
  return &*tip;
}

Status Ledger::Impl::flush_tip() {
  if (!tip || !tip->dirty) return ok_status();
  // Chunks of at most kRowsPerInsert rows: a few statement shapes, prepared once each.
  constexpr size_t kRowsPerInsert = 32;
  for (size_t at = 0; at < unwritten.size(); at += kRowsPerInsert) {
    const size_t n = std::min(kRowsPerInsert, unwritten.size() - at);
    std::string sql = "INSERT INTO events(seq, at, kind, credential_id, card_id, detail, hash, site) VALUES";
    for (size_t i = 0; i < n; ++i) {
      const int p = static_cast<int>(i * 8);
      sql += (i ? ", (?" : " (?") + std::to_string(p + 1);
      for (int c = 2; c <= 8; ++c) sql += ", ?" + std::to_string(p + c);
      sql += ")";
    }
    IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare(sql.c_str()));
    for (size_t i = 0; i < n; ++i) {
      const UnwrittenEvent& e = unwritten[at + i];
      const int p = static_cast<int>(i * 8);
      s.bind(p + 1, e.seq).bind(p + 2, e.at).bind(p + 3, e.kind).bind(p + 4, e.credential_id).bind(p + 5, e.card_id)
          .bind(p + 6, e.detail).bind_blob(p + 7, e.hash).bind(p + 8, site);
    }
    IDTAP_TRY(s.run_deferred());  // answered with the commit (a server: one round trip for all)
  }
  unwritten.clear();
  IDTAP_TRY(set_event_head(tip->seq, tip->hash, /*ahead=*/true));
  tip->dirty = false;
  return ok_status();
}

Status Ledger::Impl::savepoint(const char* name) {
  IDTAP_TRY(exec((std::string("SAVEPOINT ") + name).c_str()));
  tip_saved.push_back(SavedTip{tip, unwritten.size()});
  return ok_status();
}

Status Ledger::Impl::rollback_to(const char* name) {
  IDTAP_TRY(exec((std::string("ROLLBACK TO ") + name).c_str()));
  if (!tip_saved.empty()) {
    tip = tip_saved.back().tip;
    unwritten.resize(std::min(unwritten.size(), tip_saved.back().unwritten));
  }
  return ok_status();
}

Status Ledger::Impl::release(const char* name) {
  IDTAP_TRY(exec((std::string("RELEASE ") + name).c_str()));
  if (!tip_saved.empty()) tip_saved.pop_back();
  return ok_status();
}

Status Ledger::Impl::next_savepoint(const char* name) {
  const std::string release = std::string("RELEASE ") + name, again = std::string("SAVEPOINT ") + name;
  IDTAP_TRY(db->exec_each({release.c_str(), again.c_str()}));
  if (!tip_saved.empty()) tip_saved.pop_back();
  tip_saved.push_back(SavedTip{tip, unwritten.size()});
  return ok_status();
}

Status Ledger::Impl::append_event(UnixSeconds at, std::string_view kind, std::string_view credential_id, int64_t card_id,
                                  std::string_view detail) {
  IDTAP_ASSIGN_OR_RETURN(ChainTip * t, chain_tip());
  const int64_t seq = t->seq + 1;
  IDTAP_ASSIGN_OR_RETURN(Bytes row, canonical_event(seq, at, kind, credential_id, card_id, detail, site));
  IDTAP_ASSIGN_OR_RETURN(Bytes hash, event_link(t->hash, row));
  unwritten.push_back(UnwrittenEvent{seq, at, card_id, std::string(kind), std::string(credential_id), std::string(detail), hash});
  *t = ChainTip{seq, std::move(hash), true};
  return ok_status();
}

Status Ledger::Impl::append_holder_event(UnixSeconds at, int64_t holder_id, ByteView holder_key, UnixSeconds created_at) {
  return append_event(at, "holder", "", 0, holder_detail(holder_id, holder_key, created_at).str());
}

Result<Bytes> Ledger::Impl::meta_tag(std::string_view name, std::string_view value) const {
  Bytes data(kMetaTagLabel.begin(), kMetaTagLabel.end());
  data.push_back(0);
  data.insert(data.end(), name.begin(), name.end());
  data.push_back(0);
  data.insert(data.end(), value.begin(), value.end());
  return crypto::hmac_sha256(ByteView(key.data(), key.size()), data);
}

Status Ledger::Impl::set_tagged_meta(const char* name, const std::string& value) {
  IDTAP_TRY(set_meta(name, value));
  IDTAP_ASSIGN_OR_RETURN(Bytes tag, meta_tag(name, value));
  return set_meta((std::string("tag.") + name).c_str(), to_hex(tag));
}

Result<std::vector<std::string>> Ledger::Impl::untagged_meta() {
  std::vector<std::string> edited;
  for (const char* name : kTaggedMeta) {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("SELECT key, value FROM meta WHERE key = ?1 OR key = 'tag.' || ?1"));
    s.bind(1, name);
    std::optional<std::string> value, tag;
    while (true) {
      IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
      if (!row) break;
      (s.text(0) == name ? value : tag) = s.text(1);
    }
    bool ok = false;
    if (value && tag) {
      IDTAP_ASSIGN_OR_RETURN(Bytes expect, meta_tag(name, *value));
      auto stored = from_hex(*tag);
      ok = stored.ok() && crypto::constant_time_equal(*stored, expect);
    }
    if (!ok) edited.push_back(name);
  }
  return edited;
}

}  // namespace idtap::provision
