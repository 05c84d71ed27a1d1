// libFuzzer target: the JOSE a wallet's key proof goes through (lib/issue/jose.h): strict
// base64url, compact JWS parsing (header and payload JSON), the header's P-256 JWK and the ES256
// check. None may crash, leak, throw or read out of bounds, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "idtap/issue/jose.h"

using namespace idtap;
using namespace idtap::issue;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)base64url_decode(text);
  auto jws = parse_compact_jws(text);
  if (jws.ok()) {
    auto jwk = jws->header.find("jwk");
    if (jwk != jws->header.end()) {
      auto key = parse_p256_public_jwk(*jwk);
      if (key.ok()) {
        (void)verify_es256(*jws, *key);
        (void)p256_public_jwk(*key);
      }
    }
  }
  // The whole input as a JWK document too.
  auto json = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (!json.is_discarded()) (void)parse_p256_public_jwk(json);
  return 0;
}
