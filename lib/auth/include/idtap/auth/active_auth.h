// idtap/auth/active_auth.h: Active Authentication (ICAO 9303-11 §6.1): the chip signs a
// challenge with the private key whose public half is in DG15.
#pragma once

#include <optional>
#include <string>

#include "idtap/apdu/transport.h"
#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/crypto/hash.h"

namespace idtap::auth {

// AaSignatureAlgorithm: how the chip signs. RSA uses ISO/IEC 9796-2 digital signature scheme 1
// (the hash is named by the trailer); ECDSA uses the plain r||s format (BSI TR-03111) with the
// hash named by ActiveAuthenticationInfo in DG14.
struct AaResult {
  std::string algorithm;  // "RSA-2048 ISO 9796-2 SHA-256", "ECDSA P-256 SHA-256"
  Bytes challenge;        // the 8 bytes the chip signed
  Bytes signature;        // as returned by the chip
};

// AaOptions: a caller-supplied challenge (so a server can ask; exactly 8 bytes), and for ECDSA
// the dotted OID of ActiveAuthenticationInfo's signatureAlgorithm (ecdsa-with-SHA1/224/256/
// 384/512, 1.2.840.10045.4.1 / 4.3.1-4); SHA-256 when absent.
struct AaOptions {
  std::optional<Bytes> challenge;
  std::optional<std::string> ecdsa_signature_oid;
};

// active_authenticate: sends INTERNAL AUTHENTICATE with the challenge over `channel` (normally
// the secure channel) and verifies the response with `dg15_public_key` (the DER
// SubjectPublicKeyInfo inside DG15). kVerificationFailed when the signature does not verify
// (a cloned chip), kCardStatus when the card refuses the command, kMalformed for a public key or
// response that does not parse, kNotSupported for a key type other than RSA or EC.
Result<AaResult> active_authenticate(apdu::Transport& channel, ByteView dg15_public_key, const AaOptions& options = {});

// verify_aa_signature: the verification half alone (no card): true result when `signature` by
// the DG15 key over `challenge` verifies. Errors as active_authenticate.
Result<std::string> verify_aa_signature(ByteView dg15_public_key, ByteView challenge, ByteView signature,
                                        const std::optional<std::string>& ecdsa_signature_oid = std::nullopt);

// iso9796_2_sign_representative: the ISO/IEC 9796-2 scheme 1 message representative for a
// modulus of `modulus_bytes` bytes: 6A || M1 || H(M1 || m2) || trailer, with M1 random filler
// (partial recovery) and `hash` SHA-1 (implicit trailer BC) or SHA-224 / 256 / 384 / 512
// (trailers 38CC, 34CC, 36CC, 35CC: the ISO/IEC 10118-3 identifiers). For the simulated card's
// side; the RSA private operation itself is OpenSSL's. kInvalidArgument for a modulus too small
// for the hash or an M1 that is not modulus_bytes - 1 - hash size - trailer size long.
Result<Bytes> iso9796_2_sign_representative(size_t modulus_bytes, ByteView m1, ByteView m2, crypto::HashAlg hash);

// iso9796_2_trailer_size: the trailer's length for `hash` (1 for SHA-1's BC, else 2).
size_t iso9796_2_trailer_size(crypto::HashAlg hash);

}  // namespace idtap::auth
