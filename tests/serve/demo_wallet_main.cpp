// idtap-demo-wallet: `make demo`'s last step, the phone. After `idtap demo --out DIR` has read
// the simulated card, this program plays the desk and the phone against the real server:
// it starts `idtap serve` on loopback (a fresh issuer for the demo, the card on the server's
// reader), asks the admin endpoint for an offer as a desk application would, then redeems it
// with the test wallet (tests/serve/wallet.h) exactly as a phone does over OpenID4VCI 1.0, and
// shows the credential the phone received, verified. Built by `make demo`; not a test.
#include <cstdio>
#include <filesystem>
#include <string>

#include "idtap/base/file_io.h"
#include "idtap/base/hex.h"
#include "idtap/crypto/random.h"
#include "idtap/provision/date.h"
#include "idtap/provision/keys.h"
#include "serve/serve_process.h"
#include "serve/wallet.h"

using namespace idtap;
using namespace idtap::test;

namespace {

int fail(const std::string& what) {
  std::fprintf(stderr, "demo wallet: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return fail("usage: idtap-demo-wallet DIR (the directory `idtap demo --out DIR` wrote)");
  const std::string dir = argv[1];
  const std::string phone_dir = dir + "/phone";
  std::error_code ec;
  std::filesystem::create_directories(phone_dir, ec);
  if (ec) return fail("cannot create " + phone_dir);

  // The issuer of this demo (a self-signed document signer, three years and a day).
  const UnixSeconds now = provision::now_seconds();
  auto key = provision::EcPrivateKey::generate();
  if (!key.ok()) return fail(key.error().message());
  provision::CertificateRequest request{"idtap demo issuer", "KR", now - 3600, now + 4 * 366 * 86400, true};
  auto cert = provision::make_certificate(request, key->public_key(), *key, nullptr);
  if (!cert.ok()) return fail(cert.error().message());
  const std::string token = to_hex(crypto::random_bytes(24).value());
  if (!write_file_atomic(phone_dir + "/issuer.key", bytes_of(string_of(key->to_pem().value())), 0600).ok() ||
      !write_file_atomic(phone_dir + "/issuer.pem", bytes_of(cert->to_pem()), 0644).ok() ||
      !write_file_atomic(phone_dir + "/admin.token", bytes_of(token + "\n"), 0600).ok())
    return fail("cannot write under " + phone_dir);

  std::printf("\n== Phone delivery (OpenID4VCI 1.0)\n");
  ServeProcess server({"--ledger", dir + "/ledger.db", "--issuer-key", phone_dir + "/issuer.key", "--issuer-cert",
                       phone_dir + "/issuer.pem", "--admin-token-file", phone_dir + "/admin.token", "--reader",
                       "sim:" + dir + "/card", "--trust", dir + "/card/pki/csca_cert.pem", "--threads", "4"},
                      phone_dir, false);
  if (server.port() == 0) return fail("idtap serve did not start: " + server.log());
  std::printf("idtap serve listening on %s\n", server.base_url().c_str());

  // The desk: the card on the server's reader, an offer for the phone.
  Wallet desk(server.base_url());
  HttpReply made = desk.post("/admin/offers", R"({"can":"123456"})", "application/json", {{"Authorization", "Bearer " + token}});
  if (made.status != 201) return fail("POST /admin/offers: HTTP " + std::to_string(made.status) + " " + made.body);
  const std::string uri = made.json.value("credential_offer_uri", "");
  const std::string tx_code = made.json.value("tx_code", "");
  std::printf("desk: offer for holder %s\n  %s\n  tx_code (told to the holder): %s\n",
              made.json.value("holder", "").c_str(), uri.c_str(), tx_code.c_str());

  // The phone: scans the URI, types the tx_code, receives its credential.
  auto offer = parse_credential_offer_uri(uri);
  if (!offer.ok()) return fail(offer.error().message());
  Wallet phone(server.base_url());
  auto received = phone.redeem(*offer, tx_code);
  if (!received.ok()) return fail(received.error().message());
  auto verified = verify_received(*received, cert->to_pem(), provision::now_seconds());
  if (!verified.ok()) return fail("the received credential does not verify: " + verified.error().message());
  if (!write_file_atomic(phone_dir + "/credential.cbor", received->issuer_signed, 0600).ok())
    return fail("cannot write " + phone_dir + "/credential.cbor");
  std::printf("phone: token, nonce, ES256 key proof, credential: %zu bytes of IssuerSigned (%s), bound to the "
              "phone's key %s\n",
              received->issuer_signed.size(), verified->mso.doc_type.c_str(), phone.key().public_key().thumbprint().c_str());
  std::printf("phone: verified (issuer signature, %zu element digests, device key):", verified->elements.size());
  for (const auto& e : verified->elements) std::printf(" %s", e.identifier.c_str());
  std::printf("\n");
  const int stopped = server.stop();
  std::printf("idtap serve stopped (exit %d). The phone's credential: %s (idtap mdoc show %s --reveal)\n", stopped,
              (phone_dir + "/credential.cbor").c_str(), (phone_dir + "/credential.cbor").c_str());
  return stopped == 0 ? 0 : 1;
}
