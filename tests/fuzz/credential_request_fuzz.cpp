// libFuzzer target: the OpenID4VCI credential and token endpoints (lib/issue/oid4vci.h) over an
// in-memory OfferBackend, with a live access token and c_nonce: the input is the credential
// request body, the key proof inside a well-formed body, the Authorization header, and a token
// request form. None may crash, leak, throw or hand the backend a request that failed a check.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "idtap/issue/oid4vci.h"
#include "issue/memory_offer_backend.h"

using namespace idtap;
using namespace idtap::issue;

namespace {

constexpr UnixSeconds kNow = 1767225600;

// form_of: `text` split as name=value&name=value (no percent-decoding: the binding does that).
FormFields form_of(std::string_view text) {
  FormFields form;
  while (!text.empty()) {
    size_t amp = text.find('&');
    std::string_view pair = text.substr(0, amp);
    size_t eq = pair.find('=');
    form.emplace_back(std::string(pair.substr(0, eq)), eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    text.remove_prefix(amp + 1);
  }
  return form;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  testing::MemoryOfferBackend backend;
  backend.add_offer("code-1", "493536", kNow + 600);
  Oid4vciConfig config;
  config.credential_issuer = "https://id.example.go.kr";
  config.max_live_nonces = 16;
  auto issuer = Oid4vciIssuer::create(config, backend);
  if (!issuer.ok()) std::abort();
  Oid4vciIssuer& is = **issuer;
  HttpResponse t = is.token({{"grant_type", kPreAuthorizedCodeGrant}, {"pre-authorized_code", "code-1"}, {"tx_code", "493536"}}, kNow);
  std::string token = nlohmann::json::parse(t.body)["access_token"];
  (void)is.nonce(kNow);
  std::string auth = "Bearer " + token;

  // 1. The input as the whole request body.
  HttpResponse r = is.credential(CredentialRequest{auth, "application/json", text}, kNow);
  // 2. The input as the key proof of a well-formed request (dumped with invalid UTF-8 replaced).
  nlohmann::json body = {{"credential_configuration_id", config.credential_configuration_id},
                         {"proofs", {{"jwt", nlohmann::json::array({std::string(text)})}}}};
  (void)is.credential(CredentialRequest{auth, "application/json",
                                        body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)},
                      kNow);
  // 3. The input as the Authorization header and as the Content-Type.
  (void)is.credential(CredentialRequest{text, "application/json", "{}"}, kNow);
  (void)is.credential(CredentialRequest{auth, text, "{}"}, kNow);
  // 4. The input as a token request form.
  (void)is.token(form_of(text), kNow);
  // An unsigned input can never carry a valid proof for this fresh key-less run: the backend
  // must not have been asked to issue (only a proof signed over a live c_nonce gets there).
  if (backend.issue_calls != 0) std::abort();
  (void)r;
  return 0;
}
