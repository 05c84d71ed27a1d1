// The card's side of Chip Authentication version 1 (ICAO 9303-11 §6.2): MSE:Set KAT for 3DES,
// MSE:Set AT + GENERAL AUTHENTICATE for AES. The chip agrees a key with the terminal's
// ephemeral key using its static CA key (DG14's: ECDH, or DH for id-CA-DH-*), answers under the
// old session keys and continues under the new ones.
#include "card_internal.h"
#include "idtap/apdu/tlv.h"
#include "idtap/auth/chip_auth.h"
#include "idtap/crypto/kdf.h"
#include "idtap/sm/cipher_suite.h"

namespace idtap::sim::internal {
namespace {

namespace sw = apdu::sw;

// ca_cipher_from_oid: the cipher of an id-CA-ECDH-* OID for an EC chip key, of an id-CA-DH-*
// OID for a DH one (ICAO 9303-11 §9.2.6); nullopt for anything else.
std::optional<crypto::CipherAlg> ca_cipher_from_oid(const CardState& card, ByteView oid) {
  auto alg = auth::ca_algorithm(oid);
  if (!alg.ok() || alg->ecdh != card.ca_key->is_ec()) return std::nullopt;
  return alg->cipher;
}

bool cipher_offered(const CardState& card, crypto::CipherAlg alg) {
  for (auto c : card.image.config.ca_ciphers)
    if (c == alg) return true;
  return false;
}

// shared_secret: K = KA(SK_chip, PK_terminal): the x-coordinate of the ECDH point, or the DH
// value y_terminal^x mod p as long as p (ICAO 9303-11 §9.6; PKCS#3), after validating the
// terminal's key (on the curve; 1 < y < p - 1 and in the subgroup).
Result<SecureBytes> shared_secret(const ChipKey& key, ByteView terminal_public_key) {
  if (const crypto::DhKeyPair* dh = key.dh_key()) return dh->agree(terminal_public_key);
  const crypto::EcKeyPair& chip = *key.ec_key();
  IDTAP_ASSIGN_OR_RETURN(crypto::EcPoint peer, chip.public_point().group().decode_point(terminal_public_key));
  return chip.agree_x(peer);
}

// chip_authentication_keys: K = KA(SK_chip, PK_terminal); KS_enc, KS_mac = KDF(K, 1 / 2);
// SSC zero (ICAO 9303-11 §6.2.3, §9.7.1). The answer carrying them switches the session.
Result<std::unique_ptr<sm::CardSecureMessaging>> chip_authentication_keys(const CardState& card, crypto::CipherAlg cipher,
                                                                          ByteView terminal_public_key) {
  IDTAP_ASSIGN_OR_RETURN(SecureBytes k, shared_secret(*card.ca_key, terminal_public_key));
  sm::SessionKeys keys;
  keys.alg = cipher;
  IDTAP_ASSIGN_OR_RETURN(keys.ks_enc, crypto::derive_key(cipher, k, crypto::KdfCounter::kEnc));
  IDTAP_ASSIGN_OR_RETURN(keys.ks_mac, crypto::derive_key(cipher, k, crypto::KdfCounter::kMac));
  keys.ssc = sm::zero_ssc(cipher);
  IDTAP_ASSIGN_OR_RETURN(sm::CardSecureMessaging channel, sm::CardSecureMessaging::create(keys));
  return std::make_unique<sm::CardSecureMessaging>(std::move(channel));
}

// The common preconditions: secure messaging is running and the chip has a CA key.
std::optional<uint16_t> chip_authentication_refused(const CardState& card, const Context& ctx) {
  if (!ctx.protected_by_sm || card.security == SecurityState::kNone) return sw::kSecurityStatusNotSatisfied;
  if (!card.ca_key) return sw::kReferencedDataNotFound;
  return std::nullopt;
}

}  // namespace

struct ChipAuthPending {
  crypto::CipherAlg cipher = crypto::CipherAlg::kAes128;
};

Answer mse_set_at_chip_authentication(CardState& card, const Context& ctx) {
  if (auto refused = chip_authentication_refused(card, ctx)) return sw_only(*refused);
  // Data: 80 protocol OID, optional 84 key reference (ICAO 9303-11 §6.2.4.1).
  apdu::TlvReader r(ctx.command.data);
  std::optional<crypto::CipherAlg> cipher;
  while (!r.empty()) {
    auto t = r.next();
    if (!t.ok()) return sw_only(sw::kWrongData);
    if (t->tag == 0x80) {
      cipher = ca_cipher_from_oid(card, t->value);
      if (!cipher) return sw_only(sw::kWrongData);
    } else if (t->tag != 0x84) {
      return sw_only(sw::kWrongData);
    }
  }
  // AES only through Set AT (3DES uses Set KAT), and only the ciphers the chip offers.
  if (!cipher || *cipher == crypto::CipherAlg::kTdes || !cipher_offered(card, *cipher)) return sw_only(sw::kWrongData);
  card.pace_in_progress = false;
  card.chip_auth = std::make_shared<ChipAuthPending>(ChipAuthPending{*cipher});
  return Answer{};
}

Answer mse_set_kat(CardState& card, const Context& ctx) {
  if (auto refused = chip_authentication_refused(card, ctx)) return sw_only(*refused);
  if (!cipher_offered(card, crypto::CipherAlg::kTdes)) return sw_only(sw::kConditionsNotSatisfied);
  // Data: 91 ephemeral public key, optional 84 key reference (ICAO 9303-11 §6.2.4.2).
  apdu::TlvReader r(ctx.command.data);
  std::optional<Bytes> public_key;
  while (!r.empty()) {
    auto t = r.next();
    if (!t.ok()) return sw_only(sw::kWrongData);
    if (t->tag == 0x91) {
      public_key = to_bytes(t->value);
    } else if (t->tag != 0x84) {
      return sw_only(sw::kWrongData);
    }
  }
  if (!public_key) return sw_only(sw::kWrongData);
  auto channel = chip_authentication_keys(card, crypto::CipherAlg::kTdes, *public_key);
  if (!channel.ok()) return sw_only(sw::kWrongData);
  Answer a;
  a.next_sm = std::move(*channel);
  a.next_state = SecurityState::kChipAuthenticated;
  return a;
}

Answer general_authenticate_chip_authentication(CardState& card, const Context& ctx) {
  std::shared_ptr<ChipAuthPending> pending = std::move(card.chip_auth);
  card.chip_auth.reset();
  if (auto refused = chip_authentication_refused(card, ctx)) return sw_only(*refused);
  if (ctx.command.is_chained()) return sw_only(sw::kChainingNotSupported);
  // Data: 7C { 80 ephemeral public key } (ICAO 9303-11 §6.2.4.1).
  auto outer = apdu::parse_single(ctx.command.data, 0x7C);
  if (!outer.ok()) return sw_only(sw::kWrongData);
  auto inner = apdu::parse_single(outer->value, 0x80);
  if (!inner.ok()) return sw_only(sw::kWrongData);
  auto channel = chip_authentication_keys(card, pending->cipher, inner->value);
  if (!channel.ok()) return sw_only(sw::kWrongData);
  Answer a;
  a.data = {0x7C, 0x00};
  a.next_sm = std::move(*channel);
  a.next_state = SecurityState::kChipAuthenticated;
  return a;
}

}  // namespace idtap::sim::internal
