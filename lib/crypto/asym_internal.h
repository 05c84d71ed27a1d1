// lib/crypto/asym_internal.h: the internals of EcGroup / EcPoint,
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
#include "idtap/crypto/ossl_ptr.h"

namespace idtap::crypto::detail {

// The handles are idtap/crypto/ossl_ptr.h's; detail:: keeps the names its users know.
using crypto::BnPtr;
using crypto::BnCtxPtr;
using crypto::EcGroupPtr;
using crypto::EcPointPtr;
using crypto::EvpPkeyPtr;
using crypto::EvpPkeyCtxPtr;
using MontPtr = crypto::BnMontCtxPtr;

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
