// The card's side of Active Authentication (ICAO 9303-11 §6.1): INTERNAL AUTHENTICATE signs the
// terminal's challenge with the AA key of DG15: ECDSA (plain r || s), or RSA with the ISO/IEC
// 9796-2 digital signature scheme 1 (partial message recovery), whose message representative is
// built here and whose RSA operation is OpenSSL's.
#include "card_internal.h"
#include "idtap/crypto/hash.h"

namespace idtap::sim::internal {
namespace {

namespace sw = apdu::sw;

constexpr size_t kChallengeSize = 8;  // ICAO 9303-11 §6.1: RND.IFD, 8 bytes

// ISO/IEC 10118-3 hash-function identifiers, for the two-byte 9796-2 trailer "id CC".
uint8_t iso10118_hash_id(crypto::HashAlg hash) {
  switch (hash) {
    case crypto::HashAlg::kSha1: return 0x33;
    case crypto::HashAlg::kSha256: return 0x34;
    case crypto::HashAlg::kSha512: return 0x35;
    case crypto::HashAlg::kSha384: return 0x36;
    case crypto::HashAlg::kSha224: return 0x38;
  }
  return 0;
}

// ISO/IEC 9796-2 scheme 1 with partial recovery: F = 6A || M1 || H(M1 || M2) || trailer, k bytes
// long, where M1 is the chip's nonce (as long as fits) and M2 the terminal's challenge. The
// trailer is BC for SHA-1, "id CC" for the other hashes.
Result<Bytes> rsa_9796_2_signature(const CardState& card, const ChipKey& key, crypto::HashAlg hash, ByteView challenge) {
  const size_t k = key.rsa_modulus_bytes();
  const size_t h_len = crypto::digest_size(hash);
  const Bytes trailer = hash == crypto::HashAlg::kSha1 ? Bytes{0xBC} : Bytes{iso10118_hash_id(hash), 0xCC};
  if (k < 1 + h_len + trailer.size() + 1) return make_error(ErrorCode::kInvalidArgument, "RSA key too small for AA");
  const size_t m1_len = k - 1 - h_len - trailer.size();
  IDTAP_ASSIGN_OR_RETURN(Bytes m1, card.random_bytes(m1_len));
  IDTAP_ASSIGN_OR_RETURN(Bytes h, crypto::digest(hash, concat({m1, challenge})));
  Bytes f;
  f.reserve(k);
  f.push_back(0x6A);
  append(f, m1);
  append(f, h);
  append(f, trailer);
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
