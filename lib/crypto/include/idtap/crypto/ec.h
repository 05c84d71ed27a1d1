// idtap/crypto/ec.h: elliptic curves over prime fields (OpenSSL EC_GROUP / EC_POINT / BIGNUM):
// the curves of the PACE standardized domain parameters, point encoding and validation, the
// point operations the PACE mappings need, ephemeral key pairs and ECDH (ECKA, BSI TR-03111).
//
// Every type here is a value: cheap to copy (the curve is shared, immutable) and safe to use
// from one thread at a time per object. Private scalars live in SecureBytes.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"

namespace idtap::crypto {

// EcCurve: the elliptic curves of ICAO 9303-11 §9.5.1 Table 12 (PACE standardized domain
// parameters 8-18).
enum class EcCurve {
  kNistP192,          // ID 8, secp192r1
  kBrainpoolP192r1,   // ID 9
  kNistP224,          // ID 10, secp224r1 (not usable with the Integrated Mapping: p = 1 mod 4)
  kBrainpoolP224r1,   // ID 11
  kNistP256,          // ID 12, secp256r1
  kBrainpoolP256r1,   // ID 13
  kBrainpoolP320r1,   // ID 14
  kNistP384,          // ID 15, secp384r1
  kBrainpoolP384r1,   // ID 16
  kBrainpoolP512r1,   // ID 17
  kNistP521,          // ID 18, secp521r1
};

// curve_name: "brainpoolP256r1", "secp256r1", ...; never null.
const char* curve_name(EcCurve curve);
// curve_from_name: the curve for an OpenSSL / RFC name ("brainpoolP256r1", "prime256v1",
// "secp256r1", "P-256"); nullopt if it is not one of the curves above.
std::optional<EcCurve> curve_from_name(std::string_view name);

// EcParameters: explicit curve parameters (y^2 = x^3 + ax + b over GF(p)), big-endian unsigned
// integers; `generator` is an uncompressed point 04||X||Y.
struct EcParameters {
  Bytes p;
  Bytes a;
  Bytes b;
  Bytes generator;
  Bytes order;
  Bytes cofactor;  // empty means 1
};

class EcPoint;

// EcGroup: an immutable prime curve with its base point and order. Copies share the curve.
class EcGroup {
 public:
  // EcGroup::named: one of the standardized curves; kInternal if OpenSSL lacks it.
  static Result<EcGroup> named(EcCurve curve);
  // EcGroup::from_parameters: a curve from explicit parameters (DG14 / DG15 keys with explicit
  // ECParameters). kInvalidArgument when they do not describe a valid prime curve (OpenSSL's
  // EC_GROUP_check: p prime, discriminant, generator on the curve and of the given order).
  static Result<EcGroup> from_parameters(const EcParameters& params);

  // EcGroup::curve: which standardized curve this is, nullopt for other explicit curves.
  std::optional<EcCurve> curve() const;
  // EcGroup::field_size: the length in bytes of p (32 for a 256-bit curve, 66 for P-521).
  size_t field_size() const;
  // EcGroup::field_bits: the bit length of p.
  size_t field_bits() const;
  // EcGroup::order_size: the length in bytes of the order n.
  size_t order_size() const;
  // EcGroup::parameters: p, a, b (padded to field_size), G, n (padded to order_size), cofactor.
  EcParameters parameters() const;
  // EcGroup::generator: the base point G.
  EcPoint generator() const;
  // EcGroup::same_curve: true when both describe the same curve (same p, a, b, G, n).
  bool same_curve(const EcGroup& other) const;

  // EcGroup::decode_point: parses an uncompressed point 04||X||Y (X, Y exactly field_size bytes
  // each) and validates it (TR-03111 §3.2.2.1): kMalformed naming the defect for a wrong
  // length, another first byte, a coordinate >= p, a point not on the curve, the point at
  // infinity (the single byte 00), or a point outside the prime-order subgroup.
  Result<EcPoint> decode_point(ByteView encoded) const;
  // EcGroup::point_from_affine: the point (x, y) from big-endian coordinates of any length up to
  // field_size; validated as decode_point does.
  Result<EcPoint> point_from_affine(ByteView x, ByteView y) const;

  // EcGroup::reduce_field: `value` (big-endian, any length) mod p, padded to field_size.
  Result<Bytes> reduce_field(ByteView value) const;
  // EcGroup::icao_point_encoding: f_G(t), the point encoding of [BCIMRT2010] as given by ICAO
  // 9303-11 Appendix B.2 (Integrated Mapping, §4.4.3.3.2): maps a field element 0 < t < p (big
  // endian, at most field_size bytes) to a point of the prime-order subgroup. kNotSupported
  // when p != 3 mod 4 (NIST P-224) or a = 0; kInvalidArgument for t = 0 or t >= p.
  Result<EcPoint> icao_point_encoding(ByteView t) const;

  // EcGroup::scalar_mul_inverse: (a^-1 * b) mod n, padded to order_size: the PACE-CAM chip
  // authentication data CA_IC = SK_IC^-1 * SK_Map,IC mod n (ICAO 9303-11 §4.4.3.5.1).
  // kInvalidArgument when a = 0 mod n.
  Result<SecureBytes> scalar_mul_inverse(ByteView a, ByteView b) const;

  struct Impl;
  // EcGroup::impl: the shared internals (for lib/crypto's own translation units).
  const std::shared_ptr<const Impl>& impl() const { return impl_; }
  explicit EcGroup(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

 private:
  std::shared_ptr<const Impl> impl_;
};

// EcPoint: a point of an EcGroup (never the point at infinity: operations that would produce it
// fail instead). Copyable; copies are independent.
class EcPoint {
 public:
  EcPoint(const EcPoint& other);
  EcPoint& operator=(const EcPoint& other);
  EcPoint(EcPoint&&) noexcept;
  EcPoint& operator=(EcPoint&&) noexcept;
  ~EcPoint();

  // EcPoint::group: the curve this point lies on.
  const EcGroup& group() const { return group_; }
  // EcPoint::encode: 04 || X || Y, each coordinate left-padded with zeros to field_size (a
  // coordinate with leading zero bytes still takes field_size bytes: TR-03111 §3.1.3 FE2OS).
  Bytes encode() const;
  // EcPoint::x / EcPoint::y: the affine coordinates, padded to field_size.
  Bytes x() const;
  Bytes y() const;
  // EcPoint::equals: same curve and same point.
  bool equals(const EcPoint& other) const;

  // EcPoint::add: this + other. kInvalidArgument for points of different curves; kMalformed if
  // the sum is the point at infinity.
  Result<EcPoint> add(const EcPoint& other) const;
  // EcPoint::mul: scalar * this (scalar big-endian, reduced mod n; constant-time ladder).
  // kInvalidArgument when the scalar is 0 mod n.
  Result<EcPoint> mul(ByteView scalar) const;

  struct Impl;
  // EcPoint::impl: the internals (for lib/crypto's own translation units).
  const Impl& impl() const { return *impl_; }
  EcPoint(EcGroup group, std::unique_ptr<Impl> impl);

 private:
  EcGroup group_;
  std::unique_ptr<Impl> impl_;
};

// EcKeyPair: a private scalar d in [1, n-1] and its public point Q = d * G', where G' is a
// chosen generator (the curve's own, or a PACE mapped generator). The scalar is kept in
// SecureBytes and zeroised with the object.
class EcKeyPair {
 public:
  // EcKeyPair::generate: a fresh random key pair for `generator`; kInternal if the RNG fails.
  static Result<EcKeyPair> generate(const EcPoint& generator);
  // EcKeyPair::from_private: the key pair for a given scalar (tests replaying published
  // examples, or a chip's static key); d is taken mod n (ICAO 9303-11 Appendix I.1 uses a chip
  // key above n). kInvalidArgument when d = 0 mod n or d is longer than the order.
  static Result<EcKeyPair> from_private(const EcPoint& generator, ByteView d);

  // EcKeyPair::public_point / public_encoded: Q, and Q as 04||X||Y.
  const EcPoint& public_point() const { return public_; }
  Bytes public_encoded() const { return public_.encode(); }
  // EcKeyPair::private_scalar: d, padded to order_size.
  const SecureBytes& private_scalar() const { return d_; }

  // EcKeyPair::agree_point: d * peer (the full point: PACE Generic Mapping's H). The peer must
  // lie on this key's curve (kInvalidArgument otherwise); kMalformed if the result is the
  // point at infinity.
  Result<EcPoint> agree_point(const EcPoint& peer) const;
  // EcKeyPair::agree_x: ECKA (BSI TR-03111 §4.3.1): the x-coordinate of d * peer, padded to
  // field_size: the shared secret K of PACE, CA and ECDH. Errors as agree_point.
  Result<SecureBytes> agree_x(const EcPoint& peer) const;

 private:
  EcKeyPair(SecureBytes d, EcPoint pub) : d_(std::move(d)), public_(std::move(pub)) {}
  SecureBytes d_;
  EcPoint public_;
};

}  // namespace idtap::crypto
