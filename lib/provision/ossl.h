// lib/provision/ossl.h (private to the layer): the few OpenSSL primitives provisioning needs
// besides signatures: SHA-256, HMAC-SHA256, random bytes, and RAII holders. Every primitive is
// OpenSSL's; nothing here implements one.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"

namespace idtap::provision::ossl {

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct MdCtxFree { void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); } };
struct BioFree { void operator()(BIO* p) const { BIO_free(p); } };
struct X509Free { void operator()(X509* p) const { X509_free(p); } };
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

// last_error: the OpenSSL error queue's latest reason (and clears the queue), for contexts.
std::string last_error();

// sha256_md: the SHA-256 implementation, fetched once.
const EVP_MD* sha256_md();
// sha256: SHA-256 of `data` (32 bytes); aborts only if OpenSSL cannot hash at all.
Bytes sha256(ByteView data);
// sha256_two: SHA-256(a || b) without concatenating.
Bytes sha256_two(ByteView a, ByteView b);
// hmac_sha256: HMAC-SHA256 under `key` (EVP_MAC); kInternal on failure.
Result<Bytes> hmac_sha256(ByteView key, ByteView data);
// random_bytes: `n` bytes from RAND_bytes; kInternal on failure.
Result<Bytes> random_bytes(size_t n);
Result<SecureBytes> random_secure(size_t n);

}  // namespace idtap::provision::ossl
