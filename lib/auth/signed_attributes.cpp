#include "signed_attributes.h"

#include "idtap/crypto/hash.h"
#include "idtap/lds/lds_security_object.h"

namespace idtap::auth {

std::string check_signed_attributes(const lds::SignedData& sd, const std::string& file) {
  if (sd.signer_infos.size() != 1) return file + " must have exactly one SignerInfo";
  const lds::SignerInfoData& si = sd.signer_infos[0];
  if (!si.signed_attributes) return file + "'s SignerInfo has no signed attributes";
  if (!si.content_type) return file + "'s signed attributes have no contentType";
  if (*si.content_type != sd.econtent_type) return file + "'s signed contentType attribute is not its eContentType";
  if (!si.message_digest) return file + "'s signed attributes have no messageDigest";
  auto alg = lds::digest_alg_from_oid(si.digest_algorithm.algorithm);
  if (!alg) return file + "'s SignerInfo names an unsupported digest algorithm";
  auto actual = crypto::digest(*alg, sd.econtent);
  if (!actual.ok() || !equal_bytes(*actual, *si.message_digest))
    return file + "'s signed messageDigest does not match its content";
  return {};
}

}  // namespace idtap::auth
