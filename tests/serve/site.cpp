#include "serve/site.h"

#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>

#include "idtap/base/file_io.h"
#include "idtap/base/hex.h"
#include "idtap/crypto/random.h"
#include "provision/fixtures.h"
#include "support/run_shell.h"
#include "support/test_pki.h"

namespace idtap::test {

namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "serve test site: %s\n", what.c_str());
  std::abort();
}

void write_text(const std::string& path, const std::string& text, mode_t mode = 0600) {
  if (!write_file_atomic(path, bytes_of(text), mode).ok()) die("cannot write " + path);
}

// shell_out: `cmd` through the shell, its stdout (stderr where `cmd` sends it).
ShellOut shell_out(const std::string& cmd) {
  ShellRun r = run_shell(cmd, /*merge_stderr=*/false);
  return ShellOut{r.exit_code, std::move(r.out)};
}

}  // namespace

ShellOut idtap_run(const std::string& args) { return shell_out(idtap_program() + " " + args + " 2>&1"); }

std::string zbar_decode(const std::string& path) {
  // zbarimg's stderr holds unrelated noise (a D-Bus warning of its image library): kept apart.
  auto r = shell_out("zbarimg --raw -q '" + path + "' 2>'" + path + ".err'");
  if (r.rc != 0) {
    auto err = read_file(path + ".err");
    return "zbarimg " + path + " failed (" + std::to_string(r.rc) + "): " + (err.ok() ? string_of(*err) : std::string());
  }
  return r.out;
}

std::optional<Bytes> base64_decode(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0 || text.size() > (1u << 24)) return std::nullopt;
  Bytes out(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding's bytes as zeros: drop them.
  size_t pad = 0;
  if (text.back() == '=') ++pad;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

Site::Site(const std::string& dir, const std::string& card_options, const std::string& ledger_options)
    : dir_(dir), ledger_(dir + "/ledger.db") {
  auto made = idtap_run("sim personalize --out " + file("card") + " --issue-date 2025-01-15 --expiry-date 2035-01-14 " + card_options);
  if (made.rc != 0) die("sim personalize: " + made.out);
  provision::testing::TestIssuer pki = provision::testing::make_test_issuer("idtap serve test");
  write_text(issuer_key_file(), string_of(pki.ds_key.to_pem().value()));
  write_text(issuer_cert_file(), pki.ds.to_pem() + pki.ca.to_pem());
  issuer_ca_pem_ = pki.ca.to_pem();
  auto init = idtap_run("ledger init --ledger " + ledger_ + " --status-uri https://status.example.kr/lists/1 " + ledger_options);
  if (init.rc != 0) die("ledger init: " + init.out);
  admin_token_ = to_hex(crypto::random_bytes(24).value());
  write_text(file("admin.token"), admin_token_ + "\n");

  // The TLS CA and the server's certificate for 127.0.0.1 (its common name: no SAN needed for
  // cpp-httplib's host check, which falls back to the CN).
  auto ca_key = testing::make_ec_key();
  testing::CertSpec ca_spec;
  ca_spec.common_name = "idtap serve test TLS CA";
  ca_spec.ca = true;
  auto ca = testing::make_cert(ca_spec, ca_key.get(), nullptr, ca_key.get());
  auto server_key = testing::make_ec_key();
  testing::CertSpec server_spec;
  server_spec.common_name = "127.0.0.1";
  server_spec.serial = 2;
  auto server = testing::make_cert(server_spec, server_key.get(), ca.get(), ca_key.get());
  write_text(tls_ca_file(), testing::cert_pem(ca.get()), 0644);
  write_text(file("tls-server.pem"), testing::cert_pem(server.get()), 0644);
  write_text(file("tls-server.key"), testing::key_pem(server_key.get()));
}

std::vector<std::string> Site::serve_args(bool tls, const std::vector<std::string>& extra) const {
  std::vector<std::string> a = {"--ledger",           ledger_,
                                "--issuer-key",       issuer_key_file(),
                                "--issuer-cert",      issuer_cert_file(),
                                "--admin-token-file", file("admin.token"),
                                "--reader",           "sim:" + file("card"),
                                "--trust",            file("card/pki/csca_cert.pem"),
                                "--threads",          "40"};
  if (tls) a.insert(a.end(), {"--tls-cert", file("tls-server.pem"), "--tls-key", file("tls-server.key")});
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

ServeProcess* Site::start(bool tls, const std::vector<std::string>& extra) {
  servers_.push_back(std::make_unique<ServeProcess>(serve_args(tls, extra), dir_, tls));
  return servers_.back().get();
}

WalletOptions Site::wallet_options() const {
  WalletOptions o;
  o.ca_file = tls_ca_file();
  return o;
}

AdminOffer Site::create_offer(const ServeProcess& server, const std::string& body) {
  Wallet desk(server.base_url(), wallet_options());
  AdminOffer o;
  o.reply = desk.post("/admin/offers", body, "application/json", {{"Authorization", "Bearer " + admin_token_}});
  if (o.reply.status == 201 && o.reply.json.is_object()) {
    o.uri = o.reply.json.value("credential_offer_uri", "");
    o.tx_code = o.reply.json.value("tx_code", "");
    if (auto parsed = parse_credential_offer_uri(o.uri); parsed.ok()) o.offer = *parsed;
  }
  return o;
}

nlohmann::json Site::ledger_json() const {
  auto r = idtap_run("ledger verify --ledger " + ledger_ + " --json");
  return nlohmann::json::parse(r.out, nullptr, false);
}

nlohmann::json Site::credentials_json() const {
  auto r = idtap_run("credential list --ledger " + ledger_ + " --json");
  return nlohmann::json::parse(r.out, nullptr, false);
}

}  // namespace idtap::test
