// lib/issue/oid4vci_internal.h: what the OpenID4VCI files share (private to lib/issue):
//   oid4vci.cpp     the protocol state: metadata, the token, nonce and credential endpoints
//   key_proof.cpp   the checks of one `jwt` key proof (Appendix F.1 and F.4)
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/issue/oid4vci.h"
#include "idtap/provision/keys.h"

namespace idtap::issue::internal {

// iequals: `a` and `b` are equal but for the case of ASCII letters (HTTP field names, auth
// schemes and media types compare so: RFC 9110 §5.1, §11.1, §8.3.1).
inline bool iequals(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// VerifiedProof: the key a jwt proof was signed with and the c_nonce it names.
struct VerifiedProof {
  provision::EcPublicKey key;
  std::string nonce;
};

// verify_proof_jwt: the checks of OpenID4VCI 1.0 Appendix F.1 and F.4 on one `jwt` key proof,
// except the c_nonce's liveness (the issuer's state; it consumes the nonce after this). Any
// failure is a kVerificationFailed error (the wire's invalid_proof), its context the
// error_description.
Result<VerifiedProof> verify_proof_jwt(std::string_view jwt, const Oid4vciConfig& config, UnixSeconds now);

// device_key_bytes: the uncompressed SEC1 point 04 || x || y that OfferBackend::issue takes.
Bytes device_key_bytes(const provision::EcPublicKey& key);

}  // namespace idtap::issue::internal
