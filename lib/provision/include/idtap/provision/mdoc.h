// idtap/provision/mdoc.h: the ISO/IEC 18013-5 mdoc issuer data: IssuerSignedItem,
// MobileSecurityObject (MSO), IssuerSigned; issuance (prepare -> bytes to sign -> complete)
// and verification.
//
//   IssuerSigned = {"nameSpaces": {+ NameSpace => [+ #6.24(bstr .cbor IssuerSignedItem)]},
//                   "issuerAuth": COSE_Sign1 over #6.24(bstr .cbor MobileSecurityObject)}
//   (ISO/IEC 18013-5 §8.3.2.1.2.2, §9.1.2.4)
//
// value_digest() is the one digest function: issuance fills valueDigests with it and
// verification recomputes it over the same IssuerSignedItemBytes.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/provision/cbor.h"
#include "idtap/provision/cose.h"
#include "idtap/provision/date.h"
#include "idtap/provision/holder.h"
#include "idtap/provision/keys.h"
#include "idtap/provision/mapping.h"
#include "idtap/provision/signer.h"
#include "idtap/provision/status_list.h"

namespace idtap::provision {

// kSaltBytes: the random salt of each IssuerSignedItem (§9.1.2.5 requires at least 16).
inline constexpr size_t kSaltBytes = 32;
// kDefaultDigestBucket: each namespace's digest count is padded with decoy digests to a
// multiple of this, so the count of elements does not leak (§9.1.2.5 recommendation).
inline constexpr size_t kDefaultDigestBucket = 16;

// IssuerSignedItem: one data element. `element_value` is the encoded CBOR value.
struct IssuerSignedItem {
  uint64_t digest_id = 0;
  Bytes random;
  std::string element_identifier;
  Bytes element_value;
};

// encode_issuer_signed_item: the IssuerSignedItemBytes, #6.24(bstr .cbor IssuerSignedItem).
Result<Bytes> encode_issuer_signed_item(const IssuerSignedItem& item);
// decode_issuer_signed_item: from IssuerSignedItemBytes; kMalformed otherwise.
Result<IssuerSignedItem> decode_issuer_signed_item(ByteView item_bytes);

// value_digest: the digest of IssuerSignedItemBytes under `digest_algorithm` ("SHA-256",
// "SHA-384", "SHA-512": §9.1.2.5); kNotSupported for another name. The bytes may come in two
// consecutive parts (`head` then `tail`: issuance hashes the tag-24/bstr header and the
// encoded IssuerSignedItem without joining them); verification passes them whole.
Result<Bytes> value_digest(std::string_view digest_algorithm, ByteView head, ByteView tail = {});

// ValidityInfo: §9.1.2.4 validityInfo (whole seconds).
struct ValidityInfo {
  UnixSeconds signed_at = 0;
  UnixSeconds valid_from = 0;
  UnixSeconds valid_until = 0;
  std::optional<UnixSeconds> expected_update;
};

// StatusReference: the MSO's status: {"status_list": {"idx", "uri"}}.
struct StatusReference {
  uint64_t idx = 0;
  std::string uri;
};

// MobileSecurityObject: §9.1.2.4.
struct MobileSecurityObject {
  std::string version = "1.0";
  std::string digest_algorithm = "SHA-256";
  std::map<std::string, std::map<uint64_t, Bytes>> value_digests;
  EcPublicKey device_key;
  std::string doc_type;
  ValidityInfo validity;
  std::optional<StatusReference> status;
};

// encode_mso / decode_mso: the MSO's CBOR (not tag-24 wrapped). decode_mso: kMalformed for a
// wrong shape, kNotSupported for a device key that is not EC2 P-256.
Result<Bytes> encode_mso(const MobileSecurityObject& mso);
Result<MobileSecurityObject> decode_mso(ByteView encoded);

// IssuerSigned: the issued document. `name_spaces` keeps each item's IssuerSignedItemBytes.
struct IssuerSigned {
  std::string doc_type;   // from the enclosing Document when there was one ("" otherwise)
  std::map<std::string, std::vector<Bytes>> name_spaces;
  CoseSign1 issuer_auth;
};

// encode_issuer_signed: the IssuerSigned map (what `idtap provision` writes to the phone).
Result<Bytes> encode_issuer_signed(const IssuerSigned& issuer_signed);
// decode_issuer_signed: an IssuerSigned, a Document ({"docType", "issuerSigned", ...}) or a
// DeviceResponse (its `document_index`th document). kMalformed otherwise.
Result<IssuerSigned> decode_issuer_signed(ByteView encoded, size_t document_index = 0);

// MdocContent: what to issue.
struct MdocContent {
  const VerifiedHolder* holder = nullptr;   // borrowed for the call
  DocTypeMapping mapping = DocTypeMapping::resident_id_default();
  EcPublicKey device_key;
  ValidityInfo validity;
  std::optional<StatusReference> status;
  size_t digest_bucket = kDefaultDigestBucket;
};

// PreparedMdoc: an mdoc waiting for its issuer signature.
class PreparedMdoc {
 public:
  // PreparedMdoc::to_be_signed: the COSE Sig_structure to sign with ES256.
  const Bytes& to_be_signed() const { return to_be_signed_; }
  // PreparedMdoc::mso: the MSO being signed, decoded from the payload (prepare_mdoc writes
  // the MSO's CBOR directly); kMalformed only if that encoding were broken.
  Result<MobileSecurityObject> mso() const;
  // PreparedMdoc::complete: the IssuerSigned encoding with `signature` (raw r||s, 64 bytes)
  // and the issuer chain `x5chain` (DER, leaf first) attached as COSE x5chain: the document
  // signer and any intermediates, without the root (ISO/IEC 18013-5 §9.1.2.4: "up to, but not
  // including, the IACA"; the verifier holds the IACA as its trust anchor), so a last
  // certificate that is self-signed is left out of a chain of two or more. kInvalidArgument for
  // a signature of another size, an empty chain, or a certificate that does not parse. The
  // signature is not re-verified here (verify_mdoc does that).
  Result<Bytes> complete(ByteView signature, const std::vector<Bytes>& x5chain) const;
  // PreparedMdoc::complete_with_x5chain: the same with `x5chain` attached as given (already
  // without the root: IssuerSigner::cose_x5chain); kInvalidArgument for a signature of
  // another size or an empty chain.
  Result<Bytes> complete_with_x5chain(ByteView signature, const std::vector<Bytes>& x5chain) const;

 private:
  friend Result<PreparedMdoc> prepare_mdoc(const MdocContent& content);
  // NameSpaceItems: one namespace's items as [begin, end) spans of items_.
  struct NameSpaceItems {
    std::string name;
    std::vector<std::pair<size_t, size_t>> spans;
  };
  Bytes items_;                              // every encoded IssuerSignedItem, back to back
  std::vector<NameSpaceItems> name_spaces_;  // in deterministic order (cbor::text_key_less)
  Bytes payload_;                            // MobileSecurityObjectBytes: #6.24(bstr .cbor MSO)
  Bytes to_be_signed_;
};

// prepare_mdoc: builds every IssuerSignedItem (fresh salt and random digest ID each), the
// decoy digests and the MSO for `content`. kInvalidArgument for a holder missing a mapped
// required field or invalid validity times (not whole seconds in order).
Result<PreparedMdoc> prepare_mdoc(const MdocContent& content);

// issue_mdoc: prepare, sign with `signer`, complete: the IssuerSigned encoding.
Result<Bytes> issue_mdoc(const MdocContent& content, IssuerSigner& signer);

// MdocVerifyOptions: what verify_mdoc trusts and when it checks.
struct MdocVerifyOptions {
  std::vector<Certificate> trusted_issuers;     // the issuer certificate(s) or their CA
  UnixSeconds now = 0;
  const StatusListToken* status_list = nullptr; // a verified status list token, when checked
  size_t document_index = 0;
};

// VerifiedElement: one element whose digest matched.
struct VerifiedElement {
  std::string name_space;
  std::string identifier;
  uint64_t digest_id = 0;
  Bytes value;  // encoded CBOR
};

// VerifiedMdoc: the outcome of a successful verification.
struct VerifiedMdoc {
  MobileSecurityObject mso;
  std::vector<VerifiedElement> elements;
  std::vector<Certificate> issuer_chain;
  std::optional<uint8_t> status;     // the status list value, when a list was checked
  size_t decoy_digests = 0;          // digests in the MSO without an element (decoys or withheld)
};

// verify_mdoc: every check, independent of any ledger: structure, the issuer chain to
// `trusted_issuers` at `now`, the COSE_Sign1 ES256 signature, every element's digest, the doc
// type, the validity window and (when given) the status list entry. The error context starts
// with the failed check: "structure:", "issuer:", "signature:", "digest:", "doctype:",
// "validity:", "status:". Codes: kMalformed (structure), kNoTrustAnchor, kVerificationFailed.
Result<VerifiedMdoc> verify_mdoc(ByteView encoded, const MdocVerifyOptions& options);

}  // namespace idtap::provision
