#include "idtap/provision/status_list.h"

#include <zlib.h>

#include "idtap/provision/cbor.h"
#include "idtap/provision/cose.h"

namespace idtap::provision {
namespace {

constexpr int64_t kClaimSub = 2;
constexpr int64_t kClaimExp = 4;
constexpr int64_t kClaimIat = 6;
constexpr int64_t kClaimStatusList = 65533;
constexpr int64_t kClaimTtl = 65534;
// kClaimLedgerHead: a private claim (RFC 8392 §4: a text key): StatusListLedgerHead.
constexpr const char* kClaimLedgerHead = "idtap_ledger_head";

bool valid_bits(int bits) { return bits == 1 || bits == 2 || bits == 4 || bits == 8; }

}  // namespace

Result<StatusList> StatusList::create(uint64_t size, int bits) {
  if (!valid_bits(bits)) return make_error(ErrorCode::kInvalidArgument, "status list bits must be 1, 2, 4 or 8");
  if (size == 0 || size > (uint64_t(1) << 32)) return make_error(ErrorCode::kInvalidArgument, "status list size out of range");
  StatusList l;
  l.bits_ = bits;
  l.bytes_.assign((size * bits + 7) / 8, 0);
  return l;
}

Result<StatusList> StatusList::from_bytes(Bytes bytes, int bits) {
  if (!valid_bits(bits)) return make_error(ErrorCode::kMalformed, "status list bits must be 1, 2, 4 or 8");
  if (bytes.empty()) return make_error(ErrorCode::kMalformed, "empty status list");
  StatusList l;
  l.bits_ = bits;
  l.bytes_ = std::move(bytes);
  return l;
}

Result<uint8_t> StatusList::get(uint64_t index) const {
  if (index >= size()) return make_error(ErrorCode::kInvalidArgument, "status index " + std::to_string(index) + " past the list");
  uint64_t bit = index * bits_;
  // draft-ietf-oauth-status-list §4.1: least significant bits first within each byte.
  return static_cast<uint8_t>((bytes_[bit / 8] >> (bit % 8)) & ((1u << bits_) - 1));
}

Status StatusList::set(uint64_t index, uint8_t value) {
  if (index >= size()) return make_error(ErrorCode::kInvalidArgument, "status index " + std::to_string(index) + " past the list");
  unsigned mask = (1u << bits_) - 1;
  if (value > mask) return make_error(ErrorCode::kInvalidArgument, "status value does not fit the list's bits");
  uint64_t bit = index * bits_;
  uint8_t& b = bytes_[bit / 8];
  b = static_cast<uint8_t>((b & ~(mask << (bit % 8))) | (value << (bit % 8)));
  return ok_status();
}

Result<Bytes> zlib_compress(ByteView data) {
  uLongf cap = compressBound(static_cast<uLong>(data.size()));
  Bytes out(cap);
  if (compress2(out.data(), &cap, data.data(), static_cast<uLong>(data.size()), Z_BEST_COMPRESSION) != Z_OK)
    return make_error(ErrorCode::kInternal, "zlib compress failed");
  out.resize(cap);
  return out;
}

Result<Bytes> zlib_decompress(ByteView data, size_t max_output) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return make_error(ErrorCode::kInternal, "zlib inflateInit failed");
  zs.next_in = const_cast<Bytef*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());
  Bytes out;
  unsigned char chunk[16384];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = chunk;
    zs.avail_out = sizeof chunk;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out.insert(out.end(), chunk, chunk + (sizeof chunk - zs.avail_out));
    if (out.size() > max_output) {
      inflateEnd(&zs);
      return make_error(ErrorCode::kMalformed, "status list decompresses past " + std::to_string(max_output) + " bytes");
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) break;  // truncated input
  }
  bool trailing = zs.avail_in != 0;
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return make_error(ErrorCode::kMalformed, "status list: bad or truncated zlib data");
  if (trailing) return make_error(ErrorCode::kMalformed, "status list: bytes after the zlib stream");
  return out;
}

namespace {

// ledger_head_claim: the "idtap_ledger_head" claim of `claims`, or nullopt.
Result<std::optional<StatusListLedgerHead>> ledger_head_claim(const cbor_item_t* claims) {
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* head, cbor::find_text(claims, kClaimLedgerHead));
  if (head == nullptr) return std::optional<StatusListLedgerHead>();
  IDTAP_ASSIGN_OR_RETURN(std::vector<const cbor_item_t*> parts, cbor::array_items(head));
  if (parts.size() != 3) return make_error(ErrorCode::kMalformed, "status list token: idtap_ledger_head is not [seq, link, tag]");
  StatusListLedgerHead h;
  IDTAP_ASSIGN_OR_RETURN(h.seq, cbor::get_int(parts[0]));
  IDTAP_ASSIGN_OR_RETURN(ByteView link, cbor::get_bytes(parts[1]));
  IDTAP_ASSIGN_OR_RETURN(ByteView tag, cbor::get_bytes(parts[2]));
  h.link.assign(link.begin(), link.end());
  h.tag.assign(tag.begin(), tag.end());
  return std::optional<StatusListLedgerHead>(std::move(h));
}

}  // namespace

Result<Bytes> sign_status_list_token(const StatusListToken& token, IssuerSigner& signer) {
  IDTAP_ASSIGN_OR_RETURN(Bytes lst, zlib_compress(token.list.bytes()));
  cbor::MapBuilder sl;
  sl.add("bits", cbor::uint(static_cast<uint64_t>(token.list.bits()))).add("lst", cbor::bytes(lst));
  IDTAP_ASSIGN_OR_RETURN(cbor::Item status_list, sl.build());
  cbor::MapBuilder claims;
  claims.add(kClaimSub, cbor::text(token.uri)).add(kClaimIat, cbor::integer(token.issued_at));
  if (token.expires_at) claims.add(kClaimExp, cbor::integer(*token.expires_at));
  if (token.ttl) claims.add(kClaimTtl, cbor::uint(*token.ttl));
  claims.add(kClaimStatusList, std::move(status_list));
  if (token.ledger_head) {
    std::vector<cbor::Item> head;
    head.push_back(cbor::integer(token.ledger_head->seq));
    head.push_back(cbor::bytes(token.ledger_head->link));
    head.push_back(cbor::bytes(token.ledger_head->tag));
    claims.add(kClaimLedgerHead, cbor::array(std::move(head)));
  }
  IDTAP_ASSIGN_OR_RETURN(cbor::Item claims_item, claims.build());

  CoseSign1 s;
  IDTAP_ASSIGN_OR_RETURN(s.protected_header, es256_protected_header(std::string(kStatusListTyp)));
  IDTAP_ASSIGN_OR_RETURN(s.payload, cbor::encode(claims_item));
  // Like the credential's (ISO/IEC 18013-5 §9.1.2.4): the signer and intermediates, not the
  // root the relying party holds as its anchor.
  IDTAP_ASSIGN_OR_RETURN(s.x5chain, signer.cose_x5chain());
  IDTAP_ASSIGN_OR_RETURN(Bytes tbs, sig_structure(s.protected_header, s.payload));
  IDTAP_ASSIGN_OR_RETURN(s.signature, signer.sign(tbs));
  return encode_cose_sign1(s, /*tagged=*/true);
}

Result<StatusListToken> verify_status_list_token(ByteView token, const StatusListVerifyOptions& options) {
  // A CWT COSE_Sign1 is usually tagged 18, encoded as the single byte 0xD2. libcbor 0.8's
  // decoder rejects the one-byte tags 6..20 (0xC6..0xD4) as unassigned, so the outer tag is
  // read here and the array handed to libcbor.
  ByteView body = token;
  if (!body.empty() && body[0] == 0xD2) body = body.subspan(1);
  IDTAP_ASSIGN_OR_RETURN(cbor::Item item, cbor::decode(body));
  IDTAP_ASSIGN_OR_RETURN(CoseSign1 s, parse_cose_sign1(item.get()));
  if (!s.typ || *s.typ != kStatusListTyp)
    return make_error(ErrorCode::kMalformed, "status list token: protected typ is not application/statuslist+cwt");
  if (s.x5chain.empty()) return make_error(ErrorCode::kVerificationFailed, "status list token: no x5chain");
  std::vector<Certificate> chain;
  for (const auto& der : s.x5chain) {
    IDTAP_ASSIGN_OR_RETURN(Certificate c, Certificate::from_der(der));
    chain.push_back(std::move(c));
  }
  auto trusted = verify_certificate_chain(chain[0], std::span<const Certificate>(chain).subspan(1),
                                          options.trusted_issuers, options.now);
  if (!trusted.ok()) return trusted.error().with_context("status list token");
  IDTAP_ASSIGN_OR_RETURN(EcPublicKey key, chain[0].public_key());
  auto sig = verify_cose_sign1(s, key);
  if (!sig.ok()) return sig.error().with_context("status list token");

  IDTAP_ASSIGN_OR_RETURN(cbor::Item claims, cbor::decode(s.payload));
  StatusListToken t;
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* sub, cbor::require_int(claims.get(), kClaimSub));
  IDTAP_ASSIGN_OR_RETURN(t.uri, cbor::get_text(sub));
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* iat, cbor::require_int(claims.get(), kClaimIat));
  IDTAP_ASSIGN_OR_RETURN(t.issued_at, cbor::get_int(iat));
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* exp, cbor::find_int(claims.get(), kClaimExp));
  if (exp != nullptr) {
    IDTAP_ASSIGN_OR_RETURN(int64_t e, cbor::get_int(exp));
    t.expires_at = e;
    if (options.now >= e)
      return make_error(ErrorCode::kVerificationFailed, "status list token expired at " + format_tdate(e));
  }
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* ttl, cbor::find_int(claims.get(), kClaimTtl));
  if (ttl != nullptr) {
    IDTAP_ASSIGN_OR_RETURN(uint64_t v, cbor::get_uint(ttl));
    t.ttl = v;
  }
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* sl, cbor::require_int(claims.get(), kClaimStatusList));
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* bits_item, cbor::require_text(sl, "bits"));
  IDTAP_ASSIGN_OR_RETURN(uint64_t bits, cbor::get_uint(bits_item));
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* lst_item, cbor::require_text(sl, "lst"));
  IDTAP_ASSIGN_OR_RETURN(ByteView lst, cbor::get_bytes(lst_item));
  if (bits > 8) return make_error(ErrorCode::kMalformed, "status list bits must be 1, 2, 4 or 8");
  IDTAP_ASSIGN_OR_RETURN(Bytes raw, zlib_decompress(lst));
  IDTAP_ASSIGN_OR_RETURN(t.list, StatusList::from_bytes(std::move(raw), static_cast<int>(bits)));
  IDTAP_ASSIGN_OR_RETURN(t.ledger_head, ledger_head_claim(claims.get()));
  return t;
}

Result<std::optional<StatusListLedgerHead>> status_list_ledger_head(ByteView token) {
  ByteView body = token;
  if (!body.empty() && body[0] == 0xD2) body = body.subspan(1);  // tag 18 (see verify_status_list_token)
  IDTAP_ASSIGN_OR_RETURN(cbor::Item item, cbor::decode(body));
  IDTAP_ASSIGN_OR_RETURN(CoseSign1 s, parse_cose_sign1(item.get()));
  if (!s.typ || *s.typ != kStatusListTyp)
    return make_error(ErrorCode::kMalformed, "status list token: protected typ is not application/statuslist+cwt");
  IDTAP_ASSIGN_OR_RETURN(cbor::Item claims, cbor::decode(s.payload));
  return ledger_head_claim(claims.get());
}

}  // namespace idtap::provision
