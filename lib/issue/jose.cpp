// JOSE for OpenID4VCI key proofs: base64url, compact JWS, P-256 JWK, ES256 (see jose.h).
#include "idtap/issue/jose.h"

#include <openssl/evp.h>

#include <string>
#include <vector>

namespace idtap::issue {

namespace {

constexpr size_t kP256Coordinate = 32;

bool is_base64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

Error malformed(std::string what) { return make_error(ErrorCode::kMalformed, std::move(what)); }

// parse_object: `text` as one JSON object (RFC 8259, UTF-8 checked by nlohmann's lexer), or an
// error naming `what`.
Result<nlohmann::json> parse_object(ByteView text, const char* what) {
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return malformed(std::string(what) + " is not JSON");
  if (!j.is_object()) return malformed(std::string(what) + " is not a JSON object");
  return j;
}

// coordinate: one of the JWK's "x" / "y" members, 32 bytes (RFC 7518 §6.2.1.2: the full
// coordinate length for the curve, leading zeros kept).
Result<Bytes> coordinate(const nlohmann::json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end()) return malformed(std::string("JWK without \"") + name + "\"");
  if (!it->is_string()) return malformed(std::string("JWK \"") + name + "\" is not a string");
  auto bytes = base64url_decode(it->get_ref<const std::string&>());
  if (!bytes.ok()) return malformed(std::string("JWK \"") + name + "\": " + bytes.error().context);
  if (bytes->size() != kP256Coordinate)
    return malformed(std::string("JWK \"") + name + "\" is " + std::to_string(bytes->size()) + " bytes (P-256 needs 32)");
  return bytes;
}

}  // namespace

std::string base64url_encode(ByteView data) { return provision::base64url(data); }

Result<Bytes> base64url_decode(std::string_view text) {
  // EVP_DecodeBlock takes an int length; nothing here needs more than a few kilobytes.
  if (text.size() > (size_t{1} << 30)) return malformed("base64url: input too large");
  // RFC 4648 §5 alphabet only; RFC 7515 §2: no padding, no line breaks or other whitespace.
  for (size_t i = 0; i < text.size(); ++i)
    if (!is_base64url_char(text[i])) return malformed("base64url: character " + std::to_string(i) + " is not in the alphabet");
  // A final group of one character cannot encode a byte (RFC 4648 §4).
  if (text.size() % 4 == 1) return malformed("base64url: length " + std::to_string(text.size()) + " is impossible");
  std::string b64(text);
  for (char& c : b64) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
  }
  size_t pad = (4 - b64.size() % 4) % 4;
  b64.append(pad, '=');
  Bytes out(b64.size() / 4 * 3);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  if (n < 0 || static_cast<size_t>(n) < pad) return malformed("base64url: does not decode");
  out.resize(static_cast<size_t>(n) - pad);
  // Canonical form only (RFC 4648 §3.5): the unused bits of the last character are zero, so
  // one byte string has one encoding and a JWS cannot be re-encoded into a second valid form.
  if (base64url_encode(out) != text) return malformed("base64url: non-zero trailing bits");
  return out;
}

Result<CompactJws> parse_compact_jws(std::string_view text, const JwsLimits& limits) {
  if (text.size() > limits.max_compact)
    return malformed("JWS of " + std::to_string(text.size()) + " bytes (at most " + std::to_string(limits.max_compact) + ")");
  // RFC 7515 §7.1: BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(signature).
  size_t first = text.find('.');
  if (first == std::string_view::npos) return malformed("JWS is not three dot-separated parts");
  size_t second = text.find('.', first + 1);
  if (second == std::string_view::npos || text.find('.', second + 1) != std::string_view::npos)
    return malformed("JWS is not three dot-separated parts");
  std::string_view header_b64 = text.substr(0, first);
  std::string_view payload_b64 = text.substr(first + 1, second - first - 1);
  std::string_view signature_b64 = text.substr(second + 1);
  if (header_b64.empty() || payload_b64.empty() || signature_b64.empty())
    return malformed("JWS with an empty part (unsecured or detached JWS are not accepted)");

  auto header = base64url_decode(header_b64);
  if (!header.ok()) return malformed("JWS header: " + header.error().context);
  if (header->size() > limits.max_header) return malformed("JWS header too large");
  auto payload = base64url_decode(payload_b64);
  if (!payload.ok()) return malformed("JWS payload: " + payload.error().context);
  if (payload->size() > limits.max_payload) return malformed("JWS payload too large");
  auto signature = base64url_decode(signature_b64);
  if (!signature.ok()) return malformed("JWS signature: " + signature.error().context);

  CompactJws jws;
  // RFC 7515 §5.2 steps 3-4: the header is a UTF-8 JSON object; RFC 7519 §7.2 step 10: so is a
  // JWT's payload (the Claims Set).
  IDTAP_ASSIGN_OR_RETURN(jws.header, parse_object(*header, "JWS header"));
  IDTAP_ASSIGN_OR_RETURN(jws.payload, parse_object(*payload, "JWS payload"));
  jws.signing_input = std::string(text.substr(0, second));
  jws.signature = std::move(signature).value();
  return jws;
}

Result<provision::EcPublicKey> parse_p256_public_jwk(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return malformed("JWK is not a JSON object");
  // RFC 7517 §4.1: "kty" is REQUIRED; RFC 7518 §6.1: "EC" for elliptic curve keys.
  auto kty = jwk.find("kty");
  if (kty == jwk.end() || !kty->is_string()) return malformed("JWK without a \"kty\" string");
  if (*kty != "EC") return make_error(ErrorCode::kNotSupported, "JWK key type " + kty->dump() + " (EC P-256 required)");
  // RFC 7518 §6.2.2.1: "d" makes it a private key; a public-key header must never hold one
  // (OpenID4VCI 1.0 Appendix F.4: "the header parameter does not contain a private key").
  if (jwk.contains("d")) return make_error(ErrorCode::kInvalidArgument, "JWK holds a private key (member d)");
  // RFC 7518 §6.2.1.1: "crv"; only P-256 here (ES256, RFC 7518 §3.4).
  auto crv = jwk.find("crv");
  if (crv == jwk.end() || !crv->is_string()) return malformed("JWK without a \"crv\" string");
  if (*crv != "P-256") return make_error(ErrorCode::kNotSupported, "JWK curve " + crv->dump() + " (P-256 required)");
  IDTAP_ASSIGN_OR_RETURN(Bytes x, coordinate(jwk, "x"));
  IDTAP_ASSIGN_OR_RETURN(Bytes y, coordinate(jwk, "y"));
  // The point must lie on P-256 (EcPublicKey::from_coordinates checks it through OpenSSL):
  // an invalid-curve point would make the verification meaningless.
  auto key = provision::EcPublicKey::from_coordinates(x, y);
  if (!key.ok()) return malformed("JWK: " + key.error().context);
  return key;
}

nlohmann::json p256_public_jwk(const provision::EcPublicKey& key) {
  return nlohmann::json{{"kty", "EC"}, {"crv", "P-256"}, {"x", base64url_encode(key.x())}, {"y", base64url_encode(key.y())}};
}

Status verify_es256(const CompactJws& jws, const provision::EcPublicKey& key) {
  // RFC 7515 §4.1.1: "alg" is REQUIRED; RFC 7518 §3.6 "none" is an unsecured JWS and is never
  // accepted here; only ES256 (RFC 7518 §3.4) is.
  auto alg = jws.header.find("alg");
  if (alg == jws.header.end() || !alg->is_string()) return make_error(ErrorCode::kNotSupported, "JWS without an \"alg\" string");
  if (*alg != "ES256") return make_error(ErrorCode::kNotSupported, "JWS algorithm " + alg->dump() + " (ES256 required)");
  // RFC 7518 §3.4: the signature is R || S, 32 bytes each for P-256, and nothing else (a DER
  // signature is not a JWS signature).
  if (jws.signature.size() != 2 * kP256Coordinate)
    return make_error(ErrorCode::kVerificationFailed, "ES256 signature of " + std::to_string(jws.signature.size()) + " bytes (64 required)");
  auto ok = key.verify_es256(bytes_of(jws.signing_input), jws.signature, /*allow_der=*/false);
  if (!ok.ok()) return make_error(ErrorCode::kVerificationFailed, "ES256 signature does not verify");
  return ok_status();
}

Result<std::string> sign_es256(nlohmann::json header, const nlohmann::json& payload, const provision::EcPrivateKey& key) {
  if (!header.is_object() || !payload.is_object())
    return make_error(ErrorCode::kInvalidArgument, "JWS header and payload must be JSON objects");
  header["alg"] = "ES256";
  // RFC 7515 §5.1 steps 1-8.
  std::string input = base64url_encode(bytes_of(header.dump())) + "." + base64url_encode(bytes_of(payload.dump()));
  IDTAP_ASSIGN_OR_RETURN(Bytes signature, key.sign_es256(bytes_of(input)));
  return input + "." + base64url_encode(signature);
}

}  // namespace idtap::issue
