// Elliptic curves over OpenSSL's EC_GROUP / EC_POINT / BIGNUM (no field or point arithmetic by
// hand: the ICAO point encoding composes BN_mod_* operations).
#include "idtap/crypto/ec.h"

#include <openssl/obj_mac.h>
#include <openssl/rand.h>

#include <array>
#include <cstdio>
#include <string>

#include "asym_internal.h"

namespace idtap::crypto {

using detail::BnCtxPtr;
using detail::BnPtr;
using detail::EcPointPtr;

namespace {

struct CurveEntry {
  EcCurve curve;
  int nid;
  const char* name;
};

constexpr std::array<CurveEntry, 11> kCurves = {{
    {EcCurve::kNistP192, NID_X9_62_prime192v1, "secp192r1"},
    {EcCurve::kBrainpoolP192r1, NID_brainpoolP192r1, "brainpoolP192r1"},
    {EcCurve::kNistP224, NID_secp224r1, "secp224r1"},
    {EcCurve::kBrainpoolP224r1, NID_brainpoolP224r1, "brainpoolP224r1"},
    {EcCurve::kNistP256, NID_X9_62_prime256v1, "secp256r1"},
    {EcCurve::kBrainpoolP256r1, NID_brainpoolP256r1, "brainpoolP256r1"},
    {EcCurve::kBrainpoolP320r1, NID_brainpoolP320r1, "brainpoolP320r1"},
    {EcCurve::kNistP384, NID_secp384r1, "secp384r1"},
    {EcCurve::kBrainpoolP384r1, NID_brainpoolP384r1, "brainpoolP384r1"},
    {EcCurve::kBrainpoolP512r1, NID_brainpoolP512r1, "brainpoolP512r1"},
    {EcCurve::kNistP521, NID_secp521r1, "secp521r1"},
}};

const CurveEntry& entry(EcCurve curve) {
  for (const auto& e : kCurves) {
    if (e.curve == curve) return e;
  }
  return kCurves[0];  // unreachable: every enumerator is in the table
}

Error malformed(std::string what) { return make_error(ErrorCode::kMalformed, std::move(what)); }

// Fills the cached parameters of a freshly built group.
Result<std::shared_ptr<const EcGroup::Impl>> finish_group(detail::EcGroupPtr group, std::optional<EcCurve> curve) {
  auto impl = std::make_shared<EcGroup::Impl>();
  impl->p = detail::new_bn();
  impl->a = detail::new_bn();
  impl->b = detail::new_bn();
  BnCtxPtr ctx = detail::new_ctx();
  if (!impl->p || !impl->a || !impl->b || !ctx ||
      EC_GROUP_get_curve(group.get(), impl->p.get(), impl->a.get(), impl->b.get(), ctx.get()) != 1) {
    return detail::openssl_error("EC_GROUP_get_curve");
  }
  impl->order.reset(BN_dup(EC_GROUP_get0_order(group.get())));
  const BIGNUM* cofactor = EC_GROUP_get0_cofactor(group.get());
  impl->cofactor.reset(cofactor != nullptr ? BN_dup(cofactor) : BN_new());
  if (!impl->order || !impl->cofactor) return detail::openssl_error("BN_dup");
  if (BN_is_zero(impl->cofactor.get())) BN_one(impl->cofactor.get());
  impl->field_bits = static_cast<size_t>(BN_num_bits(impl->p.get()));
  impl->field_bytes = (impl->field_bits + 7) / 8;
  impl->order_bytes = static_cast<size_t>(BN_num_bytes(impl->order.get()));
  impl->curve = curve;
  impl->group = std::move(group);
  return std::shared_ptr<const EcGroup::Impl>(std::move(impl));
}

bool groups_equal(const EcGroup::Impl& a, const EcGroup::Impl& b) {
  if (&a == &b) return true;
  if (a.curve && b.curve) return *a.curve == *b.curve;
  BnCtxPtr ctx = detail::new_ctx();
  bool equal = ctx && EC_GROUP_cmp(a.group.get(), b.group.get(), ctx.get()) == 0;
  detail::clear_openssl_errors();
  return equal;
}

// Validates a decoded point against its group: on the curve and (cofactor > 1) in the
// prime-order subgroup.
Status validate_point(const EcGroup::Impl& g, const EC_POINT* point, BN_CTX* ctx) {
  if (EC_POINT_is_at_infinity(g.group.get(), point) == 1) return malformed("EC point is the point at infinity");
  if (EC_POINT_is_on_curve(g.group.get(), point, ctx) != 1) {
    detail::clear_openssl_errors();
    return malformed("EC point is not on the curve");
  }
  if (!BN_is_one(g.cofactor.get())) {
    EcPointPtr check(EC_POINT_new(g.group.get()));
    if (!check || EC_POINT_mul(g.group.get(), check.get(), nullptr, point, g.order.get(), ctx) != 1) {
      return detail::openssl_error("EC_POINT_mul (subgroup check)");
    }
    if (EC_POINT_is_at_infinity(g.group.get(), check.get()) != 1) {
      return malformed("EC point is not in the prime-order subgroup");
    }
  }
  return ok_status();
}

// mod_pow_consttime: base^exp mod m, constant-time in the exponent.
bool mod_pow(BIGNUM* r, const BIGNUM* base, const BIGNUM* exp, const BIGNUM* m, BN_CTX* ctx) {
  return BN_mod_exp_mont_consttime(r, base, exp, m, ctx, nullptr) == 1;
}

// mod_inverse_prime: a^(m-2) mod m for a prime m (Fermat; constant time in a).
bool mod_inverse_prime(BIGNUM* r, const BIGNUM* a, const BIGNUM* m, BN_CTX* ctx) {
  BnPtr e(BN_dup(m));
  return e && BN_sub_word(e.get(), 2) == 1 && mod_pow(r, a, e.get(), m, ctx);
}

}  // namespace

namespace detail {

Result<EcGroup> make_ec_group(EcGroupPtr group, std::optional<EcCurve> curve) {
  IDTAP_ASSIGN_OR_RETURN(auto impl, finish_group(std::move(group), curve));
  return EcGroup(std::move(impl));
}

int ec_curve_nid(EcCurve curve) { return entry(curve).nid; }

}  // namespace detail

const char* curve_name(EcCurve curve) { return entry(curve).name; }

std::optional<EcCurve> curve_from_name(std::string_view name) {
  for (const auto& e : kCurves) {
    if (name == e.name || name == OBJ_nid2sn(e.nid)) return e.curve;
  }
  if (name == "P-192") return EcCurve::kNistP192;
  if (name == "P-224") return EcCurve::kNistP224;
  if (name == "P-256") return EcCurve::kNistP256;
  if (name == "P-384") return EcCurve::kNistP384;
  if (name == "P-521") return EcCurve::kNistP521;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// EcGroup

Result<EcGroup> EcGroup::named(EcCurve curve) {
  detail::EcGroupPtr group(EC_GROUP_new_by_curve_name(entry(curve).nid));
  if (!group) return detail::openssl_error(std::string("EC_GROUP_new_by_curve_name ") + curve_name(curve));
  IDTAP_ASSIGN_OR_RETURN(auto impl, finish_group(std::move(group), curve));
  return EcGroup(std::move(impl));
}

Result<EcGroup> EcGroup::from_parameters(const EcParameters& params) {
  BnCtxPtr ctx = detail::new_ctx();
  BnPtr p = detail::bn_from(params.p), a = detail::bn_from(params.a), b = detail::bn_from(params.b);
  BnPtr n = detail::bn_from(params.order);
  BnPtr h = params.cofactor.empty() ? BnPtr(BN_new()) : detail::bn_from(params.cofactor);
  if (!ctx || !p || !a || !b || !n || !h) return detail::openssl_error("BN_bin2bn");
  if (params.cofactor.empty()) BN_one(h.get());
  auto invalid = [](std::string what) {
    detail::clear_openssl_errors();
    return make_error(ErrorCode::kInvalidArgument, "explicit EC parameters: " + what);
  };
  if (BN_num_bits(p.get()) < 160 || BN_num_bits(p.get()) > 1024 || !BN_is_odd(p.get())) {
    return invalid("field prime of " + std::to_string(BN_num_bits(p.get())) + " bits");
  }
  if (BN_check_prime(p.get(), ctx.get(), nullptr) != 1) return invalid("p is not prime");
  detail::EcGroupPtr group(EC_GROUP_new_curve_GFp(p.get(), a.get(), b.get(), ctx.get()));
  if (!group) return invalid("not a curve over GF(p)");
  EcPointPtr g(EC_POINT_new(group.get()));
  if (!g || EC_POINT_oct2point(group.get(), g.get(), params.generator.data(), params.generator.size(), ctx.get()) != 1) {
    return invalid("the generator is not a point of the curve");
  }
  if (EC_GROUP_set_generator(group.get(), g.get(), n.get(), h.get()) != 1) return invalid("generator, order or cofactor");
  if (EC_GROUP_check(group.get(), ctx.get()) != 1) return invalid("EC_GROUP_check failed");
  EC_GROUP_set_asn1_flag(group.get(), OPENSSL_EC_EXPLICIT_CURVE);

  // Recognise a standardized curve given explicitly (ICAO DG14 keys always are).
  std::optional<EcCurve> curve;
  for (const auto& e : kCurves) {
    detail::EcGroupPtr candidate(EC_GROUP_new_by_curve_name(e.nid));
    if (candidate && EC_GROUP_get_degree(candidate.get()) == EC_GROUP_get_degree(group.get()) &&
        EC_GROUP_cmp(candidate.get(), group.get(), ctx.get()) == 0) {
      curve = e.curve;
      break;
    }
  }
  detail::clear_openssl_errors();
  IDTAP_ASSIGN_OR_RETURN(auto impl, finish_group(std::move(group), curve));
  return EcGroup(std::move(impl));
}

std::optional<EcCurve> EcGroup::curve() const { return impl_->curve; }
size_t EcGroup::field_size() const { return impl_->field_bytes; }
size_t EcGroup::field_bits() const { return impl_->field_bits; }
size_t EcGroup::order_size() const { return impl_->order_bytes; }

EcParameters EcGroup::parameters() const {
  EcParameters out;
  out.p = detail::bn_bytes(impl_->p.get(), impl_->field_bytes);
  out.a = detail::bn_bytes(impl_->a.get(), impl_->field_bytes);
  out.b = detail::bn_bytes(impl_->b.get(), impl_->field_bytes);
  out.generator = generator().encode();
  out.order = detail::bn_bytes(impl_->order.get(), impl_->order_bytes);
  out.cofactor = detail::bn_bytes(impl_->cofactor.get());
  return out;
}

EcPoint EcGroup::generator() const {
  auto impl = std::make_unique<EcPoint::Impl>();
  impl->point.reset(EC_POINT_dup(EC_GROUP_get0_generator(impl_->group.get()), impl_->group.get()));
  return EcPoint(*this, std::move(impl));
}

bool EcGroup::same_curve(const EcGroup& other) const { return groups_equal(*impl_, *other.impl_); }

Result<EcPoint> EcGroup::decode_point(ByteView encoded) const {
  const size_t want = 1 + 2 * impl_->field_bytes;
  if (encoded.size() == 1 && encoded[0] == 0x00) return malformed("EC point is the point at infinity (encoding 00)");
  if (encoded.size() != want) {
    return malformed("EC point encoding has " + std::to_string(encoded.size()) + " bytes, expected " +
                     std::to_string(want) + " (04||X||Y)");
  }
  if (encoded[0] != 0x04) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02X", encoded[0]);
    return malformed(std::string("EC point encoding starts with ") + buf + ", expected 04 (uncompressed)");
  }
  const size_t f = impl_->field_bytes;
  return point_from_affine(encoded.subspan(1, f), encoded.subspan(1 + f, f));
}

Result<EcPoint> EcGroup::point_from_affine(ByteView x, ByteView y) const {
  if (x.size() > impl_->field_bytes || y.size() > impl_->field_bytes) return malformed("EC point coordinate longer than the field");
  BnCtxPtr ctx = detail::new_ctx();
  BnPtr bx = detail::bn_from(x), by = detail::bn_from(y);
  if (!ctx || !bx || !by) return detail::openssl_error("BN_bin2bn");
  if (BN_cmp(bx.get(), impl_->p.get()) >= 0 || BN_cmp(by.get(), impl_->p.get()) >= 0) {
    return malformed("EC point coordinate is not below the field prime p");
  }
  auto impl = std::make_unique<EcPoint::Impl>();
  impl->point.reset(EC_POINT_new(impl_->group.get()));
  if (!impl->point) return detail::openssl_error("EC_POINT_new");
  if (EC_POINT_set_affine_coordinates(impl_->group.get(), impl->point.get(), bx.get(), by.get(), ctx.get()) != 1) {
    detail::clear_openssl_errors();
    return malformed("EC point is not on the curve");
  }
  IDTAP_TRY(validate_point(*impl_, impl->point.get(), ctx.get()));
  return EcPoint(*this, std::move(impl));
}

Result<Bytes> EcGroup::reduce_field(ByteView value) const {
  BnCtxPtr ctx = detail::new_ctx();
  BnPtr v = detail::secure_bn_from(value);
  BnPtr r = detail::new_secure_bn();
  if (!ctx || !v || !r || BN_nnmod(r.get(), v.get(), impl_->p.get(), ctx.get()) != 1) return detail::openssl_error("BN_nnmod");
  return detail::bn_bytes(r.get(), impl_->field_bytes);
}

// ICAO 9303-11 Appendix B.2 (point encoding for affine coordinates), [BCIMRT2010].
Result<EcPoint> EcGroup::icao_point_encoding(ByteView t_bytes) const {
  const BIGNUM* p = impl_->p.get();
  const BIGNUM* a = impl_->a.get();
  const BIGNUM* b = impl_->b.get();
  // Appendix B.1: "point encoding explicitly requires that p = 3 mod 4".
  if (BN_mod_word(p, 4) != 3) return make_error(ErrorCode::kNotSupported, "the ICAO point encoding needs p = 3 mod 4 (not this curve)");
  if (BN_is_zero(a)) return make_error(ErrorCode::kNotSupported, "the ICAO point encoding needs a != 0");
  if (t_bytes.size() > impl_->field_bytes) return make_error(ErrorCode::kInvalidArgument, "point encoding input longer than the field");

  BnCtxPtr ctx_owner(BN_CTX_secure_new());
  BN_CTX* ctx = ctx_owner.get();
  BnPtr t = detail::secure_bn_from(t_bytes);
  if (!ctx || !t) return detail::openssl_error("BN_CTX_secure_new");
  if (BN_is_zero(t.get()) || BN_cmp(t.get(), p) >= 0) {
    return make_error(ErrorCode::kInvalidArgument, "point encoding input t must satisfy 0 < t < p");
  }
  BnPtr alpha = detail::new_secure_bn(), u = detail::new_secure_bn(), w = detail::new_secure_bn();
  BnPtr x2 = detail::new_secure_bn(), x3 = detail::new_secure_bn(), h2 = detail::new_secure_bn();
  BnPtr big_u = detail::new_secure_bn(), big_a = detail::new_secure_bn(), tmp = detail::new_secure_bn();
  BnPtr inv_a = detail::new_secure_bn(), exponent = detail::new_bn();
  BnPtr x = detail::new_secure_bn(), y = detail::new_secure_bn();
  if (!alpha || !u || !w || !x2 || !x3 || !h2 || !big_u || !big_a || !tmp || !inv_a || !exponent || !x || !y) {
    return detail::openssl_error("BN_new");
  }
  auto fail = [] { return detail::openssl_error("ICAO point encoding arithmetic"); };

  // 1. alpha = -t^2 mod p
  if (BN_mod_sqr(tmp.get(), t.get(), p, ctx) != 1 || BN_mod_sub(alpha.get(), p, tmp.get(), p, ctx) != 1) return fail();
  if (BN_mod(alpha.get(), alpha.get(), p, ctx) != 1) return fail();
  // 2. X2 = -b * a^-1 * (1 + (alpha + alpha^2)^-1) mod p
  if (BN_mod_sqr(tmp.get(), alpha.get(), p, ctx) != 1 || BN_mod_add(u.get(), alpha.get(), tmp.get(), p, ctx) != 1) return fail();
  if (BN_is_zero(u.get())) return make_error(ErrorCode::kInvalidArgument, "point encoding input t gives alpha + alpha^2 = 0");
  if (!mod_inverse_prime(w.get(), u.get(), p, ctx) || BN_add_word(w.get(), 1) != 1 || BN_mod(w.get(), w.get(), p, ctx) != 1) return fail();
  if (!mod_inverse_prime(inv_a.get(), a, p, ctx)) return fail();
  if (BN_mod_mul(tmp.get(), b, inv_a.get(), p, ctx) != 1 || BN_mod_mul(tmp.get(), tmp.get(), w.get(), p, ctx) != 1) return fail();
  if (BN_mod_sub(x2.get(), p, tmp.get(), p, ctx) != 1 || BN_mod(x2.get(), x2.get(), p, ctx) != 1) return fail();
  // 3. X3 = alpha * X2 mod p
  if (BN_mod_mul(x3.get(), alpha.get(), x2.get(), p, ctx) != 1) return fail();
  // 4. h2 = X2^3 + a * X2 + b mod p
  if (BN_mod_sqr(tmp.get(), x2.get(), p, ctx) != 1 || BN_mod_add(tmp.get(), tmp.get(), a, p, ctx) != 1 ||
      BN_mod_mul(tmp.get(), tmp.get(), x2.get(), p, ctx) != 1 || BN_mod_add(h2.get(), tmp.get(), b, p, ctx) != 1) {
    return fail();
  }
  // (5. h3 is not needed for the output.)
  // 6. U = t^3 * h2 mod p
  if (BN_mod_sqr(tmp.get(), t.get(), p, ctx) != 1 || BN_mod_mul(tmp.get(), tmp.get(), t.get(), p, ctx) != 1 ||
      BN_mod_mul(big_u.get(), tmp.get(), h2.get(), p, ctx) != 1) {
    return fail();
  }
  // 7. A = h2^(p - 1 - (p + 1) / 4) mod p
  if (BN_copy(tmp.get(), p) == nullptr || BN_add_word(tmp.get(), 1) != 1 || BN_rshift(tmp.get(), tmp.get(), 2) != 1 ||
      BN_copy(exponent.get(), p) == nullptr || BN_sub_word(exponent.get(), 1) != 1 ||
      BN_sub(exponent.get(), exponent.get(), tmp.get()) != 1 || !mod_pow(big_a.get(), h2.get(), exponent.get(), p, ctx)) {
    return fail();
  }
  // 8./9. If A^2 * h2 = 1 mod p: (X2, A * h2), otherwise (X3, A * U).
  if (BN_mod_sqr(tmp.get(), big_a.get(), p, ctx) != 1 || BN_mod_mul(tmp.get(), tmp.get(), h2.get(), p, ctx) != 1) return fail();
  if (BN_is_one(tmp.get())) {
    if (BN_copy(x.get(), x2.get()) == nullptr || BN_mod_mul(y.get(), big_a.get(), h2.get(), p, ctx) != 1) return fail();
  } else {
    if (BN_copy(x.get(), x3.get()) == nullptr || BN_mod_mul(y.get(), big_a.get(), big_u.get(), p, ctx) != 1) return fail();
  }
  auto point = point_from_affine(detail::bn_bytes(x.get(), impl_->field_bytes), detail::bn_bytes(y.get(), impl_->field_bytes));
  if (!point.ok()) return make_error(ErrorCode::kInternal, "ICAO point encoding produced an invalid point: " + point.error().context);
  // 10. Output [f](x, y).
  if (!BN_is_one(impl_->cofactor.get())) return point->mul(detail::bn_bytes(impl_->cofactor.get()));
  return point;
}

Result<SecureBytes> EcGroup::scalar_mul_inverse(ByteView a_bytes, ByteView b_bytes) const {
  BnCtxPtr ctx(BN_CTX_secure_new());
  BnPtr a = detail::secure_bn_from(a_bytes), b = detail::secure_bn_from(b_bytes);
  BnPtr inv = detail::new_secure_bn(), r = detail::new_secure_bn();
  if (!ctx || !a || !b || !inv || !r) return detail::openssl_error("BN_new");
  const BIGNUM* n = impl_->order.get();
  if (BN_nnmod(a.get(), a.get(), n, ctx.get()) != 1) return detail::openssl_error("BN_nnmod");
  if (BN_is_zero(a.get())) return make_error(ErrorCode::kInvalidArgument, "scalar to invert is 0 mod n");
  if (!mod_inverse_prime(inv.get(), a.get(), n, ctx.get()) || BN_mod_mul(r.get(), inv.get(), b.get(), n, ctx.get()) != 1) {
    return detail::openssl_error("scalar inverse");
  }
  return detail::bn_secure_bytes(r.get(), impl_->order_bytes);
}

// ---------------------------------------------------------------------------------------------
// EcPoint

EcPoint::EcPoint(EcGroup group, std::unique_ptr<Impl> impl) : group_(std::move(group)), impl_(std::move(impl)) {}

EcPoint::EcPoint(const EcPoint& other) : group_(other.group_), impl_(std::make_unique<Impl>()) {
  impl_->point.reset(EC_POINT_dup(other.impl_->point.get(), group_.impl()->group.get()));
}

EcPoint& EcPoint::operator=(const EcPoint& other) {
  if (this != &other) {
    EcPoint copy(other);
    *this = std::move(copy);
  }
  return *this;
}

EcPoint::EcPoint(EcPoint&&) noexcept = default;
EcPoint& EcPoint::operator=(EcPoint&&) noexcept = default;
EcPoint::~EcPoint() = default;

Bytes EcPoint::encode() const {
  const auto& g = *group_.impl();
  Bytes out(1 + 2 * g.field_bytes);
  size_t n = EC_POINT_point2oct(g.group.get(), impl_->point.get(), POINT_CONVERSION_UNCOMPRESSED, out.data(), out.size(), nullptr);
  if (n != out.size()) {
    detail::clear_openssl_errors();
    return {};
  }
  return out;
}

Bytes EcPoint::x() const {
  Bytes e = encode();
  if (e.empty()) return {};
  const size_t f = group_.field_size();
  return Bytes(e.begin() + 1, e.begin() + 1 + static_cast<std::ptrdiff_t>(f));
}

Bytes EcPoint::y() const {
  Bytes e = encode();
  if (e.empty()) return {};
  const size_t f = group_.field_size();
  return Bytes(e.begin() + 1 + static_cast<std::ptrdiff_t>(f), e.end());
}

bool EcPoint::equals(const EcPoint& other) const {
  if (!group_.same_curve(other.group_)) return false;
  BnCtxPtr ctx = detail::new_ctx();
  bool equal = ctx && EC_POINT_cmp(group_.impl()->group.get(), impl_->point.get(), other.impl_->point.get(), ctx.get()) == 0;
  detail::clear_openssl_errors();
  return equal;
}

Result<EcPoint> EcPoint::add(const EcPoint& other) const {
  if (!group_.same_curve(other.group_)) return make_error(ErrorCode::kInvalidArgument, "EC point addition across different curves");
  const auto& g = *group_.impl();
  BnCtxPtr ctx = detail::new_ctx();
  auto impl = std::make_unique<Impl>();
  impl->point.reset(EC_POINT_new(g.group.get()));
  if (!ctx || !impl->point ||
      EC_POINT_add(g.group.get(), impl->point.get(), impl_->point.get(), other.impl_->point.get(), ctx.get()) != 1) {
    return detail::openssl_error("EC_POINT_add");
  }
  if (EC_POINT_is_at_infinity(g.group.get(), impl->point.get()) == 1) return malformed("EC point sum is the point at infinity");
  return EcPoint(group_, std::move(impl));
}

Result<EcPoint> EcPoint::mul(ByteView scalar) const {
  const auto& g = *group_.impl();
  BnCtxPtr ctx(BN_CTX_secure_new());
  BnPtr k = detail::secure_bn_from(scalar);
  if (!ctx || !k) return detail::openssl_error("BN_bin2bn");
  if (BN_cmp(k.get(), g.order.get()) >= 0 && BN_nnmod(k.get(), k.get(), g.order.get(), ctx.get()) != 1) {
    return detail::openssl_error("BN_nnmod");
  }
  if (BN_is_zero(k.get())) return make_error(ErrorCode::kInvalidArgument, "EC scalar is 0 mod n");
  auto impl = std::make_unique<Impl>();
  impl->point.reset(EC_POINT_new(g.group.get()));
  if (!impl->point) return detail::openssl_error("EC_POINT_new");
  int rc;
  if (EC_POINT_cmp(g.group.get(), impl_->point.get(), EC_GROUP_get0_generator(g.group.get()), ctx.get()) == 0) {
    // The curve's own base point: OpenSSL's fixed-base path (precomputed tables where it has them).
    rc = EC_POINT_mul(g.group.get(), impl->point.get(), k.get(), nullptr, nullptr, ctx.get());
  } else {
    rc = EC_POINT_mul(g.group.get(), impl->point.get(), nullptr, impl_->point.get(), k.get(), ctx.get());
  }
  if (rc != 1) return detail::openssl_error("EC_POINT_mul");
  if (EC_POINT_is_at_infinity(g.group.get(), impl->point.get()) == 1) return malformed("EC scalar multiple is the point at infinity");
  return EcPoint(group_, std::move(impl));
}

// ---------------------------------------------------------------------------------------------
// EcKeyPair

Result<EcKeyPair> EcKeyPair::generate(const EcPoint& generator) {
  const auto& g = *generator.group().impl();
  BnCtxPtr ctx(BN_CTX_secure_new());
  BnPtr d = detail::new_secure_bn();
  if (!ctx || !d) return detail::openssl_error("BN_new");
  do {
    if (BN_priv_rand_range_ex(d.get(), g.order.get(), 0, ctx.get()) != 1) return detail::openssl_error("BN_priv_rand_range_ex");
  } while (BN_is_zero(d.get()));
  SecureBytes scalar = detail::bn_secure_bytes(d.get(), g.order_bytes);
  IDTAP_ASSIGN_OR_RETURN(EcPoint pub, generator.mul(scalar));
  return EcKeyPair(std::move(scalar), std::move(pub));
}

Result<EcKeyPair> EcKeyPair::from_private(const EcPoint& generator, ByteView d_bytes) {
  const auto& g = *generator.group().impl();
  BnCtxPtr ctx(BN_CTX_secure_new());
  BnPtr d = detail::secure_bn_from(d_bytes);
  if (!ctx || !d) return detail::openssl_error("BN_bin2bn");
  // Published examples use scalars above n (ICAO 9303-11 Appendix I.1): d acts as d mod n.
  if (d_bytes.size() > g.order_bytes || BN_nnmod(d.get(), d.get(), g.order.get(), ctx.get()) != 1 || BN_is_zero(d.get())) {
    return make_error(ErrorCode::kInvalidArgument, "EC private key must be a non-zero scalar mod n of at most the order's length");
  }
  SecureBytes scalar = detail::bn_secure_bytes(d.get(), g.order_bytes);
  IDTAP_ASSIGN_OR_RETURN(EcPoint pub, generator.mul(scalar));
  return EcKeyPair(std::move(scalar), std::move(pub));
}

Result<EcPoint> EcKeyPair::agree_point(const EcPoint& peer) const {
  if (!public_.group().same_curve(peer.group())) return make_error(ErrorCode::kInvalidArgument, "ECDH with a point of another curve");
  return peer.mul(d_);
}

Result<SecureBytes> EcKeyPair::agree_x(const EcPoint& peer) const {
  IDTAP_ASSIGN_OR_RETURN(EcPoint shared, agree_point(peer));
  Bytes x = shared.x();
  if (x.empty()) return make_error(ErrorCode::kInternal, "ECDH: cannot encode the shared point");
  SecureBytes out = secure_copy(x);
  secure_zero(x.data(), x.size());
  return out;
}

}  // namespace idtap::crypto
