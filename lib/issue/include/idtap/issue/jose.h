// idtap/issue/jose.h: the JOSE that OpenID4VCI key proofs need, and nothing more: base64url
// (RFC 7515 §2, no padding), compact JWS (RFC 7515 §7.1) with JSON header and payload parsed by
// nlohmann-json, P-256 public JWKs (RFC 7517 §4, RFC 7518 §6.2.1) and ES256 (RFC 7518 §3.4).
// Every primitive is OpenSSL's, through lib/provision's P-256 key types (EVP_PKEY underneath):
// the JWK's point is validated on the curve, the signature's r||s goes to DER for
// EVP_DigestVerify. Other algorithms, other curves and unsecured JWS ("alg": "none") are refused.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/provision/keys.h"

namespace idtap::issue {

// base64url_encode: RFC 4648 §5 without padding (RFC 7515 §2 "Base64url Encoding").
std::string base64url_encode(ByteView data);

// base64url_decode: the strict inverse of base64url_encode: only A-Z a-z 0-9 - _, no padding, no
// whitespace, a length that is not 1 mod 4, and unused trailing bits zero (so each byte string
// has exactly one encoding, RFC 4648 §3.5). kMalformed naming the defect otherwise.
Result<Bytes> base64url_decode(std::string_view text);

// JwsLimits: the largest compact JWS, decoded header and decoded payload accepted (bytes). A key
// proof is a few hundred bytes; the limits bound the work an anonymous request can cause.
struct JwsLimits {
  size_t max_compact = 8192;
  size_t max_header = 2048;
  size_t max_payload = 4096;
};

// CompactJws: a parsed, not yet verified, compact JWS. `signing_input` is the ASCII
// "BASE64URL(header).BASE64URL(payload)" the signature covers (RFC 7515 §5.2 step 8).
struct CompactJws {
  nlohmann::json header;   // a JSON object
  nlohmann::json payload;  // a JSON object (a JWT Claims Set, RFC 7519 §7.2 step 10)
  std::string signing_input;
  Bytes signature;
};

// parse_compact_jws: splits and decodes `text` (RFC 7515 §5.2 steps 1-7): exactly three
// base64url parts, the header and the payload each a UTF-8 JSON object (RFC 7515 §4, RFC 7519
// §7.2). A duplicate member name keeps its lexically last value, as RFC 7515 §5.2 step 4
// allows. Nothing is verified here. kMalformed naming the defect (too large, a part count other
// than three, bad base64url, not JSON, not an object).
Result<CompactJws> parse_compact_jws(std::string_view text, const JwsLimits& limits = {});

// parse_p256_public_jwk: the P-256 public key of a JWK object (RFC 7517 §4; RFC 7518 §6.2.1):
// "kty" "EC", "crv" "P-256", "x" and "y" each the base64url of exactly 32 bytes, a point on the
// curve. A JWK holding a private part ("d", RFC 7518 §6.2.2) is refused: a key proof must never
// carry one (OpenID4VCI 1.0 Appendix F.4). kMalformed for a bad member, kNotSupported for
// another key type or curve, kInvalidArgument for a private key.
Result<provision::EcPublicKey> parse_p256_public_jwk(const nlohmann::json& jwk);

// p256_public_jwk: the JWK {"kty":"EC","crv":"P-256","x":...,"y":...} of `key`.
nlohmann::json p256_public_jwk(const provision::EcPublicKey& key);

// verify_es256: checks the JWS signature with `key` (RFC 7515 §5.2 step 8, RFC 7518 §3.4): the
// header's "alg" must be exactly "ES256" ("none", HS256, ES384, ... are kNotSupported) and the
// signature exactly 64 bytes r||s. kVerificationFailed if it does not verify.
Status verify_es256(const CompactJws& jws, const provision::EcPublicKey& key);

// sign_es256: the compact JWS of `header` and `payload` (JSON objects; "alg": "ES256" is set in
// the header) signed with `key` (RFC 7515 §5.1). For the test wallet and tests. kInvalidArgument
// if either is not an object; kInternal if OpenSSL fails.
Result<std::string> sign_es256(nlohmann::json header, const nlohmann::json& payload,
                               const provision::EcPrivateKey& key);

}  // namespace idtap::issue
