// idtap/provision/cose.h: COSE_Sign1 (RFC 9052 §4.2) with ES256 (RFC 9053 §2.1): the issuer
// signature of an mdoc (ISO/IEC 18013-5 §9.1.2.4) and of a status list token (CWT).
//
// Signing is split so the key can live elsewhere (an HSM): build the protected header, take
// sig_structure() (the exact bytes to sign), sign them with ES256 anywhere, attach the raw
// r||s signature.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/provision/cbor.h"
#include "idtap/provision/keys.h"

namespace idtap::provision {

// COSE labels and values used here (IANA COSE registries).
inline constexpr int64_t kCoseAlgEs256 = -7;          // ECDSA w/ SHA-256
inline constexpr int64_t kCoseHeaderAlg = 1;
inline constexpr int64_t kCoseHeaderTyp = 16;         // RFC 9596
inline constexpr int64_t kCoseHeaderX5chain = 33;     // RFC 9360

// CoseSign1: a decoded or to-be-encoded COSE_Sign1. `protected_header` is the encoded header
// map exactly as carried in the bstr (signatures cover those bytes, never a re-encoding).
struct CoseSign1 {
  Bytes protected_header;
  std::vector<Bytes> x5chain;   // DER certificates from the unprotected header, leaf first
  Bytes payload;                // the attached payload (bstr contents)
  Bytes signature;              // raw r||s (64 bytes for ES256)
  int64_t alg = 0;              // from the protected header
  std::optional<std::string> typ;  // protected header label 16, when present
};

// es256_protected_header: the encoding of {1: -7} (plus {16: typ} when `typ` is given), in
// deterministic order.
Result<Bytes> es256_protected_header(const std::optional<std::string>& typ = std::nullopt);

// sig_structure: the encoding of ["Signature1", protected, external_aad, payload]
// (RFC 9052 §4.4): the bytes an ES256 signer signs.
Result<Bytes> sig_structure(ByteView protected_header, ByteView payload, ByteView external_aad = {});

// write_cose_sign1: [protected, {33: x5chain}, payload, signature] into `w`. A single
// certificate is written as a bstr, several as an array (RFC 9360 §2).
void write_cose_sign1(cbor::Writer& w, const CoseSign1& sign1);
// write_cose_sign1 (parts): the same from borrowed parts (issuance writes its COSE_Sign1
// without first copying the payload and the chain into a CoseSign1).
void write_cose_sign1(cbor::Writer& w, ByteView protected_header, const std::vector<Bytes>& x5chain, ByteView payload,
                      ByteView signature);
// encode_cose_sign1: the same as bytes, tagged 18 when `tagged` (a CWT).
Result<Bytes> encode_cose_sign1(const CoseSign1& sign1, bool tagged = false);

// x5chain_to_carry: the certificates of an issuer chain (DER, leaf first) that a COSE_Sign1's
// x5chain carries: ISO/IEC 18013-5 §9.1.2.4 (and RFC 9360 §2) carry the signer and the
// intermediates up to, not including, the root (IACA), which the verifier holds as its trust
// anchor. A chain file commonly ends with the root: a trailing self-signed certificate is left
// out, unless it is the only one (a lone self-signed issuer, as in the demo). kInvalidArgument
// for an empty chain or a last certificate that does not parse. Used by every COSE_Sign1 the
// issuer makes (the mdoc, the status list token).
Result<std::vector<Bytes>> x5chain_to_carry(const std::vector<Bytes>& chain);

// parse_cose_sign1: a COSE_Sign1 (tag 18 optional); kMalformed for a wrong shape, a detached
// payload or a protected header that does not decode to a map with an integer alg.
Result<CoseSign1> parse_cose_sign1(const cbor_item_t* item);

// verify_cose_sign1: checks alg is ES256 and the signature over the Sig_structure with `key`.
// kVerificationFailed (naming which) otherwise; kNotSupported for another algorithm.
Status verify_cose_sign1(const CoseSign1& sign1, const EcPublicKey& key);

}  // namespace idtap::provision
