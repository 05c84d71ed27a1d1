#include "idtap/provision/mdoc.h"

#include <openssl/evp.h>

#include <algorithm>
#include <set>

#include "idtap/crypto/hash.h"
#include "idtap/crypto/random.h"

namespace idtap::provision {
namespace {

Error malformed(const std::string& what) { return make_error(ErrorCode::kMalformed, what); }


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
    IDTAP_ASSIGN_OR_RETURN(p.bytes_, crypto::random_bytes(n));
    return p;
  }
  Result<ByteView> take(size_t n) {
    if (pos_ + n > bytes_.size()) {
      IDTAP_ASSIGN_OR_RETURN(Bytes more, crypto::random_bytes(std::max<size_t>(n, 256)));
      bytes_ = std::move(more);
      pos_ = 0;
    }
    ByteView v(bytes_.data() + pos_, n);
    pos_ += n;
    return v;
  }
  // A random digest ID below 2^31 that `used` does not hold yet (a namespace has a few dozen).
  Result<uint64_t> digest_id(std::vector<uint64_t>& used) {
    while (true) {
      IDTAP_ASSIGN_OR_RETURN(ByteView b, take(4));
      uint64_t id = be_uint(b) & 0x7FFFFFFF;
      if (std::find(used.begin(), used.end(), id) != used.end()) continue;
      used.push_back(id);
      return id;
    }
  }

 private:
  Bytes bytes_;
  size_t pos_ = 0;
};

// Digest: one value digest, held inline (issuance keeps a few dozen without allocating).
struct Digest {
  uint8_t bytes[EVP_MAX_MD_SIZE];
  size_t size = 0;
  ByteView view() const { return ByteView(bytes, size); }
};

// DigestContext: one reusable EVP digest context for value_digest (issuance hashes 17 or
// more items in a row; OpenSSL's per-context set-up would cost more than the hashing).
class DigestContext {
 public:
  static Result<DigestContext> create(std::string_view alg) {
    std::optional<crypto::HashAlg> hash = alg == "SHA-256"   ? std::optional(crypto::HashAlg::kSha256)
                                          : alg == "SHA-384" ? std::optional(crypto::HashAlg::kSha384)
                                          : alg == "SHA-512" ? std::optional(crypto::HashAlg::kSha512)
                                                             : std::nullopt;
    if (!hash) return make_error(ErrorCode::kNotSupported, "digest algorithm '" + std::string(alg) + "'");
    auto hasher = crypto::Hasher::create(*hash);
    if (!hasher.ok()) return make_error(ErrorCode::kInternal, "digest set-up failed");
    return DigestContext(std::move(hasher).value());
  }
  // DigestContext::digest_to: the digest of head || tail into `out`.
  Status digest_to(ByteView head, ByteView tail, Digest& out) {
    if (!hasher_.reset().ok() || !hasher_.update(head).ok() || !hasher_.update(tail).ok() ||
        !hasher_.finish(std::span<uint8_t>(out.bytes, sizeof out.bytes)).ok())
      return make_error(ErrorCode::kInternal, "digest failed");
    out.size = hasher_.size();
    return ok_status();
  }
  // DigestContext::digest: the digest of head || tail.
  Result<Bytes> digest(ByteView head, ByteView tail) {
    Digest d;
    IDTAP_TRY(digest_to(head, tail, d));
    return to_bytes(d.view());
  }

 private:
  explicit DigestContext(crypto::Hasher hasher) : hasher_(std::move(hasher)) {}
  crypto::Hasher hasher_;
};

// ElementValue: one data element's value, as the holder's data gives it.
struct ElementValue {
  enum class Kind { kText, kBool, kBytes, kFullDate } kind = Kind::kText;
  std::string_view text;   // kText (views the holder or `secret`), kFullDate (views `date`)
  bool flag = false;       // kBool
  ByteView bytes;          // kBytes
  std::string date;        // the full-date text
  SecureBytes secret;      // the formatted resident number (zeroised when dropped)
};

void write_value(cbor::Writer& w, const ElementValue& v) {
  switch (v.kind) {
    case ElementValue::Kind::kText: w.text(v.text); break;
    case ElementValue::Kind::kBool: w.boolean(v.flag); break;
    case ElementValue::Kind::kBytes: w.bytes(v.bytes); break;
    case ElementValue::Kind::kFullDate: w.tag(cbor::kTagFullDate).text(v.text); break;  // §7.2.1 full-date
  }
}

// write_item: appends IssuerSignedItem (§8.3.2.1.2.2) to `w` in deterministic key order
// (RFC 8949 §4.2.1: encoded keys bytewise): "random" (66…), "digestID" (68…), "elementValue"
// (6c…), "elementIdentifier" (71…); mdoc_test re-encodes it through MapBuilder and compares.
// Sets `out` to the digest of its IssuerSignedItemBytes (the tag-24 header, then the item).
template <class WriteElementValue>
Status write_item(cbor::Writer& w, DigestContext& digest, uint64_t digest_id, ByteView random, std::string_view identifier,
                  const WriteElementValue& write_element_value, Digest& out) {
  size_t begin = w.size();
  w.map(4).text("random").bytes(random).text("digestID").uint(digest_id).text("elementValue");
  write_element_value(w);
  w.text("elementIdentifier").text(identifier);
  ByteView inner = w.view().subspan(begin);
  return digest.digest_to(cbor::encoded_cbor_header(inner.size()).view(), inner, out);
}

// NameSpaceView: one namespace's IssuerSignedItem encodings (the bstr contents), borrowed.
struct NameSpaceView {
  std::string_view name;
  std::vector<ByteView> items;
};

// CoseSign1View: the parts of the issuerAuth COSE_Sign1, borrowed.
struct CoseSign1View {
  ByteView protected_header;
  const std::vector<Bytes>& x5chain;
  ByteView payload;
  ByteView signature;
};

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

// MsoFields: the MSO's members besides valueDigests, borrowed.
struct MsoFields {
  std::string_view version;
  std::string_view digest_algorithm;
  std::string_view doc_type;
  const EcPublicKey& device_key;
  const ValidityInfo& validity;
  const std::optional<StatusReference>& status;
};

// write_mso: the MSO with `write_value_digests` writing the valueDigests map. Keys in
// deterministic order (RFC 8949 §4.2.1), checked against MapBuilder by mdoc_test: status,
// docType, version, validityInfo, valueDigests, deviceKeyInfo, digestAlgorithm.
template <class WriteValueDigests>
void write_mso(cbor::Writer& w, const MsoFields& mso, const WriteValueDigests& write_value_digests) {
  w.map(mso.status ? 7 : 6);
  if (mso.status)
    w.text("status").map(1).text("status_list").map(2).text("idx").uint(mso.status->idx).text("uri").text(mso.status->uri);
  w.text("docType").text(mso.doc_type);
  w.text("version").text(mso.version);
  const ValidityInfo& v = mso.validity;
  w.text("validityInfo").map(v.expected_update ? 4 : 3);
  w.text("signed").tag(cbor::kTagTdate).text(format_tdate(v.signed_at));
  w.text("validFrom").tag(cbor::kTagTdate).text(format_tdate(v.valid_from));
  w.text("validUntil").tag(cbor::kTagTdate).text(format_tdate(v.valid_until));
  if (v.expected_update) w.text("expectedUpdate").tag(cbor::kTagTdate).text(format_tdate(*v.expected_update));
  w.text("valueDigests");
  write_value_digests(w);
  // COSE_Key (RFC 9052 §7): 1 (kty: EC2), -1 (crv: P-256), -2 (x), -3 (y).
  w.text("deviceKeyInfo").map(1).text("deviceKey").map(4);
  w.uint(1).uint(2).integer(-1).uint(1).integer(-2).bytes(mso.device_key.x()).integer(-3).bytes(mso.device_key.y());
  w.text("digestAlgorithm").text(mso.digest_algorithm);
}

// es256_protected: the protected header {1: -7} of every issuerAuth (encoded once; immutable).
ByteView es256_protected() {
  static const Bytes kProtected = es256_protected_header().value();
  return kProtected;
}

std::string_view as_text(const SecureBytes& s) { return std::string_view(reinterpret_cast<const char*>(s.data()), s.size()); }

// element_value: the value of `field` for `h` issued on `issue_day`; nullopt when an optional
// field is empty; kInvalidArgument when a required one is.
Result<std::optional<ElementValue>> element_value(HolderField field, const VerifiedHolder& h, const Date& issue_day) {
  using Kind = ElementValue::Kind;
  auto text = [](std::string_view v) {
    ElementValue e;
    e.kind = Kind::kText;
    e.text = v;
    return std::optional<ElementValue>(std::move(e));
  };
  auto required_text = [&](const std::string& v, const char* name) -> Result<std::optional<ElementValue>> {
    if (v.empty()) return make_error(ErrorCode::kInvalidArgument, std::string("holder field ") + name + " is empty");
    return text(v);
  };
  auto optional_text = [&](const std::string& v) -> Result<std::optional<ElementValue>> {
    if (v.empty()) return std::optional<ElementValue>();
    return text(v);
  };
  auto date = [&](const Date& d, const char* name) -> Result<std::optional<ElementValue>> {
    if (!is_valid_date(d)) return make_error(ErrorCode::kInvalidArgument, std::string("holder field ") + name + " is not a date");
    std::optional<ElementValue> e(std::in_place);
    e->kind = Kind::kFullDate;
    e->date = format_date(d);
    return e;
  };
  auto age_over = [&](int years) -> Result<std::optional<ElementValue>> {
    if (!is_valid_date(h.birth_date)) return make_error(ErrorCode::kInvalidArgument, "holder birth date is not a date");
    std::optional<ElementValue> e(std::in_place);
    e->kind = Kind::kBool;
    e->flag = age_on(h.birth_date, issue_day) >= years;
    return e;
  };
  switch (field) {
    case HolderField::kFamilyName: return required_text(h.family_name, "family_name");
    case HolderField::kGivenName: return required_text(h.given_name, "given_name");
    case HolderField::kFamilyNameNational: return required_text(h.family_name_national, "family_name_national_character");
    case HolderField::kGivenNameNational: return optional_text(h.given_name_national);
    case HolderField::kBirthDate: return date(h.birth_date, "birth_date");
    case HolderField::kPortrait: {
      if (h.portrait_jpeg.empty()) return std::optional<ElementValue>();
      if (h.portrait_jpeg.size() < 3 || h.portrait_jpeg[0] != 0xFF || h.portrait_jpeg[1] != 0xD8)
        return make_error(ErrorCode::kInvalidArgument, "portrait is not a JPEG (no SOI marker)");
      std::optional<ElementValue> e(std::in_place);
      e->kind = Kind::kBytes;
      e->bytes = h.portrait_jpeg;
      return e;
    }
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
      // "YYMMDD-SNNNNNN", built in SecureBytes.
      std::optional<ElementValue> e(std::in_place);
      e->kind = Kind::kText;
      e->secret.assign(digits.begin(), digits.begin() + 6);
      e->secret.push_back('-');
      e->secret.insert(e->secret.end(), digits.begin() + 6, digits.end());
      return e;
    }
    case HolderField::kVerificationMethod: return text(h.verification_method());
  }
  return make_error(ErrorCode::kInternal, "unknown holder field");
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

Result<PreparedMdoc> prepare_mdoc(const MdocContent& c) {
  if (c.holder == nullptr) return make_error(ErrorCode::kInvalidArgument, "no holder");
  const ValidityInfo& v = c.validity;
  if (!(v.signed_at <= v.valid_from && v.valid_from < v.valid_until))
    return make_error(ErrorCode::kInvalidArgument, "validity must satisfy signed <= validFrom < validUntil");
  if (c.mapping.doc_type.empty()) return make_error(ErrorCode::kInvalidArgument, "mapping has no doc type");
  const Date issue_day = date_of(v.signed_at);
  const std::string_view digest_algorithm = "SHA-256";
  constexpr size_t kDecoyBytes = 32;  // a decoy is as long as a SHA-256 digest

  // One state per namespace, in the order the mapping first names it (a mapping has one or two).
  struct IdDigest {
    uint64_t id;
    Digest digest;
  };
  struct NameSpaceState {
    std::string_view name;
    size_t mapped = 0;              // elements the mapping puts here
    std::vector<uint64_t> ids;      // digest IDs drawn so far (elements and decoys)
    std::vector<IdDigest> digests;  // valueDigests entries
    std::vector<std::pair<size_t, size_t>> spans;  // the items, [begin, end) in `items`
  };
  std::vector<NameSpaceState> name_spaces;
  auto state_of = [&](std::string_view ns) -> NameSpaceState& {
    for (auto& s : name_spaces)
      if (s.name == ns) return s;
    return name_spaces.emplace_back(NameSpaceState{ns});
  };
  for (const auto& e : c.mapping.elements) ++state_of(e.name_space).mapped;
  // The random bytes every salt, digest ID and decoy needs (a digest ID that repeats draws more).
  size_t random_bytes = 64;
  for (auto& s : name_spaces) {
    size_t slots = c.digest_bucket > 1 ? (s.mapped + c.digest_bucket - 1) / c.digest_bucket * c.digest_bucket : s.mapped;
    random_bytes += slots * (std::max(kSaltBytes, kDecoyBytes) + 4);
    s.ids.reserve(slots);
    s.digests.reserve(slots);
    s.spans.reserve(s.mapped);
  }
  IDTAP_ASSIGN_OR_RETURN(RandomPool pool, RandomPool::create(random_bytes));
  IDTAP_ASSIGN_OR_RETURN(DigestContext digest, DigestContext::create(digest_algorithm));
  cbor::Writer items(c.holder->portrait_jpeg.size() + c.mapping.elements.size() * 160);
  for (const auto& e : c.mapping.elements) {
    IDTAP_ASSIGN_OR_RETURN(std::optional<ElementValue> value, element_value(e.field, *c.holder, issue_day));
    if (!value) continue;  // optional and empty
    if (value->kind == ElementValue::Kind::kFullDate) value->text = value->date;
    if (!value->secret.empty()) value->text = as_text(value->secret);
    NameSpaceState& ns = state_of(e.name_space);
    IDTAP_ASSIGN_OR_RETURN(uint64_t id, pool.digest_id(ns.ids));
    IDTAP_ASSIGN_OR_RETURN(ByteView salt, pool.take(kSaltBytes));
    size_t begin = items.size();
    IdDigest& entry = ns.digests.emplace_back();
    entry.id = id;
    IDTAP_TRY(write_item(items, digest, id, salt, e.element_identifier, [&](cbor::Writer& w) { write_value(w, *value); },
                         entry.digest));
    ns.spans.emplace_back(begin, items.size());
  }
  // A namespace whose every element was optional and empty is left out.
  std::erase_if(name_spaces, [](const NameSpaceState& s) { return s.spans.empty(); });
  if (name_spaces.empty()) return make_error(ErrorCode::kInvalidArgument, "no element to issue");
  // Decoy digests (§9.1.2.5 / §E.8): pad each namespace's digest count to the bucket size.
  if (c.digest_bucket > 1) {
    for (auto& ns : name_spaces) {
      size_t n = ns.ids.size();
      size_t target = (n + c.digest_bucket - 1) / c.digest_bucket * c.digest_bucket;
      for (size_t i = n; i < target; ++i) {
        IDTAP_ASSIGN_OR_RETURN(uint64_t id, pool.digest_id(ns.ids));
        IDTAP_ASSIGN_OR_RETURN(ByteView fake, pool.take(kDecoyBytes));
        IdDigest& entry = ns.digests.emplace_back();
        entry.id = id;
        std::copy(fake.begin(), fake.end(), entry.digest.bytes);
        entry.digest.size = fake.size();
      }
    }
  }
  // Deterministic order: namespaces by text_key_less, digest IDs ascending (unsigned keys).
  std::sort(name_spaces.begin(), name_spaces.end(),
            [](const NameSpaceState& a, const NameSpaceState& b) { return cbor::text_key_less(a.name, b.name); });
  size_t mso_hint = 512 + c.mapping.doc_type.size() + (c.status ? c.status->uri.size() : 0);
  for (auto& ns : name_spaces) {
    std::sort(ns.digests.begin(), ns.digests.end(), [](const IdDigest& a, const IdDigest& b) { return a.id < b.id; });
    mso_hint += ns.name.size() + 9 + ns.digests.size() * (EVP_MAX_MD_SIZE + 10);
  }

  PreparedMdoc p;
  IDTAP_ASSIGN_OR_RETURN(p.items_, items.take());
  p.name_spaces_.reserve(name_spaces.size());
  for (auto& ns : name_spaces) p.name_spaces_.push_back({std::string(ns.name), std::move(ns.spans)});
  cbor::Writer mso(mso_hint);
  write_mso(mso, MsoFields{"1.0", digest_algorithm, c.mapping.doc_type, c.device_key, v, c.status}, [&](cbor::Writer& w) {
    w.map(name_spaces.size());
    for (const auto& ns : name_spaces) {
      w.text(ns.name).map(ns.digests.size());
      for (const auto& d : ns.digests) w.uint(d.id).bytes(d.digest.view());
    }
  });
  IDTAP_ASSIGN_OR_RETURN(Bytes mso_bytes, mso.take());
  cbor::Writer payload(mso_bytes.size() + 16);
  payload.tag(cbor::kTagEncodedCbor).bytes(mso_bytes);  // MobileSecurityObjectBytes
  IDTAP_ASSIGN_OR_RETURN(p.payload_, payload.take());
  IDTAP_ASSIGN_OR_RETURN(p.to_be_signed_, sig_structure(es256_protected(), p.payload_));
  return p;
}

Result<MobileSecurityObject> PreparedMdoc::mso() const {
  IDTAP_ASSIGN_OR_RETURN(cbor::Item payload, cbor::decode(payload_));
  IDTAP_ASSIGN_OR_RETURN(ByteView mso_bytes, cbor::unwrap_encoded_cbor(payload.get()));
  return decode_mso(mso_bytes);
}

Result<Bytes> PreparedMdoc::complete(ByteView signature, const std::vector<Bytes>& x5chain) const {
  if (signature.size() != 64) return make_error(ErrorCode::kInvalidArgument, "ES256 signature must be 64 bytes (r||s)");
  if (x5chain.empty()) return make_error(ErrorCode::kInvalidArgument, "no issuer certificate for x5chain");
  std::vector<NameSpaceView> items;
  items.reserve(name_spaces_.size());
  for (const auto& ns : name_spaces_) {
    auto& views = items.emplace_back(NameSpaceView{ns.name, {}}).items;
    views.reserve(ns.spans.size());
    for (const auto& [begin, end] : ns.spans) views.push_back(ByteView(items_).subspan(begin, end - begin));
  }
  return write_issuer_signed(std::move(items), CoseSign1View{es256_protected(), x5chain, payload_, signature});
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
