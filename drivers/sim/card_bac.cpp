// The card's side of Basic Access Control (ICAO 9303-11 §4.3): GET CHALLENGE and EXTERNAL
// AUTHENTICATE, ending in 3DES secure messaging.
#include <string_view>

#include "card_internal.h"
#include "idtap/auth/mrz_key.h"
#include "idtap/crypto/cipher.h"
#include "idtap/crypto/kdf.h"
#include "idtap/crypto/mac.h"
#include "idtap/sm/cipher_suite.h"

namespace idtap::sim::internal {
namespace {

namespace sw = apdu::sw;

constexpr size_t kRndSize = 8;   // RND.ICC, RND.IFD
constexpr size_t kKSize = 16;    // K.IFD, K.ICC
constexpr size_t kCryptogramSize = 32;
constexpr size_t kMacSize = 8;

std::string_view text_of(const SecureBytes& s) { return {reinterpret_cast<const char*>(s.data()), s.size()}; }

// BacKeys: K_enc and K_mac from the MRZ (ICAO 9303-11 §4.3.2, §9.7.1).
struct BacKeys {
  SecureBytes k_enc;
  SecureBytes k_mac;
};

Result<BacKeys> document_basic_access_keys(const MrzKeyFields& mrz) {
  IDTAP_ASSIGN_OR_RETURN(auth::MrzKey key, auth::MrzKey::from_fields(text_of(mrz.document_number), text_of(mrz.date_of_birth),
                                                                     text_of(mrz.date_of_expiry)));
  IDTAP_ASSIGN_OR_RETURN(SecureBytes seed, key.key_seed());
  BacKeys k;
  IDTAP_ASSIGN_OR_RETURN(k.k_enc, crypto::derive_key(crypto::CipherAlg::kTdes, seed, crypto::KdfCounter::kEnc));
  IDTAP_ASSIGN_OR_RETURN(k.k_mac, crypto::derive_key(crypto::CipherAlg::kTdes, seed, crypto::KdfCounter::kMac));
  return k;
}

Result<Bytes> retail_mac(ByteView key, ByteView data) {
  IDTAP_ASSIGN_OR_RETURN(crypto::Mac mac, crypto::Mac::create(crypto::MacAlg::kRetailMac, key));
  return mac.compute(crypto::pad_iso9797_m2(data, 8));
}

// The answer to a correct EXTERNAL AUTHENTICATE, and the session it opens.
Result<Answer> complete_bac(const CardState& card, const BacKeys& keys, ByteView rnd_icc, ByteView e_ifd) {
  const Bytes zero_iv(8, 0);
  IDTAP_ASSIGN_OR_RETURN(crypto::BlockCipher cipher, crypto::BlockCipher::create(crypto::CipherAlg::kTdes, keys.k_enc));
  IDTAP_ASSIGN_OR_RETURN(Bytes s_plain, cipher.cbc_decrypt(zero_iv, e_ifd));
  SecureBytes s = secure_copy(s_plain);
  secure_zero(s_plain.data(), s_plain.size());
  const ByteView rnd_ifd = ByteView(s).first(kRndSize);
  const ByteView rnd_icc_echo = ByteView(s).subspan(kRndSize, kRndSize);
  const ByteView k_ifd = ByteView(s).subspan(2 * kRndSize, kKSize);
  // ICAO 9303-11 §4.3.3.2 step 3: the chip checks that RND.ICC came back.
  if (!crypto::constant_time_equal(rnd_icc_echo, rnd_icc)) return sw_only(sw::kVerificationFailed);

  IDTAP_ASSIGN_OR_RETURN(SecureBytes k_icc, card.random_secure_bytes(kKSize));
  SecureBytes r;
  r.insert(r.end(), rnd_icc.begin(), rnd_icc.end());
  r.insert(r.end(), rnd_ifd.begin(), rnd_ifd.end());
  r.insert(r.end(), k_icc.begin(), k_icc.end());
  IDTAP_ASSIGN_OR_RETURN(Bytes e_icc, cipher.cbc_encrypt(zero_iv, r));
  IDTAP_ASSIGN_OR_RETURN(Bytes m_icc, retail_mac(keys.k_mac, e_icc));

  // ICAO 9303-11 §4.3.3.3: Kseed = K.IFD xor K.ICC; SSC = RND.ICC[4..8) || RND.IFD[4..8).
  SecureBytes seed(kKSize);
  for (size_t i = 0; i < kKSize; ++i) seed[i] = k_ifd[i] ^ k_icc[i];
  sm::SessionKeys session;
  session.alg = crypto::CipherAlg::kTdes;
  IDTAP_ASSIGN_OR_RETURN(session.ks_enc, crypto::derive_key(crypto::CipherAlg::kTdes, seed, crypto::KdfCounter::kEnc));
  IDTAP_ASSIGN_OR_RETURN(session.ks_mac, crypto::derive_key(crypto::CipherAlg::kTdes, seed, crypto::KdfCounter::kMac));
  session.ssc = concat({rnd_icc.subspan(4, 4), rnd_ifd.subspan(4, 4)});
  IDTAP_ASSIGN_OR_RETURN(sm::CardSecureMessaging channel, sm::CardSecureMessaging::create(session));

  Answer a;
  a.data = concat({e_icc, m_icc});
  a.next_sm = std::make_unique<sm::CardSecureMessaging>(std::move(channel));
  a.next_state = SecurityState::kBac;
  return a;
}

}  // namespace

Answer handle_get_challenge(CardState& card, const Context& ctx) {
  const apdu::CommandApdu& cmd = ctx.command;
  if (cmd.p1 != 0 || cmd.p2 != 0) return sw_only(sw::kIncorrectP1P2);
  if (!cmd.data.empty()) return sw_only(sw::kWrongLength);
  // ICAO 9303-11 §4.3.3.1: an 8-byte challenge (Le = 08).
  if (cmd.ne != kRndSize) return sw_only(sw::kWrongLength);
  auto rnd = card.random_bytes(kRndSize);
  if (!rnd.ok()) return sw_only(sw::kNoPreciseDiagnosis);
  card.rnd_icc = *rnd;
  Answer a;
  a.data = std::move(*rnd);
  return a;
}

Answer handle_external_authenticate(CardState& card, const Context& ctx) {
  const apdu::CommandApdu& cmd = ctx.command;
  // This card has no Terminal Authentication: EXTERNAL AUTHENTICATE is BAC's, or nothing.
  if (!card.image.config.bac) return sw_only(sw::kInsNotSupported);
  // The challenge is good for one attempt.
  std::optional<Bytes> rnd_icc = std::move(card.rnd_icc);
  card.rnd_icc.reset();
  if (cmd.p1 != 0 || cmd.p2 != 0) return sw_only(sw::kIncorrectP1P2);
  if (cmd.data.size() != kCryptogramSize + kMacSize) return sw_only(sw::kWrongLength);
  // ICAO 9303-11 §4.3.3.2: Le = 28 (40 bytes); Le = 00 is accepted as well.
  if (cmd.ne != kCryptogramSize + kMacSize && cmd.ne != 256) return sw_only(sw::kWrongLength);
  // BAC runs in plain, right after GET CHALLENGE, on a card that knows its MRZ.
  if (ctx.protected_by_sm || !rnd_icc || card.image.config.mrz.empty()) return sw_only(sw::kConditionsNotSatisfied);

  auto keys = document_basic_access_keys(card.image.config.mrz);
  if (!keys.ok()) return sw_only(sw::kReferenceDataNotUsable);
  const ByteView e_ifd = ByteView(cmd.data).first(kCryptogramSize);
  const ByteView m_ifd = ByteView(cmd.data).subspan(kCryptogramSize, kMacSize);
  auto mac = retail_mac(keys->k_mac, e_ifd);
  if (!mac.ok()) return sw_only(sw::kNoPreciseDiagnosis);
  // A wrong MRZ shows here: the terminal's MAC does not verify.
  if (!crypto::constant_time_equal(*mac, m_ifd)) return sw_only(sw::kVerificationFailed);
  auto answer = complete_bac(card, *keys, *rnd_icc, e_ifd);
  if (!answer.ok()) return sw_only(sw::kNoPreciseDiagnosis);
  return std::move(*answer);
}

}  // namespace idtap::sim::internal
