// idtap/crypto/hash.h: message digests (SHA-1/224/256/384/512) over EVP.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"

namespace idtap::crypto {

enum class HashAlg { kSha1, kSha224, kSha256, kSha384, kSha512 };

// digest_size: 20, 28, 32, 48, 64.
size_t digest_size(HashAlg alg);
// hash_name: "SHA-256" etc. (the OpenSSL name).
const char* hash_name(HashAlg alg);
// hash_from_oid: the algorithm for a dotted OID ("2.16.840.1.101.3.4.2.1"), nullopt if unknown.
std::optional<HashAlg> hash_from_oid(std::string_view dotted_oid);
// hash_oid: the dotted OID of `alg`.
const char* hash_oid(HashAlg alg);

// digest: the hash of `data`. kInternal only if OpenSSL fails.
Result<Bytes> digest(HashAlg alg, ByteView data);
// secure_digest: as digest, into SecureBytes, for digests that are key material (the BAC key
// seed, KDF output). kInternal only if OpenSSL fails.
Result<SecureBytes> secure_digest(HashAlg alg, ByteView data);

// Hasher: incremental hashing (data groups are hashed as their chunks arrive).
class Hasher {
 public:
  static Result<Hasher> create(HashAlg alg);
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  ~Hasher();
  Status update(ByteView data);
  // Hasher::finish: the digest; the hasher cannot be updated afterwards (kState) until reset.
  Result<Bytes> finish();
  // Hasher::finish (into `out`): the same, writing size() bytes to `out` (kInvalidArgument if
  // it is smaller), for callers that keep digests inline.
  Status finish(std::span<uint8_t> out);
  // Hasher::reset: starts a new message with the same algorithm, reusing the context (for
  // callers hashing many small items in a row). kInternal only if OpenSSL fails.
  Status reset();
  // Hasher::size: the digest length (digest_size of the algorithm).
  size_t size() const;
  // Hasher::finish_secure: as finish, into SecureBytes.
  Result<SecureBytes> finish_secure();

 private:
  struct Impl;
  Status finish_into(uint8_t* out);
  explicit Hasher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace idtap::crypto
