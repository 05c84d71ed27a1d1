// The card's side of Active Authentication (ICAO 9303-11 §6.1): INTERNAL AUTHENTICATE signs the
// terminal's challenge with the AA key of DG15: ECDSA (plain r || s), or RSA with the ISO/IEC
// 9796-2 digital signature scheme 1 (partial message recovery; SHA-1, -224, -256, -384 or -512,
// the trailer naming the hash), whose message representative comes from lib/auth and whose RSA
// operation is OpenSSL's.
#include "card_internal.h"
#include "idtap/auth/active_auth.h"
#include "idtap/crypto/hash.h"

namespace idtap::sim::internal {
namespace {

namespace sw = apdu::sw;

constexpr size_t kChallengeSize = 8;  // ICAO 9303-11 §6.1: RND.IFD, 8 bytes

// ISO/IEC 9796-2 scheme 1 with partial recovery: the representative 6A || M1 || H(M1 || M2) ||
// trailer (lib/auth builds it; M1 is the chip's nonce, as long as the modulus allows, M2 the
// terminal's challenge), then the RSA private operation.
Result<Bytes> rsa_9796_2_signature(const CardState& card, const ChipKey& key, crypto::HashAlg hash, ByteView challenge) {
  const size_t k = key.rsa_modulus_bytes();
  const size_t overhead = 1 + crypto::digest_size(hash) + auth::iso9796_2_trailer_size(hash);
  if (k <= overhead) return make_error(ErrorCode::kInvalidArgument, "RSA key too small for AA");
  IDTAP_ASSIGN_OR_RETURN(Bytes m1, card.random_bytes(k - overhead));
  IDTAP_ASSIGN_OR_RETURN(Bytes f, auth::iso9796_2_sign_representative(k, m1, challenge, hash));
  return key.rsa_private_raw(f);
}

}  // namespace

Answer handle_internal_authenticate(CardState& card, const Context& ctx) {
  const apdu::CommandApdu& cmd = ctx.command;
  if (!card.aa_key) return sw_only(sw::kInsNotSupported);  // a card without DG15 has no AA
  if (cmd.p1 != 0 || cmd.p2 != 0) return sw_only(sw::kIncorrectP1P2);
  // AA runs after access control, under secure messaging.
  if (!ctx.protected_by_sm || card.security == SecurityState::kNone) return sw_only(sw::kSecurityStatusNotSatisfied);
  if (cmd.data.size() != kChallengeSize || cmd.ne == 0) return sw_only(sw::kWrongLength);
  const crypto::HashAlg hash = card.image.config.aa_hash;
  auto signature = card.aa_key->is_ec() ? card.aa_key->sign_ecdsa_plain(hash, cmd.data)
                                        : rsa_9796_2_signature(card, *card.aa_key, hash, cmd.data);
  if (!signature.ok()) return sw_only(sw::kNoPreciseDiagnosis);
  // ISO 7816-4 §5.3.4: an Le too small for the answer gets 6Cxx with the right length.
  if (signature->size() > cmd.ne)
    return sw_only(signature->size() <= 256 ? static_cast<uint16_t>(0x6C00 | (signature->size() & 0xFF)) : sw::kWrongLength);
  Answer a;
  a.data = std::move(*signature);
  return a;
}

}  // namespace idtap::sim::internal
