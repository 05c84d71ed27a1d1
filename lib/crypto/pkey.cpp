// Public keys and signature verification over OpenSSL's X509_PUBKEY / EVP_PKEY / EVP_DigestVerify.
#include "idtap/crypto/pkey.h"
#include "idtap/crypto/ossl_ptr.h"

#include <openssl/asn1.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <string>
#include <vector>

#include "asym_internal.h"

namespace idtap::crypto {

using detail::BnPtr;
using detail::EvpPkeyPtr;

struct PublicKey::Impl {
  PublicKeyType type = PublicKeyType::kEc;
  EvpPkeyPtr evp;  // EC and RSA keys
  std::optional<EcPoint> ec;
  std::optional<DhGroup> dh;
  Bytes dh_y;
  size_t bits = 0;
};

namespace {

// standardizedDomainParameters {bsi-de algorithms(1) 2}, ICAO 9303-11 §9.5.1.
constexpr const char* kStandardizedDomainParametersOid = "0.4.0.127.0.7.1.2";

Error malformed(std::string what) {
  detail::clear_openssl_errors();
  return make_error(ErrorCode::kMalformed, std::move(what));
}

Error verification_failed(std::string what) {
  detail::clear_openssl_errors();
  return make_error(ErrorCode::kVerificationFailed, std::move(what));
}

const char* md_name(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1: return "SHA1";
    case HashAlg::kSha224: return "SHA224";
    case HashAlg::kSha256: return "SHA256";
    case HashAlg::kSha384: return "SHA384";
    case HashAlg::kSha512: return "SHA512";
  }
  return "SHA256";
}


Result<Bytes> get_bn_param(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) return malformed(std::string("public key lacks parameter ") + name);
  BnPtr b(raw);
  return detail::bn_bytes(b.get());
}

Result<EcGroup> ec_group_of(const EVP_PKEY* pkey) {
  char name[80] = {0};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) == 1 && len > 0) {
    if (auto curve = curve_from_name(name)) return EcGroup::named(*curve);
    int nid = OBJ_txt2nid(name);
    if (nid == NID_undef) nid = EC_curve_nist2nid(name);
    detail::EcGroupPtr group(nid == NID_undef ? nullptr : EC_GROUP_new_by_curve_name(nid));
    if (!group) return make_error(ErrorCode::kNotSupported, std::string("EC curve ") + name);
    return detail::make_ec_group(std::move(group), std::nullopt);
  }
  detail::clear_openssl_errors();
  EcParameters params;
  IDTAP_ASSIGN_OR_RETURN(params.p, get_bn_param(pkey, OSSL_PKEY_PARAM_EC_P));
  IDTAP_ASSIGN_OR_RETURN(params.a, get_bn_param(pkey, OSSL_PKEY_PARAM_EC_A));
  IDTAP_ASSIGN_OR_RETURN(params.b, get_bn_param(pkey, OSSL_PKEY_PARAM_EC_B));
  IDTAP_ASSIGN_OR_RETURN(params.order, get_bn_param(pkey, OSSL_PKEY_PARAM_EC_ORDER));
  IDTAP_ASSIGN_OR_RETURN(params.cofactor, get_bn_param(pkey, OSSL_PKEY_PARAM_EC_COFACTOR));
  Bytes gen(1 + 2 * 66);
  size_t gen_len = 0;
  if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_EC_GENERATOR, gen.data(), gen.size(), &gen_len) != 1 || gen_len == 0) {
    return malformed("EC key lacks its generator");
  }
  gen.resize(gen_len);
  params.generator = std::move(gen);
  auto group = EcGroup::from_parameters(params);
  if (!group.ok()) return malformed("EC key parameters: " + group.error().context);
  return group;
}

Result<EcPoint> ec_point_of(const EVP_PKEY* pkey, const EcGroup& group) {
  IDTAP_ASSIGN_OR_RETURN(Bytes x, get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X));
  IDTAP_ASSIGN_OR_RETURN(Bytes y, get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y));
  return group.point_from_affine(x, y);
}

// An EVP key for a point (named form for standardized curves, explicit otherwise).
Result<EvpPkeyPtr> evp_of_point(const EcPoint& point) {
  const EcGroup& group = point.group();
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld) return detail::openssl_error("OSSL_PARAM_BLD_new");
  const Bytes pub = point.encode();
  std::vector<BnPtr> keep;
  if (auto curve = group.curve()) {
    if (OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, OBJ_nid2sn(detail::ec_curve_nid(*curve)), 0) != 1) {
      return detail::openssl_error("OSSL_PARAM_BLD group");
    }
  } else {
    const EcParameters params = group.parameters();
    auto push_bn = [&](const char* key, const Bytes& v) {
      keep.push_back(detail::bn_from(v));
      return keep.back() && OSSL_PARAM_BLD_push_BN(bld.get(), key, keep.back().get()) == 1;
    };
    if (OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_EC_FIELD_TYPE, SN_X9_62_prime_field, 0) != 1 ||
        !push_bn(OSSL_PKEY_PARAM_EC_P, params.p) || !push_bn(OSSL_PKEY_PARAM_EC_A, params.a) ||
        !push_bn(OSSL_PKEY_PARAM_EC_B, params.b) || !push_bn(OSSL_PKEY_PARAM_EC_ORDER, params.order) ||
        !push_bn(OSSL_PKEY_PARAM_EC_COFACTOR, params.cofactor) ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_EC_GENERATOR, params.generator.data(), params.generator.size()) != 1) {
      return detail::openssl_error("OSSL_PARAM_BLD explicit curve");
    }
  }
  if (OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size()) != 1) {
    return detail::openssl_error("OSSL_PARAM_BLD public key");
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  detail::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return detail::openssl_error("EVP_PKEY_fromdata (EC public key)");
  }
  return EvpPkeyPtr(raw);
}

Result<PublicKey> make_ec_key(EcPoint point, EvpPkeyPtr evp) {
  auto impl = std::make_shared<PublicKey::Impl>();
  impl->type = PublicKeyType::kEc;
  impl->bits = point.group().field_bits();
  if (!evp) {
    IDTAP_ASSIGN_OR_RETURN(evp, evp_of_point(point));
  }
  impl->evp = std::move(evp);
  impl->ec.emplace(std::move(point));
  return PublicKey(std::move(impl));
}

Result<PublicKey> make_dh_key(DhGroup group, Bytes y) {
  IDTAP_TRY(group.check_public(y));
  auto impl = std::make_shared<PublicKey::Impl>();
  impl->type = PublicKeyType::kDh;
  impl->bits = group.p_size() * 8;
  impl->dh_y = std::move(y);
  impl->dh.emplace(std::move(group));
  return PublicKey(std::move(impl));
}

// The BSI form: AlgorithmIdentifier {standardizedDomainParameters, INTEGER id}.
Result<PublicKey> from_standardized(const X509_ALGOR* alg, ByteView key) {
  const ASN1_OBJECT* obj = nullptr;
  int ptype = 0;
  const void* pval = nullptr;
  X509_ALGOR_get0(&obj, &ptype, &pval, alg);
  if (ptype != V_ASN1_INTEGER || pval == nullptr) return malformed("standardizedDomainParameters without an INTEGER ID");
  long id = ASN1_INTEGER_get(static_cast<const ASN1_INTEGER*>(pval));
  static constexpr EcCurve kEcIds[] = {EcCurve::kNistP192,       EcCurve::kBrainpoolP192r1, EcCurve::kNistP224,
                                       EcCurve::kBrainpoolP224r1, EcCurve::kNistP256,       EcCurve::kBrainpoolP256r1,
                                       EcCurve::kBrainpoolP320r1, EcCurve::kNistP384,       EcCurve::kBrainpoolP384r1,
                                       EcCurve::kBrainpoolP512r1, EcCurve::kNistP521};
  if (id >= 8 && id <= 18) {
    IDTAP_ASSIGN_OR_RETURN(EcGroup group, EcGroup::named(kEcIds[id - 8]));
    IDTAP_ASSIGN_OR_RETURN(EcPoint point, group.decode_point(key));
    return make_ec_key(std::move(point), nullptr);
  }
  if (id >= 0 && id <= 2) {
    IDTAP_ASSIGN_OR_RETURN(DhGroup group, DhGroup::standard(static_cast<DhGroupId>(id)));
    const unsigned char* p = key.data();
    Asn1IntegerPtr y(d2i_ASN1_INTEGER(nullptr, &p, static_cast<long>(key.size())));
    if (!y || p != key.data() + key.size()) return malformed("DH public key is not a DER INTEGER");
    BnPtr bn(ASN1_INTEGER_to_BN(y.get(), nullptr));
    if (!bn || BN_is_negative(bn.get())) return malformed("DH public key is not a positive INTEGER");
    return make_dh_key(std::move(group), detail::bn_bytes(bn.get()));
  }
  return make_error(ErrorCode::kNotSupported, "standardized domain parameter ID " + std::to_string(id));
}

Result<PublicKey> from_dh_evp(const EVP_PKEY* pkey) {
  IDTAP_ASSIGN_OR_RETURN(Bytes p, get_bn_param(pkey, OSSL_PKEY_PARAM_FFC_P));
  IDTAP_ASSIGN_OR_RETURN(Bytes q, get_bn_param(pkey, OSSL_PKEY_PARAM_FFC_Q));
  IDTAP_ASSIGN_OR_RETURN(Bytes g, get_bn_param(pkey, OSSL_PKEY_PARAM_FFC_G));
  IDTAP_ASSIGN_OR_RETURN(Bytes y, get_bn_param(pkey, OSSL_PKEY_PARAM_PUB_KEY));
  for (DhGroupId id : {DhGroupId::kModp1024_160, DhGroupId::kModp2048_224, DhGroupId::kModp2048_256}) {
    IDTAP_ASSIGN_OR_RETURN(DhGroup standard, DhGroup::standard(id));
    if (standard.p() == detail::bn_bytes(detail::bn_from(p).get(), standard.p_size()) && standard.q() == q &&
        standard.g() == detail::bn_bytes(detail::bn_from(g).get(), standard.p_size())) {
      return make_dh_key(std::move(standard), std::move(y));
    }
  }
  auto group = DhGroup::from_parameters(p, q, g);
  if (!group.ok()) return malformed("DH key parameters: " + group.error().context);
  return make_dh_key(std::move(*group), std::move(y));
}

}  // namespace

Result<PublicKey> PublicKey::from_spki(ByteView der) {
  const unsigned char* p = der.data();
  X509PubkeyPtr xpub(d2i_X509_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!xpub) return malformed("not a DER SubjectPublicKeyInfo");
  if (p != der.data() + der.size()) return malformed("trailing bytes after the SubjectPublicKeyInfo");
  ASN1_OBJECT* alg_obj = nullptr;
  const unsigned char* key = nullptr;
  int key_len = 0;
  X509_ALGOR* alg = nullptr;
  if (X509_PUBKEY_get0_param(&alg_obj, &key, &key_len, &alg, xpub.get()) != 1) return malformed("SubjectPublicKeyInfo fields");
  char oid[96] = {0};
  OBJ_obj2txt(oid, sizeof oid, alg_obj, 1);
  const ByteView key_bytes(key, static_cast<size_t>(key_len));
  if (std::string(oid) == kStandardizedDomainParametersOid) return from_standardized(alg, key_bytes);

  const int nid = OBJ_obj2nid(alg_obj);
  if (nid != NID_X9_62_id_ecPublicKey && nid != NID_rsaEncryption && nid != NID_rsassaPss && nid != NID_dhpublicnumber) {
    return make_error(ErrorCode::kNotSupported, std::string("public key algorithm ") + oid);
  }
  EvpPkeyPtr evp(X509_PUBKEY_get(xpub.get()));
  if (!evp) return malformed(std::string("the ") + OBJ_nid2sn(nid) + " public key does not decode");
  detail::clear_openssl_errors();
  if (nid == NID_X9_62_id_ecPublicKey) {
    IDTAP_ASSIGN_OR_RETURN(EcGroup group, ec_group_of(evp.get()));
    IDTAP_ASSIGN_OR_RETURN(EcPoint point, ec_point_of(evp.get(), group));
    return make_ec_key(std::move(point), std::move(evp));
  }
  if (nid == NID_dhpublicnumber) return from_dh_evp(evp.get());
  auto impl = std::make_shared<Impl>();
  impl->type = PublicKeyType::kRsa;
  impl->bits = static_cast<size_t>(EVP_PKEY_get_bits(evp.get()));
  impl->evp = std::move(evp);
  return PublicKey(std::move(impl));
}

Result<PublicKey> PublicKey::from_ec_point(const EcPoint& point) { return make_ec_key(point, nullptr); }

PublicKeyType PublicKey::type() const { return impl_->type; }
size_t PublicKey::bits() const { return impl_->bits; }
const EcPoint* PublicKey::ec_point() const { return impl_->ec ? &*impl_->ec : nullptr; }
const DhGroup* PublicKey::dh_group() const { return impl_->dh ? &*impl_->dh : nullptr; }
const Bytes* PublicKey::dh_public() const { return impl_->dh ? &impl_->dh_y : nullptr; }

Status PublicKey::verify(const SignatureParams& params, ByteView message, ByteView signature) const {
  const bool ecdsa = params.scheme == SignatureScheme::kEcdsaPlain || params.scheme == SignatureScheme::kEcdsaDer;
  if (impl_->type == PublicKeyType::kDh) return make_error(ErrorCode::kInvalidArgument, "a DH key cannot verify signatures");
  if (ecdsa != (impl_->type == PublicKeyType::kEc)) {
    return make_error(ErrorCode::kInvalidArgument, ecdsa ? "ECDSA signature with a non-EC key" : "RSA signature scheme with an EC key");
  }
  Bytes der_sig;
  ByteView sig = signature;
  if (params.scheme == SignatureScheme::kEcdsaPlain) {
    const size_t n = impl_->ec->group().order_size();
    if (signature.size() != 2 * n) {
      return verification_failed("plain ECDSA signature has " + std::to_string(signature.size()) + " bytes, expected " +
                                 std::to_string(2 * n) + " (r || s)");
    }
    auto converted = ecdsa_plain_to_der(signature);
    if (!converted.ok()) return verification_failed("plain ECDSA signature: " + converted.error().context);
    der_sig = std::move(*converted);
    sig = der_sig;
  }
  EvpMdCtxPtr md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by md
  if (!md || EVP_DigestVerifyInit_ex(md.get(), &pctx, md_name(params.hash), nullptr, nullptr, impl_->evp.get(), nullptr) != 1) {
    return detail::openssl_error("EVP_DigestVerifyInit_ex");
  }
  if (params.scheme == SignatureScheme::kRsaPkcs1v15) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
      return verification_failed("this RSA key does not allow PKCS#1 v1.5 signatures");
    }
  } else if (params.scheme == SignatureScheme::kRsaPss) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, md_name(params.hash), nullptr) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, params.pss_salt_length.value_or(RSA_PSS_SALTLEN_AUTO)) != 1) {
      return verification_failed("RSA-PSS parameters rejected by the key");
    }
  }
  if (EVP_DigestVerify(md.get(), sig.data(), sig.size(), message.data(), message.size()) != 1) {
    return verification_failed("signature does not verify");
  }
  return ok_status();
}

Result<Bytes> PublicKey::rsa_recover(ByteView signature) const {
  if (impl_->type != PublicKeyType::kRsa) return make_error(ErrorCode::kInvalidArgument, "rsa_recover needs an RSA key");
  const size_t n_bytes = (impl_->bits + 7) / 8;
  if (signature.size() != n_bytes) {
    return verification_failed("RSA signature has " + std::to_string(signature.size()) + " bytes, the modulus " +
                               std::to_string(n_bytes));
  }
  detail::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, impl_->evp.get(), nullptr));
  if (!ctx || EVP_PKEY_verify_recover_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) != 1) {
    return detail::openssl_error("EVP_PKEY_verify_recover_init");
  }
  Bytes out(n_bytes);
  size_t out_len = out.size();
  if (EVP_PKEY_verify_recover(ctx.get(), out.data(), &out_len, signature.data(), signature.size()) != 1) {
    return verification_failed("RSA signature is not below the modulus");
  }
  if (out_len < n_bytes) {  // left-pad to the modulus length
    out.insert(out.begin(), n_bytes - out_len, 0x00);
  }
  out.resize(n_bytes);
  return out;
}

Result<Bytes> PublicKey::to_spki() const {
  if (!impl_->evp) return make_error(ErrorCode::kNotSupported, "SubjectPublicKeyInfo encoding of DH keys");
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(impl_->evp.get(), &der);
  if (len <= 0) return detail::openssl_error("i2d_PUBKEY");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Result<Bytes> ecdsa_plain_to_der(ByteView plain) {
  if (plain.empty() || plain.size() % 2 != 0 || plain.size() > 2 * 66) {
    return make_error(ErrorCode::kMalformed, "plain ECDSA signature length " + std::to_string(plain.size()));
  }
  const size_t half = plain.size() / 2;
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BnPtr r = detail::bn_from(plain.first(half)), s = detail::bn_from(plain.subspan(half));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return detail::openssl_error("ECDSA_SIG_set0");
  r.release();  // owned by sig now
  s.release();
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return detail::openssl_error("i2d_ECDSA_SIG");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Result<Bytes> ecdsa_der_to_plain(ByteView der, size_t order_size) {
  const unsigned char* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig || p != der.data() + der.size()) return malformed("not a DER Ecdsa-Sig-Value");
  const BIGNUM *r = nullptr, *s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  if (static_cast<size_t>(BN_num_bytes(r)) > order_size || static_cast<size_t>(BN_num_bytes(s)) > order_size) {
    return malformed("ECDSA signature integer longer than the order");
  }
  return concat({detail::bn_bytes(r, order_size), detail::bn_bytes(s, order_size)});
}

}  // namespace idtap::crypto
