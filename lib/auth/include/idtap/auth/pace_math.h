// idtap/auth/pace_math.h: the mathematics of PACE (ICAO 9303-11 §4.4, BSI TR-03110-2/-3),
// written once for both sides: the terminal protocol (pace.h) and the chip (pace_chip.h, the
// simulated card). Nothing here sends an APDU.
//
// The steps, in protocol order, with the side that runs each:
//   pace_algorithm_from_oid / PaceDomain::standardized   both: what the PACEInfo selects
//   derive_password_key                                   both: K_pi = KDF(f(pi), 3)
//   encrypt_nonce (chip) / decrypt_nonce (terminal)       z = E(K_pi, s), CBC, IV 0
//   PaceDomain::generate_key_pair + map_generic           GM / CAM: G^ = s*G + H, g^ = g^s * h
//   integrated_mapping_prf + map_integrated               IM: G^ = f_G(R_p(s, t))
//   PaceKeyPair::shared_secret                            K (x-coordinate / PKCS#3)
//   derive_session_keys                                   KS_enc, KS_mac, SSC 0
//   authentication_token                                  T = MAC(KS_mac, 7F49{06 OID, 86/84 PK})
//   encrypt_chip_authentication_data (chip) /
//   decrypt_chip_authentication_data + verify_chip_authentication (terminal)   PACE-CAM
//   dynamic_authentication_data / parse_*                 the 7C templates of GENERAL AUTHENTICATE
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"
#include "idtap/crypto/cipher.h"
#include "idtap/crypto/dh.h"
#include "idtap/crypto/ec.h"
#include "idtap/lds/security_infos.h"
#include "idtap/sm/cipher_suite.h"

namespace idtap::auth {

// PaceMapping: Generic, Integrated, or Chip Authentication Mapping (ICAO 9303-11 §4.4.3.3).
enum class PaceMapping { kGeneric, kIntegrated, kChipAuthentication };
// PaceKeyAgreement: DH (PACE standardized IDs 0-2) or ECDH (IDs 8-18).
enum class PaceKeyAgreement { kDh, kEcdh };

// PaceAlgorithm: what an id-PACE-* object identifier selects (ICAO 9303-11 §4.4.3 Tables 2-3,
// §9.2.3): key agreement, mapping and the symmetric cipher of the session (3DES, AES-128/192/256;
// the authentication token and secure messaging follow it).
struct PaceAlgorithm {
  lds::Oid oid;
  PaceKeyAgreement agreement = PaceKeyAgreement::kEcdh;
  PaceMapping mapping = PaceMapping::kGeneric;
  crypto::CipherAlg cipher = crypto::CipherAlg::kAes128;

  // PaceAlgorithm::name: "id-PACE-ECDH-GM-AES-CBC-CMAC-128".
  std::string name() const;
};

// pace_algorithm_from_oid: the algorithm of an id-PACE-* OID (DER content bytes). kNotSupported
// naming the OID when it is not one of the 19 protocols of ICAO 9303-11 §9.2.3 (e.g. a CAM
// with 3DES or DH, which do not exist, or a non-PACE OID).
Result<PaceAlgorithm> pace_algorithm_from_oid(ByteView oid);
// pace_algorithm_oid: the OID for a combination; kNotSupported for CAM with DH or 3DES.
Result<lds::Oid> pace_algorithm_oid(PaceKeyAgreement agreement, PaceMapping mapping, crypto::CipherAlg cipher);

class PaceKeyPair;

// PaceDomain: the domain parameters PACE runs in: an EC curve with a generator, or a DH group
// with a generator. The static parameters come from the PACEInfo's parameter ID; the mappings
// return the ephemeral ones (same group, mapped generator). Copyable value.
class PaceDomain {
 public:
  // PaceDomain::standardized: the standardized domain parameters of ICAO 9303-11 §9.5.1 Table
  // 12 (0-2 DH, 8-18 ECDH). kNotSupported naming the ID for 3-7, 19-31 (reserved) or anything
  // else (explicit PACEDomainParameterInfo parameters are not supported).
  static Result<PaceDomain> standardized(int parameter_id);
  // PaceDomain::ec / dh: a domain from a curve point used as generator, or a DH group.
  static PaceDomain ec(crypto::EcPoint generator);
  static PaceDomain dh(crypto::DhGroup group);

  PaceKeyAgreement agreement() const;
  // PaceDomain::parameter_id: the standardized ID the (static) parameters came from, if any.
  std::optional<int> parameter_id() const { return parameter_id_; }
  // PaceDomain::name: "brainpoolP256r1", "RFC 5114 1024-bit MODP group ...".
  std::string name() const;
  // PaceDomain::ec_generator / dh_group: the group, nullptr for the other kind.
  const crypto::EcPoint* ec_generator() const;
  const crypto::DhGroup* dh_group() const;
  // PaceDomain::generator: the generator as exchanged: 04||X||Y, or g padded to the length of p.
  Bytes generator() const;
  // PaceDomain::field_bits: the bit length of p (curve field or DH modulus): R_p's output range.
  size_t field_bits() const;

  // PaceDomain::check_public_key: validates a peer's public key as it came off the wire: an
  // uncompressed point on the curve, not infinity (TR-03111), or 1 < y < p-1 with y^q = 1
  // (RFC 2631). kMalformed naming the defect.
  Status check_public_key(ByteView public_key) const;
  // PaceDomain::generate_key_pair: a fresh ephemeral key pair on this domain's generator.
  Result<PaceKeyPair> generate_key_pair() const;
  // PaceDomain::key_pair_from_private: the key pair of a given private key (replaying published
  // examples; a chip's static key). kInvalidArgument for an out-of-range key.
  Result<PaceKeyPair> key_pair_from_private(ByteView private_key) const;

 private:
  PaceDomain() = default;
  std::optional<crypto::EcPoint> ec_;
  std::optional<crypto::DhGroup> dh_;
  std::optional<int> parameter_id_;
};

// PaceKeyPair: a mapping or key-agreement key pair on a PaceDomain. The private key is kept in
// SecureBytes and zeroised with the object. Copyable value.
class PaceKeyPair {
 public:
  // PaceKeyPair::public_key: as exchanged in GENERAL AUTHENTICATE (ICAO 9303-11 §4.4.5.2,
  // §9.4.5): the uncompressed point 04||X||Y with X, Y padded to the field size, or the DH
  // value y as an unsigned integer without leading zeros (§9.4.1).
  const Bytes& public_key() const { return public_key_; }
  // PaceKeyPair::private_key: the scalar (padded to the order size) or the DH exponent.
  const SecureBytes& private_key() const;
  // PaceKeyPair::shared_secret: K = KA(own private key, peer public key): the x-coordinate of
  // the product padded to the field size (ECKA, TR-03111 §4.3.1), or y^x mod p padded to the
  // length of p (PKCS#3). The peer key is validated first (kMalformed, see check_public_key).
  Result<SecureBytes> shared_secret(ByteView peer_public_key) const;

  // PaceKeyPair::ec / dh: the underlying key pair (nullptr for the other kind).
  const crypto::EcKeyPair* ec() const { return ec_ ? &*ec_ : nullptr; }
  const crypto::DhKeyPair* dh() const { return dh_ ? &*dh_ : nullptr; }

 private:
  friend class PaceDomain;
  PaceKeyPair() = default;
  std::optional<crypto::EcKeyPair> ec_;
  std::optional<crypto::DhKeyPair> dh_;
  Bytes public_key_;
};

// derive_password_key: K_pi = KDF(f(pi), 3) for `cipher` (ICAO 9303-11 §9.7.3); `key_seed` is
// f(pi) (Password::pace_key_seed). kInternal only if hashing fails.
Result<SecureBytes> derive_password_key(crypto::CipherAlg cipher, ByteView key_seed);

// pace_nonce_length: the nonce length l in bytes the chip uses for `algorithm`: the smallest
// multiple of the block size not shorter than the key (ICAO 9303-11 §4.4.3.3; 3DES counts as a
// 128-bit key): 16 for 3DES and AES-128, 32 for AES-192/256. For the Integrated Mapping this
// length is mandatory; for the other mappings the chip may choose any multiple of the block size.
size_t pace_nonce_length(const PaceAlgorithm& algorithm);
// pace_terminal_nonce_length: the length k in bytes of the Integrated Mapping's nonce t: the key
// size (16 for 3DES: ICAO 9303-11 §4.4.3.3.2).
size_t pace_terminal_nonce_length(const PaceAlgorithm& algorithm);

// encrypt_nonce: z = E(K_pi, s), CBC with a zero IV (chip side). kInvalidArgument unless s is a
// non-empty multiple of the block size.
Result<Bytes> encrypt_nonce(crypto::CipherAlg cipher, ByteView k_pi, ByteView s);
// decrypt_nonce: s = D(K_pi, z) (terminal side). kMalformed when z has a length the algorithm
// does not allow (zero, not a multiple of the block size, over 64 bytes, or for IM not exactly
// pace_nonce_length).
Result<SecureBytes> decrypt_nonce(const PaceAlgorithm& algorithm, ByteView k_pi, ByteView z);

// map_generic: the Generic Mapping (ICAO 9303-11 §4.4.3.3.1): H = KA(own mapping key, peer's
// mapping public key) as a point / group element, then G^ = s*G + H (ECDH) or g^ = g^s * h mod p
// (DH). The peer key is validated (kMalformed); kMalformed too if the mapped generator is
// degenerate (infinity, 1).
Result<PaceDomain> map_generic(const PaceDomain& domain, ByteView nonce_s, const PaceKeyPair& own_mapping_key,
                               ByteView peer_mapping_public_key);
// integrated_mapping_prf: R(s, t) of ICAO 9303-11 §4.4.3.3.2 Figure 2 before reduction:
// k_0 = E(t, s); x_i = E(k_{i-1}, c1), k_i = E(k_{i-1}, c0) (CBC, IV 0, keys truncated to the
// key size) for n = ceil((p_bits + 64) / l) blocks; returns x_1 || ... || x_n.
// kInvalidArgument when s or t have the wrong length for `cipher`.
Result<Bytes> integrated_mapping_prf(crypto::CipherAlg cipher, ByteView nonce_s, ByteView nonce_t, size_t p_bits);
// map_integrated: the Integrated Mapping: G^ = f_G(R_p(s, t)) (ICAO 9303-11 Appendix B point
// encoding; kNotSupported on curves with p != 3 mod 4, i.e. NIST P-224) or g^ = R_p(s, t)^a mod p
// with a = (p-1)/q (kMalformed when that is 1).
Result<PaceDomain> map_integrated(const PaceDomain& domain, crypto::CipherAlg cipher, ByteView nonce_s, ByteView nonce_t);

// derive_session_keys: KS_enc = KDF(K, 1), KS_mac = KDF(K, 2) for `cipher`, SSC 0 (ICAO
// 9303-11 §9.7.4, §9.8.6.3 / §9.8.7.3): what secure messaging starts from.
Result<sm::SessionKeys> derive_session_keys(crypto::CipherAlg cipher, ByteView shared_secret);

// public_key_data_object: 7F49 { 06 OID, 86 point } (ECDH) or 7F49 { 06 OID, 84 y } (DH), the
// input of the authentication token (ICAO 9303-11 §4.4.3.4, §9.4): the key as on the wire
// (PaceKeyPair::public_key form; a DH value is re-encoded without leading zeros).
Result<Bytes> public_key_data_object(const PaceAlgorithm& algorithm, ByteView public_key);
// authentication_token: MAC(KS_mac, public_key_data_object(peer's ephemeral key)): AES-CMAC
// truncated to 8 bytes, or the 3DES retail MAC over method-2 padded data (ICAO 9303-11
// §4.4.3.4). The terminal computes T_IFD over the chip's key, the chip T_IC over the
// terminal's. Compare received tokens with crypto::constant_time_equal.
Result<Bytes> authentication_token(const PaceAlgorithm& algorithm, ByteView ks_mac, ByteView peer_public_key);

// encrypt_chip_authentication_data: A_IC = E(KS_enc, CA_IC) with CA_IC = SK_IC^-1 * SK_Map,IC
// mod n as FE2OS (padded to the order length), ISO 9797-1 method 2 padding, AES-CBC with
// IV = E(KS_enc, -1) (ICAO 9303-11 §4.4.3.5, chip side). `sk_ic` is the chip's static private
// key on the same curve, `sk_map_ic` its mapping private key. kNotSupported for 3DES (CAM is
// AES only); kInvalidArgument for a zero key.
Result<Bytes> encrypt_chip_authentication_data(crypto::CipherAlg cipher, ByteView ks_enc, const crypto::EcGroup& group,
                                               ByteView sk_ic, ByteView sk_map_ic);
// decrypt_chip_authentication_data: CA_IC from A_IC (terminal side). kMalformed when A_IC is not
// a whole number of blocks, the padding is wrong, or CA_IC is not `order_size` bytes.
Result<SecureBytes> decrypt_chip_authentication_data(crypto::CipherAlg cipher, ByteView ks_enc, ByteView a_ic,
                                                     size_t order_size);
// verify_chip_authentication: checks PK_Map,IC = KA(CA_IC, PK_IC) = CA_IC * PK_IC (ICAO 9303-11
// §4.4.3.5.2), where `pk_ic` is the chip's static key (from EF.CardSecurity, authenticated by
// Passive Authentication) and `pk_map_ic` the mapping key the chip sent. kVerificationFailed if
// not; kMalformed if `pk_map_ic` is no point of pk_ic's curve.
Status verify_chip_authentication(const crypto::EcPoint& pk_ic, ByteView ca_ic, ByteView pk_map_ic);

// dynamic_authentication_data: 7C { tag value } (an empty 7C when `tag` is 0): the data field of
// a GENERAL AUTHENTICATE command or response (ICAO 9303-11 §4.4.5 Table 4).
Bytes dynamic_authentication_data(uint32_t tag, ByteView value);
// parse_dynamic_authentication_data: the value of `tag` in a data field that must be exactly
// 7C { tag value } (DER). kMalformed naming the step's tag when it is missing, the template is
// not 7C, or anything else is present.
Result<Bytes> parse_dynamic_authentication_data(ByteView data, uint32_t tag);

// MutualAuthenticationData: the chip's answer to the last GENERAL AUTHENTICATE.
struct MutualAuthenticationData {
  Bytes token;                         // 86: T_IC
  std::optional<Bytes> car;            // 87: most recent Certification Authority Reference
  std::optional<Bytes> previous_car;   // 88: previous CAR
  std::optional<Bytes> encrypted_chip_authentication_data;  // 8A: A_IC (PACE-CAM)
};
// parse_mutual_authentication_data: 7C { 86 token [87] [88] [8A] } in this order (ICAO 9303-11
// §4.4.5 Table 4, §9.3.3). kMalformed when 86 is missing, or on unknown, repeated or misordered
// objects or trailing bytes.
Result<MutualAuthenticationData> parse_mutual_authentication_data(ByteView data);

}  // namespace idtap::auth
