#include "idtap/auth/chip_auth.h"

#include <algorithm>

#include "idtap/apdu/commands.h"
#include "idtap/apdu/tlv.h"
#include "idtap/crypto/dh.h"
#include "idtap/crypto/ec.h"
#include "idtap/crypto/kdf.h"
#include "idtap/crypto/pkey.h"

namespace idtap::auth {
namespace {

using lds::ChipAuthenticationInfo;
using lds::ChipAuthenticationPublicKeyInfo;

// The terminal's ephemeral key on the chip key's domain parameters, and the shared secret.
struct Agreement {
  Bytes ephemeral_public;
  SecureBytes shared_secret;
};

Result<Agreement> agree(const crypto::PublicKey& chip_key, bool ecdh, const CaOptions& options) {
  Agreement a;
  if (ecdh) {
    const crypto::EcPoint* chip_point = chip_key.ec_point();
    if (chip_point == nullptr) return make_error(ErrorCode::kMalformed, "CA: id-CA-ECDH with a key that is not EC");
    const crypto::EcPoint generator = chip_point->group().generator();
    IDTAP_ASSIGN_OR_RETURN(crypto::EcKeyPair eph, options.ephemeral_private
                                                      ? crypto::EcKeyPair::from_private(generator, *options.ephemeral_private)
                                                      : crypto::EcKeyPair::generate(generator));
    a.ephemeral_public = eph.public_encoded();
    IDTAP_ASSIGN_OR_RETURN(a.shared_secret, eph.agree_x(*chip_point));  // ICAO 9303-11 §9.6: K = x(d * PK_IC)
    return a;
  }
  const crypto::DhGroup* group = chip_key.dh_group();
  const Bytes* chip_y = chip_key.dh_public();
  if (group == nullptr || chip_y == nullptr) return make_error(ErrorCode::kMalformed, "CA: id-CA-DH with a key that is not DH");
  IDTAP_ASSIGN_OR_RETURN(crypto::DhKeyPair eph, options.ephemeral_private
                                                    ? crypto::DhKeyPair::from_private(*group, *options.ephemeral_private)
                                                    : crypto::DhKeyPair::generate(*group));
  a.ephemeral_public = eph.public_value();
  IDTAP_ASSIGN_OR_RETURN(a.shared_secret, eph.agree(*chip_y));
  return a;
}

}  // namespace

Result<CaAlgorithm> ca_algorithm(ByteView oid) {
  // id-CA-DH = id-CA.1, id-CA-ECDH = id-CA.2; then .1 3DES-CBC-CBC, .2/.3/.4 AES-CBC-CMAC-128/192/256
  // (ICAO 9303-11 §9.2.6, BSI TR-03110-3 A.1.1.2).
  const Bytes& ca = lds::oid::kCa;
  if (oid.size() != ca.size() + 2 || !std::equal(ca.begin(), ca.end(), oid.begin()))
    return make_error(ErrorCode::kNotSupported, "CA: not an id-CA-DH/ECDH-* protocol");
  CaAlgorithm a;
  const uint8_t ka = oid[ca.size()], cipher = oid[ca.size() + 1];
  if (ka != 1 && ka != 2) return make_error(ErrorCode::kNotSupported, "CA: unknown key agreement in the protocol OID");
  a.ecdh = ka == 2;
  static constexpr crypto::CipherAlg kCiphers[] = {crypto::CipherAlg::kTdes, crypto::CipherAlg::kAes128,
                                                  crypto::CipherAlg::kAes192, crypto::CipherAlg::kAes256};
  static constexpr const char* kCipherNames[] = {"3DES-CBC-CBC", "AES-CBC-CMAC-128", "AES-CBC-CMAC-192", "AES-CBC-CMAC-256"};
  if (cipher < 1 || cipher > 4) return make_error(ErrorCode::kNotSupported, "CA: unknown cipher in the protocol OID");
  a.cipher = kCiphers[cipher - 1];
  a.name = std::string(a.ecdh ? "id-CA-ECDH-" : "id-CA-DH-") + kCipherNames[cipher - 1];
  return a;
}

Result<CaResult> chip_authenticate(sm::SecureChannel& channel, const lds::SecurityInfos& dg14, const CaOptions& options) {
  // Pick a ChipAuthenticationInfo we support and the public key that goes with it: by key ID
  // when both carry one, else the only key of the matching agreement type.
  const ChipAuthenticationInfo* info = nullptr;
  const ChipAuthenticationPublicKeyInfo* key_info = nullptr;
  CaAlgorithm algorithm;
  for (const auto& candidate : dg14.chip_authentication) {
    auto alg = ca_algorithm(candidate.protocol);
    if (!alg.ok()) continue;
    const Bytes& pk_oid = alg->ecdh ? lds::oid::kPkEcdh : lds::oid::kPkDh;
    for (const auto& k : dg14.chip_authentication_public_keys) {
      if (k.protocol != pk_oid) continue;
      if (candidate.key_id && k.key_id && *candidate.key_id != *k.key_id) continue;
      info = &candidate;
      key_info = &k;
      algorithm = *alg;
      break;
    }
    if (info) break;
  }
  if (info == nullptr) {
    // ICAO 9303-11 §9.2.6: ChipAuthenticationInfo may be absent for CA with 3DES (implicit).
    if (dg14.chip_authentication.empty() && dg14.chip_authentication_public_keys.size() == 1) {
      key_info = &dg14.chip_authentication_public_keys.front();
      algorithm = CaAlgorithm{key_info->protocol == lds::oid::kPkEcdh, crypto::CipherAlg::kTdes, ""};
      algorithm.name = algorithm.ecdh ? "id-CA-ECDH-3DES-CBC-CBC (implicit)" : "id-CA-DH-3DES-CBC-CBC (implicit)";
    } else {
      return make_error(ErrorCode::kNotSupported, "CA: DG14 offers no supported Chip Authentication");
    }
  }
  IDTAP_ASSIGN_OR_RETURN(crypto::PublicKey chip_key, crypto::PublicKey::from_spki(key_info->subject_public_key_info));
  IDTAP_ASSIGN_OR_RETURN(Agreement agreement, agree(chip_key, algorithm.ecdh, options));

  CaResult result;
  result.algorithm = algorithm;
  result.ephemeral_public = agreement.ephemeral_public;
  std::optional<int64_t> key_id = info && info->key_id ? info->key_id : key_info->key_id;
  result.key_id = key_id;
  Bytes key_ref;
  if (key_id) {
    uint64_t v = static_cast<uint64_t>(*key_id);
    do {
      key_ref.insert(key_ref.begin(), static_cast<uint8_t>(v));
      v >>= 8;
    } while (v != 0);
  }

  // A DH public value of 2048 bits does not fit a short APDU: without extended length the
  // commands would need chaining, which is not implemented. That is this terminal's limit, not
  // a sign of a cloned chip: kNotSupported, before anything is sent.
  const size_t max_data = channel.capabilities().max_command_data;
  const size_t needed = agreement.ephemeral_public.size() + 4 + (key_id ? 2 + key_ref.size() : 0) + 4;
  if (needed > max_data)
    return make_error(ErrorCode::kNotSupported, "CA: the " + std::to_string(agreement.ephemeral_public.size()) +
                                                    "-byte ephemeral public key needs extended length, which this card or reader "
                                                    "does not offer (command chaining is not implemented)");

  if (algorithm.cipher == crypto::CipherAlg::kTdes) {
    // ICAO 9303-11 §6.2.4.1: MSE:Set KAT with the ephemeral public key (91) and key ID (84).
    apdu::TlvWriter w;
    w.add(0x91, agreement.ephemeral_public);
    if (key_id) w.add(0x84, key_ref);
    IDTAP_ASSIGN_OR_RETURN(Bytes data, w.finish());
    IDTAP_ASSIGN_OR_RETURN(auto r, channel.transmit(apdu::mse_set_kat(data)));
    IDTAP_TRY(r.status("CA: MSE:Set KAT"));
  } else {
    // ICAO 9303-11 §6.2.4.2: MSE:Set AT (80 protocol OID, 84 key ID), then GENERAL AUTHENTICATE
    // with the ephemeral public key (80) in 7C; the chip answers an empty 7C.
    apdu::TlvWriter w;
    w.add(0x80, info->protocol);
    if (key_id) w.add(0x84, key_ref);
    IDTAP_ASSIGN_OR_RETURN(Bytes data, w.finish());
    IDTAP_ASSIGN_OR_RETURN(auto r, channel.transmit(apdu::mse_set_at(0x41, data)));
    IDTAP_TRY(r.status("CA: MSE:Set AT"));
    IDTAP_ASSIGN_OR_RETURN(auto ga, channel.transmit(apdu::general_authenticate(apdu::encode_tlv(0x80, agreement.ephemeral_public), false)));
    IDTAP_TRY(ga.status("CA: GENERAL AUTHENTICATE"));
    apdu::TlvReader reader(ga.data);
    IDTAP_ASSIGN_OR_RETURN(apdu::TlvReader content, reader.enter(0x7C));
    (void)content;  // empty for CA v1; anything else is tolerated but unused
    IDTAP_TRY(reader.expect_end());
  }

  // ICAO 9303-11 §6.2.4: new session keys from the shared secret, SSC = 0.
  sm::SessionKeys keys;
  keys.alg = algorithm.cipher;
  IDTAP_ASSIGN_OR_RETURN(keys.ks_enc, crypto::derive_key(algorithm.cipher, agreement.shared_secret, crypto::KdfCounter::kEnc));
  IDTAP_ASSIGN_OR_RETURN(keys.ks_mac, crypto::derive_key(algorithm.cipher, agreement.shared_secret, crypto::KdfCounter::kMac));
  keys.ssc = sm::zero_ssc(algorithm.cipher);
  IDTAP_TRY(channel.rekey(keys));
  return result;
}

}  // namespace idtap::auth
