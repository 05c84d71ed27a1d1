// idtap/provision/signer.h: the issuer's signing key behind one small interface, so that the
// key can live in software now and in an HSM later (the HSM implements IssuerSigner).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/provision/keys.h"

typedef struct evp_pkey_ctx_st EVP_PKEY_CTX;

namespace idtap::provision {

// IssuerSigner: produces ES256 signatures (raw r||s) over the bytes the caller hands it
// (a COSE Sig_structure) and names its certificate chain (DER, leaf first).
class IssuerSigner {
 public:
  virtual ~IssuerSigner() = default;
  // IssuerSigner::sign: the ES256 signature of `to_be_signed`; kInternal (or the device's
  // error) on failure.
  virtual Result<Bytes> sign(ByteView to_be_signed) = 0;
  // IssuerSigner::certificate_chain: the issuer certificate chain, leaf first; owned by the
  // signer, valid while it lives.
  virtual const std::vector<Bytes>& certificate_chain() const = 0;
  // IssuerSigner::cose_x5chain: what a COSE_Sign1 of this signer carries as x5chain:
  // x5chain_to_carry(certificate_chain()) (cose.h: the root left out). A signer that knows its
  // chain does not change overrides it to compute that once: parsing the chain's last
  // certificate and checking its self-signature for every credential was a sixth of the
  // server's CPU (serve_bench, perf). Errors as x5chain_to_carry's.
  virtual Result<std::vector<Bytes>> cose_x5chain() const;
};

// SoftwareIssuer: an IssuerSigner over a private key held in memory. sign() reuses one
// OpenSSL signing context per object, behind a mutex: one SoftwareIssuer may be shared by
// threads (their signatures are then made one at a time; a copy sets up its own context).
class SoftwareIssuer final : public IssuerSigner {
 public:
  // SoftwareIssuer::create: kInvalidArgument if `chain` is empty or its leaf certificate is
  // not for `key`.
  static Result<SoftwareIssuer> create(EcPrivateKey key, std::vector<Certificate> chain);
  // SoftwareIssuer::load: from a PEM private key (decrypted with `passphrase` when it is
  // encrypted) and a PEM certificate chain (leaf first).
  static Result<SoftwareIssuer> load(ByteView key_pem, ByteView passphrase, ByteView chain_pem);

  // SoftwareIssuer::sign: the same ECDSA P-256 SHA-256 signature (fresh nonce each time) as
  // EcPrivateKey::sign_es256, through a context initialised once; kInternal if OpenSSL fails.
  Result<Bytes> sign(ByteView to_be_signed) override;
  const std::vector<Bytes>& certificate_chain() const override { return chain_der_; }
  // SoftwareIssuer::cose_x5chain: the x5chain worked out once, at creation.
  Result<std::vector<Bytes>> cose_x5chain() const override { return x5chain_der_; }
  const std::vector<Certificate>& certificates() const { return chain_; }

 private:
  SoftwareIssuer(EcPrivateKey key, std::vector<Certificate> chain);
  // SignContext: the EVP_PKEY_sign context for key_, set up on first use. Copies start empty.
  struct SignContextFree {
    void operator()(EVP_PKEY_CTX* ctx) const;
  };
  struct SignContext {
    SignContext() = default;
    SignContext(const SignContext&) {}
    SignContext& operator=(const SignContext&) {
      ctx.reset();
      return *this;
    }
    SignContext(SignContext&& other) noexcept : ctx(std::move(other.ctx)) {}
    SignContext& operator=(SignContext&& other) noexcept {
      ctx = std::move(other.ctx);
      return *this;
    }
    std::unique_ptr<EVP_PKEY_CTX, SignContextFree> ctx;
    std::mutex mutex;  // an EVP_PKEY_CTX is not safe to use from two threads at once
  };
  EcPrivateKey key_;
  SignContext sign_ctx_;
  std::vector<Certificate> chain_;
  std::vector<Bytes> chain_der_;
  std::vector<Bytes> x5chain_der_;  // chain_der_ without a trailing self-signed root
};

// check_issuer_validity: ok when every certificate of `signer`'s chain is valid at `now` and
// stays valid until `valid_until` (the credential's validUntil); kRefused naming the
// certificate and the dates otherwise, kMalformed if a certificate does not parse.
Status check_issuer_validity(const IssuerSigner& signer, UnixSeconds now, UnixSeconds valid_until);

// IssuerValidity: the window in which every certificate of an issuer chain is valid.
struct IssuerValidity {
  UnixSeconds not_before = 0;
  UnixSeconds not_after = 0;
  // covers: check_issuer_validity's answer for `now` and `valid_until`, from the window alone.
  bool covers(UnixSeconds now, UnixSeconds valid_until) const { return not_before <= now && now <= not_after && valid_until <= not_after; }
};

// issuer_validity: that window for `chain` (DER certificates), parsed once so a caller issuing
// many credentials need not parse the chain for each; kMalformed if a certificate does not parse.
Result<IssuerValidity> issuer_validity(const std::vector<Bytes>& chain);

// IssuerFiles: where the issuer key and certificate come from. The passphrase of an encrypted
// key is read from `passphrase_file` (first line) or, when that is empty, from the environment
// variable `passphrase_env`; never from a command line.
struct IssuerFiles {
  std::string key_path;
  std::string cert_path;
  std::string passphrase_file;
  std::string passphrase_env = "IDTAP_ISSUER_KEY_PASSPHRASE";
};

// load_issuer: the SoftwareIssuer of `files`. kNotFound / kIo for unreadable files,
// kInvalidArgument for a bad key, passphrase or certificate.
Result<SoftwareIssuer> load_issuer(const IssuerFiles& files);

}  // namespace idtap::provision
