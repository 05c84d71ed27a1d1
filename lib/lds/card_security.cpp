#include "idtap/lds/card_security.h"

namespace idtap::lds {

Result<SecurityInfos> parse_card_access(ByteView file) {
  auto infos = parse_security_infos(file);
  if (!infos.ok()) return std::move(infos).error().with_context("EF.CardAccess");
  return infos;
}

Result<CardSecurity> parse_card_security(ByteView file, const SignedDataOptions& options) {
  auto sd = parse_signed_data(file, options);
  if (!sd.ok()) return std::move(sd).error().with_context("EF.CardSecurity");
  CardSecurity out;
  out.signed_data = std::move(sd).value();
  if (out.signed_data.econtent_type != oid::kSecurityObject)
    return make_error(ErrorCode::kMalformed, "EF.CardSecurity: eContentType is not id-SecurityObject");
  auto infos = parse_security_infos(out.signed_data.econtent);
  if (!infos.ok()) return std::move(infos).error().with_context("EF.CardSecurity");
  out.infos = std::move(infos).value();
  return out;
}

Result<Bytes> create_card_security(const SecurityInfos& infos, const CmsSigner& signer) {
  IDTAP_ASSIGN_OR_RETURN(Bytes content, encode_security_infos(infos));
  return create_signed_data(oid::kSecurityObject, content, signer);
}

}  // namespace idtap::lds
