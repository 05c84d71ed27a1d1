// tests/serve/site.h: one service center for the serve tests and benchmark: a simulated card
// (`idtap sim personalize`), a test issuer, a ledger (`idtap ledger init`), the admin token, and
// a TLS CA with a server certificate for 127.0.0.1. Set-up failures abort (nothing can run).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "serve/serve_process.h"
#include "serve/wallet.h"

namespace idtap::test {

// ShellOut: a command's exit status and its stdout+stderr.
struct ShellOut {
  int rc = -1;
  std::string out;
};
// idtap_run: `idtap ARGS` through the shell.
ShellOut idtap_run(const std::string& args);

// zbar_decode: what `zbarimg --raw -q` (Debian zbar-tools) reads from the image file `path`:
// the data of each symbol, one line each; when zbarimg fails, a line saying so (which equals no
// URI, so the caller's comparison fails with the reason).
std::string zbar_decode(const std::string& path);

// base64_decode: standard base64 (RFC 4648 §4, padded), the test's own check of what the
// admin endpoint sends; nullopt when it does not decode.
std::optional<Bytes> base64_decode(const std::string& text);

// AdminOffer: the answer of POST /admin/offers.
struct AdminOffer {
  HttpReply reply;
  std::string uri;
  std::string tx_code;
  CredentialOffer offer;  // parsed from `uri`
};

class Site {
 public:
  // Site: everything under `dir` (which must exist). `card_options`: extra `sim personalize`
  // options; `ledger_options`: extra `ledger init` options (--allow-attested).
  explicit Site(const std::string& dir, const std::string& card_options = "", const std::string& ledger_options = "");

  std::string file(const std::string& name) const { return dir_ + "/" + name; }
  const std::string& ledger() const { return ledger_; }
  const std::string& admin_token() const { return admin_token_; }
  // issuer_ca_pem: what the wallet's credential must chain to.
  const std::string& issuer_ca_pem() const { return issuer_ca_pem_; }
  std::string tls_ca_file() const { return file("tls-ca.pem"); }
  std::string issuer_key_file() const { return file("issuer.key"); }
  std::string issuer_cert_file() const { return file("issuer.pem"); }

  // serve_args: the `idtap serve` options of this site (TLS when `tls`), and `extra`.
  std::vector<std::string> serve_args(bool tls, const std::vector<std::string>& extra = {}) const;
  // start: `idtap serve` on a free loopback port.
  ServeProcess* start(bool tls, const std::vector<std::string>& extra = {});
  // wallet_options: what a wallet needs to trust this site's TLS.
  WalletOptions wallet_options() const;

  // create_offer: POST /admin/offers with `body` (default: the card, CAN 123456) to `server`.
  AdminOffer create_offer(const ServeProcess& server, const std::string& body = R"({"can":"123456"})");

  // ledger_json: `idtap ledger verify --ledger DB --json` parsed (null on failure);
  // credentials_json: `idtap credential list --ledger DB --json` parsed.
  nlohmann::json ledger_json() const;
  nlohmann::json credentials_json() const;

 private:
  std::string dir_;
  std::string ledger_;
  std::string admin_token_;
  std::string issuer_ca_pem_;
  std::vector<std::unique_ptr<ServeProcess>> servers_;
};

}  // namespace idtap::test
