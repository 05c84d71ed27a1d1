// lib/provision/mdoc_internal.h: what the mdoc files share (private to lib/provision):
//   mdoc_codec.cpp    the CDDL structures of ISO 18013-5 as CBOR: IssuerSignedItem, the MSO,
//                     IssuerSigned (encode, decode, value digests)
//   mdoc.cpp          issuance: holder data -> items and MSO (prepare), then complete with the
//                     signature
//   mdoc_verify.cpp   verification of an issued mdoc
// The writers here emit the deterministic encoding (RFC 8949 §4.2.1) both issuance and the
// codec produce.
#pragma once

#include <openssl/evp.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idtap/crypto/hash.h"
#include "idtap/provision/mdoc.h"

namespace idtap::provision::internal {

// malformed: a kMalformed error saying `what`.
inline Error malformed(const std::string& what) { return make_error(ErrorCode::kMalformed, what); }


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
// `name_spaces` in any order (written in deterministic order). Errors: the writer's.
Result<Bytes> write_issuer_signed(std::vector<NameSpaceView> name_spaces, const CoseSign1View& auth);

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

}  // namespace idtap::provision::internal
