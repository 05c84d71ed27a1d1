#include "idtap/provision/cose.h"

namespace idtap::provision {

Result<Bytes> es256_protected_header(const std::optional<std::string>& typ) {
  // Keys in deterministic order: 1 (alg) before 16 (typ).
  cbor::Writer w;
  w.map(typ ? 2 : 1).uint(kCoseHeaderAlg).integer(kCoseAlgEs256);
  if (typ) w.uint(kCoseHeaderTyp).text(*typ);
  return w.take();
}

Result<Bytes> sig_structure(ByteView protected_header, ByteView payload, ByteView external_aad) {
  cbor::Writer w;
  w.array(4).text("Signature1").bytes(protected_header).bytes(external_aad).bytes(payload);
  return w.take();
}

Result<std::vector<Bytes>> x5chain_to_carry(const std::vector<Bytes>& chain) {
  if (chain.empty()) return make_error(ErrorCode::kInvalidArgument, "no issuer certificate for x5chain");
  size_t carried = chain.size();
  if (carried > 1) {
    auto last = Certificate::from_der(chain.back());
    if (!last.ok()) return make_error(ErrorCode::kInvalidArgument, "issuer chain: " + last.error().context);
    if (last->is_self_signed()) --carried;  // ISO/IEC 18013-5 §9.1.2.4: not the root
  }
  return std::vector<Bytes>(chain.begin(), chain.begin() + static_cast<std::ptrdiff_t>(carried));
}

void write_cose_sign1(cbor::Writer& w, ByteView protected_header, const std::vector<Bytes>& x5chain, ByteView payload,
                      ByteView signature) {
  w.array(4).bytes(protected_header);
  if (x5chain.empty()) {
    w.map(0);
  } else if (x5chain.size() == 1) {
    w.map(1).uint(kCoseHeaderX5chain).bytes(x5chain[0]);
  } else {
    w.map(1).uint(kCoseHeaderX5chain).array(x5chain.size());
    for (const auto& c : x5chain) w.bytes(c);
  }
  w.bytes(payload).bytes(signature);
}

void write_cose_sign1(cbor::Writer& w, const CoseSign1& s) {
  write_cose_sign1(w, s.protected_header, s.x5chain, s.payload, s.signature);
}

Result<Bytes> encode_cose_sign1(const CoseSign1& s, bool tagged) {
  cbor::Writer w;
  if (tagged) w.tag(cbor::kTagCoseSign1);
  write_cose_sign1(w, s);
  return w.take();
}

namespace {

Status read_x5chain(const cbor_item_t* value, std::vector<Bytes>& out) {
  if (value == nullptr) return ok_status();
  if (cbor_isa_bytestring(value)) {
    IDTAP_ASSIGN_OR_RETURN(ByteView der, cbor::get_bytes(value));
    out.push_back(to_bytes(der));
    return ok_status();
  }
  IDTAP_ASSIGN_OR_RETURN(auto certs, cbor::array_items(value));
  if (certs.empty()) return make_error(ErrorCode::kMalformed, "COSE x5chain: empty array");
  for (const auto* c : certs) {
    IDTAP_ASSIGN_OR_RETURN(ByteView der, cbor::get_bytes(c));
    out.push_back(to_bytes(der));
  }
  return ok_status();
}

}  // namespace

Result<CoseSign1> parse_cose_sign1(const cbor_item_t* item) {
  if (item != nullptr && cbor_isa_tag(item)) {
    IDTAP_ASSIGN_OR_RETURN(item, cbor::get_tagged(item, cbor::kTagCoseSign1));
  }
  IDTAP_ASSIGN_OR_RETURN(auto parts, cbor::array_items(item));
  if (parts.size() != 4) return make_error(ErrorCode::kMalformed, "COSE_Sign1: expected 4 elements");
  CoseSign1 s;
  IDTAP_ASSIGN_OR_RETURN(ByteView prot, cbor::get_bytes(parts[0]));
  s.protected_header = to_bytes(prot);
  if (cbor::is_null(parts[2])) return make_error(ErrorCode::kMalformed, "COSE_Sign1: detached payload");
  IDTAP_ASSIGN_OR_RETURN(ByteView payload, cbor::get_bytes(parts[2]));
  s.payload = to_bytes(payload);
  IDTAP_ASSIGN_OR_RETURN(ByteView sig, cbor::get_bytes(parts[3]));
  s.signature = to_bytes(sig);
  // RFC 9052 §3: the protected header is a bstr holding a map (or empty).
  if (s.protected_header.empty()) return make_error(ErrorCode::kMalformed, "COSE_Sign1: empty protected header (no alg)");
  IDTAP_ASSIGN_OR_RETURN(cbor::Item ph, cbor::decode(s.protected_header));
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* alg, cbor::require_int(ph.get(), kCoseHeaderAlg));
  IDTAP_ASSIGN_OR_RETURN(s.alg, cbor::get_int(alg));
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* typ, cbor::find_int(ph.get(), kCoseHeaderTyp));
  if (typ != nullptr && cbor_isa_string(typ)) {
    IDTAP_ASSIGN_OR_RETURN(std::string t, cbor::get_text(typ));
    s.typ = t;
  }
  // x5chain: ISO/IEC 18013-5 §9.1.2.4 puts it in the unprotected header; accept the protected
  // one as well (RFC 9360 allows either), never both.
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* x5_prot, cbor::find_int(ph.get(), kCoseHeaderX5chain));
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* x5_unprot, cbor::find_int(parts[1], kCoseHeaderX5chain));
  if (x5_prot != nullptr && x5_unprot != nullptr)
    return make_error(ErrorCode::kMalformed, "COSE_Sign1: x5chain in both headers");
  IDTAP_TRY(read_x5chain(x5_unprot != nullptr ? x5_unprot : x5_prot, s.x5chain));
  return s;
}

Status verify_cose_sign1(const CoseSign1& s, const EcPublicKey& key) {
  if (s.alg != kCoseAlgEs256)
    return make_error(ErrorCode::kNotSupported, "COSE alg " + std::to_string(s.alg) + " (only ES256, -7, is accepted)");
  IDTAP_ASSIGN_OR_RETURN(Bytes tbs, sig_structure(s.protected_header, s.payload));
  auto v = key.verify_es256(tbs, s.signature);
  if (!v.ok()) return make_error(ErrorCode::kVerificationFailed, "issuer signature (COSE_Sign1 ES256) does not verify");
  return ok_status();
}

}  // namespace idtap::provision
