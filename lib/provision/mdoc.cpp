#include "idtap/provision/mdoc.h"

#include <openssl/evp.h>

#include <set>

#include "ossl.h"

namespace idtap::provision {
namespace {

Error malformed(const std::string& what) { return make_error(ErrorCode::kMalformed, what); }

cbor::Item tdate(UnixSeconds t) { return cbor::tag(cbor::kTagTdate, cbor::text(format_tdate(t))); }
cbor::Item full_date(const Date& d) { return cbor::tag(cbor::kTagFullDate, cbor::text(format_date(d))); }

Result<UnixSeconds> read_tdate(const cbor_item_t* item, const char* what) {
  auto content = cbor::get_tagged(item, cbor::kTagTdate);
  if (!content.ok()) return malformed(std::string("MSO ") + what + ": not a tdate (tag 0)");
  IDTAP_ASSIGN_OR_RETURN(std::string text, cbor::get_text(*content));
  auto t = parse_tdate(text);
  if (!t.ok()) return malformed(std::string("MSO ") + what + ": " + t.error().context);
  return *t;
}

// RandomPool: one RAND_bytes call per issuance, sliced into salts, digest IDs and decoys.
class RandomPool {
 public:
  static Result<RandomPool> create(size_t n) {
    RandomPool p;
    IDTAP_ASSIGN_OR_RETURN(p.bytes_, ossl::random_bytes(n));
    return p;
  }
  Result<ByteView> take(size_t n) {
    if (pos_ + n > bytes_.size()) {
      IDTAP_ASSIGN_OR_RETURN(Bytes more, ossl::random_bytes(std::max<size_t>(n, 256)));
      bytes_ = std::move(more);
      pos_ = 0;
    }
    ByteView v(bytes_.data() + pos_, n);
    pos_ += n;
    return v;
  }
  // A random digest ID below 2^31 that `used` does not hold yet.
  Result<uint64_t> digest_id(std::set<uint64_t>& used) {
    while (true) {
      IDTAP_ASSIGN_OR_RETURN(ByteView b, take(4));
      uint64_t id = be_uint(b) & 0x7FFFFFFF;
      if (used.insert(id).second) return id;
    }
  }

 private:
  Bytes bytes_;
  size_t pos_ = 0;
};

// issuer_signed_item: #6.24(bstr .cbor IssuerSignedItem) as an item, and its digest.
struct TaggedItem {
  cbor::Item item;
  Bytes digest;
};

Result<TaggedItem> build_item(std::string_view alg, uint64_t digest_id, ByteView random, std::string_view identifier,
                              cbor::Item value) {
  // IssuerSignedItem (§8.3.2.1.2.2) in deterministic key order (RFC 8949 §4.2.1: encoded keys
  // bytewise): "random" (66…), "digestID" (68…), "elementValue" (6c…), "elementIdentifier"
  // (71…). mdoc_test checks this equals the MapBuilder encoding.
  cbor::Writer w;
  w.map(4)
      .text("random").bytes(random)
      .text("digestID").uint(digest_id)
      .text("elementValue").item(value.get())
      .text("elementIdentifier").text(identifier);
  TaggedItem out;
  ByteView inner = w.view();
  IDTAP_ASSIGN_OR_RETURN(out.digest, value_digest(alg, cbor::encoded_cbor_header(inner.size()), inner));
  IDTAP_ASSIGN_OR_RETURN(cbor::Item bstr, w.take_as_bstr());
  out.item = cbor::tag(cbor::kTagEncodedCbor, std::move(bstr));
  return out;
}

Result<Bytes> encode_item(uint64_t digest_id, ByteView random, std::string_view identifier, cbor::Item value) {
  IDTAP_ASSIGN_OR_RETURN(TaggedItem t, build_item("SHA-256", digest_id, random, identifier, std::move(value)));
  return cbor::encode(t.item);
}

// issuer_signed_bytes: {"nameSpaces": {ns: [items]}, "issuerAuth": COSE_Sign1} encoded.
Result<Bytes> issuer_signed_bytes(std::map<std::string, std::vector<cbor::Item>> name_spaces, const CoseSign1& auth) {
  cbor::MapBuilder ns_map;
  for (auto& [ns, items] : name_spaces) ns_map.add(ns, cbor::array(std::move(items)));
  IDTAP_ASSIGN_OR_RETURN(cbor::Item ns_item, ns_map.build());
  IDTAP_ASSIGN_OR_RETURN(cbor::Item auth_item, cose_sign1_item(auth));
  cbor::MapBuilder m;
  m.add("nameSpaces", std::move(ns_item)).add("issuerAuth", std::move(auth_item));
  IDTAP_ASSIGN_OR_RETURN(cbor::Item top, m.build());
  return cbor::encode(top);
}

std::string_view as_text(const SecureBytes& s) { return std::string_view(reinterpret_cast<const char*>(s.data()), s.size()); }

// element_value: the CBOR value of `field` for `h` issued on `issue_day`; a null Item when an
// optional field is empty; kInvalidArgument when a required one is.
Result<cbor::Item> element_value(HolderField field, const VerifiedHolder& h, const Date& issue_day) {
  auto required_text = [&](const std::string& v, const char* name) -> Result<cbor::Item> {
    if (v.empty()) return make_error(ErrorCode::kInvalidArgument, std::string("holder field ") + name + " is empty");
    return cbor::text(v);
  };
  auto optional_text = [&](const std::string& v) -> Result<cbor::Item> { return v.empty() ? cbor::Item() : cbor::text(v); };
  auto date = [&](const Date& d, const char* name) -> Result<cbor::Item> {
    if (!is_valid_date(d)) return make_error(ErrorCode::kInvalidArgument, std::string("holder field ") + name + " is not a date");
    return full_date(d);
  };
  auto age_over = [&](int years) -> Result<cbor::Item> {
    if (!is_valid_date(h.birth_date)) return make_error(ErrorCode::kInvalidArgument, "holder birth date is not a date");
    return cbor::boolean(age_on(h.birth_date, issue_day) >= years);
  };
  switch (field) {
    case HolderField::kFamilyName: return required_text(h.family_name, "family_name");
    case HolderField::kGivenName: return required_text(h.given_name, "given_name");
    case HolderField::kFamilyNameNational: return required_text(h.family_name_national, "family_name_national_character");
    case HolderField::kGivenNameNational: return optional_text(h.given_name_national);
    case HolderField::kBirthDate: return date(h.birth_date, "birth_date");
    case HolderField::kPortrait:
      if (h.portrait_jpeg.empty()) return cbor::Item();
      if (h.portrait_jpeg.size() < 3 || h.portrait_jpeg[0] != 0xFF || h.portrait_jpeg[1] != 0xD8)
        return make_error(ErrorCode::kInvalidArgument, "portrait is not a JPEG (no SOI marker)");
      return cbor::bytes(h.portrait_jpeg);
    case HolderField::kResidentAddress: return optional_text(h.resident_address);
    case HolderField::kDocumentNumber: return required_text(h.card.document_number, "document_number");
    case HolderField::kIssuingAuthority: return optional_text(h.issuing_authority);
    case HolderField::kIssuingCountry: return optional_text(h.card.issuing_state);
    case HolderField::kIssueDate: return date(h.issue_date, "issue_date");
    case HolderField::kExpiryDate: return date(h.expiry_date, "expiry_date");
    case HolderField::kAgeOver17: return age_over(17);
    case HolderField::kAgeOver18: return age_over(18);
    case HolderField::kAgeOver19: return age_over(19);
    case HolderField::kResidentRegistrationNumber: {
      IDTAP_ASSIGN_OR_RETURN(SecureBytes digits, resident_number_digits(h));
      // "YYMMDD-SNNNNNN"; the temporary text is built in SecureBytes and libcbor copies it.
      SecureBytes formatted(digits.begin(), digits.begin() + 6);
      formatted.push_back('-');
      formatted.insert(formatted.end(), digits.begin() + 6, digits.end());
      return cbor::text(as_text(formatted));
    }
  }
  return make_error(ErrorCode::kInternal, "unknown holder field");
}

}  // namespace

Result<Bytes> value_digest(std::string_view alg, ByteView head, ByteView tail) {
  if (alg == "SHA-256") return ossl::sha256_two(head, tail);
  const EVP_MD* md = alg == "SHA-384" ? EVP_sha384() : alg == "SHA-512" ? EVP_sha512() : nullptr;
  if (md == nullptr) return make_error(ErrorCode::kNotSupported, "digest algorithm '" + std::string(alg) + "'");
  ossl::MdCtxPtr ctx(EVP_MD_CTX_new());
  Bytes out(EVP_MD_get_size(md));
  unsigned int n = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 || EVP_DigestUpdate(ctx.get(), head.data(), head.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), tail.data(), tail.size()) != 1 || EVP_DigestFinal_ex(ctx.get(), out.data(), &n) != 1)
    return make_error(ErrorCode::kInternal, "digest failed");
  out.resize(n);
  return out;
}

Result<Bytes> encode_issuer_signed_item(const IssuerSignedItem& item) {
  IDTAP_ASSIGN_OR_RETURN(cbor::Item value, cbor::decode(item.element_value));
  return encode_item(item.digest_id, item.random, item.element_identifier, std::move(value));
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
  cbor::MapBuilder digests;
  for (const auto& [ns, ids] : mso.value_digests) {
    cbor::MapBuilder per_ns;
    for (const auto& [id, d] : ids) per_ns.add(cbor::uint(id), cbor::bytes(d));
    IDTAP_ASSIGN_OR_RETURN(cbor::Item m, per_ns.build());
    digests.add(ns, std::move(m));
  }
  IDTAP_ASSIGN_OR_RETURN(cbor::Item digests_item, digests.build());
  IDTAP_ASSIGN_OR_RETURN(cbor::Item cose_key, mso.device_key.to_cose_key());
  cbor::MapBuilder key_info;
  key_info.add("deviceKey", std::move(cose_key));
  IDTAP_ASSIGN_OR_RETURN(cbor::Item key_info_item, key_info.build());
  cbor::MapBuilder validity;
  validity.add("signed", tdate(mso.validity.signed_at))
      .add("validFrom", tdate(mso.validity.valid_from))
      .add("validUntil", tdate(mso.validity.valid_until));
  if (mso.validity.expected_update) validity.add("expectedUpdate", tdate(*mso.validity.expected_update));
  IDTAP_ASSIGN_OR_RETURN(cbor::Item validity_item, validity.build());
  cbor::MapBuilder m;
  m.add("version", cbor::text(mso.version))
      .add("digestAlgorithm", cbor::text(mso.digest_algorithm))
      .add("valueDigests", std::move(digests_item))
      .add("deviceKeyInfo", std::move(key_info_item))
      .add("docType", cbor::text(mso.doc_type))
      .add("validityInfo", std::move(validity_item));
  if (mso.status) {
    cbor::MapBuilder ref;
    ref.add("idx", cbor::uint(mso.status->idx)).add("uri", cbor::text(mso.status->uri));
    IDTAP_ASSIGN_OR_RETURN(cbor::Item ref_item, ref.build());
    cbor::MapBuilder status;
    status.add("status_list", std::move(ref_item));
    IDTAP_ASSIGN_OR_RETURN(cbor::Item status_item, status.build());
    m.add("status", std::move(status_item));
  }
  IDTAP_ASSIGN_OR_RETURN(cbor::Item mso_item, m.build());
  return cbor::encode(mso_item);
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
  std::map<std::string, std::vector<cbor::Item>> name_spaces;
  for (const auto& [ns, items] : is.name_spaces) {
    auto& arr = name_spaces[ns];
    arr.reserve(items.size());
    for (const auto& b : items) {
      IDTAP_ASSIGN_OR_RETURN(cbor::Item it, cbor::decode(b));
      arr.push_back(std::move(it));
    }
  }
  return issuer_signed_bytes(std::move(name_spaces), is.issuer_auth);
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

Result<PreparedMdoc> prepare_mdoc(const MdocContent& c) {
  if (c.holder == nullptr) return make_error(ErrorCode::kInvalidArgument, "no holder");
  const ValidityInfo& v = c.validity;
  if (!(v.signed_at <= v.valid_from && v.valid_from < v.valid_until))
    return make_error(ErrorCode::kInvalidArgument, "validity must satisfy signed <= validFrom < validUntil");
  if (c.mapping.doc_type.empty()) return make_error(ErrorCode::kInvalidArgument, "mapping has no doc type");
  const Date issue_day = date_of(v.signed_at);

  PreparedMdoc p;
  p.mso_.doc_type = c.mapping.doc_type;
  p.mso_.device_key = c.device_key;
  p.mso_.validity = v;
  p.mso_.status = c.status;
  IDTAP_ASSIGN_OR_RETURN(RandomPool pool, RandomPool::create(c.mapping.elements.size() * (kSaltBytes + 8) + 64));
  std::map<std::string, std::set<uint64_t>> used_ids;
  for (const auto& e : c.mapping.elements) {
    IDTAP_ASSIGN_OR_RETURN(cbor::Item value, element_value(e.field, *c.holder, issue_day));
    if (!value) continue;  // optional and empty
    auto& ids = used_ids[e.name_space];
    IDTAP_ASSIGN_OR_RETURN(uint64_t id, pool.digest_id(ids));
    IDTAP_ASSIGN_OR_RETURN(ByteView salt, pool.take(kSaltBytes));
    IDTAP_ASSIGN_OR_RETURN(TaggedItem t, build_item(p.mso_.digest_algorithm, id, salt, e.element_identifier, std::move(value)));
    p.mso_.value_digests[e.name_space][id] = std::move(t.digest);
    p.name_spaces_[e.name_space].push_back(std::move(t.item));
  }
  if (p.name_spaces_.empty()) return make_error(ErrorCode::kInvalidArgument, "no element to issue");
  // Decoy digests (§9.1.2.5 / §E.8): pad each namespace's digest count to the bucket size.
  if (c.digest_bucket > 1) {
    for (auto& [ns, ids] : used_ids) {
      size_t n = ids.size();
      size_t target = (n + c.digest_bucket - 1) / c.digest_bucket * c.digest_bucket;
      for (size_t i = n; i < target; ++i) {
        IDTAP_ASSIGN_OR_RETURN(uint64_t id, pool.digest_id(ids));
        IDTAP_ASSIGN_OR_RETURN(ByteView fake, pool.take(32));
        p.mso_.value_digests[ns][id] = to_bytes(fake);
      }
    }
  }
  IDTAP_ASSIGN_OR_RETURN(Bytes mso_bytes, encode_mso(p.mso_));
  IDTAP_ASSIGN_OR_RETURN(p.payload_, cbor::encode(cbor::encoded_cbor(mso_bytes)));  // MobileSecurityObjectBytes
  IDTAP_ASSIGN_OR_RETURN(p.protected_header_, es256_protected_header());
  IDTAP_ASSIGN_OR_RETURN(p.to_be_signed_, sig_structure(p.protected_header_, p.payload_));
  return p;
}

Result<Bytes> PreparedMdoc::complete(ByteView signature, const std::vector<Bytes>& x5chain) const {
  if (signature.size() != 64) return make_error(ErrorCode::kInvalidArgument, "ES256 signature must be 64 bytes (r||s)");
  if (x5chain.empty()) return make_error(ErrorCode::kInvalidArgument, "no issuer certificate for x5chain");
  CoseSign1 auth;
  auth.protected_header = protected_header_;
  auth.payload = payload_;
  auth.signature = to_bytes(signature);
  auth.x5chain = x5chain;
  auth.alg = kCoseAlgEs256;
  // The prepared items are shared (reference-counted), not copied.
  std::map<std::string, std::vector<cbor::Item>> name_spaces;
  for (const auto& [ns, items] : name_spaces_) {
    auto& arr = name_spaces[ns];
    arr.reserve(items.size());
    for (const auto& it : items) arr.push_back(cbor::share(it));
  }
  return issuer_signed_bytes(std::move(name_spaces), auth);
}

Result<Bytes> issue_mdoc(const MdocContent& content, IssuerSigner& signer) {
  IDTAP_ASSIGN_OR_RETURN(PreparedMdoc p, prepare_mdoc(content));
  IDTAP_ASSIGN_OR_RETURN(Bytes sig, signer.sign(p.to_be_signed()));
  return p.complete(sig, signer.certificate_chain());
}

// ----- verification ----------------------------------------------------------------------------

Result<VerifiedMdoc> verify_mdoc(ByteView encoded, const MdocVerifyOptions& o) {
  auto fail = [](ErrorCode code, const std::string& check, const std::string& what) {
    return make_error(code, check + ": " + what);
  };
  auto is = decode_issuer_signed(encoded, o.document_index);
  if (!is.ok()) return fail(ErrorCode::kMalformed, "structure", is.error().context);
  VerifiedMdoc out;

  // Issuer: the x5chain's leaf must chain to a trusted issuer certificate (§9.3.3).
  if (is->issuer_auth.x5chain.empty()) return fail(ErrorCode::kVerificationFailed, "issuer", "no x5chain in issuerAuth");
  for (const auto& der : is->issuer_auth.x5chain) {
    auto c = Certificate::from_der(der);
    if (!c.ok()) return fail(ErrorCode::kMalformed, "issuer", c.error().context);
    out.issuer_chain.push_back(std::move(c).value());
  }
  auto chain = verify_certificate_chain(out.issuer_chain[0], std::span<const Certificate>(out.issuer_chain).subspan(1),
                                        o.trusted_issuers, o.now);
  if (!chain.ok()) return fail(chain.error().code, "issuer", chain.error().context);
  auto leaf_key = out.issuer_chain[0].public_key();
  if (!leaf_key.ok()) return fail(ErrorCode::kVerificationFailed, "issuer", leaf_key.error().context);

  // Signature: COSE_Sign1 ES256 over the Sig_structure of the MSO payload.
  auto sig = verify_cose_sign1(is->issuer_auth, *leaf_key);
  if (!sig.ok()) return fail(sig.error().code, "signature", sig.error().context);

  auto payload = cbor::decode(is->issuer_auth.payload);
  if (!payload.ok()) return fail(ErrorCode::kMalformed, "structure", "MSO payload: " + payload.error().context);
  auto mso_bytes = cbor::unwrap_encoded_cbor(payload->get());
  if (!mso_bytes.ok()) return fail(ErrorCode::kMalformed, "structure", "MSO payload is not #6.24(bstr)");
  auto mso = decode_mso(*mso_bytes);
  if (!mso.ok()) return fail(ErrorCode::kMalformed, "structure", mso.error().context);
  out.mso = std::move(mso).value();
  if (out.mso.version != "1.0") return fail(ErrorCode::kMalformed, "structure", "MSO version " + out.mso.version);

  // Digests: every element's IssuerSignedItemBytes must hash to its MSO entry (§9.3.1).
  size_t total_digests = 0;
  for (const auto& [ns, ids] : out.mso.value_digests) total_digests += ids.size();
  for (const auto& [ns, items] : is->name_spaces) {
    auto ns_digests = out.mso.value_digests.find(ns);
    std::set<uint64_t> seen;
    for (const auto& item_bytes : items) {
      auto item = decode_issuer_signed_item(item_bytes);
      if (!item.ok()) return fail(ErrorCode::kMalformed, "structure", item.error().context);
      if (!seen.insert(item->digest_id).second)
        return fail(ErrorCode::kMalformed, "structure", "digest ID " + std::to_string(item->digest_id) + " used twice in " + ns);
      if (ns_digests == out.mso.value_digests.end() || !ns_digests->second.count(item->digest_id))
        return fail(ErrorCode::kVerificationFailed, "digest", ns + "/" + item->element_identifier + " has no digest in the MSO");
      auto d = value_digest(out.mso.digest_algorithm, item_bytes);
      if (!d.ok()) return fail(d.error().code, "digest", d.error().context);
      if (!equal_bytes(*d, ns_digests->second.at(item->digest_id)))
        return fail(ErrorCode::kVerificationFailed, "digest", ns + "/" + item->element_identifier + " does not match its MSO digest");
      out.elements.push_back({ns, item->element_identifier, item->digest_id, std::move(item->element_value)});
    }
  }
  out.decoy_digests = total_digests - out.elements.size();

  if (!is->doc_type.empty() && is->doc_type != out.mso.doc_type)
    return fail(ErrorCode::kVerificationFailed, "doctype", "document says " + is->doc_type + ", MSO says " + out.mso.doc_type);

  // Validity (§9.3.1 step 5): signed <= validFrom <= now < validUntil.
  const ValidityInfo& v = out.mso.validity;
  if (v.valid_from < v.signed_at || v.valid_until <= v.valid_from)
    return fail(ErrorCode::kVerificationFailed, "validity", "inconsistent validityInfo");
  if (o.now < v.valid_from) return fail(ErrorCode::kVerificationFailed, "validity", "not valid before " + format_tdate(v.valid_from));
  if (o.now >= v.valid_until) return fail(ErrorCode::kVerificationFailed, "validity", "expired at " + format_tdate(v.valid_until));

  // Status (draft-ietf-oauth-status-list §8): the list must be the one the MSO names.
  if (o.status_list != nullptr) {
    if (!out.mso.status) return fail(ErrorCode::kVerificationFailed, "status", "the MSO carries no status reference");
    if (out.mso.status->uri != o.status_list->uri)
      return fail(ErrorCode::kVerificationFailed, "status", "the status list is " + o.status_list->uri + ", the MSO names " + out.mso.status->uri);
    auto s = o.status_list->list.get(out.mso.status->idx);
    if (!s.ok()) return fail(ErrorCode::kVerificationFailed, "status", s.error().context);
    out.status = *s;
    if (*s != kStatusValid)
      return fail(ErrorCode::kVerificationFailed, "status",
                  std::string("the credential is ") + (*s == kStatusSuspended ? "suspended" : "suspended or revoked") +
                      " (status list entry " + std::to_string(out.mso.status->idx) + " = " + std::to_string(*s) + ")");
  }
  return out;
}

}  // namespace idtap::provision
