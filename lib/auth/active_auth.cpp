#include "idtap/auth/active_auth.h"

#include "idtap/apdu/commands.h"
#include "idtap/crypto/ec.h"
#include "idtap/crypto/hash.h"
#include "idtap/crypto/pkey.h"
#include "idtap/crypto/mac.h"
#include "idtap/crypto/random.h"

namespace idtap::auth {
namespace {

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

Result<std::string> verify_rsa_9796(const crypto::PublicKey& key, ByteView challenge, ByteView signature) {
  // The RSA public operation (OpenSSL) recovers the message representative J.
  auto recovered = key.rsa_recover(signature);
  if (!recovered.ok()) return make_error(ErrorCode::kVerificationFailed, "AA: " + recovered.error().context);
  const Bytes& rep = *recovered;
  const size_t k = rep.size();
  // ICAO 9303-11 §6.1.2, ISO/IEC 9796-2 scheme 1: header 6A (partial message recovery).
  if (k < 2 || rep.front() != 0x6A) return make_error(ErrorCode::kVerificationFailed, "AA: ISO 9796-2 header is not 6A");
  crypto::HashAlg alg = crypto::HashAlg::kSha1;
  const char* hash_name = "SHA-1";
  size_t trailer = 1;
  if (rep.back() == 0xCC) {
    trailer = 2;
    const TrailerHash* found = nullptr;
    for (const auto& h : kTrailerHashes)
      if (h.id == rep[k - 2]) found = &h;
    if (found == nullptr) return make_error(ErrorCode::kNotSupported, "AA: ISO 9796-2 trailer names an unknown hash");
    alg = found->alg;
    hash_name = found->name;
  } else if (rep.back() != 0xBC) {
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
  return "RSA-" + std::to_string(key.bits()) + " ISO 9796-2 " + hash_name;
}

Result<std::string> verify_ecdsa_plain(const crypto::PublicKey& key, ByteView challenge, ByteView signature,
                                       const std::optional<std::string>& oid) {
  struct OidHash {
    const char* oid;
    crypto::HashAlg hash;
  };
  // ecdsa-with-SHA1 / SHA224 / SHA256 / SHA384 / SHA512 (RFC 5758, ANSI X9.62), and the BSI
  // ecdsa-plain-SHA* OIDs (BSI TR-03111 §5.2.1.1: 0.4.0.127.0.7.1.1.4.1.x).
  static constexpr OidHash kOids[] = {
      {"1.2.840.10045.4.1", crypto::HashAlg::kSha1},         {"1.2.840.10045.4.3.1", crypto::HashAlg::kSha224},
      {"1.2.840.10045.4.3.2", crypto::HashAlg::kSha256},     {"1.2.840.10045.4.3.3", crypto::HashAlg::kSha384},
      {"1.2.840.10045.4.3.4", crypto::HashAlg::kSha512},     {"0.4.0.127.0.7.1.1.4.1.1", crypto::HashAlg::kSha1},
      {"0.4.0.127.0.7.1.1.4.1.2", crypto::HashAlg::kSha224}, {"0.4.0.127.0.7.1.1.4.1.3", crypto::HashAlg::kSha256},
      {"0.4.0.127.0.7.1.1.4.1.4", crypto::HashAlg::kSha384}, {"0.4.0.127.0.7.1.1.4.1.5", crypto::HashAlg::kSha512},
  };
  crypto::HashAlg hash = crypto::HashAlg::kSha256;
  if (oid) {
    const OidHash* found = nullptr;
    for (const auto& o : kOids)
      if (*oid == o.oid) found = &o;
    if (found == nullptr) return make_error(ErrorCode::kNotSupported, "AA: ECDSA signature algorithm " + *oid + " not supported");
    hash = found->hash;
  }
  auto st = key.verify(crypto::SignatureParams{crypto::SignatureScheme::kEcdsaPlain, hash, std::nullopt}, challenge, signature);
  if (!st.ok()) {
    if (st.error().code == ErrorCode::kVerificationFailed)
      return make_error(ErrorCode::kVerificationFailed, "AA: the chip's ECDSA signature does not verify (not the genuine chip)");
    return st.error().with_context("AA");
  }
  std::string curve = "explicit-curve";
  if (const crypto::EcPoint* q = key.ec_point(); q && q->group().curve()) curve = crypto::curve_name(*q->group().curve());
  return "ECDSA " + curve + " " + crypto::hash_name(hash);
}

}  // namespace

Result<std::string> verify_aa_signature(ByteView dg15_public_key, ByteView challenge, ByteView signature,
                                        const std::optional<std::string>& ecdsa_signature_oid) {
  IDTAP_ASSIGN_OR_RETURN(crypto::PublicKey key, crypto::PublicKey::from_spki(dg15_public_key));
  switch (key.type()) {
    case crypto::PublicKeyType::kRsa: return verify_rsa_9796(key, challenge, signature);
    case crypto::PublicKeyType::kEc: return verify_ecdsa_plain(key, challenge, signature, ecdsa_signature_oid);
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
  IDTAP_ASSIGN_OR_RETURN(crypto::PublicKey key, crypto::PublicKey::from_spki(dg15_public_key));
  // RSA-3072/4096 signatures exceed 256 bytes: ask for the modulus size (extended length).
  const size_t expected = (key.bits() + 7) / 8;
  const size_t ne = key.type() == crypto::PublicKeyType::kRsa && expected > 256 ? expected : 256;
  IDTAP_ASSIGN_OR_RETURN(auto response, channel.transmit(apdu::internal_authenticate(result.challenge, ne)));
  IDTAP_TRY(response.status("AA: INTERNAL AUTHENTICATE"));
  result.signature = response.data;
  IDTAP_ASSIGN_OR_RETURN(result.algorithm,
                         verify_aa_signature(dg15_public_key, result.challenge, result.signature, options.ecdsa_signature_oid));
  return result;
}

Result<Bytes> iso9796_2_sign_representative(size_t modulus_bytes, ByteView m1, ByteView m2, crypto::HashAlg hash) {
  // ISO/IEC 9796-2 §8.1.2: SHA-1 may use the implicit trailer BC; every other hash is named by
  // its ISO/IEC 10118-3 identifier in the trailer xx CC (the table the verifier reads).
  const TrailerHash* named = nullptr;
  for (const auto& h : kTrailerHashes)
    if (h.alg == hash) named = &h;
  if (named == nullptr) return make_error(ErrorCode::kInvalidArgument, "ISO 9796-2: no trailer for this hash");
  const bool implicit = hash == crypto::HashAlg::kSha1;
  const size_t hlen = crypto::digest_size(hash);
  const size_t trailer = implicit ? 1 : 2;
  if (modulus_bytes < 1 + hlen + trailer + 1 || m1.size() != modulus_bytes - 1 - hlen - trailer)
    return make_error(ErrorCode::kInvalidArgument, "ISO 9796-2: M1 must fill the modulus less header, hash and trailer");
  IDTAP_ASSIGN_OR_RETURN(Bytes h, crypto::digest(hash, concat({m1, m2})));
  Bytes rep = {0x6A};
  append(rep, m1);
  append(rep, h);
  if (implicit) {
    rep.push_back(0xBC);
  } else {
    rep.push_back(named->id);
    rep.push_back(0xCC);
  }
  return rep;
}

size_t iso9796_2_trailer_size(crypto::HashAlg hash) { return hash == crypto::HashAlg::kSha1 ? 1 : 2; }

}  // namespace idtap::auth
