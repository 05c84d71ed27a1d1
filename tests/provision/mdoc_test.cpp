#include "idtap/crypto/pkey.h"
#include "idtap/provision/mdoc.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "fixtures.h"
#include "idtap/provision/cbor.h"
#include "idtap/provision/cose.h"
#include "idtap/provision/keys.h"
#include "idtap/provision/status_list.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

std::string text_value(const VerifiedMdoc& m, const std::string& id) {
  for (const auto& e : m.elements)
    if (e.identifier == id) {
      auto item = cbor::decode(e.value).value();
      if (cbor_isa_tag(item.get())) return cbor::get_text(cbor::get_tagged(item.get(), cbor_tag_value(item.get())).value()).value();
      return cbor::get_text(item.get()).value();
    }
  return "<absent>";
}

const VerifiedElement* find_element(const VerifiedMdoc& m, const std::string& id) {
  for (const auto& e : m.elements)
    if (e.identifier == id) return &e;
  return nullptr;
}

struct Issued {
  TestIssuer pki = make_test_issuer();
  EcPrivateKey device = EcPrivateKey::generate().value();
  VerifiedHolder holder = sample_holder();
  MdocContent content;
  Bytes encoded;
  MdocVerifyOptions options;

  Issued() {
    SoftwareIssuer signer = signer_of(pki);
    content.holder = &holder;
    content.device_key = device.public_key();
    UnixSeconds now = fixture_now();
    content.validity = ValidityInfo{now, now, start_of_day(anniversary(date_of(now), 3)) + 9 * 3600, std::nullopt};
    content.status = StatusReference{42, "https://status.example.kr/lists/1"};
    encoded = issue_mdoc(content, signer).value();
    options.trusted_issuers = {pki.ca};
    options.now = now + 60;
  }
};

}  // namespace

TEST_CASE("ISO/IEC 18013-5 Annex D.4.1.2: the published IssuerSigned decodes and verifies") {
  Bytes response = load_hex_vector("iso18013_5_annex_d_device_response.hex");
  REQUIRE(response.size() == 3562);
  auto is = decode_issuer_signed(response);
  REQUIRE(is.ok());
  CHECK(is->doc_type == "org.iso.18013.5.1.mDL");
  REQUIRE(is->name_spaces.count("org.iso.18013.5.1") == 1);
  CHECK(is->name_spaces.at("org.iso.18013.5.1").size() == 6);
  CHECK(is->issuer_auth.alg == kCoseAlgEs256);
  REQUIRE(is->issuer_auth.x5chain.size() == 1);

  // Trust the Document Signer certificate carried in x5chain; check at a time inside its and
  // the MSO's validity (2020-10-01 .. 2021-10-01).
  Certificate ds = Certificate::from_der(is->issuer_auth.x5chain[0]).value();
  CHECK(ds.subject().find("utopia ds") != std::string::npos);
  MdocVerifyOptions o;
  o.trusted_issuers = {ds};
  o.now = parse_tdate("2021-01-01T00:00:00Z").value();
  auto v = verify_mdoc(response, o);
  REQUIRE_MESSAGE(v.ok(), v.error().message());
  CHECK(v->mso.version == "1.0");
  CHECK(v->mso.digest_algorithm == "SHA-256");
  CHECK(v->mso.doc_type == "org.iso.18013.5.1.mDL");
  CHECK(v->elements.size() == 6);
  CHECK(v->mso.value_digests.at("org.iso.18013.5.1").size() == 13);
  CHECK(v->mso.value_digests.at("org.iso.18013.5.1.US").size() == 4);
  CHECK(v->decoy_digests == 11);
  CHECK(text_value(*v, "family_name") == "Doe");
  CHECK(text_value(*v, "document_number") == "123456789");
  CHECK(text_value(*v, "issue_date") == "2019-10-20");
  CHECK(format_tdate(v->mso.validity.signed_at) == "2020-10-01T13:30:02Z");
  CHECK(format_tdate(v->mso.validity.valid_until) == "2021-10-01T13:30:02Z");
  // The device key of Annex D (x starts 96313d6c…).
  CHECK(to_hex(v->mso.device_key.x()).rfind("96313d6c63e24e33", 0) == 0);

  SUBCASE("a changed element breaks its digest") {
    Bytes bad = response;
    // "Doe" (63 44 6f 65) in the family_name item -> "Dof".
    const Bytes doe = hex_or_die("63446f65");
    auto it = std::search(bad.begin(), bad.end(), doe.begin(), doe.end());
    REQUIRE(it != bad.end());
    it[3] = 'f';
    auto r = verify_mdoc(bad, o);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kVerificationFailed);
    CHECK(starts_with(r.error().context, "digest: org.iso.18013.5.1/family_name"));
  }
  SUBCASE("after the DS certificate expired") {
    o.now = parse_tdate("2022-01-01T00:00:00Z").value();
    auto r = verify_mdoc(response, o);
    REQUIRE_FALSE(r.ok());
    CHECK(starts_with(r.error().context, "issuer:"));
  }
}

TEST_CASE("issue -> verify round trip of the resident ID") {
  Issued t;
  auto v = verify_mdoc(t.encoded, t.options);
  REQUIRE_MESSAGE(v.ok(), v.error().message());
  CHECK(v->mso.doc_type == kResidentIdDocType);
  CHECK(v->mso.device_key == t.device.public_key());
  CHECK(v->mso.status->idx == 42);
  CHECK(v->mso.status->uri == "https://status.example.kr/lists/1");
  CHECK(text_value(*v, "family_name") == "HONG");
  CHECK(text_value(*v, "family_name_national_character") == "홍");
  CHECK(text_value(*v, "birth_date") == "1990-05-15");
  CHECK(text_value(*v, "resident_registration_number") == "900515-1234567");
  CHECK(text_value(*v, "document_number") == "M12345678");
  CHECK(text_value(*v, "expiry_date") == "2031-06-01");
  const VerifiedElement* portrait = find_element(*v, "portrait");
  REQUIRE(portrait != nullptr);
  auto portrait_item = cbor::decode(portrait->value).value();
  CHECK(equal_bytes(cbor::get_bytes(portrait_item.get()).value(), t.holder.portrait_jpeg));
  const VerifiedElement* over17 = find_element(*v, "age_over_17");
  REQUIRE(over17 != nullptr);
  CHECK(cbor::get_bool(cbor::decode(over17->value)->get()).value());
  // how the holder's data was established (issue 15): a chip read
  CHECK(text_value(*v, "verification_method") == "chip");
  // 17 elements padded with decoys to a multiple of 16 digests.
  CHECK(v->elements.size() == 17);
  CHECK(v->mso.value_digests.at(kResidentIdDocType).size() % kDefaultDigestBucket == 0);
  // Validity: whole seconds, three years.
  CHECK(format_tdate(v->mso.validity.valid_until) == "2029-03-02T09:00:00Z");

  // Each item: a salt of 32 bytes, distinct digest IDs (random, not 0..n-1).
  auto is = decode_issuer_signed(t.encoded).value();
  std::set<uint64_t> ids;
  for (const auto& b : is.name_spaces.at(kResidentIdDocType)) {
    auto item = decode_issuer_signed_item(b).value();
    CHECK(item.random.size() == kSaltBytes);
    ids.insert(item.digest_id);
  }
  CHECK(ids.size() == 17);
  CHECK(*ids.rbegin() > 17);
}

TEST_CASE("prepare -> bytes to sign -> complete equals the one-call issuance contract") {
  Issued t;
  auto prepared = prepare_mdoc(t.content).value();
  // The signature comes from elsewhere (an HSM): here the DS key signs the Sig_structure.
  Bytes sig = t.pki.ds_key.sign_es256(prepared.to_be_signed()).value();
  CHECK(sig.size() == 64);
  CHECK_FALSE(prepared.complete(Bytes(63, 1), {t.pki.ds.der()}).ok());
  Bytes encoded = prepared.complete(sig, {t.pki.ds.der(), t.pki.ca.der()}).value();
  auto v = verify_mdoc(encoded, t.options);
  REQUIRE_MESSAGE(v.ok(), v.error().message());
  // The Sig_structure is ["Signature1", h'a10126', h'', payload].
  auto tbs = cbor::decode(prepared.to_be_signed()).value();
  auto parts = cbor::array_items(tbs.get()).value();
  CHECK(cbor::get_text(parts[0]).value() == "Signature1");
  CHECK(to_hex(cbor::get_bytes(parts[1]).value()) == "a10126");
  CHECK(cbor::get_bytes(parts[2])->empty());
  // The payload is #6.24(bstr .cbor MSO) and mso() reads it back.
  auto mso = prepared.mso();
  REQUIRE(mso.ok());
  CHECK(mso->digest_algorithm == "SHA-256");
  CHECK(mso->value_digests.at(kResidentIdDocType).size() == 32);  // 17 elements, decoys to 2 buckets of 16
  CHECK(equal_bytes(cbor::encode(cbor::encoded_cbor(encode_mso(*mso).value())).value(), cbor::get_bytes(parts[3]).value()));
}

TEST_CASE("verify rejects each kind of tampering with the reason") {
  Issued t;
  auto is = decode_issuer_signed(t.encoded).value();

  SUBCASE("a changed item") {
    auto& items = is.name_spaces.at(kResidentIdDocType);
    for (auto& b : items) {
      auto item = decode_issuer_signed_item(b).value();
      if (item.element_identifier != "family_name") continue;
      item.element_value = cbor::encode(cbor::text("KIM")).value();
      b = encode_issuer_signed_item(item).value();
    }
    auto r = verify_mdoc(encode_issuer_signed(is).value(), t.options);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kVerificationFailed);
    CHECK(starts_with(r.error().context, "digest: " + std::string(kResidentIdDocType) + "/family_name"));
  }
  SUBCASE("a changed MSO") {
    auto payload = cbor::decode(is.issuer_auth.payload).value();
    auto mso = decode_mso(cbor::unwrap_encoded_cbor(payload.get()).value()).value();
    mso.validity.valid_until += 365 * 86400;  // a longer life, same signature
    is.issuer_auth.payload = cbor::encode(cbor::encoded_cbor(encode_mso(mso).value())).value();
    auto r = verify_mdoc(encode_issuer_signed(is).value(), t.options);
    REQUIRE_FALSE(r.ok());
    CHECK(starts_with(r.error().context, "signature:"));
  }
  SUBCASE("a wrong issuer") {
    TestIssuer other = make_test_issuer("other");
    t.options.trusted_issuers = {other.ca};
    auto r = verify_mdoc(t.encoded, t.options);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kNoTrustAnchor);
    CHECK(starts_with(r.error().context, "issuer:"));
  }
  SUBCASE("a signature by another key under the right certificate") {
    EcPrivateKey rogue = EcPrivateKey::generate().value();
    Bytes tbs = sig_structure(is.issuer_auth.protected_header, is.issuer_auth.payload).value();
    is.issuer_auth.signature = rogue.sign_es256(tbs).value();
    auto r = verify_mdoc(encode_issuer_signed(is).value(), t.options);
    REQUIRE_FALSE(r.ok());
    CHECK(starts_with(r.error().context, "signature:"));
  }
  SUBCASE("an expired credential") {
    t.options.now = t.content.validity.valid_until;
    auto r = verify_mdoc(t.encoded, t.options);
    REQUIRE_FALSE(r.ok());
    CHECK(starts_with(r.error().context, "validity: expired at 2029-03-02T09:00:00Z"));
  }
  SUBCASE("not yet valid") {
    t.options.now = t.content.validity.valid_from - 1;
    auto r = verify_mdoc(t.encoded, t.options);
    REQUIRE_FALSE(r.ok());
    CHECK(starts_with(r.error().context, "validity: not valid before"));
  }
  SUBCASE("a suspended credential (status list)") {
    SoftwareIssuer signer = signer_of(t.pki);
    StatusListToken token{"https://status.example.kr/lists/1", t.options.now, std::nullopt, 3600,
                          StatusList::create(1024).value()};
    REQUIRE(token.list.set(42, kStatusInvalid).ok());
    Bytes cwt = sign_status_list_token(token, signer).value();
    auto verified = verify_status_list_token(cwt, StatusListVerifyOptions{{t.pki.ca}, t.options.now});
    REQUIRE_MESSAGE(verified.ok(), verified.error().message());
    t.options.status_list = &*verified;
    auto r = verify_mdoc(t.encoded, t.options);
    REQUIRE_FALSE(r.ok());
    CHECK(starts_with(r.error().context, "status: the credential is suspended or revoked"));
    // Entry 42 back to VALID: the credential verifies again.
    REQUIRE(token.list.set(42, kStatusValid).ok());
    auto fresh = verify_status_list_token(sign_status_list_token(token, signer).value(),
                                          StatusListVerifyOptions{{t.pki.ca}, t.options.now}).value();
    t.options.status_list = &fresh;
    auto ok = verify_mdoc(t.encoded, t.options);
    REQUIRE_MESSAGE(ok.ok(), ok.error().message());
    CHECK(ok->status == kStatusValid);
  }
  SUBCASE("the holder withholds the resident registration number: still verifies") {
    auto& items = is.name_spaces.at(kResidentIdDocType);
    std::erase_if(items, [](const Bytes& b) {
      return decode_issuer_signed_item(b)->element_identifier == "resident_registration_number";
    });
    auto r = verify_mdoc(encode_issuer_signed(is).value(), t.options);
    REQUIRE_MESSAGE(r.ok(), r.error().message());
    CHECK(find_element(*r, "resident_registration_number") == nullptr);
  }
}

TEST_CASE("malformed mdoc inputs are structure errors, never crashes") {
  Issued t;
  struct Case {
    const char* why;
    Bytes input;
  };
  Bytes truncated(t.encoded.begin(), t.encoded.end() - 10);
  Bytes trailing = t.encoded;
  trailing.push_back(0x00);
  const Case cases[] = {
      {"empty input", {}},
      {"a bare integer", hex_or_die("01")},
      {"truncated IssuerSigned", truncated},
      {"a trailing byte after the item", trailing},
      {"an array claiming 2^32 elements in 5 bytes", hex_or_die("9affffffff")},
      {"a map without nameSpaces", hex_or_die("a1636b657901")},
      {"nameSpaces with a non-tag-24 item", hex_or_die("a26a6e616d65537061636573a1616e8101" "6a697373756572417574688443a10126a0f640")},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto r = verify_mdoc(c.input, t.options);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
    CHECK(starts_with(r.error().context, "structure:"));
  }
}

TEST_CASE("a float where a simple value is checked is an error, never an abort") {
  // libcbor 0.8's cbor_is_bool / cbor_is_null assert (abort) on a float item; the fuzzer found
  // it with "f9ff00" through cbor::diagnostic. cbor::is_bool / is_null / is_undefined check first.
  const char* floats[] = {
      "f9ff00",              // half precision NaN (the fuzzer's input)
      "f93c00",              // half precision 1.0
      "fa3f800000",          // single precision 1.0
      "fb3ff0000000000000",  // double precision 1.0
  };
  for (const char* hex : floats) {
    CAPTURE(hex);
    auto item = cbor::decode(hex_or_die(hex));
    REQUIRE(item.ok());
    CHECK_FALSE(cbor::is_bool(item->get()));
    CHECK_FALSE(cbor::is_null(item->get()));
    CHECK_FALSE(cbor::is_undefined(item->get()));
    auto b = cbor::get_bool(item->get());
    REQUIRE_FALSE(b.ok());
    CHECK(b.error().code == ErrorCode::kMalformed);
    CHECK_FALSE(cbor::diagnostic(item->get()).empty());
  }
  // The simple values themselves still read as what they are.
  CHECK(cbor::get_bool(cbor::decode(hex_or_die("f5")).value().get()).value());
  CHECK_FALSE(cbor::get_bool(cbor::decode(hex_or_die("f4")).value().get()).value());
  CHECK(cbor::is_null(cbor::decode(hex_or_die("f6")).value().get()));
  CHECK(cbor::is_undefined(cbor::decode(hex_or_die("f7")).value().get()));
  CHECK(cbor::diagnostic(cbor::decode(hex_or_die("f7")).value().get()) == "undefined");

  // A COSE_Sign1 whose payload is a float: malformed, not a detached payload, no abort.
  auto sign1 = cbor::decode(hex_or_die("8443a10126a0f93c0040")).value();
  auto parsed = parse_cose_sign1(sign1.get());
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().code == ErrorCode::kMalformed);
  // A COSE_Key whose y is a float (where a compressed point would put a boolean).
  auto cose_key = cbor::decode(hex_or_die("a4010220012158200000000000000000000000000000000000000000000000000000000000000001"
                                          "22f93c00")).value();
  CHECK_FALSE(EcPublicKey::from_cose_key(cose_key.get()).ok());
}

TEST_CASE("deterministic CBOR: map keys in encoded-key order, shortest integers") {
  cbor::MapBuilder m;
  m.add("validUntil", cbor::uint(1)).add("docType", cbor::uint(2)).add(-1, cbor::uint(3)).add(1, cbor::uint(1000));
  Bytes enc = cbor::encode(m.build().value()).value();
  // 01 < 20 < 67"docType" < 6a"validUntil"; 1000 as 19 03e8.
  CHECK(to_hex(enc) == "a4011903e8200367646f6354797065026a76616c6964556e74696c01");
  cbor::MapBuilder dup;
  dup.add("a", cbor::uint(1)).add("a", cbor::uint(2));
  CHECK(dup.build().error().code == ErrorCode::kInvalidArgument);
  // A decoded map with a key twice is rejected on lookup.
  auto twice = cbor::decode(hex_or_die("a2616101616102")).value();
  CHECK(cbor::find_text(twice.get(), "a").error().code == ErrorCode::kMalformed);
}

TEST_CASE("cbor::Writer heads are libcbor's shortest encodings at every size boundary") {
  // RFC 8949 §4.2.1: arguments below 24 in the initial byte, then 1, 2, 4 and 8 bytes.
  const uint64_t values[] = {0, 1, 23, 24, 255, 256, 65535, 65536, 0xFFFFFFFFull, 0x100000000ull, UINT64_MAX};
  for (uint64_t v : values) {
    CAPTURE(v);
    cbor::Writer u;
    u.uint(v);
    CHECK(equal_bytes(u.take().value(), cbor::encode(cbor::uint(v)).value()));
    cbor::Writer t;
    t.tag(v).uint(0);
    CHECK(equal_bytes(t.take().value(), cbor::encode(cbor::tag(v, cbor::uint(0))).value()));
    // Collection and string heads against libcbor's own encoders (no item of that size built).
    uint8_t expected[9];
    cbor::Writer m;
    m.map(v);
    CHECK(equal_bytes(m.take().value(), ByteView(expected, cbor_encode_map_start(v, expected, sizeof expected))));
    cbor::Writer a;
    a.array(v);
    CHECK(equal_bytes(a.take().value(), ByteView(expected, cbor_encode_array_start(v, expected, sizeof expected))));
    if (v <= static_cast<uint64_t>(INT64_MAX)) {
      cbor::Writer n;
      n.integer(-1 - static_cast<int64_t>(v));
      CHECK(equal_bytes(n.take().value(), cbor::encode(cbor::integer(-1 - static_cast<int64_t>(v))).value()));
    }
  }
  // Text and byte strings whose lengths cross the boundaries.
  for (size_t n : {size_t(0), size_t(23), size_t(24), size_t(255), size_t(256), size_t(65535), size_t(65536)}) {
    CAPTURE(n);
    std::string text(n, 'x');
    Bytes bytes(n, 0xA5);
    cbor::Writer w;
    w.text(text).bytes(bytes);
    Bytes expected = cbor::encode(cbor::text(text)).value();
    Bytes b = cbor::encode(cbor::bytes(bytes)).value();
    expected.insert(expected.end(), b.begin(), b.end());
    CHECK(equal_bytes(w.take().value(), expected));
    CHECK(equal_bytes(cbor::encoded_cbor_header(n).view(), ByteView(cbor::encode(cbor::encoded_cbor(bytes)).value()).first(
                                                               cbor::encode(cbor::encoded_cbor(bytes)).value().size() - n)));
  }
}

TEST_CASE("prepare_mdoc refuses unusable input") {
  Issued t;
  MdocContent c = t.content;
  SUBCASE("validity out of order") {
    c.validity.valid_until = c.validity.valid_from;
    CHECK(prepare_mdoc(c).error().code == ErrorCode::kInvalidArgument);
  }
  SUBCASE("a portrait that is not JPEG") {
    VerifiedHolder h = t.holder;
    h.portrait_jpeg = Bytes{0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50};  // JPEG 2000 signature box
    c.holder = &h;
    CHECK(prepare_mdoc(c).error().code == ErrorCode::kInvalidArgument);
  }
  SUBCASE("a missing required name") {
    VerifiedHolder h = t.holder;
    h.family_name.clear();
    c.holder = &h;
    CHECK(prepare_mdoc(c).error().context.find("family_name") != std::string::npos);
  }
}

namespace {

// canonical: `item` rebuilt with every map through MapBuilder (RFC 8949 §4.2.1 order).
cbor::Item canonical(const cbor_item_t* item) {
  if (cbor_isa_map(item)) {
    cbor::MapBuilder m;
    auto pairs = cbor::map_pairs(item).value();
    for (const auto& [k, v] : pairs) m.add(canonical(k), canonical(v));
    return m.build().value();
  }
  if (cbor_isa_array(item)) {
    std::vector<cbor::Item> parts;
    auto elements = cbor::array_items(item).value();
    for (const auto* e : elements) parts.push_back(canonical(e));
    return cbor::array(std::move(parts));
  }
  if (cbor_isa_tag(item)) return cbor::tag(cbor_tag_value(item), canonical(cbor::get_tagged(item, cbor_tag_value(item)).value()));
  return cbor::clone(item).value();
}

void check_deterministic(ByteView encoded, const char* what) {
  CAPTURE(what);
  auto item = cbor::decode(encoded);
  REQUIRE(item.ok());
  CHECK(to_hex(cbor::encode(canonical(item->get())).value()) == to_hex(encoded));
}

}  // namespace

TEST_CASE("every structure idtap writes is in deterministic (canonical) CBOR order") {
  Issued t;
  check_deterministic(t.encoded, "IssuerSigned");
  auto is = decode_issuer_signed(t.encoded).value();
  check_deterministic(is.issuer_auth.protected_header, "protected header");
  auto payload = cbor::decode(is.issuer_auth.payload).value();
  ByteView mso = cbor::unwrap_encoded_cbor(payload.get()).value();
  check_deterministic(mso, "MobileSecurityObject");
  for (const auto& b : is.name_spaces.at(kResidentIdDocType)) {
    auto item = cbor::decode(b).value();
    check_deterministic(cbor::unwrap_encoded_cbor(item.get()).value(), "IssuerSignedItem");
  }
  // An MSO with an expectedUpdate and two namespaces of different name lengths.
  MobileSecurityObject m = decode_mso(mso).value();
  m.validity.expected_update = m.validity.valid_from + 86400;
  m.value_digests["org.iso.18013.5.1"][5] = Bytes(32, 1);
  m.value_digests["a.b"][300] = Bytes(32, 2);
  m.value_digests["a.b"][24] = Bytes(32, 3);
  check_deterministic(encode_mso(m).value(), "MSO with expectedUpdate and three namespaces");
  CHECK(decode_mso(encode_mso(m).value())->validity.expected_update == m.validity.expected_update);
  // The status list token's protected header and claims.
  SoftwareIssuer signer = signer_of(t.pki);
  StatusListToken token{"https://status.example.kr/lists/1", t.options.now, t.options.now + 60, 30, StatusList::create(64).value()};
  Bytes cwt = sign_status_list_token(token, signer).value();
  CHECK(cwt[0] == 0xD2);  // tag 18
  auto sign1 = parse_cose_sign1(cbor::decode(ByteView(cwt).subspan(1)).value().get()).value();
  check_deterministic(sign1.protected_header, "status list protected header");
  check_deterministic(sign1.payload, "status list claims");
  CHECK(sign1.typ == std::string("application/statuslist+cwt"));
}

TEST_CASE("tdate: parse and format (calendar dates and age: tests/base/date_test.cpp)") {
  struct Case {
    const char* text;
    bool allow_fraction;
    const char* formatted;  // nullptr: refused with kInvalidArgument
  };
  const Case cases[] = {
      {"2020-10-01T13:30:02Z", false, "2020-10-01T13:30:02Z"},      // the Annex D signed time
      {"1970-01-01T00:00:00Z", false, "1970-01-01T00:00:00Z"},      // the epoch
      {"2024-02-29T23:59:59Z", false, "2024-02-29T23:59:59Z"},      // a leap day's last second
      {"1969-12-31T23:59:59Z", false, "1969-12-31T23:59:59Z"},      // before the epoch
      {"2020-10-01T13:30:02.5Z", false, nullptr},                   // §9.1.2.4: no fractional seconds
      {"2020-10-01T13:30:02.5Z", true, "2020-10-01T13:30:02Z"},     // ... unless allowed (read side)
      {"2020-10-01T13:30:02.Z", true, nullptr},                     // a fraction needs digits
      {"2020-10-01T13:30:02+09:00", false, nullptr},                // UTC only
      {"2023-02-29T00:00:00Z", false, nullptr},                     // not a day
      {"2020-10-01T24:00:00Z", false, nullptr},                     // hour 24
      {"2020-10-01T13:60:00Z", false, nullptr},                     // minute 60
      {"2020-10-01 13:30:02Z", false, nullptr},                     // a blank for the T
      {"2020-10-01T13:30:02", false, nullptr},                      // no Z
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    auto t = parse_tdate(c.text, c.allow_fraction);
    if (!c.formatted) {
      REQUIRE_FALSE(t.ok());
      CHECK(t.error().code == ErrorCode::kInvalidArgument);
      continue;
    }
    REQUIRE(t.ok());
    CHECK(format_tdate(*t) == c.formatted);
  }
  CHECK(format_tdate(0) == "1970-01-01T00:00:00Z");
  CHECK(format_tdate(-1) == "1969-12-31T23:59:59Z");
  CHECK(parse_tdate("2020-10-01T13:30:02Z").value() == 1601559002);
}

TEST_CASE("mapping file: parse, defaults and errors") {
  auto m = DocTypeMapping::parse(
      "# resident ID, minimal\n"
      "doctype kr.go.mois.residentid.1\n"
      "family_name   kr.go.mois.residentid.1\n"
      "age_over_18   org.iso.18013.5.1   age_over_18   # the ISO namespace\n");
  REQUIRE(m.ok());
  CHECK(m->doc_type == "kr.go.mois.residentid.1");
  REQUIRE(m->elements.size() == 2);
  CHECK(m->elements[1].name_space == "org.iso.18013.5.1");
  struct Case {
    const char* why;
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"no doctype", "family_name ns\n", "no doctype"},
      {"doctype twice", "doctype a\ndoctype b\nfamily_name ns\n", "line 2: doctype given twice"},
      {"unknown field", "doctype a\nshoe_size ns\n", "line 2: unknown field 'shoe_size'"},
      {"field twice", "doctype a\nfamily_name ns\nfamily_name ns2 x\n", "line 3: field 'family_name' mapped twice"},
      {"one word", "doctype a\nfamily_name\n", "line 2: expected"},
      {"no elements", "doctype a\n", "no elements"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto r = DocTypeMapping::parse(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().context.find(c.error) != std::string::npos);
  }
  // Issuing with the small mapping: two elements, two namespaces, decoys in each.
  Issued t;
  t.content.mapping = *m;
  SoftwareIssuer signer = signer_of(t.pki);
  auto v = verify_mdoc(issue_mdoc(t.content, signer).value(), t.options).value();
  CHECK(v.elements.size() == 2);
  CHECK(v.mso.value_digests.at("org.iso.18013.5.1").size() == kDefaultDigestBucket);
  CHECK(v.decoy_digests == 2 * kDefaultDigestBucket - 2);
}
