#include "idtap/auth/active_auth.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>

#include "idtap/apdu/commands.h"
#include "idtap/crypto/hash.h"
#include "idtap/crypto/mac.h"
#include "idtap/crypto/random.h"

namespace idtap::auth {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

Result<std::unique_ptr<EVP_PKEY, PkeyFree>> parse_spki(ByteView der) {
  const unsigned char* p = der.data();
  std::unique_ptr<EVP_PKEY, PkeyFree> key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!key || p != der.data() + der.size()) {
    ERR_clear_error();
    return make_error(ErrorCode::kMalformed, "AA: DG15 public key is not a DER SubjectPublicKeyInfo");
  }
  return key;
}

// ISO/IEC 10118-3 hash identifiers used in the ISO 9796-2 trailer xx CC.
struct TrailerHash {
  uint8_t id;
  crypto::HashAlg alg;
  const char* name;
};
constexpr TrailerHash kTrailerHashes[] = {
    {0x33, crypto::HashAlg::kSha1, "SHA-1"},     {0x34, crypto::HashAlg::kSha256, "SHA-256"},
    {0x35, crypto::HashAlg::kSha512, "SHA-512"}, {0x36, crypto::HashAlg::kSha384, "SHA-384"},
    {0x38, crypto::HashAlg::kSha224, "SHA-224"},
};

Result<std::string> verify_rsa_9796(EVP_PKEY* key, ByteView challenge, ByteView signature) {
  const size_t k = static_cast<size_t>(EVP_PKEY_get_size(key));
  const int bits = EVP_PKEY_get_bits(key);
  if (signature.size() != k) return make_error(ErrorCode::kVerificationFailed, "AA: RSA signature length differs from the modulus");
  // The RSA public operation (OpenSSL, no padding) recovers the message representative.
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx || EVP_PKEY_verify_recover_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) != 1)
    return make_error(ErrorCode::kInternal, "AA: RSA context set-up failed");
  Bytes rep(k);
  size_t rep_len = k;
  if (EVP_PKEY_verify_recover(ctx.get(), rep.data(), &rep_len, signature.data(), signature.size()) != 1) {
    ERR_clear_error();
    return make_error(ErrorCode::kVerificationFailed, "AA: RSA public operation failed (signature out of range)");
  }
  rep.resize(rep_len);
  if (rep.size() < k) rep.insert(rep.begin(), k - rep.size(), 0);
  // ISO/IEC 9796-2 §B.6: the signer may have sent n - J instead of J; J ends in nibble C.
  if ((rep.back() & 0x0F) != 0x0C) {
    BIGNUM* n_raw = nullptr;
    if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n_raw) != 1)
      return make_error(ErrorCode::kInternal, "AA: cannot read the RSA modulus");
    BnPtr n(n_raw), j(BN_bin2bn(rep.data(), static_cast<int>(rep.size()), nullptr));
    BnPtr alt(BN_new());
    if (!j || !alt || BN_sub(alt.get(), n.get(), j.get()) != 1 || BN_bn2binpad(alt.get(), rep.data(), static_cast<int>(k)) < 0)
      return make_error(ErrorCode::kVerificationFailed, "AA: message representative out of range");
  }
  // Header 6A: partial message recovery, ICAO 9303-11 §6.1.2.
  if (rep.front() != 0x6A) return make_error(ErrorCode::kVerificationFailed, "AA: ISO 9796-2 header is not 6A");
  crypto::HashAlg alg = crypto::HashAlg::kSha1;
  const char* hash_name = "SHA-1";
  size_t trailer = 1;
  if (rep.back() == 0xBC) {
    alg = crypto::HashAlg::kSha1;
  } else if (rep.back() == 0xCC) {
    trailer = 2;
    const uint8_t id = rep[k - 2];
    bool known = false;
    for (const auto& h : kTrailerHashes) {
      if (h.id == id) {
        alg = h.alg;
        hash_name = h.name;
        known = true;
      }
    }
    if (!known) return make_error(ErrorCode::kNotSupported, "AA: ISO 9796-2 trailer names an unknown hash");
  } else {
    return make_error(ErrorCode::kVerificationFailed, "AA: ISO 9796-2 trailer is neither BC nor xxCC");
  }
  const size_t hlen = crypto::digest_size(alg);
  if (k < 1 + hlen + trailer) return make_error(ErrorCode::kVerificationFailed, "AA: modulus too small for the hash");
  ByteView rep_view(rep);
  ByteView m1 = rep_view.subspan(1, k - 1 - hlen - trailer);
  ByteView d = rep_view.subspan(k - hlen - trailer, hlen);
  IDTAP_ASSIGN_OR_RETURN(Bytes expected, crypto::digest(alg, concat({m1, challenge})));
  if (!crypto::constant_time_equal(d, expected))
    return make_error(ErrorCode::kVerificationFailed, "AA: the chip's signature does not match the DG15 key (not the genuine chip)");
  return "RSA-" + std::to_string(bits) + " ISO 9796-2 " + hash_name;
}

Result<std::string> verify_ecdsa_plain(EVP_PKEY* key, ByteView challenge, ByteView signature,
                                       const std::optional<std::string>& oid) {
  struct OidHash {
    const char* oid;
    const char* md;
  };
  // ecdsa-with-SHA1 / SHA224 / SHA256 / SHA384 / SHA512 (RFC 5758, ANSI X9.62), and the BSI
  // ecdsa-plain-SHA* OIDs (BSI TR-03111 §5.2.1.1: 0.4.0.127.0.7.1.1.4.1.x).
  static constexpr OidHash kOids[] = {
      {"1.2.840.10045.4.1", "SHA1"},         {"1.2.840.10045.4.3.1", "SHA224"},
      {"1.2.840.10045.4.3.2", "SHA256"},     {"1.2.840.10045.4.3.3", "SHA384"},
      {"1.2.840.10045.4.3.4", "SHA512"},     {"0.4.0.127.0.7.1.1.4.1.1", "SHA1"},
      {"0.4.0.127.0.7.1.1.4.1.2", "SHA224"}, {"0.4.0.127.0.7.1.1.4.1.3", "SHA256"},
      {"0.4.0.127.0.7.1.1.4.1.4", "SHA384"}, {"0.4.0.127.0.7.1.1.4.1.5", "SHA512"},
  };
  const char* md = "SHA256";
  if (oid) {
    md = nullptr;
    for (const auto& o : kOids)
      if (*oid == o.oid) md = o.md;
    if (!md) return make_error(ErrorCode::kNotSupported, "AA: ECDSA signature algorithm " + *oid + " not supported");
  }
  if (signature.empty() || signature.size() % 2 != 0 || signature.size() > 2 * 66)
    return make_error(ErrorCode::kVerificationFailed, "AA: ECDSA plain signature has a bad length");
  // Plain r || s (BSI TR-03111 §5.2.1) to the DER ECDSA-Sig-Value EVP_DigestVerify expects.
  const size_t half = signature.size() / 2;
  BIGNUM* r = BN_bin2bn(signature.data(), static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(signature.data() + half, static_cast<int>(half), nullptr);
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (!r || !s || !sig || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return make_error(ErrorCode::kInternal, "AA: ECDSA_SIG set-up failed");
  }
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (der_len <= 0) return make_error(ErrorCode::kInternal, "AA: ECDSA_SIG encoding failed");
  std::unique_ptr<unsigned char, void (*)(unsigned char*)> der_owner(der, [](unsigned char* p) { OPENSSL_free(p); });
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit_ex(ctx.get(), nullptr, md, nullptr, nullptr, key, nullptr) != 1)
    return make_error(ErrorCode::kInternal, "AA: ECDSA verify set-up failed");
  int ok = EVP_DigestVerify(ctx.get(), der, static_cast<size_t>(der_len), challenge.data(), challenge.size());
  ERR_clear_error();
  if (ok != 1)
    return make_error(ErrorCode::kVerificationFailed, "AA: the chip's ECDSA signature does not verify (not the genuine chip)");
  char group[64] = {0};
  size_t group_len = 0;
  EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &group_len);
  return std::string("ECDSA ") + (group[0] ? group : "explicit-curve") + " " + md;
}

}  // namespace

Result<std::string> verify_aa_signature(ByteView dg15_public_key, ByteView challenge, ByteView signature,
                                        const std::optional<std::string>& ecdsa_signature_oid) {
  IDTAP_ASSIGN_OR_RETURN(auto key, parse_spki(dg15_public_key));
  switch (EVP_PKEY_get_base_id(key.get())) {
    case EVP_PKEY_RSA: return verify_rsa_9796(key.get(), challenge, signature);
    case EVP_PKEY_EC: return verify_ecdsa_plain(key.get(), challenge, signature, ecdsa_signature_oid);
    default: return make_error(ErrorCode::kNotSupported, "AA: DG15 key is neither RSA nor EC");
  }
}

Result<AaResult> active_authenticate(apdu::Transport& channel, ByteView dg15_public_key, const AaOptions& options) {
  AaResult result;
  if (options.challenge) {
    if (options.challenge->size() != 8) return make_error(ErrorCode::kInvalidArgument, "AA: the challenge must be 8 bytes");
    result.challenge = *options.challenge;
  } else {
    IDTAP_ASSIGN_OR_RETURN(result.challenge, crypto::random_bytes(8));
  }
  IDTAP_ASSIGN_OR_RETURN(auto key, parse_spki(dg15_public_key));
  // RSA-3072/4096 signatures exceed 256 bytes: ask for the modulus size (extended length).
  const size_t expected = static_cast<size_t>(EVP_PKEY_get_size(key.get()));
  const size_t ne = EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_RSA && expected > 256 ? expected : 256;
  IDTAP_ASSIGN_OR_RETURN(auto response, channel.transmit(apdu::internal_authenticate(result.challenge, ne)));
  IDTAP_TRY(response.status("AA: INTERNAL AUTHENTICATE"));
  result.signature = response.data;
  IDTAP_ASSIGN_OR_RETURN(result.algorithm,
                         verify_aa_signature(dg15_public_key, result.challenge, result.signature, options.ecdsa_signature_oid));
  return result;
}

Result<Bytes> iso9796_2_sign_representative(size_t modulus_bytes, ByteView m1, ByteView m2, bool sha256) {
  const crypto::HashAlg alg = sha256 ? crypto::HashAlg::kSha256 : crypto::HashAlg::kSha1;
  const size_t hlen = crypto::digest_size(alg);
  const size_t trailer = sha256 ? 2 : 1;
  if (modulus_bytes < 1 + hlen + trailer + 1 || m1.size() != modulus_bytes - 1 - hlen - trailer)
    return make_error(ErrorCode::kInvalidArgument, "ISO 9796-2: M1 must fill the modulus less header, hash and trailer");
  IDTAP_ASSIGN_OR_RETURN(Bytes h, crypto::digest(alg, concat({m1, m2})));
  Bytes rep = {0x6A};
  append(rep, m1);
  append(rep, h);
  if (sha256) {
    rep.push_back(0x34);
    rep.push_back(0xCC);
  } else {
    rep.push_back(0xBC);
  }
  return rep;
}

}  // namespace idtap::auth
