// tests/serve/wallet.h: a test wallet that receives a credential from `idtap serve` as a phone
// would, over real sockets (cpp-httplib's client, TLS included): it reads the credential offer
// URI (OpenID4VCI 1.0 §4.1), fetches both metadata documents (§12.2.2, RFC 8414 §3), redeems
// the pre-authorized code with the tx_code (§6), gets a c_nonce (§7), signs a jwt key proof
// with its own fresh P-256 key (Appendix F.1) and asks for the credential (§8). Each step is
// also callable on its own, so tests can send what a hostile or broken wallet sends.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/provision/keys.h"
#include "idtap/provision/mdoc.h"

namespace httplib {
class Client;
}

namespace idtap::test {

// CredentialOffer: what the wallet reads out of an offer URI.
struct CredentialOffer {
  std::string credential_issuer;
  std::vector<std::string> credential_configuration_ids;
  std::string pre_authorized_code;
  std::string tx_code_input_mode;  // "numeric"
  int tx_code_length = 0;
};

// parse_credential_offer_uri: "openid-credential-offer://?credential_offer=<percent-encoded
// JSON>" (§4.1.1, §4.1.3); kMalformed naming what is missing or wrong.
Result<CredentialOffer> parse_credential_offer_uri(const std::string& uri);

// HttpReply: one response: the status (0 when the request did not complete: `transport_error`
// says why), the body as text and, when it parses, as JSON.
struct HttpReply {
  int status = 0;
  std::string body;
  nlohmann::json json;  // discarded (is_discarded()) when the body is not JSON
  std::string content_type;
  std::string cache_control;
  std::string www_authenticate;
  std::string transport_error;
  // HttpReply::error: the OAuth "error" member, or "".
  std::string error() const;
};

// WalletOptions: how the wallet connects. `ca_file`: the PEM the server's TLS certificate must
// chain to (https only; the host name is checked against it).
struct WalletOptions {
  std::string ca_file;
  int timeout_seconds = 20;
};

// Received: what a successful redemption leaves in the phone.
struct Received {
  Bytes issuer_signed;              // the decoded credential (CBOR IssuerSigned)
  std::string access_token;
  provision::EcPublicKey device_key;  // the wallet's key the credential must be bound to
};

// Wallet: one phone. `base_url` is the credential issuer ("https://127.0.0.1:PORT"); one
// keep-alive connection. Not thread-safe (one phone, one thread).
class Wallet {
 public:
  Wallet(const std::string& base_url, WalletOptions options = {});
  ~Wallet();
  Wallet(const Wallet&) = delete;
  Wallet& operator=(const Wallet&) = delete;

  // The raw steps.
  HttpReply get(const std::string& path, const std::vector<std::pair<std::string, std::string>>& headers = {});
  HttpReply post(const std::string& path, const std::string& body, const std::string& content_type,
                 const std::vector<std::pair<std::string, std::string>>& headers = {});
  HttpReply issuer_metadata();
  HttpReply authorization_server_metadata();
  // token: the pre-authorized code grant with `tx_code` (omitted when nullopt).
  HttpReply token(const std::string& pre_authorized_code, const std::optional<std::string>& tx_code);
  HttpReply nonce();
  // credential: {"credential_configuration_id", "proofs": {"jwt": [proof]}} with the Bearer token.
  HttpReply credential(const std::string& access_token, const std::string& configuration_id, const std::string& proof_jwt);

  // key / proof: the wallet's P-256 key (fresh per Wallet unless replaced) and a jwt key proof
  // for `audience` and `c_nonce` at `iat` (typ openid4vci-proof+jwt, alg ES256, the public jwk).
  const provision::EcPrivateKey& key() const { return key_; }
  void set_key(provision::EcPrivateKey key) { key_ = std::move(key); }
  std::string proof(const std::string& audience, const std::string& c_nonce, int64_t iat) const;

  // redeem: the whole flow for `offer` with `tx_code`: both metadata documents (checked: the
  // issuer, the endpoints, the mso_mdoc configuration), token, nonce, proof, credential; the
  // credential decoded from base64url. A refusal is kRefused with the step, status and error.
  Result<Received> redeem(const CredentialOffer& offer, const std::string& tx_code);

 private:
  std::string base_url_;
  std::unique_ptr<httplib::Client> client_;
  provision::EcPrivateKey key_;
};

// verify_received: lib/provision's mdoc verifier on what the wallet got: the issuer chain to
// `issuer_ca_pem` at `now`, the signature, every digest, the doc type, and the MSO's device key
// equal to the wallet's key (kVerificationFailed otherwise).
Result<provision::VerifiedMdoc> verify_received(const Received& received, const std::string& issuer_ca_pem,
                                                int64_t now);

}  // namespace idtap::test
