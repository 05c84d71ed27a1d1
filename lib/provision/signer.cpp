#include "idtap/provision/signer.h"

#include <openssl/evp.h>

#include <algorithm>
#include <limits>
#include <cstdlib>
#include <cstring>

#include "idtap/provision/cose.h"
#include "idtap/provision/date.h"
#include "idtap/provision/files.h"
#include "idtap/crypto/hash.h"
#include "idtap/crypto/openssl_error.h"
#include "idtap/crypto/pkey.h"

namespace idtap::provision {

using crypto::openssl_last_error;

SoftwareIssuer::SoftwareIssuer(EcPrivateKey key, std::vector<Certificate> chain)
    : key_(std::move(key)), chain_(std::move(chain)) {
  for (const auto& c : chain_) chain_der_.push_back(c.der());
  // x5chain_to_carry's rule (cose.h), from the certificates already parsed.
  x5chain_der_ = chain_der_;
  if (chain_.size() > 1 && chain_.back().is_self_signed()) x5chain_der_.pop_back();
}

Result<std::vector<Bytes>> IssuerSigner::cose_x5chain() const { return x5chain_to_carry(certificate_chain()); }

void SoftwareIssuer::SignContextFree::operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }

Result<Bytes> SoftwareIssuer::sign(ByteView to_be_signed) {
  // ES256 (RFC 9053 §2.1): ECDSA P-256 over SHA-256(to_be_signed). The hash uses the fetched
  // SHA-256 and the signature a context initialised once for this key: EVP_DigestSign would
  // create, fetch the ECDSA and SHA-256 implementations for, duplicate and free a context on
  // every call, which costs a sixth of the signature itself. OpenSSL still draws a fresh nonce
  // for every signature.
  std::lock_guard<std::mutex> lock(sign_ctx_.mutex);
  if (!sign_ctx_.ctx) {
    std::unique_ptr<EVP_PKEY_CTX, SignContextFree> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_.pkey(), nullptr));
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1)
      return make_error(ErrorCode::kInternal, "ECDSA sign: " + openssl_last_error());
    sign_ctx_.ctx = std::move(ctx);
  }
  auto digest = crypto::digest(crypto::HashAlg::kSha256, to_be_signed);
  if (!digest.ok()) return make_error(ErrorCode::kInternal, "SHA-256: " + digest.error().context);
  unsigned char der[80];  // an ECDSA-Sig-Value for P-256 is at most 72 bytes
  size_t der_size = sizeof der;
  if (EVP_PKEY_sign(sign_ctx_.ctx.get(), der, &der_size, digest->data(), digest->size()) != 1)
    return make_error(ErrorCode::kInternal, "ECDSA sign: " + openssl_last_error());
  auto raw = crypto::ecdsa_der_to_plain(ByteView(der, der_size), 32);
  if (!raw.ok()) return make_error(ErrorCode::kInternal, "ECDSA sign produced " + raw.error().context);
  return raw;
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

Status check_issuer_validity(const IssuerSigner& signer, UnixSeconds now, UnixSeconds valid_until) {
  for (const auto& der : signer.certificate_chain()) {
    IDTAP_ASSIGN_OR_RETURN(Certificate cert, Certificate::from_der(der));
    const std::string which = "the issuer certificate " + cert.subject() + " (valid " + format_tdate(cert.not_before()) + " .. " +
                              format_tdate(cert.not_after()) + ")";
    if (now < cert.not_before()) return make_error(ErrorCode::kRefused, which + " is not valid yet at " + format_tdate(now));
    if (now > cert.not_after()) return make_error(ErrorCode::kRefused, which + " expired before " + format_tdate(now));
    if (cert.not_after() < valid_until)
      return make_error(ErrorCode::kRefused, which + " expires before the credential's validUntil " + format_tdate(valid_until) +
                                                 ": renew it first");
  }
  return ok_status();
}

Result<IssuerValidity> issuer_validity(const std::vector<Bytes>& chain) {
  IssuerValidity window{std::numeric_limits<UnixSeconds>::min(), std::numeric_limits<UnixSeconds>::max()};
  for (const auto& der : chain) {
    IDTAP_ASSIGN_OR_RETURN(Certificate cert, Certificate::from_der(der));
    window.not_before = std::max(window.not_before, cert.not_before());
    window.not_after = std::min(window.not_after, cert.not_after());
  }
  return window;
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
