// PACE, terminal side (ICAO 9303-11 §4.4.4-§4.4.5): MSE:Set AT and the GENERAL AUTHENTICATE
// chain over a Transport.
#include "idtap/auth/pace.h"

#include <algorithm>
#include <cstdio>
#include <tuple>

#include "idtap/apdu/commands.h"
#include "idtap/apdu/exchange.h"
#include "idtap/apdu/status_words.h"
#include "idtap/apdu/tlv.h"
#include "idtap/crypto/mac.h"
#include "idtap/crypto/random.h"

namespace idtap::auth {

using crypto::CipherAlg;

namespace {

Error malformed(std::string what) { return make_error(ErrorCode::kMalformed, std::move(what)); }

int mapping_rank(PaceMapping m) {
  switch (m) {
    case PaceMapping::kChipAuthentication: return 3;
    case PaceMapping::kGeneric: return 2;
    case PaceMapping::kIntegrated: return 1;
  }
  return 0;
}

int cipher_rank(CipherAlg c) {
  switch (c) {
    case CipherAlg::kAes256: return 4;
    case CipherAlg::kAes192: return 3;
    case CipherAlg::kAes128: return 2;
    case CipherAlg::kTdes: return 1;
  }
  return 0;
}

// Why `info` cannot be used (empty when it can), with its algorithm and domain size.
struct Candidate {
  lds::PaceInfo info;
  PaceAlgorithm algorithm;
  std::optional<PaceDomain> domain;
  std::tuple<int, int, int, size_t> rank{0, 0, 0, 0};  // mapping, ECDH, cipher, domain size
  std::string problem;
};

Candidate assess(const lds::PaceInfo& info, const PaceChoiceOptions& options) {
  Candidate c;
  c.info = info;
  auto alg = pace_algorithm_from_oid(info.protocol);
  if (!alg.ok()) {
    c.problem = alg.error().context;
    return c;
  }
  c.algorithm = *alg;
  if (!info.parameter_id) {
    c.problem = alg->name() + " without a parameter ID (explicit domain parameters are not supported)";
    return c;
  }
  auto domain = PaceDomain::standardized(*info.parameter_id);
  if (!domain.ok()) {
    c.problem = alg->name() + ": " + domain.error().context;
    return c;
  }
  if ((alg->agreement == PaceKeyAgreement::kEcdh) != (domain->agreement() == PaceKeyAgreement::kEcdh)) {
    c.problem = alg->name() + " with the " + domain->name() + " parameters (key agreement mismatch)";
    return c;
  }
  if (alg->mapping == PaceMapping::kIntegrated && domain->ec_generator() != nullptr &&
      domain->ec_generator()->group().curve() == crypto::EcCurve::kNistP224) {
    c.problem = alg->name() + " on NIST P-224 (ICAO 9303-11 Table 12: not usable with the Integrated Mapping)";
    return c;
  }
  if (alg->mapping == PaceMapping::kIntegrated && !options.allow_integrated_mapping) {
    c.problem = alg->name() + ": the Integrated Mapping is disabled";
    return c;
  }
  if (alg->cipher == CipherAlg::kTdes && !options.allow_3des) {
    c.problem = alg->name() + ": 3DES is disabled";
    return c;
  }
  c.rank = std::make_tuple(mapping_rank(alg->mapping), alg->agreement == PaceKeyAgreement::kEcdh ? 1 : 0,
                           cipher_rank(alg->cipher), domain->field_bits());
  c.domain = std::move(*domain);
  return c;
}

// The PACE status words (ICAO 9303-11 §4.4.4, BSI TR-03110-3 B.1): 63Cx retry counter, 6300
// authentication failed, 6983 blocked, 6984 not usable. Anything else is a plain card error.
Error pace_status_error(uint16_t sw, const Password& password, const std::string& step) {
  const std::string kind = password_kind_name(password.kind());
  Error e;
  if (apdu::sw::is_retry_counter(sw)) {
    const int tries = sw & 0x0F;
    if (tries == 0) {
      e = make_error(ErrorCode::kPasswordBlocked, step + ": the " + kind + " is blocked (retry counter 0)");
    } else if (tries == 1 && password.kind() == PasswordKind::kPin) {
      e = make_error(ErrorCode::kPasswordSuspended,
                     step + ": wrong PIN, the PIN is now suspended: run PACE with the CAN first, then the PIN again");
    } else {
      e = make_error(ErrorCode::kAuthFailed, step + ": wrong " + kind + ", " + std::to_string(tries) +
                                                 (tries == 1 ? " try left" : " tries left"));
    }
  } else if (sw == apdu::sw::kVerificationFailed) {
    e = make_error(ErrorCode::kAuthFailed, step + ": authentication failed (wrong " + kind + "?)");
  } else if (sw == apdu::sw::kAuthenticationMethodBlocked) {
    e = make_error(ErrorCode::kPasswordBlocked, step + ": the " + kind + " is blocked (6983)");
  } else if (sw == apdu::sw::kReferenceDataNotUsable) {
    e = make_error(ErrorCode::kPasswordBlocked, step + ": the " + kind + " is not usable (6984: deactivated or blocked)");
  } else {
    return card_status_error(sw, step + " (" + apdu::sw::describe(sw) + ")");
  }
  e.sw = sw;
  return e;
}

// One GENERAL AUTHENTICATE step: sends 7C{tag value} (chained unless `last`), returns the
// response data after the status check.
Result<Bytes> general_authenticate(apdu::Transport& transport, const Password& password, const std::string& step,
                                   uint32_t tag, ByteView value, bool last, bool extended) {
  Bytes content = tag == 0 ? Bytes{} : apdu::encode_tlv(tag, value);
  apdu::CommandApdu cmd = apdu::general_authenticate(content, !last, extended ? apdu::kMaxExtendedNe : 256);
  cmd.extended = extended;
  IDTAP_ASSIGN_OR_RETURN(auto rsp, apdu::exchange(transport, cmd));
  if (rsp.sw != apdu::sw::kOk) return pace_status_error(rsp.sw, password, step);
  return std::move(rsp.data);
}

// A fresh key pair, or the injected one (replays of published examples).
Result<PaceKeyPair> key_pair(const PaceDomain& domain, const std::optional<SecureBytes>& fixed) {
  if (!fixed) return domain.generate_key_pair();
  auto k = domain.key_pair_from_private(*fixed);
  if (!k.ok()) return k.error().with_context("injected private key");
  return k;
}

Status reject_reflection(ByteView ours, ByteView theirs, const char* what) {
  // Compared as values: a DH public value is an integer, and 00 || PK is PK (an EC point starts
  // with 04, so this changes nothing there).
  auto value = [](ByteView v) {
    size_t i = 0;
    while (i + 1 < v.size() && v[i] == 0) ++i;
    return v.subspan(i);
  };
  if (equal_bytes(value(ours), value(theirs))) {
    return make_error(ErrorCode::kAuthFailed, std::string("the chip sent back our own ") + what + " (reflection)");
  }
  return ok_status();
}

}  // namespace

Result<PaceSelection> choose_pace(const std::vector<lds::PaceInfo>& offered, const PaceChoiceOptions& options) {
  if (offered.empty()) return make_error(ErrorCode::kInvalidArgument, "no PACEInfo to choose from");
  std::vector<Candidate> usable;
  std::string problems;
  for (const auto& info : offered) {
    Candidate c = assess(info, options);
    if (options.protocol && !equal_bytes(info.protocol, *options.protocol)) continue;
    if (options.protocol && options.parameter_id && info.parameter_id != options.parameter_id) continue;
    if (!c.problem.empty()) {
      problems += (problems.empty() ? "" : "; ") + c.problem;
      continue;
    }
    usable.push_back(std::move(c));
  }
  if (usable.empty()) {
    if (options.protocol && problems.empty()) {
      return make_error(ErrorCode::kNotSupported, "the requested PACE protocol is not offered by the card");
    }
    return make_error(ErrorCode::kNotSupported, "no supported PACEInfo: " + problems);
  }
  // stable: equal candidates keep the card's order
  std::stable_sort(usable.begin(), usable.end(), [](const Candidate& a, const Candidate& b) { return a.rank > b.rank; });
  PaceSelection sel;
  sel.info = usable.front().info;
  sel.algorithm = usable.front().algorithm;
  sel.domain = std::move(usable.front().domain);
  switch (options.parameter_id_policy) {
    case ParameterIdPolicy::kWhenSeveral: sel.send_parameter_id = offered.size() > 1; break;
    case ParameterIdPolicy::kAlways: sel.send_parameter_id = true; break;
    case ParameterIdPolicy::kNever: sel.send_parameter_id = false; break;
  }
  return sel;
}

AccessChoice choose_access(const std::optional<lds::SecurityInfos>& card_access, const PaceChoiceOptions& options) {
  AccessChoice choice;
  if (!card_access) {
    choice.reason = "no EF.CardAccess: BAC";
    return choice;
  }
  if (card_access->pace.empty()) {
    choice.reason = "EF.CardAccess lists no PACEInfo: BAC";
    return choice;
  }
  auto sel = choose_pace(card_access->pace, options);
  if (!sel.ok()) {
    choice.reason = "PACE offered but not usable (" + sel.error().context + "): BAC";
    return choice;
  }
  choice.method = AccessControl::kPace;
  choice.reason = "PACE: " + sel->algorithm.name() + " with parameter ID " + std::to_string(*sel->info.parameter_id);
  choice.pace = std::move(*sel);
  return choice;
}

Result<PaceResult> run_pace(apdu::Transport& transport, const Password& password, const PaceSelection& selection,
                            const PaceOptions& options) {
  const PaceAlgorithm& alg = selection.algorithm;
  if (!equal_bytes(alg.oid, selection.info.protocol)) {
    return make_error(ErrorCode::kInvalidArgument, "PaceSelection: algorithm and PACEInfo disagree");
  }
  if (!selection.info.parameter_id) return make_error(ErrorCode::kNotSupported, alg.name() + " without a parameter ID");
  if (selection.domain && selection.domain->parameter_id() != selection.info.parameter_id) {
    return make_error(ErrorCode::kInvalidArgument, "PaceSelection: domain and PACEInfo disagree");
  }
  IDTAP_ASSIGN_OR_RETURN(PaceDomain domain, selection.domain ? Result<PaceDomain>(*selection.domain)
                                                             : PaceDomain::standardized(*selection.info.parameter_id));
  if ((alg.agreement == PaceKeyAgreement::kEcdh) != (domain.agreement() == PaceKeyAgreement::kEcdh)) {
    return make_error(ErrorCode::kNotSupported, alg.name() + " with the " + domain.name() + " parameters");
  }
  // DH-2048 public keys (256 bytes) need extended-length GENERAL AUTHENTICATE (ICAO 9303-11
  // §9.3.1.2: terminals MUST support it; the reader may not).
  const bool extended = domain.dh_group() != nullptr && domain.dh_group()->p_size() > 200;
  if (extended && !transport.capabilities().extended_length) {
    return make_error(ErrorCode::kNotSupported, alg.name() + " on " + domain.name() +
                                                    " needs extended-length APDUs, which this transport cannot send");
  }
  const std::string who = std::string(password_kind_name(password.kind()));

  PaceResult result;
  result.algorithm = alg;
  result.pace_info = selection.info;
  result.domain = domain.name();
  result.password = password.kind();

  IDTAP_ASSIGN_OR_RETURN(SecureBytes seed, password.pace_key_seed());
  IDTAP_ASSIGN_OR_RETURN(SecureBytes k_pi, derive_password_key(alg.cipher, seed));

  // MSE:Set AT (ICAO 9303-11 §4.4.4.1): 80 OID, 83 password reference, [84 parameter ID].
  {
    apdu::TlvWriter w;
    w.add(0x80, alg.oid);
    w.add(0x83, Bytes{password.pace_reference()});
    if (selection.send_parameter_id) w.add_uint(0x84, static_cast<uint64_t>(*selection.info.parameter_id));
    IDTAP_ASSIGN_OR_RETURN(Bytes data, w.finish());
    IDTAP_ASSIGN_OR_RETURN(auto rsp, apdu::exchange(transport, apdu::mse_set_at(0xC1, data)));
    const std::string step = "PACE MSE:Set AT (" + alg.name() + ", " + who + ")";
    if (apdu::sw::is_retry_counter(rsp.sw)) {
      // A warning: the password is usable with x tries left, unless suspended (PIN, 1) or
      // blocked (0).
      const int tries = rsp.sw & 0x0F;
      if (tries == 0 || (tries == 1 && password.kind() == PasswordKind::kPin)) return pace_status_error(rsp.sw, password, step);
      result.retries_left = tries;
    } else if (rsp.sw != apdu::sw::kOk) {
      return pace_status_error(rsp.sw, password, step);
    }
  }

  // Step 1: encrypted nonce.
  IDTAP_ASSIGN_OR_RETURN(Bytes r1, general_authenticate(transport, password, "PACE step 1 (encrypted nonce)", 0, {}, false, false));
  auto z = parse_dynamic_authentication_data(r1, 0x80);
  if (!z.ok()) return z.error().with_context("PACE step 1 response");
  auto s = decrypt_nonce(alg, k_pi, *z);
  if (!s.ok()) return s.error().with_context("PACE step 1");

  // Step 2: map the nonce.
  PaceDomain eph_domain = domain;
  if (alg.mapping == PaceMapping::kIntegrated) {
    Bytes t;
    if (options.randomness.nonce_t) {
      t = *options.randomness.nonce_t;
    } else {
      IDTAP_ASSIGN_OR_RETURN(t, crypto::random_bytes(pace_terminal_nonce_length(alg)));
    }
    IDTAP_ASSIGN_OR_RETURN(Bytes r2, general_authenticate(transport, password, "PACE step 2 (map nonce)", 0x81, t, false, extended));
    // ICAO 9303-11 §4.4.5.2.2: the chip's 82 SHALL be empty. Named leniency: an empty 7C, or no
    // data at all, is accepted as the same answer.
    if (!r2.empty() && !equal_bytes(r2, Bytes{0x7C, 0x00})) {
      auto m = parse_dynamic_authentication_data(r2, 0x82);
      if (!m.ok()) return m.error().with_context("PACE step 2 response");
      if (!m->empty()) return malformed("PACE step 2 response: the Integrated Mapping's tag 82 must be empty");
    }
    auto mapped = map_integrated(domain, alg.cipher, *s, t);
    if (!mapped.ok()) return mapped.error().with_context("PACE step 2");
    eph_domain = std::move(*mapped);
  } else {
    IDTAP_ASSIGN_OR_RETURN(PaceKeyPair map_key, key_pair(domain, options.randomness.mapping_private_key));
    IDTAP_ASSIGN_OR_RETURN(Bytes r2, general_authenticate(transport, password, "PACE step 2 (map nonce)", 0x81,
                                                          map_key.public_key(), false, extended));
    auto pk_map_ic = parse_dynamic_authentication_data(r2, 0x82);
    if (!pk_map_ic.ok()) return pk_map_ic.error().with_context("PACE step 2 response");
    IDTAP_TRY(reject_reflection(map_key.public_key(), *pk_map_ic, "mapping public key"));
    auto mapped = map_generic(domain, *s, map_key, *pk_map_ic);
    if (!mapped.ok()) return mapped.error().with_context("PACE step 2: the chip's mapping public key");
    eph_domain = std::move(*mapped);
    result.chip_mapping_public_key = std::move(*pk_map_ic);
  }

  // Step 3: key agreement on the mapped domain.
  IDTAP_ASSIGN_OR_RETURN(PaceKeyPair eph_key, key_pair(eph_domain, options.randomness.key_agreement_private_key));
  IDTAP_ASSIGN_OR_RETURN(Bytes r3, general_authenticate(transport, password, "PACE step 3 (key agreement)", 0x83,
                                                        eph_key.public_key(), false, extended));
  auto pk_ic = parse_dynamic_authentication_data(r3, 0x84);
  if (!pk_ic.ok()) return pk_ic.error().with_context("PACE step 3 response");
  // ICAO 9303-11 §4.4.1 3d): check that PK_DH,IC and PK_DH,IFD differ.
  IDTAP_TRY(reject_reflection(eph_key.public_key(), *pk_ic, "ephemeral public key"));
  auto k = eph_key.shared_secret(*pk_ic);
  if (!k.ok()) return k.error().with_context("PACE step 3: the chip's ephemeral public key");
  IDTAP_ASSIGN_OR_RETURN(sm::SessionKeys keys, derive_session_keys(alg.cipher, *k));
  result.chip_ephemeral_public_key = std::move(*pk_ic);

  // Step 4: mutual authentication. T_IFD over the chip's key, T_IC over ours.
  IDTAP_ASSIGN_OR_RETURN(Bytes t_ifd, authentication_token(alg, keys.ks_mac, result.chip_ephemeral_public_key));
  IDTAP_ASSIGN_OR_RETURN(Bytes r4, general_authenticate(transport, password, "PACE step 4 (mutual authentication)", 0x85,
                                                        t_ifd, true, false));
  auto mutual = parse_mutual_authentication_data(r4);
  if (!mutual.ok()) return mutual.error().with_context("PACE step 4 response");
  if (mutual->token.size() != 8) {
    return malformed("PACE step 4: the chip's authentication token has " + std::to_string(mutual->token.size()) +
                     " bytes, expected 8");
  }
  IDTAP_ASSIGN_OR_RETURN(Bytes t_ic, authentication_token(alg, keys.ks_mac, eph_key.public_key()));
  if (!crypto::constant_time_equal(t_ic, mutual->token)) {
    return make_error(ErrorCode::kAuthFailed, "PACE step 4: the chip's authentication token T_IC does not verify");
  }
  // §4.4.5: 8A MUST be present with the Chip Authentication Mapping and MUST NOT otherwise.
  if (alg.mapping == PaceMapping::kChipAuthentication) {
    if (!mutual->encrypted_chip_authentication_data) {
      return malformed("PACE step 4 response: missing tag 8A (encrypted chip authentication data) for PACE-CAM");
    }
    auto ca = decrypt_chip_authentication_data(alg.cipher, keys.ks_enc, *mutual->encrypted_chip_authentication_data,
                                               domain.ec_generator()->group().order_size());
    if (!ca.ok()) return ca.error().with_context("PACE step 4");
    result.chip_authentication_data = std::move(*ca);
  } else if (mutual->encrypted_chip_authentication_data) {
    return malformed("PACE step 4 response: tag 8A (chip authentication data) without the Chip Authentication Mapping");
  }
  result.car = std::move(mutual->car);
  result.previous_car = std::move(mutual->previous_car);

  IDTAP_ASSIGN_OR_RETURN(result.channel, sm::SecureChannel::create(transport, keys));
  return result;
}

Status verify_pace_cam(const PaceResult& result, const crypto::EcPoint& pk_ic) {
  if (result.algorithm.mapping != PaceMapping::kChipAuthentication || !result.chip_authentication_data) {
    return make_error(ErrorCode::kInvalidArgument, "verify_pace_cam: the session did not use PACE-CAM");
  }
  return verify_chip_authentication(pk_ic, *result.chip_authentication_data, result.chip_mapping_public_key);
}

}  // namespace idtap::auth
