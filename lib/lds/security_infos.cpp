// SecurityInfos ::= SET OF SecurityInfo; SecurityInfo ::= SEQUENCE { protocol OBJECT IDENTIFIER,
// requiredData ANY DEFINED BY protocol, optionalData ANY DEFINED BY protocol OPTIONAL }
// (BSI TR-03110-3 §A.1.1, ICAO 9303-11 §9.2).
#include "idtap/lds/security_infos.h"

#include <algorithm>

#include "idtap/apdu/tlv.h"
#include "idtap/lds/der.h"

namespace idtap::lds {
namespace {

using apdu::Tlv;
using apdu::TlvReader;
using apdu::TlvWriter;

Error malformed(const std::string& what, const Error& cause) {
  return cause.with_context("SecurityInfo " + what);
}

// optional_integer: an INTEGER if one is next, nullopt at the end of the SEQUENCE.
Result<std::optional<int64_t>> optional_integer(TlvReader& seq) {
  if (seq.empty()) return std::optional<int64_t>();
  IDTAP_ASSIGN_OR_RETURN(int64_t v, der::read_integer(seq));
  return std::optional<int64_t>(v);
}

Result<int> small_int(int64_t v, const char* what) {
  if (v < 0 || v > 0xFFFF) return make_error(ErrorCode::kMalformed, std::string(what) + " out of range");
  return static_cast<int>(v);
}

Status parse_one(ByteView raw, TlvReader seq, SecurityInfos& out) {
  IDTAP_ASSIGN_OR_RETURN(Oid protocol, der::read_oid(seq));
  const size_t n = protocol.size();
  if (has_prefix(protocol, oid::kPace) && n == oid::kPace.size() + 2) {
    // PACEInfo ::= SEQUENCE { protocol, version INTEGER, parameterId INTEGER OPTIONAL }
    // (ICAO 9303-11 §9.2.1)
    PaceInfo info{protocol, 0, std::nullopt};
    IDTAP_ASSIGN_OR_RETURN(int64_t version, der::read_integer(seq));
    IDTAP_ASSIGN_OR_RETURN(info.version, small_int(version, "PACEInfo version"));
    IDTAP_ASSIGN_OR_RETURN(auto param, optional_integer(seq));
    if (param) {
      IDTAP_ASSIGN_OR_RETURN(info.parameter_id, small_int(*param, "PACEInfo parameterId"));
    }
    IDTAP_TRY(seq.expect_end());
    out.pace.push_back(std::move(info));
  } else if (has_prefix(protocol, oid::kPace) && n == oid::kPace.size() + 1) {
    // PACEDomainParameterInfo ::= SEQUENCE { protocol, domainParameter AlgorithmIdentifier,
    // parameterId INTEGER OPTIONAL } (ICAO 9303-11 §9.2.2)
    PaceDomainParameterInfo info{protocol, {}, std::nullopt};
    IDTAP_ASSIGN_OR_RETURN(Tlv alg, seq.read(der::kSequence));
    info.domain_parameter = to_bytes(alg.raw);
    IDTAP_ASSIGN_OR_RETURN(auto param, optional_integer(seq));
    if (param) {
      IDTAP_ASSIGN_OR_RETURN(info.parameter_id, small_int(*param, "PACEDomainParameterInfo parameterId"));
    }
    IDTAP_TRY(seq.expect_end());
    out.pace_domain_parameters.push_back(std::move(info));
  } else if (has_prefix(protocol, oid::kCa) && n == oid::kCa.size() + 2) {
    // ChipAuthenticationInfo ::= SEQUENCE { protocol, version INTEGER, keyId INTEGER OPTIONAL }
    // (ICAO 9303-11 §9.2.3)
    ChipAuthenticationInfo info{protocol, 0, std::nullopt};
    IDTAP_ASSIGN_OR_RETURN(int64_t version, der::read_integer(seq));
    IDTAP_ASSIGN_OR_RETURN(info.version, small_int(version, "ChipAuthenticationInfo version"));
    IDTAP_ASSIGN_OR_RETURN(info.key_id, optional_integer(seq));
    IDTAP_TRY(seq.expect_end());
    out.chip_authentication.push_back(std::move(info));
  } else if (has_prefix(protocol, oid::kPk) && n == oid::kPk.size() + 1) {
    // ChipAuthenticationPublicKeyInfo ::= SEQUENCE { protocol, chipAuthenticationPublicKey
    // SubjectPublicKeyInfo, keyId INTEGER OPTIONAL } (ICAO 9303-11 §9.2.4)
    ChipAuthenticationPublicKeyInfo info{protocol, {}, std::nullopt};
    IDTAP_ASSIGN_OR_RETURN(Tlv spki_tlv, seq.read(der::kSequence));
    TlvReader spki(spki_tlv.value);
    IDTAP_TRY(der::read_algorithm_identifier(spki));
    IDTAP_ASSIGN_OR_RETURN(Tlv key, spki.read(der::kBitString));
    if (key.value.empty() || key.value[0] != 0)
      return make_error(ErrorCode::kMalformed, "chip public key BIT STRING with unused bits");
    IDTAP_TRY(spki.expect_end());
    info.subject_public_key_info = to_bytes(spki_tlv.raw);
    IDTAP_ASSIGN_OR_RETURN(info.key_id, optional_integer(seq));
    IDTAP_TRY(seq.expect_end());
    out.chip_authentication_public_keys.push_back(std::move(info));
  } else if (protocol == oid::kAa) {
    // ActiveAuthenticationInfo ::= SEQUENCE { protocol id-AA, version INTEGER,
    // signatureAlgorithm OBJECT IDENTIFIER } (ICAO 9303-11 §9.2.5)
    ActiveAuthenticationInfo info{protocol, 0, {}};
    IDTAP_ASSIGN_OR_RETURN(int64_t version, der::read_integer(seq));
    IDTAP_ASSIGN_OR_RETURN(info.version, small_int(version, "ActiveAuthenticationInfo version"));
    IDTAP_ASSIGN_OR_RETURN(info.signature_algorithm, der::read_oid(seq));
    IDTAP_TRY(seq.expect_end());
    out.active_authentication.push_back(std::move(info));
  } else if (protocol == oid::kTa) {
    // TerminalAuthenticationInfo ::= SEQUENCE { protocol id-TA, version INTEGER, efCVCA FileID
    // OPTIONAL } (BSI TR-03110-3 §A.1.1.3; ICAO 9303-11 §9.2.6): efCVCA is skipped.
    TerminalAuthenticationInfo info{protocol, 0};
    IDTAP_ASSIGN_OR_RETURN(int64_t version, der::read_integer(seq));
    IDTAP_ASSIGN_OR_RETURN(info.version, small_int(version, "TerminalAuthenticationInfo version"));
    if (!seq.empty()) IDTAP_TRY(seq.read(der::kSequence));
    IDTAP_TRY(seq.expect_end());
    out.terminal_authentication.push_back(std::move(info));
  } else {
    // Anything else (ChipAuthenticationDomainParameterInfo, id-PT, EFDIR, ...) kept whole.
    if (seq.empty()) return make_error(ErrorCode::kMalformed, "SecurityInfo without requiredData");
    out.unknown.push_back(UnknownSecurityInfo{protocol, to_bytes(raw)});
  }
  return ok_status();
}

Result<Bytes> finish(TlvWriter& w) { return w.finish(); }

}  // namespace

Result<SecurityInfos> parse_security_infos(ByteView der) {
  TlvReader top(der);
  IDTAP_ASSIGN_OR_RETURN(TlvReader set, top.enter(der::kSet));
  IDTAP_TRY(top.expect_end());
  SecurityInfos out;
  size_t index = 0;
  while (!set.empty()) {
    IDTAP_ASSIGN_OR_RETURN(Tlv item, set.read(der::kSequence));
    Status s = parse_one(item.raw, TlvReader(item.value), out);
    if (!s.ok()) return malformed("#" + std::to_string(index), s.error());
    ++index;
  }
  if (index == 0) return make_error(ErrorCode::kMalformed, "SecurityInfos: empty SET");
  return out;
}

Result<Bytes> encode_security_infos(const SecurityInfos& infos) {
  std::vector<Bytes> items;
  auto seq = [&items](auto&& body) -> Status {
    TlvWriter w;
    w.open(der::kSequence);
    body(w);
    w.close();
    IDTAP_ASSIGN_OR_RETURN(Bytes b, finish(w));
    items.push_back(std::move(b));
    return ok_status();
  };
  for (const auto& p : infos.pace)
    IDTAP_TRY(seq([&](TlvWriter& w) {
      der::add_oid(w, p.protocol);
      der::add_integer(w, p.version);
      if (p.parameter_id) der::add_integer(w, *p.parameter_id);
    }));
  for (const auto& p : infos.pace_domain_parameters)
    IDTAP_TRY(seq([&](TlvWriter& w) {
      der::add_oid(w, p.protocol);
      w.add_raw(p.domain_parameter);
      if (p.parameter_id) der::add_integer(w, *p.parameter_id);
    }));
  for (const auto& c : infos.chip_authentication)
    IDTAP_TRY(seq([&](TlvWriter& w) {
      der::add_oid(w, c.protocol);
      der::add_integer(w, c.version);
      if (c.key_id) der::add_integer(w, *c.key_id);
    }));
  for (const auto& k : infos.chip_authentication_public_keys)
    IDTAP_TRY(seq([&](TlvWriter& w) {
      der::add_oid(w, k.protocol);
      w.add_raw(k.subject_public_key_info);
      if (k.key_id) der::add_integer(w, *k.key_id);
    }));
  for (const auto& a : infos.active_authentication)
    IDTAP_TRY(seq([&](TlvWriter& w) {
      der::add_oid(w, a.protocol);
      der::add_integer(w, a.version);
      der::add_oid(w, a.signature_algorithm);
    }));
  for (const auto& t : infos.terminal_authentication)
    IDTAP_TRY(seq([&](TlvWriter& w) {
      der::add_oid(w, t.protocol);
      der::add_integer(w, t.version);
    }));
  for (const auto& u : infos.unknown) items.push_back(u.raw);
  if (items.empty()) return make_error(ErrorCode::kInvalidArgument, "SecurityInfos: nothing to encode");
  // DER SET OF: elements in ascending order of their encodings (X.690 §11.6).
  std::sort(items.begin(), items.end());
  TlvWriter w;
  w.open(der::kSet);
  for (const auto& i : items) w.add_raw(i);
  w.close();
  IDTAP_ASSIGN_OR_RETURN(Bytes out, w.finish());
  // Everything written must read back (a raw item that is not DER, a bad OID...).
  IDTAP_TRY(parse_security_infos(out));
  return out;
}

}  // namespace idtap::lds
