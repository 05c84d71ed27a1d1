// The CDDL structures of ISO 18013-5 (§8.3.2.1.2.2 IssuerSigned and IssuerSignedItem, §9.1.2.4
// MobileSecurityObject) as deterministic CBOR: encoded, decoded, and the value digests.
#include "idtap/provision/mdoc.h"

#include <algorithm>

#include "mdoc_internal.h"

namespace idtap::provision {
namespace internal {

// write_issuer_signed: {"issuerAuth": COSE_Sign1, "nameSpaces": {ns: [#6.24(bstr)]}};
// `name_spaces` in any order (written in deterministic order).
Result<Bytes> write_issuer_signed(std::vector<NameSpaceView> name_spaces, const CoseSign1View& auth) {
  std::sort(name_spaces.begin(), name_spaces.end(),
            [](const NameSpaceView& a, const NameSpaceView& b) { return cbor::text_key_less(a.name, b.name); });
  size_t hint = auth.payload.size() + auth.protected_header.size() + auth.signature.size() + 512;
  for (const auto& c : auth.x5chain) hint += c.size() + 4;
  for (const auto& ns : name_spaces) {
    hint += ns.name.size() + 9;
    for (ByteView b : ns.items) hint += b.size() + 12;
  }
  cbor::Writer w(hint);
  w.map(2).text("issuerAuth");  // "issuerAuth" (6a 69…) before "nameSpaces" (6a 6e…)
  write_cose_sign1(w, auth.protected_header, auth.x5chain, auth.payload, auth.signature);
  w.text("nameSpaces").map(name_spaces.size());
  for (const auto& ns : name_spaces) {
    w.text(ns.name).array(ns.items.size());
    for (ByteView inner : ns.items) w.tag(cbor::kTagEncodedCbor).bytes(inner);
  }
  return w.take();
}

}  // namespace internal

using namespace internal;

namespace {

Result<UnixSeconds> read_tdate(const cbor_item_t* item, const char* what) {
  auto content = cbor::get_tagged(item, cbor::kTagTdate);
  if (!content.ok()) return malformed(std::string("MSO ") + what + ": not a tdate (tag 0)");
  IDTAP_ASSIGN_OR_RETURN(std::string text, cbor::get_text(*content));
  auto t = parse_tdate(text);
  if (!t.ok()) return malformed(std::string("MSO ") + what + ": " + t.error().context);
  return *t;
}

}  // namespace

Result<Bytes> value_digest(std::string_view alg, ByteView head, ByteView tail) {
  IDTAP_ASSIGN_OR_RETURN(DigestContext ctx, DigestContext::create(alg));
  return ctx.digest(head, tail);
}

Result<Bytes> encode_issuer_signed_item(const IssuerSignedItem& item) {
  IDTAP_ASSIGN_OR_RETURN(cbor::Item value, cbor::decode(item.element_value));
  IDTAP_ASSIGN_OR_RETURN(DigestContext digest, DigestContext::create("SHA-256"));
  cbor::Writer inner;
  Digest unused;
  IDTAP_TRY(write_item(inner, digest, item.digest_id, item.random, item.element_identifier,
                       [&](cbor::Writer& w) { w.item(value.get()); }, unused));
  cbor::Writer w;
  w.tag(cbor::kTagEncodedCbor).bytes(inner.view());
  return w.take();
}

Result<IssuerSignedItem> decode_issuer_signed_item(ByteView item_bytes) {
  IDTAP_ASSIGN_OR_RETURN(cbor::Item outer, cbor::decode(item_bytes));
  auto inner_bytes = cbor::unwrap_encoded_cbor(outer.get());
  if (!inner_bytes.ok()) return malformed("IssuerSignedItemBytes: not #6.24(bstr)");
  IDTAP_ASSIGN_OR_RETURN(cbor::Item map, cbor::decode(*inner_bytes));
  IDTAP_ASSIGN_OR_RETURN(auto pairs, cbor::map_pairs(map.get()));
  if (pairs.size() != 4) return malformed("IssuerSignedItem: expected 4 entries, found " + std::to_string(pairs.size()));
  IssuerSignedItem out;
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* id, cbor::require_text(map.get(), "digestID"));
  IDTAP_ASSIGN_OR_RETURN(out.digest_id, cbor::get_uint(id));
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* random, cbor::require_text(map.get(), "random"));
  IDTAP_ASSIGN_OR_RETURN(ByteView r, cbor::get_bytes(random));
  out.random = to_bytes(r);
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* ident, cbor::require_text(map.get(), "elementIdentifier"));
  IDTAP_ASSIGN_OR_RETURN(out.element_identifier, cbor::get_text(ident));
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* value, cbor::require_text(map.get(), "elementValue"));
  IDTAP_ASSIGN_OR_RETURN(out.element_value, cbor::encode(value));
  return out;
}

Result<Bytes> encode_mso(const MobileSecurityObject& mso) {
  std::vector<const std::string*> names;
  for (const auto& [ns, ids] : mso.value_digests) names.push_back(&ns);
  std::sort(names.begin(), names.end(), [](const std::string* a, const std::string* b) { return cbor::text_key_less(*a, *b); });
  cbor::Writer w;
  write_mso(w, MsoFields{mso.version, mso.digest_algorithm, mso.doc_type, mso.device_key, mso.validity, mso.status},
            [&](cbor::Writer& w) {
              w.map(names.size());
              for (const std::string* ns : names) {
                const auto& ids = mso.value_digests.at(*ns);
                w.text(*ns).map(ids.size());
                for (const auto& [id, d] : ids) w.uint(id).bytes(d);  // ascending unsigned = deterministic order
              }
            });
  return w.take();
}

Result<MobileSecurityObject> decode_mso(ByteView encoded) {
  IDTAP_ASSIGN_OR_RETURN(cbor::Item m, cbor::decode(encoded));
  MobileSecurityObject mso;
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* version, cbor::require_text(m.get(), "version"));
  IDTAP_ASSIGN_OR_RETURN(mso.version, cbor::get_text(version));
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* alg, cbor::require_text(m.get(), "digestAlgorithm"));
  IDTAP_ASSIGN_OR_RETURN(mso.digest_algorithm, cbor::get_text(alg));
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* digests, cbor::require_text(m.get(), "valueDigests"));
  IDTAP_ASSIGN_OR_RETURN(auto ns_pairs, cbor::map_pairs(digests));
  for (const auto& [ns_key, ns_value] : ns_pairs) {
    IDTAP_ASSIGN_OR_RETURN(std::string ns, cbor::get_text(ns_key));
    if (mso.value_digests.count(ns)) return malformed("MSO valueDigests: namespace " + ns + " twice");
    auto& ids = mso.value_digests[ns];
    IDTAP_ASSIGN_OR_RETURN(auto id_pairs, cbor::map_pairs(ns_value));
    for (const auto& [id_key, digest] : id_pairs) {
      IDTAP_ASSIGN_OR_RETURN(uint64_t id, cbor::get_uint(id_key));
      IDTAP_ASSIGN_OR_RETURN(ByteView d, cbor::get_bytes(digest));
      if (!ids.emplace(id, to_bytes(d)).second) return malformed("MSO valueDigests: digest ID " + std::to_string(id) + " twice");
    }
  }
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* key_info, cbor::require_text(m.get(), "deviceKeyInfo"));
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* device_key, cbor::require_text(key_info, "deviceKey"));
  IDTAP_ASSIGN_OR_RETURN(mso.device_key, EcPublicKey::from_cose_key(device_key));
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* doc_type, cbor::require_text(m.get(), "docType"));
  IDTAP_ASSIGN_OR_RETURN(mso.doc_type, cbor::get_text(doc_type));
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* validity, cbor::require_text(m.get(), "validityInfo"));
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* signed_at, cbor::require_text(validity, "signed"));
  IDTAP_ASSIGN_OR_RETURN(mso.validity.signed_at, read_tdate(signed_at, "signed"));
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* from, cbor::require_text(validity, "validFrom"));
  IDTAP_ASSIGN_OR_RETURN(mso.validity.valid_from, read_tdate(from, "validFrom"));
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* until, cbor::require_text(validity, "validUntil"));
  IDTAP_ASSIGN_OR_RETURN(mso.validity.valid_until, read_tdate(until, "validUntil"));
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* expected, cbor::find_text(validity, "expectedUpdate"));
  if (expected != nullptr) {
    IDTAP_ASSIGN_OR_RETURN(UnixSeconds e, read_tdate(expected, "expectedUpdate"));
    mso.validity.expected_update = e;
  }
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* status, cbor::find_text(m.get(), "status"));
  if (status != nullptr) {
    IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* ref, cbor::require_text(status, "status_list"));
    IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* idx, cbor::require_text(ref, "idx"));
    IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* uri, cbor::require_text(ref, "uri"));
    StatusReference r;
    IDTAP_ASSIGN_OR_RETURN(r.idx, cbor::get_uint(idx));
    IDTAP_ASSIGN_OR_RETURN(r.uri, cbor::get_text(uri));
    mso.status = std::move(r);
  }
  return mso;
}

Result<Bytes> encode_issuer_signed(const IssuerSigned& is) {
  std::vector<cbor::Item> keep;  // the decoded tag-24 items the views point into
  std::vector<NameSpaceView> items;
  for (const auto& [ns, list] : is.name_spaces) {
    auto& views = items.emplace_back(NameSpaceView{ns, {}}).items;
    for (const auto& b : list) {
      IDTAP_ASSIGN_OR_RETURN(cbor::Item it, cbor::decode(b));
      IDTAP_ASSIGN_OR_RETURN(ByteView inner, cbor::unwrap_encoded_cbor(it.get()));
      views.push_back(inner);
      keep.push_back(std::move(it));
    }
  }
  const CoseSign1& a = is.issuer_auth;
  return write_issuer_signed(std::move(items), CoseSign1View{a.protected_header, a.x5chain, a.payload, a.signature});
}

Result<IssuerSigned> decode_issuer_signed(ByteView encoded, size_t document_index) {
  IDTAP_ASSIGN_OR_RETURN(cbor::Item top, cbor::decode(encoded));
  const cbor_item_t* issuer_signed = top.get();
  IssuerSigned out;
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* documents, cbor::find_text(top.get(), "documents"));
  const cbor_item_t* document = nullptr;
  if (documents != nullptr) {  // DeviceResponse (§8.3.2.1.2.2)
    IDTAP_ASSIGN_OR_RETURN(auto docs, cbor::array_items(documents));
    if (document_index >= docs.size())
      return malformed("DeviceResponse holds " + std::to_string(docs.size()) + " documents");
    document = docs[document_index];
  } else {
    IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* inner, cbor::find_text(top.get(), "issuerSigned"));
    if (inner != nullptr) document = top.get();
  }
  if (document != nullptr) {
    IDTAP_ASSIGN_OR_RETURN(issuer_signed, cbor::require_text(document, "issuerSigned"));
    IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* doc_type, cbor::require_text(document, "docType"));
    IDTAP_ASSIGN_OR_RETURN(out.doc_type, cbor::get_text(doc_type));
  }
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* ns_map, cbor::require_text(issuer_signed, "nameSpaces"));
  IDTAP_ASSIGN_OR_RETURN(auto ns_pairs, cbor::map_pairs(ns_map));
  for (const auto& [k, v] : ns_pairs) {
    IDTAP_ASSIGN_OR_RETURN(std::string ns, cbor::get_text(k));
    if (out.name_spaces.count(ns)) return malformed("nameSpaces: " + ns + " twice");
    auto& list = out.name_spaces[ns];
    IDTAP_ASSIGN_OR_RETURN(auto items, cbor::array_items(v));
    if (items.empty()) return malformed("nameSpaces: " + ns + " is empty");
    for (const auto* it : items) {
      IDTAP_ASSIGN_OR_RETURN(ByteView inner, cbor::unwrap_encoded_cbor(it));
      // The digest covers the tag-24 item; re-encoding the tag and bstr header is exact for the
      // preferred (shortest) serialisation that §8.1 requires.
      IDTAP_ASSIGN_OR_RETURN(Bytes b, cbor::encode(cbor::encoded_cbor(inner)));
      list.push_back(std::move(b));
    }
  }
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* auth, cbor::require_text(issuer_signed, "issuerAuth"));
  IDTAP_ASSIGN_OR_RETURN(out.issuer_auth, parse_cose_sign1(auth));
  return out;
}

}  // namespace idtap::provision
