// Finite-field Diffie-Hellman over OpenSSL BIGNUM (modular exponentiation by OpenSSL's
// Montgomery code; the RFC 5114 groups from OpenSSL's named-group table).
#include "idtap/crypto/dh.h"

#include <openssl/core_names.h>
#include <openssl/params.h>

#include <string>

#include "asym_internal.h"

namespace idtap::crypto {

using detail::BnCtxPtr;
using detail::BnPtr;

namespace {

struct Modulus {
  BnPtr p, q, p_minus_1, cofactor;  // cofactor a = (p - 1) / q
  detail::MontPtr mont;
  size_t p_bytes = 0;
  std::optional<DhGroupId> id;
};

const char* openssl_group_name(DhGroupId id) {
  switch (id) {
    case DhGroupId::kModp1024_160: return "dh_1024_160";
    case DhGroupId::kModp2048_224: return "dh_2048_224";
    case DhGroupId::kModp2048_256: return "dh_2048_256";
  }
  return "dh_1024_160";
}

Error malformed(std::string what) { return make_error(ErrorCode::kMalformed, std::move(what)); }

Result<std::shared_ptr<const Modulus>> make_modulus(BnPtr p, BnPtr q, std::optional<DhGroupId> id) {
  auto m = std::make_shared<Modulus>();
  BnCtxPtr ctx = detail::new_ctx();
  m->p_minus_1.reset(BN_dup(p.get()));
  m->cofactor = detail::new_bn();
  BnPtr rem = detail::new_bn();
  m->mont.reset(BN_MONT_CTX_new());
  if (!ctx || !m->p_minus_1 || !m->cofactor || !rem || !m->mont || BN_sub_word(m->p_minus_1.get(), 1) != 1 ||
      BN_div(m->cofactor.get(), rem.get(), m->p_minus_1.get(), q.get(), ctx.get()) != 1 ||
      BN_MONT_CTX_set(m->mont.get(), p.get(), ctx.get()) != 1) {
    return detail::openssl_error("DH modulus set-up");
  }
  if (!BN_is_zero(rem.get())) return make_error(ErrorCode::kInvalidArgument, "DH parameters: q does not divide p - 1");
  m->p_bytes = static_cast<size_t>(BN_num_bytes(p.get()));
  m->p = std::move(p);
  m->q = std::move(q);
  m->id = id;
  return std::shared_ptr<const Modulus>(std::move(m));
}

}  // namespace

struct DhGroup::Impl {
  std::shared_ptr<const Modulus> m;
  BnPtr g;
};

namespace {

const Modulus& mod(const DhGroup& g) { return *g.impl()->m; }

// Checks that 1 < v < p - 1 and v^q = 1 mod p; `what` names the value in errors.
Status check_subgroup_element(const Modulus& m, const BIGNUM* v, const char* what) {
  if (BN_cmp(v, BN_value_one()) <= 0) return malformed(std::string(what) + " is 0 or 1");
  if (BN_cmp(v, m.p_minus_1.get()) >= 0) return malformed(std::string(what) + " is p - 1 or not below p");
  BnCtxPtr ctx = detail::new_ctx();
  BnPtr r = detail::new_bn();
  if (!ctx || !r || BN_mod_exp_mont(r.get(), v, m.q.get(), m.p.get(), ctx.get(), m.mont.get()) != 1) {
    return detail::openssl_error("BN_mod_exp_mont");
  }
  if (!BN_is_one(r.get())) return malformed(std::string(what) + " is not in the prime-order subgroup (y^q != 1 mod p)");
  return ok_status();
}

Result<BnPtr> parse_element(const Modulus& m, ByteView v, const char* what) {
  if (v.empty()) return malformed(std::string(what) + " is empty");
  size_t i = 0;
  while (i < v.size() && v[i] == 0) ++i;
  if (v.size() - i > m.p_bytes) return malformed(std::string(what) + " is longer than p");
  BnPtr b = detail::bn_from(v);
  if (!b) return detail::openssl_error("BN_bin2bn");
  return b;
}

Result<BnPtr> mod_pow(const Modulus& m, const BIGNUM* base, ByteView exp) {
  BnCtxPtr ctx(BN_CTX_secure_new());
  BnPtr e = detail::secure_bn_from(exp), r = detail::new_secure_bn();
  if (!ctx || !e || !r || BN_mod_exp_mont_consttime(r.get(), base, e.get(), m.p.get(), ctx.get(), m.mont.get()) != 1) {
    return detail::openssl_error("BN_mod_exp_mont_consttime");
  }
  return r;
}

}  // namespace

const char* dh_group_name(DhGroupId id) {
  switch (id) {
    case DhGroupId::kModp1024_160: return "RFC 5114 1024-bit MODP group with 160-bit prime order subgroup";
    case DhGroupId::kModp2048_224: return "RFC 5114 2048-bit MODP group with 224-bit prime order subgroup";
    case DhGroupId::kModp2048_256: return "RFC 5114 2048-bit MODP group with 256-bit prime order subgroup";
  }
  return "unknown DH group";
}

Result<DhGroup> DhGroup::standard(DhGroupId id) {
  detail::EvpPkeyCtxPtr pctx(EVP_PKEY_CTX_new_from_name(nullptr, "DHX", nullptr));
  OSSL_PARAM params[2] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(openssl_group_name(id)), 0),
      OSSL_PARAM_construct_end()};
  EVP_PKEY* raw = nullptr;
  if (!pctx || EVP_PKEY_fromdata_init(pctx.get()) != 1 ||
      EVP_PKEY_fromdata(pctx.get(), &raw, EVP_PKEY_KEY_PARAMETERS, params) != 1) {
    return detail::openssl_error(std::string("DH named group ") + openssl_group_name(id));
  }
  detail::EvpPkeyPtr pkey(raw);
  BIGNUM *p = nullptr, *q = nullptr, *g = nullptr;
  EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_FFC_P, &p);
  EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_FFC_Q, &q);
  EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_FFC_G, &g);
  BnPtr bp(p), bq(q), bg(g);
  if (!bp || !bq || !bg) return detail::openssl_error("DH group parameters");
  IDTAP_ASSIGN_OR_RETURN(auto m, make_modulus(std::move(bp), std::move(bq), id));
  auto impl = std::make_shared<Impl>();
  impl->m = std::move(m);
  impl->g = std::move(bg);
  return DhGroup(std::move(impl));
}

Result<DhGroup> DhGroup::from_parameters(ByteView p_bytes, ByteView q_bytes, ByteView g_bytes) {
  BnPtr p = detail::bn_from(p_bytes), q = detail::bn_from(q_bytes), g = detail::bn_from(g_bytes);
  BnCtxPtr ctx = detail::new_ctx();
  if (!p || !q || !g || !ctx) return detail::openssl_error("BN_bin2bn");
  auto invalid = [](std::string what) {
    detail::clear_openssl_errors();
    return make_error(ErrorCode::kInvalidArgument, "DH parameters: " + what);
  };
  if (BN_num_bits(p.get()) < 1024 || BN_num_bits(p.get()) > 4096) return invalid("p of " + std::to_string(BN_num_bits(p.get())) + " bits");
  if (BN_num_bits(q.get()) < 160 || BN_cmp(q.get(), p.get()) >= 0) return invalid("q of " + std::to_string(BN_num_bits(q.get())) + " bits");
  if (BN_check_prime(p.get(), ctx.get(), nullptr) != 1) return invalid("p is not prime");
  if (BN_check_prime(q.get(), ctx.get(), nullptr) != 1) return invalid("q is not prime");
  IDTAP_ASSIGN_OR_RETURN(auto m, make_modulus(std::move(p), std::move(q), std::nullopt));
  auto st = check_subgroup_element(*m, g.get(), "DH generator");
  if (!st.ok()) return invalid(st.error().context);
  auto impl = std::make_shared<Impl>();
  impl->m = std::move(m);
  impl->g = std::move(g);
  return DhGroup(std::move(impl));
}

std::optional<DhGroupId> DhGroup::id() const { return impl_->m->id; }
size_t DhGroup::p_size() const { return impl_->m->p_bytes; }
Bytes DhGroup::p() const { return detail::bn_bytes(impl_->m->p.get(), impl_->m->p_bytes); }
Bytes DhGroup::q() const { return detail::bn_bytes(impl_->m->q.get()); }
Bytes DhGroup::g() const { return detail::bn_bytes(impl_->g.get(), impl_->m->p_bytes); }

Result<DhGroup> DhGroup::with_generator(ByteView g_bytes) const {
  IDTAP_ASSIGN_OR_RETURN(BnPtr g, parse_element(*impl_->m, g_bytes, "DH generator"));
  IDTAP_TRY(check_subgroup_element(*impl_->m, g.get(), "DH mapped generator"));
  auto impl = std::make_shared<Impl>();
  impl->m = impl_->m;
  impl->g = std::move(g);
  return DhGroup(std::move(impl));
}

Status DhGroup::check_public(ByteView y) const {
  IDTAP_ASSIGN_OR_RETURN(BnPtr v, parse_element(*impl_->m, y, "DH public value"));
  return check_subgroup_element(*impl_->m, v.get(), "DH public value");
}

Result<Bytes> DhGroup::pow(ByteView base, ByteView exp) const {
  BnPtr b = detail::secure_bn_from(base);
  if (!b) return detail::openssl_error("BN_bin2bn");
  IDTAP_ASSIGN_OR_RETURN(BnPtr r, mod_pow(*impl_->m, b.get(), exp));
  return detail::bn_bytes(r.get(), impl_->m->p_bytes);
}

Result<Bytes> DhGroup::mul(ByteView a, ByteView b) const {
  BnCtxPtr ctx(BN_CTX_secure_new());
  BnPtr ba = detail::secure_bn_from(a), bb = detail::secure_bn_from(b), r = detail::new_secure_bn();
  if (!ctx || !ba || !bb || !r || BN_mod_mul(r.get(), ba.get(), bb.get(), impl_->m->p.get(), ctx.get()) != 1) {
    return detail::openssl_error("BN_mod_mul");
  }
  return detail::bn_bytes(r.get(), impl_->m->p_bytes);
}

Result<Bytes> DhGroup::reduce(ByteView value) const {
  BnCtxPtr ctx(BN_CTX_secure_new());
  BnPtr v = detail::secure_bn_from(value), r = detail::new_secure_bn();
  if (!ctx || !v || !r || BN_nnmod(r.get(), v.get(), impl_->m->p.get(), ctx.get()) != 1) return detail::openssl_error("BN_nnmod");
  return detail::bn_bytes(r.get(), impl_->m->p_bytes);
}

Result<Bytes> DhGroup::subgroup_element(ByteView x) const {
  const Modulus& m = *impl_->m;
  BnCtxPtr ctx(BN_CTX_secure_new());
  BnPtr v = detail::secure_bn_from(x), r = detail::new_secure_bn();
  if (!ctx || !v || !r || BN_nnmod(v.get(), v.get(), m.p.get(), ctx.get()) != 1 ||
      BN_mod_exp_mont_consttime(r.get(), v.get(), m.cofactor.get(), m.p.get(), ctx.get(), m.mont.get()) != 1) {
    return detail::openssl_error("DH subgroup mapping");
  }
  if (BN_is_one(r.get()) || BN_is_zero(r.get())) return malformed("DH mapped generator is 1 (ICAO 9303-11 §4.4.3.3.2)");
  return detail::bn_bytes(r.get(), m.p_bytes);
}

// ---------------------------------------------------------------------------------------------
// DhKeyPair

Result<DhKeyPair> DhKeyPair::generate(const DhGroup& group) {
  const Modulus& m = mod(group);
  BnCtxPtr ctx(BN_CTX_secure_new());
  BnPtr x = detail::new_secure_bn();
  if (!ctx || !x) return detail::openssl_error("BN_new");
  do {
    if (BN_priv_rand_range_ex(x.get(), m.q.get(), 0, ctx.get()) != 1) return detail::openssl_error("BN_priv_rand_range_ex");
  } while (BN_is_zero(x.get()));
  SecureBytes xs = detail::bn_secure_bytes(x.get(), static_cast<size_t>(BN_num_bytes(x.get())));
  IDTAP_ASSIGN_OR_RETURN(BnPtr y, mod_pow(m, group.impl()->g.get(), xs));
  return DhKeyPair(group, std::move(xs), detail::bn_bytes(y.get()));
}

Result<DhKeyPair> DhKeyPair::from_private(const DhGroup& group, ByteView x_bytes) {
  const Modulus& m = mod(group);
  BnPtr x = detail::secure_bn_from(x_bytes);
  if (!x) return detail::openssl_error("BN_bin2bn");
  if (BN_is_zero(x.get()) || BN_cmp(x.get(), m.p.get()) >= 0) {
    return make_error(ErrorCode::kInvalidArgument, "DH private key must satisfy 1 <= x < p");
  }
  SecureBytes xs = detail::bn_secure_bytes(x.get(), static_cast<size_t>(BN_num_bytes(x.get())));
  IDTAP_ASSIGN_OR_RETURN(BnPtr y, mod_pow(m, group.impl()->g.get(), xs));
  return DhKeyPair(group, std::move(xs), detail::bn_bytes(y.get()));
}

Result<SecureBytes> DhKeyPair::agree(ByteView peer_y) const {
  const Modulus& m = mod(group_);
  IDTAP_ASSIGN_OR_RETURN(BnPtr y, parse_element(m, peer_y, "DH public value"));
  IDTAP_TRY(check_subgroup_element(m, y.get(), "DH public value"));
  IDTAP_ASSIGN_OR_RETURN(BnPtr k, mod_pow(m, y.get(), x_));
  return detail::bn_secure_bytes(k.get(), m.p_bytes);
}

}  // namespace idtap::crypto
