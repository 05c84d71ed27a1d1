#include "idtap/crypto/hash.h"
#include "idtap/crypto/ossl_ptr.h"

#include <openssl/evp.h>

#include <iterator>
#include <string>

#include "symmetric_internal.h"

namespace idtap::crypto {
namespace {

using internal::openssl_error;


struct HashInfo {
  HashAlg alg;
  const char* name;
  const char* oid;
  size_t size;
};

// The OIDs: id-sha1 (OIW), id-sha224/256/384/512 (NIST, RFC 5754).
constexpr HashInfo kHashes[] = {
    {HashAlg::kSha1, "SHA1", "1.3.14.3.2.26", 20},
    {HashAlg::kSha224, "SHA2-224", "2.16.840.1.101.3.4.2.4", 28},
    {HashAlg::kSha256, "SHA2-256", "2.16.840.1.101.3.4.2.1", 32},
    {HashAlg::kSha384, "SHA2-384", "2.16.840.1.101.3.4.2.2", 48},
    {HashAlg::kSha512, "SHA2-512", "2.16.840.1.101.3.4.2.3", 64},
};

const HashInfo& info(HashAlg alg) {
  for (const auto& h : kHashes)
    if (h.alg == alg) return h;
  return kHashes[0];
}

// fetched_md: the implementation of `alg`, fetched once per process (OpenSSL 3 would otherwise
// look the name up, under locks, for every hasher, which costs more than hashing a small item).
// The fetched methods are immutable and shared by every thread; nullptr if OpenSSL has none.
const EVP_MD* fetched_md(HashAlg alg) {
  static EVP_MD* const kMds[] = {
      EVP_MD_fetch(nullptr, kHashes[0].name, nullptr), EVP_MD_fetch(nullptr, kHashes[1].name, nullptr),
      EVP_MD_fetch(nullptr, kHashes[2].name, nullptr), EVP_MD_fetch(nullptr, kHashes[3].name, nullptr),
      EVP_MD_fetch(nullptr, kHashes[4].name, nullptr),
  };
  for (size_t i = 0; i < std::size(kHashes); ++i)
    if (kHashes[i].alg == alg) return kMds[i];
  return nullptr;
}

}  // namespace

size_t digest_size(HashAlg alg) { return info(alg).size; }

const char* hash_name(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1: return "SHA-1";
    case HashAlg::kSha224: return "SHA-224";
    case HashAlg::kSha256: return "SHA-256";
    case HashAlg::kSha384: return "SHA-384";
    case HashAlg::kSha512: return "SHA-512";
  }
  return "";
}

std::optional<HashAlg> hash_from_oid(std::string_view dotted_oid) {
  for (const auto& h : kHashes)
    if (dotted_oid == h.oid) return h.alg;
  return std::nullopt;
}

const char* hash_oid(HashAlg alg) { return info(alg).oid; }

struct Hasher::Impl {
  HashAlg alg;
  const EVP_MD* md = nullptr;  // fetched_md's, not owned
  EvpMdCtxPtr ctx;
  bool finished = false;
};

Hasher::Hasher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;
Hasher::~Hasher() = default;

Result<Hasher> Hasher::create(HashAlg alg) {
  auto impl = std::make_unique<Impl>();
  impl->alg = alg;
  impl->md = fetched_md(alg);
  if (impl->md == nullptr) return openssl_error("EVP_MD_fetch");
  impl->ctx.reset(EVP_MD_CTX_new());
  if (!impl->ctx) return openssl_error("EVP_MD_CTX_new");
  if (EVP_DigestInit_ex2(impl->ctx.get(), impl->md, nullptr) != 1) return openssl_error("EVP_DigestInit_ex2");
  return Hasher(std::move(impl));
}

Status Hasher::reset() {
  if (EVP_DigestInit_ex2(impl_->ctx.get(), impl_->md, nullptr) != 1) return openssl_error("EVP_DigestInit_ex2");
  impl_->finished = false;
  return ok_status();
}

size_t Hasher::size() const { return digest_size(impl_->alg); }

Status Hasher::finish(std::span<uint8_t> out) {
  if (out.size() < size()) return make_error(ErrorCode::kInvalidArgument, "digest output buffer too small");
  return finish_into(out.data());
}

Status Hasher::update(ByteView data) {
  if (impl_->finished) return make_error(ErrorCode::kState, "hasher already finished");
  if (data.empty()) return ok_status();
  if (EVP_DigestUpdate(impl_->ctx.get(), data.data(), data.size()) != 1) return openssl_error("EVP_DigestUpdate");
  return ok_status();
}

Status Hasher::finish_into(uint8_t* out) {
  if (impl_->finished) return make_error(ErrorCode::kState, "hasher already finished");
  impl_->finished = true;
  unsigned int written = 0;
  if (EVP_DigestFinal_ex(impl_->ctx.get(), out, &written) != 1) return openssl_error("EVP_DigestFinal_ex");
  if (written != digest_size(impl_->alg)) return make_error(ErrorCode::kInternal, "digest of unexpected size");
  return ok_status();
}

Result<Bytes> Hasher::finish() {
  Bytes out(digest_size(impl_->alg));
  IDTAP_TRY(finish_into(out.data()));
  return out;
}

Result<SecureBytes> Hasher::finish_secure() {
  SecureBytes out(digest_size(impl_->alg));
  IDTAP_TRY(finish_into(out.data()));
  return out;
}

Result<Bytes> digest(HashAlg alg, ByteView data) {
  IDTAP_ASSIGN_OR_RETURN(Hasher h, Hasher::create(alg));
  IDTAP_TRY(h.update(data));
  return h.finish();
}

Result<SecureBytes> secure_digest(HashAlg alg, ByteView data) {
  IDTAP_ASSIGN_OR_RETURN(Hasher h, Hasher::create(alg));
  IDTAP_TRY(h.update(data));
  return h.finish_secure();
}

}  // namespace idtap::crypto
