#include "idtap/provision/keys.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <ctime>

#include "ossl.h"

namespace idtap::provision {
namespace {

constexpr size_t kCoord = 32;  // P-256 field element size

std::shared_ptr<EVP_PKEY> share(EVP_PKEY* p) { return std::shared_ptr<EVP_PKEY>(p, EVP_PKEY_free); }

Status check_p256(EVP_PKEY* pkey) {
  if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC) return make_error(ErrorCode::kNotSupported, "not an EC key (P-256 required)");
  char group[64] = {0};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) != 1 ||
      (std::strcmp(group, "prime256v1") != 0 && std::strcmp(group, "P-256") != 0))
    return make_error(ErrorCode::kNotSupported, std::string("EC curve ") + group + " (P-256 required)");
  return ok_status();
}

Result<std::pair<Bytes, Bytes>> coordinates(EVP_PKEY* pkey) {
  unsigned char buf[1 + 2 * kCoord];
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf, sizeof buf, &len) != 1 ||
      len != sizeof buf || buf[0] != 0x04) {
    // Force the uncompressed form and retry.
    char fmt[] = "uncompressed";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, fmt, 0),
                           OSSL_PARAM_construct_end()};
    EVP_PKEY_set_params(pkey, params);
    if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf, sizeof buf, &len) != 1 ||
        len != sizeof buf || buf[0] != 0x04)
      return make_error(ErrorCode::kInternal, "EC public key: " + ossl::last_error());
  }
  return std::make_pair(Bytes(buf + 1, buf + 1 + kCoord), Bytes(buf + 1 + kCoord, buf + sizeof buf));
}

int passphrase_cb(char* buf, int size, int, void* userdata) {
  auto* pass = static_cast<ByteView*>(userdata);
  if (pass == nullptr || pass->empty() || pass->size() > static_cast<size_t>(size)) return 0;
  std::memcpy(buf, pass->data(), pass->size());
  return static_cast<int>(pass->size());
}

UnixSeconds asn1_time_seconds(const ASN1_TIME* t) {
  struct tm tm;
  std::memset(&tm, 0, sizeof tm);
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<UnixSeconds>(timegm(&tm));
}

std::string name_string(const X509_NAME* name) {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, n > 0 ? static_cast<size_t>(n) : 0);
}

}  // namespace

std::string base64url(ByteView data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(), static_cast<int>(data.size()));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  return out;
}

Result<Bytes> der_signature_to_raw(ByteView der) {
  const unsigned char* p = der.data();
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (sig == nullptr || p != der.data() + der.size()) {
    ECDSA_SIG_free(sig);
    ERR_clear_error();
    return make_error(ErrorCode::kVerificationFailed, "ECDSA signature is not a DER ECDSA-Sig-Value");
  }
  Bytes raw(2 * kCoord);
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  bool ok = BN_bn2binpad(r, raw.data(), kCoord) == kCoord && BN_bn2binpad(s, raw.data() + kCoord, kCoord) == kCoord;
  ECDSA_SIG_free(sig);
  if (!ok) return make_error(ErrorCode::kVerificationFailed, "ECDSA signature values too large for P-256");
  return raw;
}

Result<Bytes> raw_signature_to_der(ByteView raw) {
  if (raw.size() != 2 * kCoord) return make_error(ErrorCode::kVerificationFailed, "ES256 signature must be 64 bytes (r||s)");
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(raw.data(), kCoord, nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + kCoord, kCoord, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return make_error(ErrorCode::kInternal, "ECDSA_SIG: " + ossl::last_error());
  }
  unsigned char* der = nullptr;
  int n = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (n <= 0) return make_error(ErrorCode::kInternal, "i2d_ECDSA_SIG failed");
  Bytes out(der, der + n);
  OPENSSL_free(der);
  return out;
}

// ----- EcPublicKey -----------------------------------------------------------------------------

Result<EcPublicKey> EcPublicKey::from_pkey(EVP_PKEY* pkey) {
  IDTAP_TRY(check_p256(pkey));
  IDTAP_ASSIGN_OR_RETURN(auto xy, coordinates(pkey));
  EcPublicKey k;
  EVP_PKEY_up_ref(pkey);
  k.pkey_ = share(pkey);
  k.x_ = std::move(xy.first);
  k.y_ = std::move(xy.second);
  return k;
}

Result<EcPublicKey> EcPublicKey::from_coordinates(ByteView x, ByteView y) {
  if (x.size() != kCoord || y.size() != kCoord)
    return make_error(ErrorCode::kInvalidArgument, "P-256 coordinates must be 32 bytes each");
  unsigned char point[1 + 2 * kCoord];
  point[0] = 0x04;
  std::memcpy(point + 1, x.data(), kCoord);
  std::memcpy(point + 1 + kCoord, y.data(), kCoord);
  char group[] = "prime256v1";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
                         OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point),
                         OSSL_PARAM_construct_end()};
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* pkey = nullptr;
  bool ok = ctx != nullptr && EVP_PKEY_fromdata_init(ctx) == 1 &&
            EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) {
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return make_error(ErrorCode::kInvalidArgument, "not a point on P-256");
  }
  // The point must be on the curve (EVP_PKEY_fromdata does not always check).
  EVP_PKEY_CTX* check = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
  bool on_curve = check != nullptr && EVP_PKEY_public_check(check) == 1;
  EVP_PKEY_CTX_free(check);
  if (!on_curve) {
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return make_error(ErrorCode::kInvalidArgument, "not a point on P-256");
  }
  EcPublicKey k;
  k.pkey_ = share(pkey);
  k.x_ = to_bytes(x);
  k.y_ = to_bytes(y);
  return k;
}

Result<EcPublicKey> EcPublicKey::from_pem(ByteView pem) {
  ossl::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* pkey = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (pkey == nullptr) {
    ERR_clear_error();
    return make_error(ErrorCode::kInvalidArgument, "not a PEM public key (BEGIN PUBLIC KEY)");
  }
  auto k = from_pkey(pkey);
  EVP_PKEY_free(pkey);
  if (!k.ok()) return k.error();
  // Re-derive through the coordinates so the on-curve check always runs.
  return from_coordinates(k->x(), k->y());
}

Result<EcPublicKey> EcPublicKey::from_cose_key(const cbor_item_t* key) {
  // RFC 9052 §7.1, RFC 9053 §7.1.1: kty (1) = 2 (EC2), crv (-1) = 1 (P-256), x (-2), y (-3).
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* kty, cbor::require_int(key, 1));
  IDTAP_ASSIGN_OR_RETURN(int64_t kty_v, cbor::get_int(kty));
  if (kty_v != 2) return make_error(ErrorCode::kNotSupported, "COSE_Key kty " + std::to_string(kty_v) + " (EC2 required)");
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* crv, cbor::require_int(key, -1));
  IDTAP_ASSIGN_OR_RETURN(int64_t crv_v, cbor::get_int(crv));
  if (crv_v != 1) return make_error(ErrorCode::kNotSupported, "COSE_Key crv " + std::to_string(crv_v) + " (P-256 required)");
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* x_item, cbor::require_int(key, -2));
  IDTAP_ASSIGN_OR_RETURN(const cbor_item_t* y_item, cbor::require_int(key, -3));
  IDTAP_ASSIGN_OR_RETURN(ByteView x, cbor::get_bytes(x_item));
  if (cbor::is_bool(y_item)) return make_error(ErrorCode::kNotSupported, "COSE_Key with a compressed point");
  IDTAP_ASSIGN_OR_RETURN(ByteView y, cbor::get_bytes(y_item));
  auto k = from_coordinates(x, y);
  if (!k.ok()) return make_error(ErrorCode::kMalformed, "COSE_Key: " + k.error().context);
  return k;
}

Result<EcPublicKey> EcPublicKey::load(ByteView file) {
  std::string_view text(reinterpret_cast<const char*>(file.data()), file.size());
  if (text.find("-----BEGIN") != std::string_view::npos) return from_pem(file);
  auto item = cbor::decode(file);
  if (!item.ok()) return make_error(ErrorCode::kInvalidArgument, "device key is neither PEM nor a CBOR COSE_Key");
  return from_cose_key(item->get());
}

Result<cbor::Item> EcPublicKey::to_cose_key() const {
  cbor::MapBuilder m;
  m.add(1, cbor::integer(2)).add(-1, cbor::integer(1)).add(-2, cbor::bytes(x_)).add(-3, cbor::bytes(y_));
  return m.build();
}

std::string EcPublicKey::to_pem() const {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), pkey_.get());
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, n > 0 ? static_cast<size_t>(n) : 0);
}

std::string EcPublicKey::thumbprint() const {
  // RFC 7638 §3.2: the required members in lexicographic order, no whitespace.
  std::string jwk = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + base64url(x_) + "\",\"y\":\"" + base64url(y_) + "\"}";
  return base64url(ossl::sha256(bytes_of(jwk)));
}

Status EcPublicKey::verify_es256(ByteView message, ByteView signature, bool allow_der) const {
  Bytes der;
  if (signature.size() == 2 * kCoord) {
    IDTAP_ASSIGN_OR_RETURN(der, raw_signature_to_der(signature));
  } else if (allow_der) {
    // Normalise through r||s so a non-canonical DER encoding is refused.
    IDTAP_ASSIGN_OR_RETURN(Bytes raw, der_signature_to_raw(signature));
    IDTAP_ASSIGN_OR_RETURN(der, raw_signature_to_der(raw));
    if (!equal_bytes(der, signature)) return make_error(ErrorCode::kVerificationFailed, "non-canonical DER signature");
  } else {
    return make_error(ErrorCode::kVerificationFailed, "ES256 signature must be 64 bytes (r||s)");
  }
  ossl::MdCtxPtr ctx(EVP_MD_CTX_new());
  int rc = -1;
  if (ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey_.get()) == 1)
    rc = EVP_DigestVerify(ctx.get(), der.data(), der.size(), message.data(), message.size());
  ERR_clear_error();
  if (rc != 1) return make_error(ErrorCode::kVerificationFailed, "ECDSA P-256 signature does not verify");
  return ok_status();
}

// ----- EcPrivateKey ----------------------------------------------------------------------------

Result<EcPrivateKey> EcPrivateKey::generate() {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  if (pkey == nullptr) return make_error(ErrorCode::kInternal, "EC key generation: " + ossl::last_error());
  EcPrivateKey k;
  k.pkey_ = share(pkey);
  IDTAP_ASSIGN_OR_RETURN(k.public_, EcPublicKey::from_pkey(pkey));
  return k;
}

Result<EcPrivateKey> EcPrivateKey::from_pem(ByteView pem, ByteView passphrase) {
  ossl::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  ByteView pass = passphrase;
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, passphrase_cb, &pass);
  if (pkey == nullptr) {
    ERR_clear_error();
    return make_error(ErrorCode::kInvalidArgument,
                      "cannot read the private key (not a PEM private key, or a wrong or missing passphrase)");
  }
  EcPrivateKey k;
  k.pkey_ = share(pkey);
  auto pub = EcPublicKey::from_pkey(pkey);
  if (!pub.ok()) return make_error(ErrorCode::kInvalidArgument, "issuer key: " + pub.error().context);
  k.public_ = std::move(pub).value();
  return k;
}

Result<Bytes> EcPrivateKey::sign_der(ByteView message) const {
  ossl::MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1)
    return make_error(ErrorCode::kInternal, "ECDSA sign: " + ossl::last_error());
  Bytes der(len);
  if (EVP_DigestSign(ctx.get(), der.data(), &len, message.data(), message.size()) != 1)
    return make_error(ErrorCode::kInternal, "ECDSA sign: " + ossl::last_error());
  der.resize(len);
  return der;
}

Result<Bytes> EcPrivateKey::sign_es256(ByteView message) const {
  IDTAP_ASSIGN_OR_RETURN(Bytes der, sign_der(message));
  auto raw = der_signature_to_raw(der);
  if (!raw.ok()) return make_error(ErrorCode::kInternal, "ECDSA sign produced " + raw.error().context);
  return raw;
}

Result<SecureBytes> EcPrivateKey::to_pem(ByteView passphrase) const {
  ossl::BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio) bio.reset(BIO_new(BIO_s_mem()));
  int ok = passphrase.empty()
               ? PEM_write_bio_PKCS8PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr, nullptr)
               : PEM_write_bio_PKCS8PrivateKey(bio.get(), pkey_.get(), EVP_aes_256_cbc(),
                                               reinterpret_cast<const char*>(passphrase.data()),
                                               static_cast<int>(passphrase.size()), nullptr, nullptr);
  if (ok != 1) return make_error(ErrorCode::kInternal, "PEM write: " + ossl::last_error());
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return SecureBytes(data, data + (n > 0 ? n : 0));
}

// ----- Certificate -----------------------------------------------------------------------------

Result<Certificate> Certificate::from_der(ByteView der) {
  const unsigned char* p = der.data();
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (x == nullptr || p != der.data() + der.size()) {
    X509_free(x);
    ERR_clear_error();
    return make_error(ErrorCode::kMalformed, "not a DER X.509 certificate");
  }
  Certificate c;
  c.x509_ = std::shared_ptr<X509>(x, X509_free);
  c.der_ = to_bytes(der);
  return c;
}

Result<std::vector<Certificate>> Certificate::load_pem_chain(ByteView pem) {
  ossl::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::vector<Certificate> out;
  while (true) {
    X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (x == nullptr) break;
    unsigned char* der = nullptr;
    int n = i2d_X509(x, &der);
    if (n <= 0) {
      X509_free(x);
      return make_error(ErrorCode::kMalformed, "certificate does not re-encode");
    }
    Certificate c;
    c.x509_ = std::shared_ptr<X509>(x, X509_free);
    c.der_ = Bytes(der, der + n);
    OPENSSL_free(der);
    out.push_back(std::move(c));
  }
  ERR_clear_error();
  if (out.empty()) return make_error(ErrorCode::kMalformed, "no PEM certificate (BEGIN CERTIFICATE) found");
  return out;
}

Result<EcPublicKey> Certificate::public_key() const {
  EVP_PKEY* pkey = X509_get0_pubkey(x509_.get());
  if (pkey == nullptr) return make_error(ErrorCode::kMalformed, "certificate without a usable public key");
  return EcPublicKey::from_pkey(pkey);
}

std::string Certificate::subject() const { return name_string(X509_get_subject_name(x509_.get())); }
std::string Certificate::issuer() const { return name_string(X509_get_issuer_name(x509_.get())); }
UnixSeconds Certificate::not_before() const { return asn1_time_seconds(X509_get0_notBefore(x509_.get())); }
UnixSeconds Certificate::not_after() const { return asn1_time_seconds(X509_get0_notAfter(x509_.get())); }

std::string Certificate::to_pem() const {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), x509_.get());
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, n > 0 ? static_cast<size_t>(n) : 0);
}

Result<Certificate> make_certificate(const CertificateRequest& request, const EcPublicKey& subject_key,
                                     const EcPrivateKey& issuer_key, const Certificate* issuer) {
  ossl::X509Ptr x(X509_new());
  if (!x) return make_error(ErrorCode::kInternal, "X509_new");
  IDTAP_ASSIGN_OR_RETURN(Bytes serial, ossl::random_bytes(16));
  serial[0] &= 0x7F;
  serial[0] |= 0x01;
  BIGNUM* bn = BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr);
  bool ok = X509_set_version(x.get(), 2) == 1 && bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x.get())) != nullptr;
  BN_free(bn);
  X509_NAME* name = X509_get_subject_name(x.get());
  ok = ok &&
       X509_NAME_add_entry_by_txt(name, "C", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(request.country.c_str()), -1, -1, 0) == 1 &&
       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(request.common_name.c_str()), -1, -1, 0) == 1;
  ok = ok && X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer->x509()) : name) == 1;
  ok = ok && ASN1_TIME_set(X509_getm_notBefore(x.get()), static_cast<time_t>(request.not_before)) != nullptr &&
       ASN1_TIME_set(X509_getm_notAfter(x.get()), static_cast<time_t>(request.not_after)) != nullptr;
  ok = ok && X509_set_pubkey(x.get(), subject_key.pkey()) == 1;
  if (!ok) return make_error(ErrorCode::kInternal, "certificate fields: " + ossl::last_error());
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer->x509() : x.get(), x.get(), nullptr, nullptr, 0);
  auto add_ext = [&](int nid, const char* value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    bool good = ext != nullptr && X509_add_ext(x.get(), ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return good;
  };
  ok = add_ext(NID_basic_constraints, request.is_ca ? "critical,CA:TRUE,pathlen:0" : "critical,CA:FALSE") &&
       add_ext(NID_key_usage, request.is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature") &&
       add_ext(NID_subject_key_identifier, "hash") && (issuer == nullptr || add_ext(NID_authority_key_identifier, "keyid:always"));
  if (!ok) return make_error(ErrorCode::kInternal, "certificate extensions: " + ossl::last_error());
  if (X509_sign(x.get(), issuer_key.pkey(), EVP_sha256()) <= 0)
    return make_error(ErrorCode::kInternal, "certificate signature: " + ossl::last_error());
  unsigned char* der = nullptr;
  int n = i2d_X509(x.get(), &der);
  if (n <= 0) return make_error(ErrorCode::kInternal, "i2d_X509");
  Bytes bytes(der, der + n);
  OPENSSL_free(der);
  return Certificate::from_der(bytes);
}

Status verify_certificate_chain(const Certificate& leaf, std::span<const Certificate> intermediates,
                                std::span<const Certificate> anchors, UnixSeconds at) {
  if (anchors.empty()) return make_error(ErrorCode::kNoTrustAnchor, "no issuer certificate to trust was given");
  for (const auto& a : anchors) {
    if (a == leaf) {
      if (at < leaf.not_before() || at > leaf.not_after())
        return make_error(ErrorCode::kVerificationFailed, "issuer certificate not valid at " + format_tdate(at));
      return ok_status();
    }
  }
  X509_STORE* store = X509_STORE_new();
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  Status result = ok_status();
  if (store == nullptr || untrusted == nullptr || ctx == nullptr) {
    result = make_error(ErrorCode::kInternal, "X509_STORE");
  } else {
    for (const auto& a : anchors) X509_STORE_add_cert(store, a.x509());
    for (const auto& c : intermediates) sk_X509_push(untrusted, c.x509());
    X509_STORE_CTX_init(ctx, store, leaf.x509(), untrusted);
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(at));
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
    if (X509_verify_cert(ctx) != 1) {
      int err = X509_STORE_CTX_get_error(ctx);
      std::string why = X509_verify_cert_error_string(err);
      bool no_anchor = err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY || err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
                       err == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT || err == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
                       err == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
      result = make_error(no_anchor ? ErrorCode::kNoTrustAnchor : ErrorCode::kVerificationFailed,
                          "issuer certificate chain: " + why);
    }
  }
  X509_STORE_CTX_free(ctx);
  sk_X509_free(untrusted);
  X509_STORE_free(store);
  ERR_clear_error();
  return result;
}

}  // namespace idtap::provision
