// idtap/auth/chip_auth.h: Chip Authentication version 1 (ICAO 9303-11 §6.2, BSI TR-03110-2
// §3.4): the chip proves it holds the private key whose public half DG14 carries, by agreeing
// new secure-messaging keys with an ephemeral terminal key.
#pragma once

#include <optional>
#include <string>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/crypto/cipher.h"
#include "idtap/lds/security_infos.h"
#include "idtap/sm/secure_channel.h"

namespace idtap::auth {

// CaAlgorithm: what a ChipAuthenticationInfo OID names.
struct CaAlgorithm {
  bool ecdh = true;                                   // id-CA-ECDH-* (else id-CA-DH-*)
  crypto::CipherAlg cipher = crypto::CipherAlg::kAes128;
  std::string name;                                   // "id-CA-ECDH-AES-CBC-CMAC-128"
};

// ca_algorithm: the algorithm of an id-CA-* protocol OID (DER content bytes). kNotSupported for
// an OID that is not id-CA-DH-* / id-CA-ECDH-* with a known cipher.
Result<CaAlgorithm> ca_algorithm(ByteView protocol_oid);

// CaOptions: test hooks. `ephemeral_private` fixes the terminal's ephemeral private key (EC
// scalar or DH exponent) to replay a published example; random otherwise.
struct CaOptions {
  std::optional<Bytes> ephemeral_private;
};

// CaResult: what ran. The channel has been rekeyed when this is returned; the chip is proven
// only once the next protected response verifies under the new keys (chip_authenticate's caller
// sends it: a cloned chip cannot produce it and the channel dies with kSecureMessaging).
struct CaResult {
  CaAlgorithm algorithm;
  std::optional<int64_t> key_id;
  Bytes ephemeral_public;  // what the terminal sent (EC point 04||X||Y, or DH y)
};

// chip_authenticate: CA v1 over `channel` with the SecurityInfos of DG14 (whose hash the caller
// has already checked against EF.SOD): picks the ChipAuthenticationInfo (the first supported, or
// the one whose key ID matches a ChipAuthenticationPublicKeyInfo), sends MSE:Set KAT (3DES) or
// MSE:Set AT + GENERAL AUTHENTICATE (AES), derives KS_enc / KS_mac from the shared secret
// (ICAO 9303-11 §9.7.1) and rekeys the channel with SSC 0. kNotSupported when DG14 offers no
// usable CA, or when the ephemeral public key (a 2048-bit DH value) does not fit the channel's
// largest command without extended length (chaining is not implemented; nothing is sent); kMalformed for a bad public key; kCardStatus when the chip refuses a command
// (the channel then stays on the old keys); kSecureMessaging/kState when the channel died.
Result<CaResult> chip_authenticate(sm::SecureChannel& channel, const lds::SecurityInfos& dg14, const CaOptions& options = {});

}  // namespace idtap::auth
