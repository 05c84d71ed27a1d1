// idtap/provision/proof.h: proof that the phone holds the private key the credential is bound
// to. idtap hands out a one-time random challenge (kept in the ledger with an expiry); the
// phone signs possession_message(challenge) with ECDSA P-256 / SHA-256 and returns the
// signature with its public key. A bad signature, an unknown, expired or already used challenge
// is refused.
//
// The proof file (text, one "name: value" per line, '#' comments):
//
//   challenge: 5f0c…   (hex, the bytes `idtap provision challenge` printed)
//   signature: 3045…   (hex: DER ECDSA-Sig-Value or raw r||s, 64 bytes)
#pragma once

#include <string>
#include <string_view>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/provision/keys.h"

namespace idtap::provision {

// kChallengeBytes: the size of a proof-of-possession challenge.
inline constexpr size_t kChallengeBytes = 32;

// PossessionProof: a challenge and the phone's signature over it.
struct PossessionProof {
  Bytes challenge;
  Bytes signature;
};

// kPossessionLabel: what possession_message puts before the challenge.
inline constexpr std::string_view kPossessionLabel = "idtap device key possession v1";

// possession_message: the bytes the phone signs: kPossessionLabel, one zero byte, then the
// challenge. The label separates the domain: no signature the key made elsewhere over a bare
// random nonce counts as a proof here, and a proof is good for nothing else.
Bytes possession_message(ByteView challenge);

// sign_possession: the phone's side (demo, tests): the DER ECDSA signature by `device_key` over
// possession_message(challenge).
Result<Bytes> sign_possession(const EcPrivateKey& device_key, ByteView challenge);

// parse_proof: a proof file; kInvalidArgument naming the problem.
Result<PossessionProof> parse_proof(std::string_view text);
// format_proof: the proof file text for `proof`.
std::string format_proof(const PossessionProof& proof);

// verify_possession_signature: the signature over possession_message(challenge) verifies under
// `device_key`;
// kRefused ("bad proof of possession") otherwise. The ledger checks the challenge itself.
Status verify_possession_signature(const PossessionProof& proof, const EcPublicKey& device_key);

}  // namespace idtap::provision
