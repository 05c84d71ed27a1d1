// mdoc verification (ISO 18013-5 §9.3): the issuer's chain, the MSO signature, every item's
// digest, the validity and the device key.
#include "idtap/provision/mdoc.h"

#include <set>

#include "mdoc_internal.h"

namespace idtap::provision {

using namespace internal;

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
