// lib/provision/ledger_events.cpp: the HMAC event chain: the canonical row, the links, the
// authenticated head in meta, and appending an event (ledger.h describes the design).
#include <charconv>

#include "idtap/base/hex.h"
#include "idtap/crypto/mac.h"
#include "idtap/provision/cbor.h"
#include "ledger_internal.h"

namespace idtap::provision {
namespace {

// kHeadLabel: the HMAC domain of the event head tag (the links are HMAC(prev || row)).
constexpr std::string_view kHeadLabel = "idtap ledger event head";

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

}  // namespace

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

Status Ledger::Impl::set_event_head(int64_t seq, ByteView hash) {
  IDTAP_ASSIGN_OR_RETURN(Bytes tag, head_tag(seq, hash));
  return set_meta("event_head", std::to_string(seq) + ":" + to_hex(hash) + ":" + to_hex(tag));
}

Result<EventHead> Ledger::Impl::event_head() {
  IDTAP_ASSIGN_OR_RETURN(std::string text, meta("event_head"));
  IDTAP_ASSIGN_OR_RETURN(EventHead head, parse_event_head(text));
  IDTAP_ASSIGN_OR_RETURN(Bytes tag, head_tag(head.seq, head.hash));
  if (!crypto::constant_time_equal(tag, head.tag))
    return make_error(ErrorCode::kMalformed, "ledger is corrupt: meta 'event_head' is not authentic (rewound or forged): "
                                             "run `idtap ledger verify`");
  return head;
}

Status Ledger::Impl::append_event(UnixSeconds at, std::string_view kind, std::string_view credential_id, int64_t card_id,
                                  std::string_view detail) {
  IDTAP_ASSIGN_OR_RETURN(EventHead head, event_head());
  int64_t seq = head.seq + 1;
  IDTAP_ASSIGN_OR_RETURN(Bytes row, canonical_event(seq, at, kind, credential_id, card_id, detail, site));
  IDTAP_ASSIGN_OR_RETURN(Bytes hash, event_link(head.hash, row));
  IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("INSERT INTO events(seq, at, kind, credential_id, card_id, detail, hash, site) "
                                         "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  IDTAP_TRY(s.bind(1, seq).bind(2, at).bind(3, kind).bind(4, credential_id).bind(5, card_id).bind(6, detail).bind_blob(7, hash)
                .bind(8, site).run());
  return set_event_head(seq, hash);
}

}  // namespace idtap::provision
