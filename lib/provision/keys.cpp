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

#include "idtap/crypto/hash.h"
#include "idtap/crypto/openssl_error.h"
#include "idtap/crypto/ossl_ptr.h"
#include "idtap/crypto/pkey.h"
#include "idtap/crypto/x509.h"

namespace idtap::provision {
namespace {

using crypto::openssl_last_error;

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
      return make_error(ErrorCode::kInternal, "EC public key: " + openssl_last_error());
  }
  return std::make_pair(Bytes(buf + 1, buf + 1 + kCoord), Bytes(buf + 1 + kCoord, buf + sizeof buf));
}

int passphrase_cb(char* buf, int size, int, void* userdata) {
  auto* pass = static_cast<ByteView*>(userdata);
  if (pass == nullptr || pass->empty() || pass->size() > static_cast<size_t>(size)) return 0;
  std::memcpy(buf, pass->data(), pass->size());
  return static_cast<int>(pass->size());
}

// der_to_raw: a DER ECDSA-Sig-Value as r||s (32-byte halves); kVerificationFailed when
// malformed (crypto::ecdsa_der_to_plain says kMalformed).
Result<Bytes> der_to_raw(ByteView der) {
  auto raw = crypto::ecdsa_der_to_plain(der, kCoord);
  if (!raw.ok()) return make_error(ErrorCode::kVerificationFailed, "ECDSA signature: " + raw.error().context);
  return raw;
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

Result<Bytes> raw_signature_to_der(ByteView raw) {
  if (raw.size() != 2 * kCoord) return make_error(ErrorCode::kVerificationFailed, "ES256 signature must be 64 bytes (r||s)");
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(raw.data(), kCoord, nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + kCoord, kCoord, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return make_error(ErrorCode::kInternal, "ECDSA_SIG: " + openssl_last_error());
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
  // The point must be on the curve and not the point at infinity (EVP_PKEY_fromdata does not
  // always check). The quick check is that: NIST SP 800-56A Rev. 3 §5.6.2.3.4 (partial
  // public-key validation). The full check adds n * Q = O, a whole point multiplication that
  // every P-256 point passes (cofactor 1: the group has prime order n), and it cost one of the
  // two key parses of each phone's key proof a tenth of the server's CPU (serve_bench, perf).
  EVP_PKEY_CTX* check = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
  bool on_curve = check != nullptr && EVP_PKEY_public_check_quick(check) == 1;
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
  crypto::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
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
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), pkey_.get());
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, n > 0 ? static_cast<size_t>(n) : 0);
}

std::string EcPublicKey::thumbprint() const {
  // RFC 7638 §3.2: the required members in lexicographic order, no whitespace.
  std::string jwk = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + base64url(x_) + "\",\"y\":\"" + base64url(y_) + "\"}";
  auto digest = crypto::digest(crypto::HashAlg::kSha256, bytes_of(jwk));
  return digest.ok() ? base64url(*digest) : std::string();
}

Status EcPublicKey::verify_es256(ByteView message, ByteView signature, bool allow_der) const {
  Bytes der;
  if (signature.size() == 2 * kCoord) {
    IDTAP_ASSIGN_OR_RETURN(der, raw_signature_to_der(signature));
  } else if (allow_der) {
    // Normalise through r||s so a non-canonical DER encoding is refused.
    IDTAP_ASSIGN_OR_RETURN(Bytes raw, der_to_raw(signature));
    IDTAP_ASSIGN_OR_RETURN(der, raw_signature_to_der(raw));
    if (!equal_bytes(der, signature)) return make_error(ErrorCode::kVerificationFailed, "non-canonical DER signature");
  } else {
    return make_error(ErrorCode::kVerificationFailed, "ES256 signature must be 64 bytes (r||s)");
  }
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
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
  if (pkey == nullptr) return make_error(ErrorCode::kInternal, "EC key generation: " + openssl_last_error());
  EcPrivateKey k;
  k.pkey_ = share(pkey);
  IDTAP_ASSIGN_OR_RETURN(k.public_, EcPublicKey::from_pkey(pkey));
  return k;
}

Result<EcPrivateKey> EcPrivateKey::from_pem(ByteView pem, ByteView passphrase) {
  crypto::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
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
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1)
    return make_error(ErrorCode::kInternal, "ECDSA sign: " + openssl_last_error());
  Bytes der(len);
  if (EVP_DigestSign(ctx.get(), der.data(), &len, message.data(), message.size()) != 1)
    return make_error(ErrorCode::kInternal, "ECDSA sign: " + openssl_last_error());
  der.resize(len);
  return der;
}

Result<Bytes> EcPrivateKey::sign_es256(ByteView message) const {
  IDTAP_ASSIGN_OR_RETURN(Bytes der, sign_der(message));
  auto raw = der_to_raw(der);
  if (!raw.ok()) return make_error(ErrorCode::kInternal, "ECDSA sign produced " + raw.error().context);
  return raw;
}

Result<SecureBytes> EcPrivateKey::to_pem(ByteView passphrase) const {
  crypto::BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio) bio.reset(BIO_new(BIO_s_mem()));
  int ok = passphrase.empty()
               ? PEM_write_bio_PKCS8PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr, nullptr)
               : PEM_write_bio_PKCS8PrivateKey(bio.get(), pkey_.get(), EVP_aes_256_cbc(),
                                               reinterpret_cast<const char*>(passphrase.data()),
                                               static_cast<int>(passphrase.size()), nullptr, nullptr);
  if (ok != 1) return make_error(ErrorCode::kInternal, "PEM write: " + openssl_last_error());
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return SecureBytes(data, data + (n > 0 ? n : 0));
}

// ----- Certificate -----------------------------------------------------------------------------

namespace {

Certificate::Shared share_x509(crypto::X509Ptr x) { return std::shared_ptr<X509>(x.release(), X509_free); }

}  // namespace

Result<Certificate> Certificate::from_der(ByteView der) {
  IDTAP_ASSIGN_OR_RETURN(crypto::X509Ptr x, crypto::parse_certificate_der(der));
  Certificate c;
  c.x509_ = share_x509(std::move(x));
  c.der_ = to_bytes(der);
  return c;
}

Result<std::vector<Certificate>> Certificate::load_pem_chain(ByteView pem) {
  IDTAP_ASSIGN_OR_RETURN(std::vector<crypto::X509Ptr> certs, crypto::parse_certificates_pem(pem));
  std::vector<Certificate> out;
  for (auto& x : certs) {
    auto der = crypto::certificate_der(x.get());
    if (!der.ok()) return make_error(ErrorCode::kMalformed, "certificate does not re-encode");
    Certificate c;
    c.x509_ = share_x509(std::move(x));
    c.der_ = std::move(der).value();
    out.push_back(std::move(c));
  }
  return out;
}

Result<EcPublicKey> Certificate::public_key() const {
  EVP_PKEY* pkey = X509_get0_pubkey(x509_.get());
  if (pkey == nullptr) return make_error(ErrorCode::kMalformed, "certificate without a usable public key");
  return EcPublicKey::from_pkey(pkey);
}

bool Certificate::is_self_signed() const { return X509_self_signed(x509_.get(), 1) == 1; }
std::string Certificate::subject() const { return crypto::name_rfc2253(X509_get_subject_name(x509_.get())); }
std::string Certificate::issuer() const { return crypto::name_rfc2253(X509_get_issuer_name(x509_.get())); }
UnixSeconds Certificate::not_before() const {
  return static_cast<UnixSeconds>(crypto::asn1_time_unix(X509_get0_notBefore(x509_.get())).value_or(0));
}
UnixSeconds Certificate::not_after() const {
  return static_cast<UnixSeconds>(crypto::asn1_time_unix(X509_get0_notAfter(x509_.get())).value_or(0));
}

std::string Certificate::to_pem() const { return crypto::certificate_pem(x509_.get()).value_or(std::string()); }

Result<Certificate> make_certificate(const CertificateRequest& request, const EcPublicKey& subject_key,
                                     const EcPrivateKey& issuer_key, const Certificate* issuer) {
  crypto::CertificateRequest r;
  r.subject = {{"C", request.country}, {"CN", request.common_name}};
  r.subject_key = subject_key.pkey();
  r.issuer = issuer != nullptr ? issuer->x509() : nullptr;
  r.issuer_key = issuer_key.pkey();
  r.not_before = static_cast<std::time_t>(request.not_before);
  r.not_after = static_cast<std::time_t>(request.not_after);
  r.basic_constraints = request.is_ca ? crypto::BasicConstraints::kCa : crypto::BasicConstraints::kEndEntity;
  if (request.is_ca) r.path_len = 0;
  auto minted = crypto::mint_certificate(r);
  if (!minted.ok()) return make_error(ErrorCode::kInternal, "certificate: " + minted.error().context);
  IDTAP_ASSIGN_OR_RETURN(Bytes der, crypto::certificate_der(minted->get()));
  return Certificate::from_der(der);
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
  std::vector<X509*> untrusted, trusted;
  for (const auto& c : intermediates) untrusted.push_back(c.x509());
  for (const auto& a : anchors) trusted.push_back(a.x509());
  crypto::ChainOptions options;
  options.at = static_cast<std::time_t>(at);
  options.partial_chain = true;
  IDTAP_ASSIGN_OR_RETURN(crypto::ChainResult verdict, crypto::verify_chain(leaf.x509(), untrusted, trusted, options));
  if (verdict.ok()) return ok_status();
  const int err = verdict.error;
  bool no_anchor = err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY || err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
                   err == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT || err == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
                   err == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
  return make_error(no_anchor ? ErrorCode::kNoTrustAnchor : ErrorCode::kVerificationFailed,
                    "issuer certificate chain: " + verdict.reason);
}

}  // namespace idtap::provision
