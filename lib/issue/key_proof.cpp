// The checks of one OpenID4VCI 1.0 `jwt` key proof, Appendix F.1 and F.4 (see oid4vci_internal.h).
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "idtap/issue/jose.h"
#include "oid4vci_internal.h"

namespace idtap::issue::internal {

namespace {

using Json = nlohmann::json;

Error proof_error(std::string what) { return make_error(ErrorCode::kVerificationFailed, std::move(what)); }

// is_proof_typ: the typ header names the key proof type (Appendix F.1). RFC 7515 §4.1.9: media
// type names compare case-insensitively and "application/" may be omitted.
bool is_proof_typ(std::string_view typ) {
  if (typ.size() > 12 && iequals(typ.substr(0, 12), "application/")) typ.remove_prefix(12);
  return iequals(typ, kProofTyp);
}

// numeric_date: a JWT NumericDate claim (RFC 7519 §2: a JSON number, possibly non-integer),
// truncated to whole seconds; nullopt if it is not a finite number in range.
std::optional<int64_t> numeric_date(const Json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_unsigned()) {
    auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (!std::isfinite(d) || d < -9.2e18 || d > 9.2e18) return std::nullopt;
    return static_cast<int64_t>(std::floor(d));
  }
  return std::nullopt;
}

}  // namespace

Result<VerifiedProof> verify_proof_jwt(std::string_view jwt, const Oid4vciConfig& config, UnixSeconds now) {
  JwsLimits limits;
  limits.max_compact = config.max_jwt_bytes;
  auto parsed = parse_compact_jws(jwt, limits);
  if (!parsed.ok()) return proof_error("key proof: " + parsed.error().context);
  const CompactJws& jws = *parsed;
  const Json& h = jws.header;
  const Json& p = jws.payload;

  // F.1 typ: REQUIRED, "openid4vci-proof+jwt" (explicit typing, RFC 8725 §3.11).
  auto typ = h.find("typ");
  if (typ == h.end() || !typ->is_string() || !is_proof_typ(typ->get_ref<const std::string&>()))
    return proof_error("key proof typ must be openid4vci-proof+jwt");
  // F.1 alg: REQUIRED, "MUST NOT be none or an identifier for a symmetric algorithm"; F.4 and
  // §12.2.4: it must be one of proof_signing_alg_values_supported, which is ["ES256"] here.
  auto alg = h.find("alg");
  if (alg == h.end() || !alg->is_string()) return proof_error("key proof without an alg");
  if (*alg == "none") return proof_error("key proof alg none (an unsecured JWS) is refused");
  if (*alg != "ES256") return proof_error("key proof alg " + alg->get<std::string>() + " is not supported (ES256 only)");
  // RFC 7515 §4.1.11: a crit header names extensions the recipient must understand; none are.
  if (h.contains("crit")) return proof_error("key proof with crit extensions that are not understood");
  // F.1: kid "MUST NOT be present if jwk or x5c is present", x5c "MUST NOT be present if kid or
  // jwk is present". This issuer binds to the jwk key alone (cose_key binding from a JWK), so a
  // kid (DID URL) or an x5c chain is refused outright.
  if (h.contains("kid")) return proof_error("key proof with kid: only a jwk header key is accepted");
  if (h.contains("x5c")) return proof_error("key proof with x5c: only a jwk header key is accepted");
  // F.1 jwk: "the key material the new Credential is to be bound to"; F.4: "the header parameter
  // does not contain a private key". (A key_attestation header is OPTIONAL and not required by
  // this issuer's metadata, so it is not evaluated; the credential binds to the jwk only.)
  auto jwk = h.find("jwk");
  if (jwk == h.end()) return proof_error("key proof without a jwk header");
  auto key = parse_p256_public_jwk(*jwk);
  if (!key.ok()) return proof_error("key proof jwk: " + key.error().context);

  // F.1 aud: REQUIRED (string), "MUST be the Credential Issuer Identifier".
  auto aud = p.find("aud");
  if (aud == p.end() || !aud->is_string()) return proof_error("key proof without an aud string");
  if (*aud != config.credential_issuer) return proof_error("key proof aud is not this credential issuer");
  // F.1 iat: REQUIRED (number); F.4: "within an acceptable window" (§13.8 Proof replay).
  auto iat_it = p.find("iat");
  if (iat_it == p.end()) return proof_error("key proof without iat");
  auto iat = numeric_date(*iat_it);
  if (!iat) return proof_error("key proof iat is not a number");
  if (*iat < now - config.iat_max_age_seconds) return proof_error("key proof iat is too old");
  if (*iat > now + config.iat_max_skew_seconds) return proof_error("key proof iat is in the future");
  // RFC 7519 §4.1.4: a JWT must not be accepted on or after its exp.
  if (auto exp_it = p.find("exp"); exp_it != p.end()) {
    auto exp = numeric_date(*exp_it);
    if (!exp || *exp <= now) return proof_error("key proof has expired (exp)");
  }
  // F.1 nonce: "MUST be present when the Issuer has a Nonce Endpoint" (it has); a proof without
  // one is invalid_proof, §8.3.1.2 case (3). (F.1 iss is the client_id, omitted with anonymous
  // pre-authorized access; it is not used.)
  auto nonce = p.find("nonce");
  if (nonce == p.end()) return proof_error("key proof without a nonce (get one from the nonce endpoint)");
  if (!nonce->is_string()) return proof_error("key proof nonce is not a string");
  // F.1: "MUST validate that the JWT ... is actually signed by a key identified in the JOSE
  // Header"; F.4: "the signature on the key proof verifies with the public key contained in the
  // header parameter".
  auto sig = verify_es256(jws, *key);
  if (!sig.ok()) return proof_error("key proof signature: " + sig.error().context);
  return VerifiedProof{std::move(key).value(), nonce->get<std::string>()};
}

Bytes device_key_bytes(const provision::EcPublicKey& key) {
  Bytes out{0x04};
  append(out, key.x());
  append(out, key.y());
  return out;
}

}  // namespace idtap::issue::internal
