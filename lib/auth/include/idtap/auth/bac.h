// idtap/auth/bac.h: Basic Access Control (ICAO 9303-11 §4.3): the terminal's protocol, which
// returns a SecureChannel, and the card's side of the same computation for the simulated card.
#pragma once

#include <memory>
#include <optional>

#include "idtap/apdu/transport.h"
#include "idtap/auth/mrz_key.h"
#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"
#include "idtap/sm/cipher_suite.h"
#include "idtap/sm/secure_channel.h"

namespace idtap::auth {

// kBacNonceSize / kBacKeySize: RND.IFD and RND.ICC are 8 bytes, K.IFD and K.ICC 16.
inline constexpr size_t kBacNonceSize = 8;
inline constexpr size_t kBacKeySize = 16;

// BacKeys: the document basic access keys Kenc and Kmac (2-key 3DES), derived from the MRZ.
struct BacKeys {
  SecureBytes k_enc;
  SecureBytes k_mac;
};

// bac_keys: Kenc = KDF(Kseed, 1), Kmac = KDF(Kseed, 2) with Kseed from `key` (ICAO 9303-11
// §9.7.2, §9.7.1 with 3DES). kInternal only if OpenSSL fails.
Result<BacKeys> bac_keys(const MrzKey& key);

// bac_session_keys: KSenc / KSmac from Kseed = K.IFD xor K.ICC, and SSC = RND.ICC[4..8) ||
// RND.IFD[4..8) (ICAO 9303-11 §4.3.3, §9.8). kInvalidArgument on wrong lengths.
Result<sm::SessionKeys> bac_session_keys(ByteView k_ifd, ByteView k_icc, ByteView rnd_icc, ByteView rnd_ifd);

// BacOptions: what the caller may fix instead of fresh random values (known-answer tests only;
// a real session must leave both empty). rnd_ifd is 8 bytes, k_ifd 16.
struct BacOptions {
  std::optional<Bytes> rnd_ifd;
  std::optional<SecureBytes> k_ifd;
};

// run_bac: Basic Access Control on `transport` with the MRZ `key`: GET CHALLENGE; EXTERNAL
// AUTHENTICATE with E_IFD || M_IFD; the card's M_ICC verified (constant time); R decrypted and
// checked to echo both RND.ICC and our RND.IFD (constant time; some readers shipped without
// the RND.IFD check, which lets a replayed answer through); session keys derived. Returns a
// SecureChannel that BORROWS `transport` (which must outlive it).
// Errors: 6300 / 63Cx on EXTERNAL AUTHENTICATE: kAuthFailed "wrong MRZ data" with the SW;
// another error SW: kCardStatus with the SW (6D00 / 6A81 on GET CHALLENGE: the chip has no
// BAC); a response of the wrong size: kMalformed; a bad M_ICC or a missing echo: kAuthFailed;
// transport errors as the transport reports them. kInvalidArgument for bad options.
Result<std::unique_ptr<sm::SecureChannel>> run_bac(apdu::Transport& transport, const MrzKey& key,
                                                   const BacOptions& options = {});

// BacCardAnswer: what the card side computes from one EXTERNAL AUTHENTICATE.
struct BacCardAnswer {
  Bytes response_data;       // E_ICC || M_ICC (40 bytes), answered with SW 9000
  sm::SessionKeys session;   // the keys and SSC both sides now use
};

// bac_card_authenticate: the card's side of EXTERNAL AUTHENTICATE (for the simulated card):
// `command_data` (E_IFD || M_IFD, 40 bytes) checked against `keys`: M_IFD verified (constant
// time), S decrypted, RND.ICC in S compared with the card's `rnd_icc` (the challenge it gave);
// then R = RND.ICC || RND.IFD || `k_icc` encrypted and MACed. kAuthFailed for a bad MAC or a
// wrong RND.ICC (the card answers 6300), kMalformed for data that is not 40 bytes,
// kInvalidArgument for bad `rnd_icc` / `k_icc` lengths.
Result<BacCardAnswer> bac_card_authenticate(const BacKeys& keys, ByteView rnd_icc, ByteView k_icc,
                                            ByteView command_data);

}  // namespace idtap::auth
