// idtap/crypto/dh.h: finite-field Diffie-Hellman in prime-order subgroups (OpenSSL BIGNUM):
// the RFC 5114 groups of the PACE standardized domain parameters 0-2, public key validation
// (RFC 2631 §2.1.5), the group operations the PACE mappings need, key pairs and the PKCS#3
// shared secret.
//
// Integers cross this API as big-endian unsigned byte strings. Copies of a DhGroup share the
// immutable modulus data.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"

namespace idtap::crypto {

// DhGroupId: ICAO 9303-11 §9.5.1 Table 12, IDs 0-2 (RFC 5114 §2.1-2.3).
enum class DhGroupId {
  kModp1024_160,  // ID 0: 1024-bit MODP group with 160-bit prime order subgroup
  kModp2048_224,  // ID 1: 2048-bit MODP group with 224-bit prime order subgroup
  kModp2048_256,  // ID 2: 2048-bit MODP group with 256-bit prime order subgroup
};

// dh_group_name: "RFC 5114 1024-bit MODP group with 160-bit subgroup" etc.; never null.
const char* dh_group_name(DhGroupId id);

// DhGroup: a prime p, the prime order q of the subgroup used, and a generator g of it (the
// standard one, or a PACE mapped generator).
class DhGroup {
 public:
  // DhGroup::standard: an RFC 5114 group (taken from OpenSSL's built-in named groups);
  // kInternal if OpenSSL lacks it.
  static Result<DhGroup> standard(DhGroupId id);
  // DhGroup::from_parameters: explicit p, q, g (X9.42 DomainParameters). kInvalidArgument
  // unless p and q are prime, q divides p - 1, 1 < g < p - 1 and g^q = 1 mod p.
  static Result<DhGroup> from_parameters(ByteView p, ByteView q, ByteView g);

  // DhGroup::id: which standardized group this is (also true after with_generator).
  std::optional<DhGroupId> id() const;
  // DhGroup::p_size: the length of p in bytes (128 or 256).
  size_t p_size() const;
  // DhGroup::p / q / g: big-endian; p and g padded to p_size, q minimal.
  Bytes p() const;
  Bytes q() const;
  Bytes g() const;

  // DhGroup::with_generator: the same p and q with generator `g` (a PACE mapped generator).
  // kMalformed unless 1 < g < p - 1 and g^q = 1 mod p.
  Result<DhGroup> with_generator(ByteView g) const;

  // DhGroup::check_public: RFC 2631 §2.1.5 public key validation: 1 < y < p - 1 and
  // y^q = 1 mod p (ICAO 9303-11 §4.4.3.3.1 requires it against small subgroup attacks).
  // kMalformed naming the failed check; an empty value or one longer than p is kMalformed.
  Status check_public(ByteView y) const;

  // DhGroup::pow: base^exp mod p (constant time in exp).
  Result<Bytes> pow(ByteView base, ByteView exp) const;
  // DhGroup::mul: a * b mod p, padded to p_size.
  Result<Bytes> mul(ByteView a, ByteView b) const;
  // DhGroup::reduce: value mod p, padded to p_size.
  Result<Bytes> reduce(ByteView value) const;
  // DhGroup::subgroup_element: x^a mod p with a = (p - 1) / q (the Integrated Mapping's f_g,
  // ICAO 9303-11 §4.4.3.3.2), padded to p_size. kMalformed when the result is 1 ("MUST check
  // that g^ != 1").
  Result<Bytes> subgroup_element(ByteView x) const;

  struct Impl;
  const std::shared_ptr<const Impl>& impl() const { return impl_; }
  explicit DhGroup(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

 private:
  std::shared_ptr<const Impl> impl_;
};

// DhKeyPair: a private exponent x and the public value y = g^x mod p. The exponent is kept in
// SecureBytes and zeroised with the object.
class DhKeyPair {
 public:
  // DhKeyPair::generate: x uniformly from [1, q - 1]; kInternal if the RNG fails.
  static Result<DhKeyPair> generate(const DhGroup& group);
  // DhKeyPair::from_private: the key pair for a given exponent (replaying published examples,
  // whose exponents may exceed q). kInvalidArgument unless 1 <= x < p.
  static Result<DhKeyPair> from_private(const DhGroup& group, ByteView x);

  const DhGroup& group() const { return group_; }
  // DhKeyPair::public_value: y as an unsigned integer with no leading zero bytes (ICAO 9303-11
  // §9.4.1 / §9.4.3).
  const Bytes& public_value() const { return y_; }
  // DhKeyPair::private_exponent: x, minimal big-endian.
  const SecureBytes& private_exponent() const { return x_; }

  // DhKeyPair::agree: validates `peer_y` (check_public) and returns peer_y^x mod p as an octet
  // string of the length of p (PKCS#3 §8.1: the shared secret K of PACE / CA). Errors as
  // check_public.
  Result<SecureBytes> agree(ByteView peer_y) const;

 private:
  DhKeyPair(DhGroup group, SecureBytes x, Bytes y) : group_(std::move(group)), x_(std::move(x)), y_(std::move(y)) {}
  DhGroup group_;
  SecureBytes x_;
  Bytes y_;
};

}  // namespace idtap::crypto
