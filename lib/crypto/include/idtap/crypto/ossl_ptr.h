// idtap/crypto/ossl_ptr.h: owning smart pointers for the OpenSSL objects every layer handles
// (keys, certificates, CRLs, stores, CMS, BIOs, EC and BIGNUM internals), one deleter each, so no
// file declares its own. A pointer owns exactly one reference: it frees (or, for EVP_PKEY and
// X509, drops one reference to) its object when it goes. Secret-bearing objects (BIGNUM,
// EC_POINT) are freed with their clearing free.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace idtap::crypto {

// OsslDeleter<T, Free>: calls `Free` on a non-null pointer (the unique_ptr never passes null).
template <class T, void (*Free)(T*)>
struct OsslDeleter {
  void operator()(T* p) const { Free(p); }
};

template <class T, void (*Free)(T*)>
using OsslPtr = std::unique_ptr<T, OsslDeleter<T, Free>>;

using BioPtr = OsslPtr<BIO, BIO_free_all>;
using BnPtr = OsslPtr<BIGNUM, BN_clear_free>;
using BnCtxPtr = OsslPtr<BN_CTX, BN_CTX_free>;
using BnMontCtxPtr = OsslPtr<BN_MONT_CTX, BN_MONT_CTX_free>;
using CmsPtr = OsslPtr<CMS_ContentInfo, CMS_ContentInfo_free>;
using EcGroupPtr = OsslPtr<EC_GROUP, EC_GROUP_free>;
using EcPointPtr = OsslPtr<EC_POINT, EC_POINT_clear_free>;
using EcdsaSigPtr = OsslPtr<ECDSA_SIG, ECDSA_SIG_free>;
using EvpPkeyPtr = OsslPtr<EVP_PKEY, EVP_PKEY_free>;
using EvpPkeyCtxPtr = OsslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using EvpMdPtr = OsslPtr<EVP_MD, EVP_MD_free>;
using EvpMdCtxPtr = OsslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using EvpCipherPtr = OsslPtr<EVP_CIPHER, EVP_CIPHER_free>;
using EvpCipherCtxPtr = OsslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using EvpMacPtr = OsslPtr<EVP_MAC, EVP_MAC_free>;
using EvpMacCtxPtr = OsslPtr<EVP_MAC_CTX, EVP_MAC_CTX_free>;
using OsslParamBldPtr = OsslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using OsslParamPtr = OsslPtr<OSSL_PARAM, OSSL_PARAM_free>;
using Asn1IntegerPtr = OsslPtr<ASN1_INTEGER, ASN1_INTEGER_free>;
using Asn1ObjectPtr = OsslPtr<ASN1_OBJECT, ASN1_OBJECT_free>;
using Asn1TimePtr = OsslPtr<ASN1_TIME, ASN1_TIME_free>;
using Pkcs8Ptr = OsslPtr<PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free>;
using X509Ptr = OsslPtr<X509, X509_free>;
using X509CrlPtr = OsslPtr<X509_CRL, X509_CRL_free>;
using X509ExtensionPtr = OsslPtr<X509_EXTENSION, X509_EXTENSION_free>;
using X509PubkeyPtr = OsslPtr<X509_PUBKEY, X509_PUBKEY_free>;
using X509RevokedPtr = OsslPtr<X509_REVOKED, X509_REVOKED_free>;
using X509StorePtr = OsslPtr<X509_STORE, X509_STORE_free>;
using X509StoreCtxPtr = OsslPtr<X509_STORE_CTX, X509_STORE_CTX_free>;

// X509StackPtr: a STACK_OF(X509) that owns the stack but not its certificates (sk_X509_free);
// X509StackOwningPtr also frees each certificate (sk_X509_pop_free).
struct X509StackFree {
  void operator()(STACK_OF(X509)* s) const { sk_X509_free(s); }
};
struct X509StackPopFree {
  void operator()(STACK_OF(X509)* s) const { sk_X509_pop_free(s, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;
using X509StackOwningPtr = std::unique_ptr<STACK_OF(X509), X509StackPopFree>;

}  // namespace idtap::crypto
