// drivers/sim/chip_keys.h: the chip's private keys (chip/ca_key.pem, chip/aa_key.pem) and the
// private-key operations the card performs with them, over OpenSSL EVP: ECDH for Chip
// Authentication and PACE-CAM (through crypto::EcKeyPair), DH for Chip Authentication with an
// id-CA-DH-* key (through crypto::DhKeyPair), ECDSA and the raw RSA private operation for Active
// Authentication. lib/crypto has public keys only; these operations exist
// only on the card's side, so they live here. Not installed.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"
#include "idtap/crypto/dh.h"
#include "idtap/crypto/ec.h"
#include "idtap/crypto/hash.h"

namespace idtap::sim::internal {

// ChipKey: one private key, EC (a standardized curve), DH (X9.42 domain parameters with a prime
// order subgroup: the RFC 5114 groups or explicit ones) or RSA. Move-only; the OpenSSL key is
// freed (and its secrets cleansed by OpenSSL) with the object.
class ChipKey {
 public:
  // ChipKey::from_pem: parses a PEM private key (PKCS#8 or traditional, unencrypted).
  // kMalformed when it does not parse (or a DH key's parameters are not a prime order
  // subgroup); kNotSupported for a key type other than EC on a standardized curve, X9.42 DH
  // (OpenSSL "DHX", with q) or RSA.
  static Result<ChipKey> from_pem(ByteView pem);
  // ChipKey::generate_like: a fresh key of the same kind (same curve or DH group, or same
  // modulus size):
  // what a cloned chip holds instead of the genuine chip's key.
  Result<ChipKey> generate_like() const;
  // ChipKey::to_pem: the key as unencrypted PKCS#8 PEM.
  Result<SecureBytes> to_pem() const;

  ChipKey(ChipKey&&) noexcept;
  ChipKey& operator=(ChipKey&&) noexcept;
  ~ChipKey();

  bool is_ec() const { return ec_.has_value(); }
  bool is_dh() const { return dh_.has_value(); }
  bool is_rsa() const { return !is_ec() && !is_dh(); }
  // ChipKey::ec_key: the EC key pair on its curve's standard generator (nullptr otherwise).
  const crypto::EcKeyPair* ec_key() const { return ec_ ? &*ec_ : nullptr; }
  // ChipKey::dh_key: the DH key pair in its group (nullptr otherwise).
  const crypto::DhKeyPair* dh_key() const { return dh_ ? &*dh_ : nullptr; }
  // ChipKey::rsa_modulus_bytes: the RSA modulus length in bytes (0 for EC).
  size_t rsa_modulus_bytes() const;

  // ChipKey::sign_ecdsa_plain: the ECDSA signature of `message` hashed with `hash`, as r || s
  // (each the order's length: BSI TR-03111 plain format, ICAO 9303-11 §6.1 AA). kInvalidArgument
  // for an RSA key.
  Result<Bytes> sign_ecdsa_plain(crypto::HashAlg hash, ByteView message) const;
  // ChipKey::rsa_private_raw: representative^d mod n (no padding): the RSA operation of an ISO/IEC
  // 9796-2 signature. `representative` must be rsa_modulus_bytes() long and below n.
  // kInvalidArgument otherwise or for an EC key.
  Result<Bytes> rsa_private_raw(ByteView representative) const;

 private:
  struct Pkey;
  ChipKey(std::unique_ptr<Pkey> pkey, std::optional<crypto::EcKeyPair> ec, std::optional<crypto::DhKeyPair> dh = std::nullopt);
  std::unique_ptr<Pkey> pkey_;
  std::optional<crypto::EcKeyPair> ec_;
  std::optional<crypto::DhKeyPair> dh_;
};

}  // namespace idtap::sim::internal
