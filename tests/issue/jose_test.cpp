// tests/issue/jose_test.cpp: base64url, compact JWS, P-256 JWK and ES256 (lib/issue/jose.h),
// against the published examples of RFC 4648 §10, RFC 7515 Appendix A.3 and RFC 7517 Appendix A.
#include "idtap/issue/jose.h"

#include <doctest/doctest.h>

#include <string>

#include "idtap/crypto/ec.h"
#include "idtap/crypto/pkey.h"
#include "idtap/crypto/random.h"

using namespace idtap;
using namespace idtap::issue;
using Json = nlohmann::json;

namespace {

// RFC 7515 Appendix A.3: the ES256 example (A.3.1 key, A.1 payload, A.3.1 signature).
constexpr const char* kA3Jws =
    "eyJhbGciOiJFUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
constexpr const char* kA3X = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
constexpr const char* kA3Y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
constexpr const char* kA3D = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";

// RFC 7517 Appendix A.1 (public) and A.2 (the same key with its private part).
constexpr const char* kA1X = "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4";
constexpr const char* kA1Y = "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM";
constexpr const char* kA2D = "870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE";

Json a3_public_jwk() { return Json{{"kty", "EC"}, {"crv", "P-256"}, {"x", kA3X}, {"y", kA3Y}}; }

}  // namespace

TEST_CASE("base64url: RFC 4648 §10 test vectors, unpadded (RFC 7515 §2)") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg"}, {"fo", "Zm8"}, {"foo", "Zm9v"}, {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    CAPTURE(plain);
    CHECK(base64url_encode(bytes_of(plain)) == encoded);
    auto back = base64url_decode(encoded);
    REQUIRE(back.ok());
    CHECK(string_of(*back) == plain);
  }
  // The two URL-safe characters (RFC 4648 §5): 0xfb 0xff -> "-_8".
  CHECK(base64url_encode(Bytes{0xfb, 0xff}) == "-_8");
  REQUIRE(base64url_decode("-_8").ok());
  CHECK(*base64url_decode("-_8") == Bytes{0xfb, 0xff});
}

TEST_CASE("base64url: every length round-trips through random bytes") {
  for (size_t n = 0; n < 70; ++n) {
    auto data = crypto::random_bytes(n);
    REQUIRE(data.ok());
    auto back = base64url_decode(base64url_encode(*data));
    REQUIRE(back.ok());
    CHECK(*back == *data);
  }
}

TEST_CASE("base64url: strict decoding refuses every other form") {
  const char* bad[] = {
      "Zg==",     // padding (RFC 7515 §2: none)
      "Zg=",      // partial padding
      "Zh",       // non-zero trailing bits: not the canonical encoding of "f"
      "Zm9",      // ... nor of "fo" (Zm8)
      "Z",        // a length of 1 mod 4 encodes nothing
      "Zm9vY",    // the same, longer
      "Zm+v",     // '+' is standard base64, not base64url
      "Zm/v",     // '/' likewise
      "Zm9v\n",   // no line breaks
      " Zm9v",    // no whitespace
      "Zm 9v",    // anywhere
      "Zm9v\xc3\xa9",  // non-ASCII
  };
  for (const char* text : bad) {
    CAPTURE(text);
    auto r = base64url_decode(text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
  }
}

TEST_CASE("RFC 7515 Appendix A.3: the published ES256 JWS parses and verifies with its JWK") {
  auto jws = parse_compact_jws(kA3Jws);
  REQUIRE(jws.ok());
  CHECK(jws->header == Json{{"alg", "ES256"}});
  CHECK(jws->payload["iss"] == "joe");
  CHECK(jws->payload["exp"] == 1300819380);
  CHECK(jws->payload["http://example.com/is_root"] == true);
  CHECK(jws->signature.size() == 64);
  CHECK(jws->signing_input == std::string(kA3Jws).substr(0, std::string(kA3Jws).rfind('.')));
  auto key = parse_p256_public_jwk(a3_public_jwk());
  REQUIRE(key.ok());
  CHECK(verify_es256(*jws, *key).ok());

  // A.3.1's private key d gives that public key (so the JWK's x and y were decoded right).
  auto group = crypto::EcGroup::named(crypto::EcCurve::kNistP256);
  REQUIRE(group.ok());
  auto d = base64url_decode(kA3D);
  REQUIRE(d.ok());
  auto pair = crypto::EcKeyPair::from_private(group->generator(), *d);
  REQUIRE(pair.ok());
  CHECK(pair->public_point().x() == key->x());
  CHECK(pair->public_point().y() == key->y());

  // One flipped bit anywhere in the signature, or in the signed payload, and it fails.
  for (size_t i = 0; i < jws->signature.size(); i += 7) {
    CompactJws tampered = *jws;
    tampered.signature[i] ^= 0x01;
    CHECK(verify_es256(tampered, *key).error().code == ErrorCode::kVerificationFailed);
  }
  CompactJws tampered = *jws;
  tampered.signing_input.back() ^= 0x01;
  CHECK(verify_es256(tampered, *key).error().code == ErrorCode::kVerificationFailed);
  // Another key does not verify it: RFC 7517 A.1's.
  auto other = parse_p256_public_jwk(Json{{"kty", "EC"}, {"crv", "P-256"}, {"x", kA1X}, {"y", kA1Y}});
  REQUIRE(other.ok());
  CHECK(verify_es256(*jws, *other).error().code == ErrorCode::kVerificationFailed);
}

TEST_CASE("RFC 7517 Appendix A: the public EC key parses (extra members ignored), the private one is refused") {
  Json a1 = {{"kty", "EC"}, {"crv", "P-256"}, {"x", kA1X}, {"y", kA1Y}, {"use", "enc"}, {"kid", "1"}};
  auto key = parse_p256_public_jwk(a1);
  REQUIRE(key.ok());
  CHECK(base64url_encode(key->x()) == kA1X);
  CHECK(base64url_encode(key->y()) == kA1Y);
  CHECK(p256_public_jwk(*key) == Json{{"kty", "EC"}, {"crv", "P-256"}, {"x", kA1X}, {"y", kA1Y}});

  Json a2 = a1;
  a2["d"] = kA2D;  // RFC 7517 A.2: the same key with "d"
  auto refused = parse_p256_public_jwk(a2);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kInvalidArgument);
  CHECK(refused.error().context.find("private") != std::string::npos);
}

TEST_CASE("parse_p256_public_jwk refuses every JWK that is not a P-256 public key") {
  Json good = {{"kty", "EC"}, {"crv", "P-256"}, {"x", kA1X}, {"y", kA1Y}};
  // A point not on P-256: A.1's x with A.3's y.
  Json off_curve = good;
  off_curve["y"] = kA3Y;
  Json short_x = good;
  short_x["x"] = base64url_encode(Bytes(31, 0x42));
  Json long_y = good;
  long_y["y"] = base64url_encode(Bytes(33, 0x42));
  Json padded_x = good;
  padded_x["x"] = std::string(kA1X) + "=";
  Json numeric_x = good;
  numeric_x["x"] = 12345;
  Json no_y = good;
  no_y.erase("y");
  Json no_kty = good;
  no_kty.erase("kty");
  Json no_crv = good;
  no_crv.erase("crv");
  Json rsa = {{"kty", "RSA"}, {"n", "0vx7"}, {"e", "AQAB"}};
  Json p384 = good;
  p384["crv"] = "P-384";
  p384["x"] = base64url_encode(Bytes(48, 0x11));
  p384["y"] = base64url_encode(Bytes(48, 0x22));
  Json okp = {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}};
  Json secp256k1 = good;
  secp256k1["crv"] = "secp256k1";
  Json oct = {{"kty", "oct"}, {"k", "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}};

  const std::pair<const Json*, ErrorCode> table[] = {
      {&off_curve, ErrorCode::kMalformed},     // an invalid-curve point
      {&short_x, ErrorCode::kMalformed},       // a coordinate of 31 bytes
      {&long_y, ErrorCode::kMalformed},        // a coordinate of 33 bytes
      {&padded_x, ErrorCode::kMalformed},      // padded base64url
      {&numeric_x, ErrorCode::kMalformed},     // x not a string
      {&no_y, ErrorCode::kMalformed},          // y missing
      {&no_kty, ErrorCode::kMalformed},        // kty missing
      {&no_crv, ErrorCode::kMalformed},        // crv missing
      {&rsa, ErrorCode::kNotSupported},        // another key type
      {&p384, ErrorCode::kNotSupported},       // another curve
      {&okp, ErrorCode::kNotSupported},        // EdDSA
      {&secp256k1, ErrorCode::kNotSupported},  // ES256K's curve
      {&oct, ErrorCode::kNotSupported},        // a symmetric key
  };
  for (const auto& [jwk, code] : table) {
    CAPTURE(jwk->dump());
    auto r = parse_p256_public_jwk(*jwk);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == code);
  }
  CHECK_FALSE(parse_p256_public_jwk(Json::array({good})).ok());  // not an object
  CHECK_FALSE(parse_p256_public_jwk(Json("jwk")).ok());
}

TEST_CASE("sign_es256 round-trips through parse_compact_jws and verify_es256") {
  auto key = provision::EcPrivateKey::generate();
  REQUIRE(key.ok());
  Json header = {{"typ", "openid4vci-proof+jwt"}, {"jwk", p256_public_jwk(key->public_key())}};
  Json payload = {{"aud", "https://issuer.example"}, {"iat", 1767225600}, {"nonce", "n-0"}};
  auto jwt = sign_es256(header, payload, *key);
  REQUIRE(jwt.ok());
  auto jws = parse_compact_jws(*jwt);
  REQUIRE(jws.ok());
  CHECK(jws->header["alg"] == "ES256");
  CHECK(jws->header["typ"] == "openid4vci-proof+jwt");
  CHECK(jws->payload == payload);
  auto embedded = parse_p256_public_jwk(jws->header["jwk"]);
  REQUIRE(embedded.ok());
  CHECK(*embedded == key->public_key());
  CHECK(verify_es256(*jws, *embedded).ok());
  auto other = provision::EcPrivateKey::generate();
  REQUIRE(other.ok());
  CHECK(verify_es256(*jws, other->public_key()).error().code == ErrorCode::kVerificationFailed);
  CHECK(sign_es256(Json::array(), payload, *key).error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("verify_es256 refuses alg none, symmetric and other algorithms, and non-raw signatures") {
  auto key = parse_p256_public_jwk(a3_public_jwk());
  REQUIRE(key.ok());
  auto base = parse_compact_jws(kA3Jws);
  REQUIRE(base.ok());
  for (const char* alg : {"none", "HS256", "ES384", "ES512", "RS256", "PS256", "EdDSA", "es256", "ES256K"}) {
    CAPTURE(alg);
    CompactJws jws = *base;
    jws.header["alg"] = alg;
    CHECK(verify_es256(jws, *key).error().code == ErrorCode::kNotSupported);
  }
  CompactJws no_alg = *base;
  no_alg.header.erase("alg");
  CHECK(verify_es256(no_alg, *key).error().code == ErrorCode::kNotSupported);
  CompactJws numeric_alg = *base;
  numeric_alg.header["alg"] = -7;
  CHECK(verify_es256(numeric_alg, *key).error().code == ErrorCode::kNotSupported);
  // The right signature as DER (what a keystore returns) is not a JWS signature (RFC 7518 §3.4).
  auto der = crypto::ecdsa_plain_to_der(base->signature);
  REQUIRE(der.ok());
  CompactJws as_der = *base;
  as_der.signature = *der;
  CHECK(verify_es256(as_der, *key).error().code == ErrorCode::kVerificationFailed);
  CompactJws short_sig = *base;
  short_sig.signature.pop_back();
  CHECK(verify_es256(short_sig, *key).error().code == ErrorCode::kVerificationFailed);
  CompactJws zero_sig = *base;
  zero_sig.signature.assign(64, 0);
  CHECK(verify_es256(zero_sig, *key).error().code == ErrorCode::kVerificationFailed);
}

TEST_CASE("parse_compact_jws refuses malformed and oversized input") {
  std::string a3 = kA3Jws;
  std::string header = a3.substr(0, a3.find('.'));
  std::string payload_sig = a3.substr(a3.find('.'));
  auto b64 = [](std::string_view s) { return base64url_encode(bytes_of(s)); };
  JwsLimits small;
  small.max_compact = 100;
  const std::pair<std::string, const char*> table[] = {
      {"", "empty"},
      {"abc", "one part"},
      {header + ".eyJhIjoxfQ", "two parts"},
      {a3 + ".AAAA", "four parts (a JWE has five)"},
      {header + ".eyJhIjoxfQ.", "empty signature (unsecured JWS)"},
      {"." + a3.substr(a3.find('.') + 1), "empty header"},
      {header + "..AAAA", "empty payload (detached content)"},
      {b64("not json") + payload_sig, "header not JSON"},
      {b64("[1,2]") + payload_sig, "header a JSON array"},
      {b64("\"ES256\"") + payload_sig, "header a JSON string"},
      {b64("{\"alg\":\"ES256\"") + payload_sig, "header truncated JSON"},
      {b64("{\"alg\":\"\xff\xfe\"}") + payload_sig, "header with invalid UTF-8"},
      {b64("{\"alg\":\"ES256\"} {}") + payload_sig, "header with trailing content"},
      {b64("{\"alg\":\"ES256\",}") + payload_sig, "header with a trailing comma"},
      {b64("{\"alg\":\"ES256\" /* c */}") + payload_sig, "header with a comment"},
      {header + "." + b64("[]") + ".AAAA", "payload a JSON array"},
      {header + ".eyJhIjox fQ.AAAA", "space inside base64url"},
      {header + ".eyJhIjoxfQ==.AAAA", "padded payload"},
      {header + ".eyJhIjoxfQ.AA+A", "standard base64 signature"},
      {b64("{\"a\":\"" + std::string(3000, 'x') + "\"}") + payload_sig, "header over 2048 bytes"},
      {header + "." + b64("{\"a\":\"" + std::string(5000, 'x') + "\"}") + ".AAAA", "payload over 4096 bytes"},
      {std::string(9000, 'A'), "over 8192 bytes"},
  };
  for (const auto& [text, what] : table) {
    CAPTURE(what);
    auto r = parse_compact_jws(text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
  }
  CHECK(parse_compact_jws(a3, small).error().code == ErrorCode::kMalformed);  // limits are the caller's
  // RFC 7515 §5.2 step 4: a duplicate member keeps its lexically last value.
  auto dup = parse_compact_jws(b64("{\"alg\":\"none\",\"alg\":\"ES256\"}") + payload_sig);
  REQUIRE(dup.ok());
  CHECK(dup->header["alg"] == "ES256");
}
