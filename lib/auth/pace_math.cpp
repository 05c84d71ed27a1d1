// PACE mathematics for both sides (ICAO 9303-11 §4.4.3, §9.4-§9.7). Every primitive comes
// from lib/crypto (OpenSSL); this file composes them as the specification lays out.
#include "idtap/auth/pace_math.h"

#include <array>
#include <cstdio>

#include "idtap/apdu/tlv.h"
#include "idtap/base/hex.h"
#include "idtap/crypto/kdf.h"
#include "idtap/crypto/mac.h"

namespace idtap::auth {

using crypto::CipherAlg;

namespace {

// id-PACE = bsi-de protocols(2) smartcard(2) 4 (ICAO 9303-11 §9.2.3).
constexpr std::array<uint8_t, 8> kIdPace = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04};

Error malformed(std::string what) { return make_error(ErrorCode::kMalformed, std::move(what)); }

// dotted: an OID's DER content as "0.4.0.127..." (for messages; "?" on a bad encoding).
std::string dotted(ByteView oid) {
  if (oid.empty()) return "(empty OID)";
  std::string out;
  uint64_t value = 0;
  bool first = true;
  for (size_t i = 0; i < oid.size(); ++i) {
    if (value > (UINT64_MAX >> 7)) return "?";
    value = (value << 7) | (oid[i] & 0x7F);
    if (oid[i] & 0x80) {
      if (i + 1 == oid.size()) return "?";
      continue;
    }
    if (first) {
      uint64_t a = value < 40 ? 0 : value < 80 ? 1 : 2;
      out = std::to_string(a) + "." + std::to_string(value - 40 * a);
      first = false;
    } else {
      out += "." + std::to_string(value);
    }
    value = 0;
  }
  return out;
}

const char* cipher_suffix(CipherAlg c) {
  switch (c) {
    case CipherAlg::kTdes: return "3DES-CBC-CBC";
    case CipherAlg::kAes128: return "AES-CBC-CMAC-128";
    case CipherAlg::kAes192: return "AES-CBC-CMAC-192";
    case CipherAlg::kAes256: return "AES-CBC-CMAC-256";
  }
  return "?";
}

std::string hex_byte(uint32_t tag) {
  char buf[12];
  std::snprintf(buf, sizeof buf, "%02X", tag);
  return buf;
}

// block_encrypt: E(key, data) in CBC mode with a zero IV (data a whole number of blocks).
Result<Bytes> cbc_zero_iv(CipherAlg cipher, ByteView key, ByteView data) {
  IDTAP_ASSIGN_OR_RETURN(auto bc, crypto::BlockCipher::create(cipher, key));
  const Bytes iv(crypto::block_size(cipher), 0x00);
  return bc.cbc_encrypt(iv, data);
}

// The R(s,t) constants of ICAO 9303-11 §4.4.3.3.2: l = 128 for 3DES and AES-128, l = 256 for
// AES-192 and AES-256.
const Bytes& prf_c0(size_t l_bytes) {
  static const Bytes c0_128 = hex_or_die("a668892a7c41e3ca739f40b057d85904");
  static const Bytes c0_256 = hex_or_die("d463d65234124ef7897054986dca0a174e28df758cbaa03f240616414d5a1676");
  return l_bytes == 16 ? c0_128 : c0_256;
}
const Bytes& prf_c1(size_t l_bytes) {
  static const Bytes c1_128 = hex_or_die("a4e136ac725f738b01c1f60217c188ad");
  static const Bytes c1_256 = hex_or_die("54bd7255f0aaf831bec3423fcf39d69b6cbf066677d0faae5aadd99df8e53517");
  return l_bytes == 16 ? c1_128 : c1_256;
}

size_t prf_block_bytes(CipherAlg cipher) {
  return cipher == CipherAlg::kTdes || cipher == CipherAlg::kAes128 ? 16 : 32;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Algorithms

std::string PaceAlgorithm::name() const {
  std::string out = "id-PACE-";
  out += agreement == PaceKeyAgreement::kDh ? "DH-" : "ECDH-";
  out += mapping == PaceMapping::kGeneric ? "GM-" : mapping == PaceMapping::kIntegrated ? "IM-" : "CAM-";
  out += cipher_suffix(cipher);
  return out;
}

Result<PaceAlgorithm> pace_algorithm_from_oid(ByteView oid) {
  auto unsupported = [&](const std::string& why) {
    return make_error(ErrorCode::kNotSupported, "PACE protocol " + dotted(oid) + ": " + why);
  };
  if (oid.size() != kIdPace.size() + 2 || !equal_bytes(oid.first(kIdPace.size()), kIdPace)) {
    return unsupported("not an id-PACE-* object identifier");
  }
  PaceAlgorithm alg;
  alg.oid = to_bytes(oid);
  switch (oid[8]) {
    case 1: alg.agreement = PaceKeyAgreement::kDh; alg.mapping = PaceMapping::kGeneric; break;
    case 2: alg.agreement = PaceKeyAgreement::kEcdh; alg.mapping = PaceMapping::kGeneric; break;
    case 3: alg.agreement = PaceKeyAgreement::kDh; alg.mapping = PaceMapping::kIntegrated; break;
    case 4: alg.agreement = PaceKeyAgreement::kEcdh; alg.mapping = PaceMapping::kIntegrated; break;
    case 6: alg.agreement = PaceKeyAgreement::kEcdh; alg.mapping = PaceMapping::kChipAuthentication; break;
    default: return unsupported("unknown mapping / key agreement arc " + std::to_string(oid[8]));
  }
  switch (oid[9]) {
    case 1: alg.cipher = CipherAlg::kTdes; break;
    case 2: alg.cipher = CipherAlg::kAes128; break;
    case 3: alg.cipher = CipherAlg::kAes192; break;
    case 4: alg.cipher = CipherAlg::kAes256; break;
    default: return unsupported("unknown cipher arc " + std::to_string(oid[9]));
  }
  if (alg.mapping == PaceMapping::kChipAuthentication && alg.cipher == CipherAlg::kTdes) {
    return unsupported("PACE-CAM is defined with AES only (ICAO 9303-11 Table 3)");
  }
  return alg;
}

Result<lds::Oid> pace_algorithm_oid(PaceKeyAgreement agreement, PaceMapping mapping, CipherAlg cipher) {
  uint8_t arc = 0;
  if (mapping == PaceMapping::kChipAuthentication) {
    if (agreement == PaceKeyAgreement::kDh) return make_error(ErrorCode::kNotSupported, "PACE-CAM with DH does not exist");
    if (cipher == CipherAlg::kTdes) return make_error(ErrorCode::kNotSupported, "PACE-CAM with 3DES does not exist");
    arc = 6;
  } else {
    arc = static_cast<uint8_t>((mapping == PaceMapping::kGeneric ? 1 : 3) + (agreement == PaceKeyAgreement::kEcdh ? 1 : 0));
  }
  uint8_t cipher_arc = cipher == CipherAlg::kTdes ? 1 : cipher == CipherAlg::kAes128 ? 2 : cipher == CipherAlg::kAes192 ? 3 : 4;
  lds::Oid oid(kIdPace.begin(), kIdPace.end());
  oid.push_back(arc);
  oid.push_back(cipher_arc);
  return oid;
}

// ---------------------------------------------------------------------------------------------
// Domains and key pairs

Result<PaceDomain> PaceDomain::standardized(int parameter_id) {
  // ICAO 9303-11 §9.5.1 Table 12.
  static constexpr crypto::EcCurve kCurves[] = {
      crypto::EcCurve::kNistP192,        crypto::EcCurve::kBrainpoolP192r1, crypto::EcCurve::kNistP224,
      crypto::EcCurve::kBrainpoolP224r1, crypto::EcCurve::kNistP256,        crypto::EcCurve::kBrainpoolP256r1,
      crypto::EcCurve::kBrainpoolP320r1, crypto::EcCurve::kNistP384,        crypto::EcCurve::kBrainpoolP384r1,
      crypto::EcCurve::kBrainpoolP512r1, crypto::EcCurve::kNistP521};
  PaceDomain d;
  d.parameter_id_ = parameter_id;
  if (parameter_id >= 0 && parameter_id <= 2) {
    IDTAP_ASSIGN_OR_RETURN(auto group, crypto::DhGroup::standard(static_cast<crypto::DhGroupId>(parameter_id)));
    d.dh_.emplace(std::move(group));
    return d;
  }
  if (parameter_id >= 8 && parameter_id <= 18) {
    IDTAP_ASSIGN_OR_RETURN(auto group, crypto::EcGroup::named(kCurves[parameter_id - 8]));
    d.ec_.emplace(group.generator());
    return d;
  }
  return make_error(ErrorCode::kNotSupported,
                    "PACE domain parameter ID " + std::to_string(parameter_id) +
                        " is not a standardized one (0-2, 8-18; explicit PACEDomainParameterInfo is not supported)");
}

PaceDomain PaceDomain::ec(crypto::EcPoint generator) {
  PaceDomain d;
  d.ec_.emplace(std::move(generator));
  return d;
}

PaceDomain PaceDomain::dh(crypto::DhGroup group) {
  PaceDomain d;
  d.dh_.emplace(std::move(group));
  return d;
}

PaceKeyAgreement PaceDomain::agreement() const { return ec_ ? PaceKeyAgreement::kEcdh : PaceKeyAgreement::kDh; }

std::string PaceDomain::name() const {
  if (ec_) {
    auto curve = ec_->group().curve();
    return curve ? crypto::curve_name(*curve) : "explicit curve of " + std::to_string(ec_->group().field_bits()) + " bits";
  }
  auto id = dh_->id();
  return id ? crypto::dh_group_name(*id) : "explicit DH group of " + std::to_string(dh_->p_size() * 8) + " bits";
}

const crypto::EcPoint* PaceDomain::ec_generator() const { return ec_ ? &*ec_ : nullptr; }
const crypto::DhGroup* PaceDomain::dh_group() const { return dh_ ? &*dh_ : nullptr; }
Bytes PaceDomain::generator() const { return ec_ ? ec_->encode() : dh_->g(); }
size_t PaceDomain::field_bits() const {
  if (ec_) return ec_->group().field_bits();
  Bytes p = dh_->p();
  size_t bits = p.size() * 8;
  for (uint8_t b = p.empty() ? 0 : p[0]; bits > 0 && (b & 0x80) == 0; b = static_cast<uint8_t>(b << 1)) --bits;
  return bits;
}

Status PaceDomain::check_public_key(ByteView public_key) const {
  if (ec_) {
    auto point = ec_->group().decode_point(public_key);
    if (!point.ok()) return point.error();
    return ok_status();
  }
  return dh_->check_public(public_key);
}

Result<PaceKeyPair> PaceDomain::generate_key_pair() const {
  PaceKeyPair kp;
  if (ec_) {
    IDTAP_ASSIGN_OR_RETURN(auto k, crypto::EcKeyPair::generate(*ec_));
    kp.public_key_ = k.public_encoded();
    kp.ec_.emplace(std::move(k));
  } else {
    IDTAP_ASSIGN_OR_RETURN(auto k, crypto::DhKeyPair::generate(*dh_));
    kp.public_key_ = k.public_value();
    kp.dh_.emplace(std::move(k));
  }
  return kp;
}

Result<PaceKeyPair> PaceDomain::key_pair_from_private(ByteView private_key) const {
  PaceKeyPair kp;
  if (ec_) {
    IDTAP_ASSIGN_OR_RETURN(auto k, crypto::EcKeyPair::from_private(*ec_, private_key));
    kp.public_key_ = k.public_encoded();
    kp.ec_.emplace(std::move(k));
  } else {
    IDTAP_ASSIGN_OR_RETURN(auto k, crypto::DhKeyPair::from_private(*dh_, private_key));
    kp.public_key_ = k.public_value();
    kp.dh_.emplace(std::move(k));
  }
  return kp;
}

const SecureBytes& PaceKeyPair::private_key() const { return ec_ ? ec_->private_scalar() : dh_->private_exponent(); }

Result<SecureBytes> PaceKeyPair::shared_secret(ByteView peer_public_key) const {
  if (ec_) {
    IDTAP_ASSIGN_OR_RETURN(auto peer, ec_->public_point().group().decode_point(peer_public_key));
    return ec_->agree_x(peer);
  }
  return dh_->agree(peer_public_key);
}

// ---------------------------------------------------------------------------------------------
// Password key and nonce

Result<SecureBytes> derive_password_key(CipherAlg cipher, ByteView key_seed) {
  return crypto::derive_key(cipher, key_seed, crypto::KdfCounter::kPace);
}

size_t pace_nonce_length(const PaceAlgorithm& algorithm) { return prf_block_bytes(algorithm.cipher); }

size_t pace_terminal_nonce_length(const PaceAlgorithm& algorithm) { return crypto::key_size(algorithm.cipher); }

Result<Bytes> encrypt_nonce(CipherAlg cipher, ByteView k_pi, ByteView s) {
  if (s.empty() || s.size() % crypto::block_size(cipher) != 0) {
    return make_error(ErrorCode::kInvalidArgument, "PACE nonce must be a non-empty multiple of the block size");
  }
  return cbc_zero_iv(cipher, k_pi, s);
}

Result<SecureBytes> decrypt_nonce(const PaceAlgorithm& algorithm, ByteView k_pi, ByteView z) {
  const size_t block = crypto::block_size(algorithm.cipher);
  const std::string got = std::to_string(z.size());
  // ICAO 9303-11 §4.4.3.3: l is a multiple of the block size; for the Integrated Mapping the
  // smallest one not shorter than the key.
  if (algorithm.mapping == PaceMapping::kIntegrated && z.size() != pace_nonce_length(algorithm)) {
    return malformed("encrypted nonce of " + got + " bytes, the Integrated Mapping with " + cipher_suffix(algorithm.cipher) +
                     " needs " + std::to_string(pace_nonce_length(algorithm)));
  }
  if (z.empty() || z.size() % block != 0 || z.size() > 64) {
    return malformed("encrypted nonce of " + got + " bytes is not a whole number of " + std::to_string(block) +
                     "-byte blocks (1 to 64 bytes)");
  }
  IDTAP_ASSIGN_OR_RETURN(auto bc, crypto::BlockCipher::create(algorithm.cipher, k_pi));
  const Bytes iv(block, 0x00);
  IDTAP_ASSIGN_OR_RETURN(Bytes s, bc.cbc_decrypt(iv, z));
  SecureBytes out = secure_copy(s);
  secure_zero(s.data(), s.size());
  return out;
}

// ---------------------------------------------------------------------------------------------
// Mappings

Result<PaceDomain> map_generic(const PaceDomain& domain, ByteView nonce_s, const PaceKeyPair& own_mapping_key,
                               ByteView peer_mapping_public_key) {
  if (const crypto::EcPoint* g = domain.ec_generator()) {
    if (own_mapping_key.ec() == nullptr) return make_error(ErrorCode::kInvalidArgument, "EC mapping with a DH key pair");
    IDTAP_ASSIGN_OR_RETURN(auto peer, g->group().decode_point(peer_mapping_public_key));
    // ICAO 9303-11 §4.4.3.3.1: H = KA(SK_Map, PK_Map) as a point, G^ = s*G + H.
    IDTAP_ASSIGN_OR_RETURN(auto h, own_mapping_key.ec()->agree_point(peer));
    IDTAP_ASSIGN_OR_RETURN(auto sg, g->mul(nonce_s));
    auto mapped = sg.add(h);
    if (!mapped.ok()) return malformed("Generic Mapping: the mapped generator is the point at infinity");
    PaceDomain out = PaceDomain::ec(std::move(*mapped));
    return out;
  }
  const crypto::DhGroup& group = *domain.dh_group();
  if (own_mapping_key.dh() == nullptr) return make_error(ErrorCode::kInvalidArgument, "DH mapping with an EC key pair");
  // h = KA(SK_Map, PK_Map) (the peer key validated per RFC 2631), g^ = g^s * h mod p.
  IDTAP_ASSIGN_OR_RETURN(auto h, own_mapping_key.dh()->agree(peer_mapping_public_key));
  IDTAP_ASSIGN_OR_RETURN(auto gs, group.pow(group.g(), nonce_s));
  IDTAP_ASSIGN_OR_RETURN(auto mapped, group.mul(gs, h));
  auto eph = group.with_generator(mapped);
  if (!eph.ok()) return malformed("Generic Mapping: degenerate mapped generator: " + eph.error().context);
  return PaceDomain::dh(std::move(*eph));
}

Result<Bytes> integrated_mapping_prf(CipherAlg cipher, ByteView nonce_s, ByteView nonce_t, size_t p_bits) {
  const size_t l = prf_block_bytes(cipher);
  const size_t k = crypto::key_size(cipher);
  if (nonce_s.size() != l) {
    return make_error(ErrorCode::kInvalidArgument, "R(s,t): s must be " + std::to_string(l) + " bytes for " + cipher_suffix(cipher));
  }
  if (nonce_t.size() != k) {
    return make_error(ErrorCode::kInvalidArgument, "R(s,t): t must be " + std::to_string(k) + " bytes for " + cipher_suffix(cipher));
  }
  const size_t n = (p_bits + 64 + l * 8 - 1) / (l * 8);
  IDTAP_ASSIGN_OR_RETURN(Bytes key, cbc_zero_iv(cipher, nonce_t, nonce_s));  // k_0 = E(t, s)
  Bytes x;
  x.reserve(n * l);
  for (size_t i = 0; i < n; ++i) {
    key.resize(k);  // "the output k_i MUST be truncated to key size k" (AES-192)
    IDTAP_ASSIGN_OR_RETURN(Bytes xi, cbc_zero_iv(cipher, key, prf_c1(l)));
    IDTAP_ASSIGN_OR_RETURN(Bytes next, cbc_zero_iv(cipher, key, prf_c0(l)));
    append(x, xi);
    secure_zero(key.data(), key.size());
    key = std::move(next);
  }
  secure_zero(key.data(), key.size());
  return x;
}

Result<PaceDomain> map_integrated(const PaceDomain& domain, CipherAlg cipher, ByteView nonce_s, ByteView nonce_t) {
  IDTAP_ASSIGN_OR_RETURN(Bytes r, integrated_mapping_prf(cipher, nonce_s, nonce_t, domain.field_bits()));
  if (const crypto::EcPoint* g = domain.ec_generator()) {
    IDTAP_ASSIGN_OR_RETURN(Bytes rp, g->group().reduce_field(r));
    auto mapped = g->group().icao_point_encoding(rp);
    if (!mapped.ok()) {
      if (mapped.error().code == ErrorCode::kNotSupported) return mapped.error().with_context("Integrated Mapping on " + domain.name());
      return malformed("Integrated Mapping: " + mapped.error().context);
    }
    return PaceDomain::ec(std::move(*mapped));
  }
  const crypto::DhGroup& group = *domain.dh_group();
  IDTAP_ASSIGN_OR_RETURN(Bytes mapped, group.subgroup_element(r));
  auto eph = group.with_generator(mapped);
  if (!eph.ok()) return malformed("Integrated Mapping: " + eph.error().context);
  return PaceDomain::dh(std::move(*eph));
}

// ---------------------------------------------------------------------------------------------
// Session keys and authentication tokens

Result<sm::SessionKeys> derive_session_keys(CipherAlg cipher, ByteView shared_secret) {
  sm::SessionKeys keys;
  keys.alg = cipher;
  IDTAP_ASSIGN_OR_RETURN(keys.ks_enc, crypto::derive_key(cipher, shared_secret, crypto::KdfCounter::kEnc));
  IDTAP_ASSIGN_OR_RETURN(keys.ks_mac, crypto::derive_key(cipher, shared_secret, crypto::KdfCounter::kMac));
  keys.ssc = sm::zero_ssc(cipher);
  return keys;
}

Result<Bytes> public_key_data_object(const PaceAlgorithm& algorithm, ByteView public_key) {
  ByteView key = public_key;
  uint32_t tag = 0x86;  // ICAO 9303-11 §9.4.4 Table 11: public point Y
  if (algorithm.agreement == PaceKeyAgreement::kDh) {
    tag = 0x84;  // §9.4.3 Table 10: public value y, an unsigned integer without leading zeros
    while (key.size() > 1 && key[0] == 0x00) key = key.subspan(1);
  }
  apdu::TlvWriter w;
  w.open(0x7F49).add(0x06, algorithm.oid).add(tag, key).close();
  return w.finish();
}

Result<Bytes> authentication_token(const PaceAlgorithm& algorithm, ByteView ks_mac, ByteView peer_public_key) {
  IDTAP_ASSIGN_OR_RETURN(Bytes input, public_key_data_object(algorithm, peer_public_key));
  Bytes mac;
  if (algorithm.cipher == CipherAlg::kTdes) {
    // ICAO 9303-11 §4.4.3.4: retail MAC (ISO/IEC 9797-1 MAC algorithm 3), padding method 2.
    IDTAP_ASSIGN_OR_RETURN(auto m, crypto::Mac::create(crypto::MacAlg::kRetailMac, ks_mac));
    IDTAP_ASSIGN_OR_RETURN(mac, m.compute(crypto::pad_iso9797_m2(input, 8)));
  } else {
    // AES-CMAC with a MAC length of 8 bytes.
    IDTAP_ASSIGN_OR_RETURN(auto m, crypto::Mac::create(crypto::MacAlg::kCmacAes, ks_mac));
    IDTAP_ASSIGN_OR_RETURN(mac, m.compute(input));
  }
  mac.resize(8);
  return mac;
}

// ---------------------------------------------------------------------------------------------
// PACE-CAM (ICAO 9303-11 §4.4.3.5)

namespace {

Result<Bytes> cam_iv(const crypto::BlockCipher& bc) {
  // IV = E(KS_enc, -1): -1 is the 128-bit string of all ones (§4.4.3.5.4).
  const Bytes minus_one(16, 0xFF);
  return bc.ecb_encrypt(minus_one);
}

}  // namespace

Result<Bytes> encrypt_chip_authentication_data(CipherAlg cipher, ByteView ks_enc, const crypto::EcGroup& group,
                                               ByteView sk_ic, ByteView sk_map_ic) {
  if (cipher == CipherAlg::kTdes) return make_error(ErrorCode::kNotSupported, "PACE-CAM is defined with AES only");
  IDTAP_ASSIGN_OR_RETURN(SecureBytes ca, group.scalar_mul_inverse(sk_ic, sk_map_ic));
  IDTAP_ASSIGN_OR_RETURN(auto bc, crypto::BlockCipher::create(cipher, ks_enc));
  IDTAP_ASSIGN_OR_RETURN(Bytes iv, cam_iv(bc));
  Bytes padded = crypto::pad_iso9797_m2(ca, 16);
  auto out = bc.cbc_encrypt(iv, padded);
  secure_zero(padded.data(), padded.size());
  return out;
}

Result<SecureBytes> decrypt_chip_authentication_data(CipherAlg cipher, ByteView ks_enc, ByteView a_ic, size_t order_size) {
  if (cipher == CipherAlg::kTdes) return make_error(ErrorCode::kNotSupported, "PACE-CAM is defined with AES only");
  if (a_ic.empty() || a_ic.size() % 16 != 0) {
    return malformed("encrypted chip authentication data of " + std::to_string(a_ic.size()) + " bytes is not whole AES blocks");
  }
  IDTAP_ASSIGN_OR_RETURN(auto bc, crypto::BlockCipher::create(cipher, ks_enc));
  IDTAP_ASSIGN_OR_RETURN(Bytes iv, cam_iv(bc));
  IDTAP_ASSIGN_OR_RETURN(Bytes padded, bc.cbc_decrypt(iv, a_ic));
  auto ca = crypto::unpad_iso9797_m2(padded, 16);
  secure_zero(padded.data(), padded.size());
  if (!ca.ok()) return malformed("chip authentication data: bad padding");
  if (ca->size() != order_size) {
    const size_t got = ca->size();
    secure_zero(ca->data(), ca->size());
    return malformed("chip authentication data of " + std::to_string(got) + " bytes, expected " + std::to_string(order_size));
  }
  SecureBytes out = secure_copy(*ca);
  secure_zero(ca->data(), ca->size());
  return out;
}

Status verify_chip_authentication(const crypto::EcPoint& pk_ic, ByteView ca_ic, ByteView pk_map_ic) {
  IDTAP_ASSIGN_OR_RETURN(auto map_point, pk_ic.group().decode_point(pk_map_ic));
  auto product = pk_ic.mul(ca_ic);
  if (!product.ok() || !product->equals(map_point)) {
    return make_error(ErrorCode::kVerificationFailed, "PACE-CAM: PK_Map,IC != CA_IC * PK_IC: the chip is not authenticated");
  }
  return ok_status();
}

// ---------------------------------------------------------------------------------------------
// GENERAL AUTHENTICATE data objects

Bytes dynamic_authentication_data(uint32_t tag, ByteView value) {
  if (tag == 0) return apdu::encode_tlv(0x7C, {});
  return apdu::encode_tlv(0x7C, apdu::encode_tlv(tag, value));
}

Result<Bytes> parse_dynamic_authentication_data(ByteView data, uint32_t tag) {
  auto tmpl = apdu::parse_single(data, 0x7C);
  if (!tmpl.ok()) return malformed("dynamic authentication data (7C) expected: " + tmpl.error().context);
  apdu::TlvReader r(tmpl->value);
  if (r.empty()) return malformed("dynamic authentication data: missing tag " + hex_byte(tag));
  IDTAP_ASSIGN_OR_RETURN(uint32_t first, r.peek_tag());
  if (first != tag) return malformed("dynamic authentication data: tag " + hex_byte(first) + " where " + hex_byte(tag) + " was expected");
  IDTAP_ASSIGN_OR_RETURN(auto obj, r.read(tag));
  if (!r.empty()) return malformed("dynamic authentication data: unexpected objects after tag " + hex_byte(tag));
  return to_bytes(obj.value);
}

Result<MutualAuthenticationData> parse_mutual_authentication_data(ByteView data) {
  auto tmpl = apdu::parse_single(data, 0x7C);
  if (!tmpl.ok()) return malformed("dynamic authentication data (7C) expected: " + tmpl.error().context);
  apdu::TlvReader r(tmpl->value);
  if (r.empty()) return malformed("dynamic authentication data: missing tag 86 (authentication token)");
  IDTAP_ASSIGN_OR_RETURN(uint32_t first, r.peek_tag());
  if (first != 0x86) return malformed("dynamic authentication data: tag " + hex_byte(first) + " where 86 (authentication token) was expected");
  MutualAuthenticationData out;
  IDTAP_ASSIGN_OR_RETURN(auto token, r.read(0x86));
  out.token = to_bytes(token.value);
  IDTAP_ASSIGN_OR_RETURN(auto car, r.read_optional(0x87));
  if (car) out.car = to_bytes(car->value);
  IDTAP_ASSIGN_OR_RETURN(auto prev, r.read_optional(0x88));
  if (prev) out.previous_car = to_bytes(prev->value);
  IDTAP_ASSIGN_OR_RETURN(auto cam, r.read_optional(0x8A));
  if (cam) out.encrypted_chip_authentication_data = to_bytes(cam->value);
  if (!r.empty()) {
    auto tag = r.peek_tag();
    return malformed("dynamic authentication data: unexpected or misordered tag " + (tag.ok() ? hex_byte(*tag) : std::string("?")) +
                     " after the authentication token");
  }
  return out;
}

}  // namespace idtap::auth
