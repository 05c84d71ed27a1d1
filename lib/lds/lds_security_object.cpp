#include "idtap/lds/lds_security_object.h"

#include <algorithm>
#include <set>

#include "idtap/apdu/tlv.h"

namespace idtap::lds {
namespace {

using apdu::Tlv;
using apdu::TlvReader;
using apdu::TlvWriter;

Error bad(const std::string& why) { return make_error(ErrorCode::kMalformed, "LDSSecurityObject: " + why); }

Status check_semantics(const LdsSecurityObject& lso) {
  // ICAO 9303-10 §4.6.2.2: v1 iff ldsVersionInfo is present; SIZE (2..ub-DataGroups) hashes.
  if (lso.version != 0 && lso.version != 1) return bad("version " + std::to_string(lso.version));
  if ((lso.version == 1) != lso.version_info.has_value()) return bad("version and ldsVersionInfo disagree");
  if (lso.hashes.size() < 2 || lso.hashes.size() > 16) return bad(std::to_string(lso.hashes.size()) + " data group hashes");
  std::set<int> seen;
  const auto alg = lso.hash_alg();
  for (const auto& h : lso.hashes) {
    if (h.number < 1 || h.number > 16) return bad("data group number " + std::to_string(h.number));
    if (!seen.insert(h.number).second) return bad("data group " + std::to_string(h.number) + " hashed twice");
    if (alg && h.hash.size() != digest_length(*alg))
      return bad("hash of DG" + std::to_string(h.number) + " is " + std::to_string(h.hash.size()) + " bytes");
    if (h.hash.empty()) return bad("empty hash");
  }
  return ok_status();
}

}  // namespace

std::optional<crypto::HashAlg> digest_alg_from_oid(ByteView oid) {
  auto dotted = oid_to_string(oid);
  if (!dotted.ok()) return std::nullopt;
  return crypto::hash_from_oid(*dotted);
}

Oid digest_oid(crypto::HashAlg alg) { return oid_or_die(crypto::hash_oid(alg)); }

size_t digest_length(crypto::HashAlg alg) { return crypto::digest_size(alg); }

std::optional<crypto::HashAlg> LdsSecurityObject::hash_alg() const { return digest_alg_from_oid(hash_algorithm.algorithm); }

const Bytes* LdsSecurityObject::hash_of(int number) const {
  for (const auto& h : hashes)
    if (h.number == number) return &h.hash;
  return nullptr;
}

Result<LdsSecurityObject> parse_lds_security_object(ByteView data, apdu::TlvMode mode) {
  TlvReader top(data, mode);
  IDTAP_ASSIGN_OR_RETURN(TlvReader seq, top.enter(der::kSequence));
  IDTAP_TRY(top.expect_end());
  LdsSecurityObject lso;
  IDTAP_ASSIGN_OR_RETURN(int64_t version, der::read_integer(seq));
  if (version < 0 || version > 1) return bad("version " + std::to_string(version));
  lso.version = static_cast<int>(version);
  IDTAP_ASSIGN_OR_RETURN(lso.hash_algorithm, der::read_algorithm_identifier(seq));
  IDTAP_ASSIGN_OR_RETURN(TlvReader list, seq.enter(der::kSequence));
  while (!list.empty()) {
    IDTAP_ASSIGN_OR_RETURN(TlvReader item, list.enter(der::kSequence));
    DataGroupHash h;
    IDTAP_ASSIGN_OR_RETURN(int64_t number, der::read_integer(item));
    if (number < 1 || number > 16) return bad("data group number " + std::to_string(number));
    h.number = static_cast<int>(number);
    IDTAP_ASSIGN_OR_RETURN(Tlv value, item.read(der::kOctetString));
    h.hash = to_bytes(value.value);
    IDTAP_TRY(item.expect_end());
    lso.hashes.push_back(std::move(h));
  }
  if (!seq.empty()) {
    IDTAP_ASSIGN_OR_RETURN(TlvReader info, seq.enter(der::kSequence));
    LdsVersionInfo v;
    IDTAP_ASSIGN_OR_RETURN(Tlv lds, info.read(der::kPrintableString));
    IDTAP_ASSIGN_OR_RETURN(Tlv uni, info.read(der::kPrintableString));
    IDTAP_TRY(info.expect_end());
    v.lds_version = string_of(lds.value);
    v.unicode_version = string_of(uni.value);
    lso.version_info = std::move(v);
  }
  IDTAP_TRY(seq.expect_end());
  IDTAP_TRY(check_semantics(lso));
  return lso;
}

Result<Bytes> encode_lds_security_object(const LdsSecurityObject& in) {
  LdsSecurityObject lso = in;
  lso.version = lso.version_info ? 1 : 0;
  auto ok = check_semantics(lso);
  if (!ok.ok()) return make_error(ErrorCode::kInvalidArgument, ok.error().context);
  TlvWriter w;
  w.open(der::kSequence);
  der::add_integer(w, lso.version);
  der::add_algorithm_identifier(w, lso.hash_algorithm);
  w.open(der::kSequence);
  for (const auto& h : lso.hashes) {
    w.open(der::kSequence);
    der::add_integer(w, h.number);
    w.add(der::kOctetString, h.hash);
    w.close();
  }
  w.close();
  if (lso.version_info) {
    w.open(der::kSequence)
        .add(der::kPrintableString, bytes_of(lso.version_info->lds_version))
        .add(der::kPrintableString, bytes_of(lso.version_info->unicode_version))
        .close();
  }
  w.close();
  return w.finish();
}

}  // namespace idtap::lds
