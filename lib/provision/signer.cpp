#include "idtap/provision/signer.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "idtap/provision/files.h"

namespace idtap::provision {

SoftwareIssuer::SoftwareIssuer(EcPrivateKey key, std::vector<Certificate> chain)
    : key_(std::move(key)), chain_(std::move(chain)) {
  for (const auto& c : chain_) chain_der_.push_back(c.der());
}

Result<SoftwareIssuer> SoftwareIssuer::create(EcPrivateKey key, std::vector<Certificate> chain) {
  if (chain.empty()) return make_error(ErrorCode::kInvalidArgument, "issuer certificate chain is empty");
  auto leaf_key = chain.front().public_key();
  if (!leaf_key.ok()) return make_error(ErrorCode::kInvalidArgument, "issuer certificate: " + leaf_key.error().context);
  if (!(*leaf_key == key.public_key()))
    return make_error(ErrorCode::kInvalidArgument, "the issuer key does not match the issuer certificate");
  return SoftwareIssuer(std::move(key), std::move(chain));
}

Result<SoftwareIssuer> SoftwareIssuer::load(ByteView key_pem, ByteView passphrase, ByteView chain_pem) {
  IDTAP_ASSIGN_OR_RETURN(EcPrivateKey key, EcPrivateKey::from_pem(key_pem, passphrase));
  auto chain = Certificate::load_pem_chain(chain_pem);
  if (!chain.ok()) return make_error(ErrorCode::kInvalidArgument, "issuer certificate: " + chain.error().context);
  return create(std::move(key), std::move(chain).value());
}

Result<SoftwareIssuer> load_issuer(const IssuerFiles& files) {
  auto key_pem = read_file(files.key_path, 1 << 20);
  if (!key_pem.ok()) return key_pem.error().with_context("issuer key");
  auto cert_pem = read_file(files.cert_path, 1 << 20);
  if (!cert_pem.ok()) return cert_pem.error().with_context("issuer certificate");
  SecureBytes passphrase;
  if (!files.passphrase_file.empty()) {
    auto pass = read_file(files.passphrase_file, 4096);
    if (!pass.ok()) return pass.error().with_context("issuer key passphrase file");
    auto end = std::find_if(pass->begin(), pass->end(), [](uint8_t c) { return c == '\n' || c == '\r'; });
    passphrase.assign(pass->begin(), end);
    secure_zero(pass->data(), pass->size());
  } else if (const char* env = std::getenv(files.passphrase_env.c_str()); env != nullptr) {
    passphrase.assign(env, env + std::strlen(env));
  }
  auto issuer = SoftwareIssuer::load(*key_pem, ByteView(passphrase.data(), passphrase.size()), *cert_pem);
  secure_zero(key_pem->data(), key_pem->size());
  return issuer;
}

}  // namespace idtap::provision
