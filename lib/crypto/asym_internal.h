// lib/crypto/asym_internal.h: OpenSSL RAII handles and the internals of EcGroup / EcPoint,
// shared by ec.cpp, dh.cpp and pkey.cpp. Not installed; not for other layers.
#pragma once

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <string>

#include "idtap/base/bytes.h"
#include "idtap/base/error.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"
#include "idtap/crypto/ec.h"

namespace idtap::crypto::detail {

struct BnFree {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
struct BnCtxFree {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
struct EcGroupFree {
  void operator()(EC_GROUP* g) const { EC_GROUP_free(g); }
};
struct EcPointFree {
  void operator()(EC_POINT* p) const { EC_POINT_clear_free(p); }
};
struct EvpPkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct EvpPkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct MontFree {
  void operator()(BN_MONT_CTX* m) const { BN_MONT_CTX_free(m); }
};

using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using BnCtxPtr = std::unique_ptr<BN_CTX, BnCtxFree>;
using EcGroupPtr = std::unique_ptr<EC_GROUP, EcGroupFree>;
using EcPointPtr = std::unique_ptr<EC_POINT, EcPointFree>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, EvpPkeyCtxFree>;
using MontPtr = std::unique_ptr<BN_MONT_CTX, MontFree>;

// openssl_error: a kInternal error naming `what` and OpenSSL's last error (queue cleared).
Error openssl_error(const std::string& what);
// clear_openssl_errors: drops OpenSSL's error queue (after an expected failure).
void clear_openssl_errors();

// new_bn / new_secure_bn: a fresh BIGNUM (secure: from the secure heap, constant-time flag).
BnPtr new_bn();
BnPtr new_secure_bn();
BnCtxPtr new_ctx();
// bn_from: `v` as a BIGNUM (nullptr only if OpenSSL fails to allocate).
BnPtr bn_from(ByteView v);
BnPtr secure_bn_from(ByteView v);
// bn_bytes: `b` as big-endian bytes, left-padded to `width` (0: minimal, at least one byte).
Bytes bn_bytes(const BIGNUM* b, size_t width = 0);
SecureBytes bn_secure_bytes(const BIGNUM* b, size_t width);

// make_ec_group: an EcGroup around an OpenSSL group (takes ownership); `curve` says which
// standardized curve it is, if any.
Result<EcGroup> make_ec_group(EcGroupPtr group, std::optional<EcCurve> curve);
// ec_curve_nid: the OpenSSL NID of a standardized curve.
int ec_curve_nid(EcCurve curve);

}  // namespace idtap::crypto::detail

namespace idtap::crypto {

struct EcGroup::Impl {
  detail::EcGroupPtr group;
  detail::BnPtr p, a, b, order, cofactor;
  size_t field_bytes = 0;
  size_t field_bits = 0;
  size_t order_bytes = 0;
  std::optional<EcCurve> curve;
};

struct EcPoint::Impl {
  detail::EcPointPtr point;
};

}  // namespace idtap::crypto
