// mdoc issuance (ISO 18013-5 §8.3.2.1.2.2, §9.1.2.4): the holder's data as IssuerSignedItems and
// an MSO to sign (prepare_mdoc), then the signed IssuerSigned (PreparedMdoc::complete).
#include "idtap/provision/mdoc.h"

#include <algorithm>

#include "idtap/crypto/random.h"
#include "idtap/provision/cose.h"
#include "idtap/provision/keys.h"

#include "mdoc_internal.h"

namespace idtap::provision {

using namespace internal;

namespace {

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
  // ISO/IEC 18013-5 §9.1.2.4: the DS and intermediates, not the root (x5chain_to_carry).
  IDTAP_ASSIGN_OR_RETURN(const std::vector<Bytes> chain, x5chain_to_carry(x5chain));
  return complete_with_x5chain(signature, chain);
}

Result<Bytes> PreparedMdoc::complete_with_x5chain(ByteView signature, const std::vector<Bytes>& chain) const {
  if (signature.size() != 64) return make_error(ErrorCode::kInvalidArgument, "ES256 signature must be 64 bytes (r||s)");
  if (chain.empty()) return make_error(ErrorCode::kInvalidArgument, "no issuer certificate for x5chain");
  std::vector<NameSpaceView> items;
  items.reserve(name_spaces_.size());
  for (const auto& ns : name_spaces_) {
    auto& views = items.emplace_back(NameSpaceView{ns.name, {}}).items;
    views.reserve(ns.spans.size());
    for (const auto& [begin, end] : ns.spans) views.push_back(ByteView(items_).subspan(begin, end - begin));
  }
  return write_issuer_signed(std::move(items), CoseSign1View{es256_protected(), chain, payload_, signature});
}

Result<Bytes> issue_mdoc(const MdocContent& content, IssuerSigner& signer) {
  IDTAP_ASSIGN_OR_RETURN(PreparedMdoc p, prepare_mdoc(content));
  IDTAP_ASSIGN_OR_RETURN(Bytes sig, signer.sign(p.to_be_signed()));
  IDTAP_ASSIGN_OR_RETURN(const std::vector<Bytes> x5chain, signer.cose_x5chain());
  return p.complete_with_x5chain(sig, x5chain);
}

}  // namespace idtap::provision
