#include "idtap/auth/bac.h"

#include <array>
#include <string>

#include "idtap/apdu/commands.h"
#include "idtap/apdu/exchange.h"
#include "idtap/apdu/status_words.h"
#include "idtap/crypto/cipher.h"
#include "idtap/crypto/kdf.h"
#include "idtap/crypto/mac.h"
#include "idtap/crypto/random.h"

namespace idtap::auth {
namespace {

constexpr size_t kMacSize = 8;
// E_IFD / E_ICC encrypt 32 bytes (two nonces and a key half); with the MAC, 40 bytes.
constexpr size_t kCryptogramSize = 2 * kBacNonceSize + kBacKeySize;
constexpr size_t kAuthDataSize = kCryptogramSize + kMacSize;

Error auth_failed(std::string why, uint16_t sw = 0) {
  Error e = make_error(ErrorCode::kAuthFailed, std::move(why));
  e.sw = sw;
  return e;
}

// encrypt_and_mac: E = 3DES-CBC(k_enc, IV 0, plain) and M = retail MAC(k_mac, pad(E)): the
// E_IFD || M_IFD (or E_ICC || M_ICC) of ICAO 9303-11 §4.3.3.
Result<Bytes> encrypt_and_mac(const BacKeys& keys, ByteView plain) {
  IDTAP_ASSIGN_OR_RETURN(crypto::BlockCipher cipher, crypto::BlockCipher::create(crypto::CipherAlg::kTdes, keys.k_enc));
  IDTAP_ASSIGN_OR_RETURN(crypto::Mac mac, crypto::Mac::create(crypto::MacAlg::kRetailMac, keys.k_mac));
  const std::array<uint8_t, 8> zero_iv{};
  IDTAP_ASSIGN_OR_RETURN(Bytes e, cipher.cbc_encrypt(zero_iv, plain));
  IDTAP_ASSIGN_OR_RETURN(Bytes m, mac.compute(crypto::pad_iso9797_m2(e, 8)));
  append(e, m);
  return e;
}

// verify_and_decrypt: checks M over E (constant time) and returns the decrypted E.
// kAuthFailed naming `who` when the MAC does not verify.
Result<SecureBytes> verify_and_decrypt(const BacKeys& keys, ByteView data, const char* who) {
  const ByteView e = data.first(kCryptogramSize);
  const ByteView m = data.subspan(kCryptogramSize, kMacSize);
  IDTAP_ASSIGN_OR_RETURN(crypto::Mac mac, crypto::Mac::create(crypto::MacAlg::kRetailMac, keys.k_mac));
  IDTAP_ASSIGN_OR_RETURN(Bytes expected, mac.compute(crypto::pad_iso9797_m2(e, 8)));
  if (!crypto::constant_time_equal(expected, m))
    return auth_failed(std::string(who) + " MAC does not verify (wrong MRZ data, or not a BAC answer)");
  IDTAP_ASSIGN_OR_RETURN(crypto::BlockCipher cipher, crypto::BlockCipher::create(crypto::CipherAlg::kTdes, keys.k_enc));
  const std::array<uint8_t, 8> zero_iv{};
  SecureBytes plain(e.size());
  IDTAP_TRY(cipher.cbc_decrypt(zero_iv, e, plain));
  return plain;
}

}  // namespace

Result<BacKeys> bac_keys(const MrzKey& key) {
  // ICAO 9303-11 §9.7.2: Kseed = SHA-1(MRZ_information)[0..16); Kenc / Kmac by the §9.7.1 KDF.
  IDTAP_ASSIGN_OR_RETURN(SecureBytes seed, key.key_seed());
  BacKeys keys;
  IDTAP_ASSIGN_OR_RETURN(keys.k_enc, crypto::derive_key(crypto::CipherAlg::kTdes, seed, crypto::KdfCounter::kEnc));
  IDTAP_ASSIGN_OR_RETURN(keys.k_mac, crypto::derive_key(crypto::CipherAlg::kTdes, seed, crypto::KdfCounter::kMac));
  return keys;
}

Result<sm::SessionKeys> bac_session_keys(ByteView k_ifd, ByteView k_icc, ByteView rnd_icc, ByteView rnd_ifd) {
  if (k_ifd.size() != kBacKeySize || k_icc.size() != kBacKeySize || rnd_icc.size() != kBacNonceSize ||
      rnd_ifd.size() != kBacNonceSize)
    return make_error(ErrorCode::kInvalidArgument, "BAC nonces are 8 bytes and key halves 16");
  // ICAO 9303-11 §4.3.3: Kseed = K.IFD xor K.ICC; KSenc / KSmac by the §9.7.1 KDF;
  // SSC = the 4 least significant bytes of RND.ICC || those of RND.IFD.
  SecureBytes seed(kBacKeySize);
  for (size_t i = 0; i < kBacKeySize; ++i) seed[i] = k_ifd[i] ^ k_icc[i];
  sm::SessionKeys session;
  session.alg = crypto::CipherAlg::kTdes;
  IDTAP_ASSIGN_OR_RETURN(session.ks_enc, crypto::derive_key(crypto::CipherAlg::kTdes, seed, crypto::KdfCounter::kEnc));
  IDTAP_ASSIGN_OR_RETURN(session.ks_mac, crypto::derive_key(crypto::CipherAlg::kTdes, seed, crypto::KdfCounter::kMac));
  session.ssc.assign(rnd_icc.begin() + 4, rnd_icc.end());
  session.ssc.insert(session.ssc.end(), rnd_ifd.begin() + 4, rnd_ifd.end());
  return session;
}

Result<std::unique_ptr<sm::SecureChannel>> run_bac(apdu::Transport& transport, const MrzKey& key,
                                                   const BacOptions& options) {
  if (options.rnd_ifd && options.rnd_ifd->size() != kBacNonceSize)
    return make_error(ErrorCode::kInvalidArgument, "RND.IFD must be 8 bytes");
  if (options.k_ifd && options.k_ifd->size() != kBacKeySize)
    return make_error(ErrorCode::kInvalidArgument, "K.IFD must be 16 bytes");
  IDTAP_ASSIGN_OR_RETURN(BacKeys keys, bac_keys(key));

  // 1. GET CHALLENGE: RND.ICC.
  IDTAP_ASSIGN_OR_RETURN(apdu::ResponseApdu challenge, apdu::exchange(transport, apdu::get_challenge(kBacNonceSize)));
  if (!challenge.ok()) return challenge.status("BAC GET CHALLENGE").error();
  if (challenge.data.size() != kBacNonceSize)
    return make_error(ErrorCode::kMalformed, "BAC GET CHALLENGE returned " + std::to_string(challenge.data.size()) +
                                                 " bytes, not an 8-byte RND.ICC");
  const Bytes rnd_icc = std::move(challenge.data);

  // 2. EXTERNAL AUTHENTICATE with E_IFD || M_IFD, S = RND.IFD || RND.ICC || K.IFD.
  Bytes rnd_ifd;
  if (options.rnd_ifd) {
    rnd_ifd = *options.rnd_ifd;
  } else {
    IDTAP_ASSIGN_OR_RETURN(rnd_ifd, crypto::random_bytes(kBacNonceSize));
  }
  SecureBytes k_ifd;
  if (options.k_ifd) {
    k_ifd = *options.k_ifd;
  } else {
    IDTAP_ASSIGN_OR_RETURN(k_ifd, crypto::random_secure_bytes(kBacKeySize));
  }
  SecureBytes s;
  s.reserve(kCryptogramSize);
  s.insert(s.end(), rnd_ifd.begin(), rnd_ifd.end());
  s.insert(s.end(), rnd_icc.begin(), rnd_icc.end());
  s.insert(s.end(), k_ifd.begin(), k_ifd.end());
  IDTAP_ASSIGN_OR_RETURN(Bytes auth_data, encrypt_and_mac(keys, s));
  IDTAP_ASSIGN_OR_RETURN(apdu::ResponseApdu answer,
                         apdu::exchange(transport, apdu::external_authenticate(auth_data, kAuthDataSize)));
  if (answer.sw == apdu::sw::kVerificationFailed || apdu::sw::is_retry_counter(answer.sw))
    return auth_failed("BAC EXTERNAL AUTHENTICATE refused: wrong MRZ data (document number, date of birth or "
                       "date of expiry)",
                       answer.sw);
  if (!answer.ok()) return answer.status("BAC EXTERNAL AUTHENTICATE").error();
  if (answer.data.size() != kAuthDataSize)
    return make_error(ErrorCode::kMalformed, "BAC EXTERNAL AUTHENTICATE returned " +
                                                 std::to_string(answer.data.size()) + " bytes, not E_ICC || M_ICC (40)");

  // 3. The card's answer: M_ICC, then R = RND.ICC || RND.IFD || K.ICC, both nonces echoed.
  IDTAP_ASSIGN_OR_RETURN(SecureBytes r, verify_and_decrypt(keys, answer.data, "the card's (M_ICC)"));
  const ByteView rv(r);
  if (!crypto::constant_time_equal(rv.subspan(kBacNonceSize, kBacNonceSize), rnd_ifd))
    return auth_failed("BAC: the card did not echo our RND.IFD (a replayed or forged answer)");
  if (!crypto::constant_time_equal(rv.first(kBacNonceSize), rnd_icc))
    return auth_failed("BAC: the card's answer does not carry the RND.ICC it issued");

  // 4. Session keys and the secure channel.
  IDTAP_ASSIGN_OR_RETURN(sm::SessionKeys session,
                         bac_session_keys(k_ifd, rv.subspan(2 * kBacNonceSize, kBacKeySize), rnd_icc, rnd_ifd));
  return sm::SecureChannel::create(transport, session);
}

Result<BacCardAnswer> bac_card_authenticate(const BacKeys& keys, ByteView rnd_icc, ByteView k_icc,
                                            ByteView command_data) {
  if (rnd_icc.size() != kBacNonceSize || k_icc.size() != kBacKeySize)
    return make_error(ErrorCode::kInvalidArgument, "RND.ICC must be 8 bytes and K.ICC 16");
  if (command_data.size() != kAuthDataSize)
    return make_error(ErrorCode::kMalformed, "EXTERNAL AUTHENTICATE data of " + std::to_string(command_data.size()) +
                                                 " bytes, not E_IFD || M_IFD (40)");
  IDTAP_ASSIGN_OR_RETURN(SecureBytes s, verify_and_decrypt(keys, command_data, "the terminal's (M_IFD)"));
  const ByteView sv(s);
  if (!crypto::constant_time_equal(sv.subspan(kBacNonceSize, kBacNonceSize), rnd_icc))
    return auth_failed("BAC: the terminal's S does not carry the RND.ICC the card issued");
  const ByteView rnd_ifd = sv.first(kBacNonceSize);
  const ByteView k_ifd = sv.subspan(2 * kBacNonceSize, kBacKeySize);
  SecureBytes r;
  r.reserve(kCryptogramSize);
  r.insert(r.end(), rnd_icc.begin(), rnd_icc.end());
  r.insert(r.end(), rnd_ifd.begin(), rnd_ifd.end());
  r.insert(r.end(), k_icc.begin(), k_icc.end());
  BacCardAnswer answer;
  IDTAP_ASSIGN_OR_RETURN(answer.response_data, encrypt_and_mac(keys, r));
  IDTAP_ASSIGN_OR_RETURN(answer.session, bac_session_keys(k_ifd, k_icc, rnd_icc, rnd_ifd));
  return answer;
}

}  // namespace idtap::auth
