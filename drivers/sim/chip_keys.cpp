// The chip's private keys over OpenSSL EVP (see chip_keys.h).
#include "chip_keys.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <string>

#include "idtap/crypto/pkey.h"
#include "idtap/crypto/ossl_ptr.h"

namespace idtap::sim::internal {
namespace {


// A PEM password callback that refuses: an encrypted key is an error, never a prompt.
int no_password(char*, int, int, void*) { return 0; }

// bn_param: a BIGNUM parameter of `key` as minimal big-endian bytes; nullopt when absent.
std::optional<SecureBytes> bn_param(const EVP_PKEY* key, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1 || raw == nullptr) return std::nullopt;
  crypto::BnPtr bn(raw);
  SecureBytes out(static_cast<size_t>(BN_num_bytes(bn.get())));
  BN_bn2bin(bn.get(), out.data());
  return out;
}

// dh_group_of: the group of an X9.42 DH key: one of the RFC 5114 groups (ICAO 9303-11 §9.5.1
// IDs 0-2) when p, q and g are one's, else the explicit parameters (checked by lib/crypto).
Result<crypto::DhGroup> dh_group_of(const EVP_PKEY* key) {
  auto p = bn_param(key, OSSL_PKEY_PARAM_FFC_P);
  auto q = bn_param(key, OSSL_PKEY_PARAM_FFC_Q);
  auto g = bn_param(key, OSSL_PKEY_PARAM_FFC_G);
  if (!p || !g) return make_error(ErrorCode::kMalformed, "DH chip key without domain parameters");
  if (!q) return make_error(ErrorCode::kNotSupported, "DH chip key without the subgroup order q (PKCS#3, not X9.42)");
  auto padded = [](const SecureBytes& v, size_t n) {
    Bytes out(n > v.size() ? n - v.size() : 0, 0);
    out.insert(out.end(), v.begin(), v.end());
    return out;
  };
  for (auto id : {crypto::DhGroupId::kModp1024_160, crypto::DhGroupId::kModp2048_224, crypto::DhGroupId::kModp2048_256}) {
    IDTAP_ASSIGN_OR_RETURN(crypto::DhGroup standard, crypto::DhGroup::standard(id));
    if (standard.p() == padded(*p, standard.p_size()) && standard.q() == padded(*q, 0) &&
        standard.g() == padded(*g, standard.p_size()))
      return standard;
  }
  auto group = crypto::DhGroup::from_parameters(*p, *q, *g);
  if (!group.ok()) return make_error(ErrorCode::kMalformed, "DH chip key parameters: " + group.error().context);
  return group;
}

}  // namespace

struct ChipKey::Pkey {
  EVP_PKEY* key = nullptr;
  ~Pkey() { EVP_PKEY_free(key); }
};

ChipKey::ChipKey(std::unique_ptr<Pkey> pkey, std::optional<crypto::EcKeyPair> ec, std::optional<crypto::DhKeyPair> dh)
    : pkey_(std::move(pkey)), ec_(std::move(ec)), dh_(std::move(dh)) {}
ChipKey::ChipKey(ChipKey&&) noexcept = default;
ChipKey& ChipKey::operator=(ChipKey&&) noexcept = default;
ChipKey::~ChipKey() = default;

Result<ChipKey> ChipKey::from_pem(ByteView pem) {
  crypto::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return make_error(ErrorCode::kInternal, "BIO_new_mem_buf failed");
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr);
  if (key == nullptr) return make_error(ErrorCode::kMalformed, "not an unencrypted PEM private key");
  auto holder = std::make_unique<Pkey>();
  holder->key = key;
  const int id = EVP_PKEY_get_base_id(key);
  if (id == EVP_PKEY_RSA) return ChipKey(std::move(holder), std::nullopt);
  if (id == EVP_PKEY_DHX || id == EVP_PKEY_DH) {
    IDTAP_ASSIGN_OR_RETURN(crypto::DhGroup group, dh_group_of(key));
    auto x = bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY);
    if (!x) return make_error(ErrorCode::kMalformed, "DH chip key without a private exponent");
    IDTAP_ASSIGN_OR_RETURN(crypto::DhKeyPair pair, crypto::DhKeyPair::from_private(group, *x));
    return ChipKey(std::move(holder), std::nullopt, std::move(pair));
  }
  if (id != EVP_PKEY_EC) return make_error(ErrorCode::kNotSupported, "chip keys are EC, DH or RSA");
  char group_name[64] = {0};
  size_t name_len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group_name, sizeof group_name, &name_len) != 1)
    return make_error(ErrorCode::kNotSupported, "EC chip key without a named curve");
  auto curve = crypto::curve_from_name(group_name);
  if (!curve) return make_error(ErrorCode::kNotSupported, std::string("EC chip key on an unsupported curve ") + group_name);
  IDTAP_ASSIGN_OR_RETURN(crypto::EcGroup group, crypto::EcGroup::named(*curve));
  BIGNUM* d_raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d_raw) != 1)
    return make_error(ErrorCode::kMalformed, "EC chip key without a private scalar");
  crypto::BnPtr d(d_raw);
  SecureBytes scalar(group.order_size());
  if (BN_bn2binpad(d.get(), scalar.data(), static_cast<int>(scalar.size())) < 0)
    return make_error(ErrorCode::kMalformed, "EC chip key scalar longer than the order");
  IDTAP_ASSIGN_OR_RETURN(crypto::EcKeyPair pair, crypto::EcKeyPair::from_private(group.generator(), scalar));
  return ChipKey(std::move(holder), std::move(pair));
}

Result<ChipKey> ChipKey::generate_like() const {
  EVP_PKEY* fresh = nullptr;
  if (dh_) {
    // The same domain parameters, a new exponent: keygen with the key itself as the template.
    crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey_->key, nullptr));
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_generate(ctx.get(), &fresh) != 1)
      return make_error(ErrorCode::kInternal, "DH key generation failed");
  } else if (ec_) {
    char group_name[64] = {0};
    size_t name_len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey_->key, OSSL_PKEY_PARAM_GROUP_NAME, group_name, sizeof group_name, &name_len) != 1)
      return make_error(ErrorCode::kInternal, "EC key without a group name");
    fresh = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", group_name);
  } else {
    fresh = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(EVP_PKEY_get_bits(pkey_->key)));
  }
  if (fresh == nullptr) return make_error(ErrorCode::kInternal, "key generation failed");
  auto holder = std::make_unique<Pkey>();
  holder->key = fresh;
  // Round-trip through PEM: one parsing path for genuine and cloned keys alike.
  crypto::BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), fresh, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return make_error(ErrorCode::kInternal, "PEM encoding failed");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return from_pem(ByteView(reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(len)));
}

Result<SecureBytes> ChipKey::to_pem() const {
  crypto::BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), pkey_->key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return make_error(ErrorCode::kInternal, "PEM encoding failed");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return secure_copy(ByteView(reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(len)));
}

size_t ChipKey::rsa_modulus_bytes() const {
  if (!is_rsa()) return 0;
  return static_cast<size_t>(EVP_PKEY_get_size(pkey_->key));
}

Result<Bytes> ChipKey::sign_ecdsa_plain(crypto::HashAlg hash, ByteView message) const {
  if (!ec_) return make_error(ErrorCode::kInvalidArgument, "ECDSA needs an EC key");
  crypto::EvpMdPtr md(EVP_MD_fetch(nullptr, crypto::hash_name(hash), nullptr));
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!md || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, md.get(), nullptr, pkey_->key) != 1)
    return make_error(ErrorCode::kInternal, "ECDSA signing set-up failed");
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1)
    return make_error(ErrorCode::kInternal, "ECDSA signing failed");
  Bytes der(len);
  if (EVP_DigestSign(ctx.get(), der.data(), &len, message.data(), message.size()) != 1)
    return make_error(ErrorCode::kInternal, "ECDSA signing failed");
  der.resize(len);
  return crypto::ecdsa_der_to_plain(der, ec_->public_point().group().order_size());
}

Result<Bytes> ChipKey::rsa_private_raw(ByteView representative) const {
  if (!is_rsa()) return make_error(ErrorCode::kInvalidArgument, "the raw RSA operation needs an RSA key");
  if (representative.size() != rsa_modulus_bytes())
    return make_error(ErrorCode::kInvalidArgument, "RSA representative must be the modulus length");
  crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey_->key, nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) != 1)
    return make_error(ErrorCode::kInternal, "RSA set-up failed");
  size_t len = rsa_modulus_bytes();
  Bytes out(len);
  if (EVP_PKEY_sign(ctx.get(), out.data(), &len, representative.data(), representative.size()) != 1)
    return make_error(ErrorCode::kInvalidArgument, "RSA private operation failed (representative not below n?)");
  out.resize(len);
  return out;
}

}  // namespace idtap::sim::internal
