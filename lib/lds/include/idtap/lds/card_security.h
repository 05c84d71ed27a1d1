// idtap/lds/card_security.h: EF.CardAccess (a DER SecurityInfos) and EF.CardSecurity (CMS
// SignedData over SecurityInfos, eContentType id-SecurityObject; BSI TR-03110-3 §A.1.2.5,
// ICAO 9303-11 §9.2.11), in the MF.
#pragma once

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/lds/security_infos.h"
#include "idtap/lds/signed_data.h"

namespace idtap::lds {

// parse_card_access: the SecurityInfos of EF.CardAccess (strict DER; errors as
// parse_security_infos, with "EF.CardAccess" context).
Result<SecurityInfos> parse_card_access(ByteView file);

// CardSecurity: the signed structure and the SecurityInfos it carries.
struct CardSecurity {
  SignedData signed_data;
  SecurityInfos infos;
};

// parse_card_security: decodes EF.CardSecurity (does not verify). kMalformed when the CMS does
// not parse, the eContentType is not id-SecurityObject, or the content is not SecurityInfos.
Result<CardSecurity> parse_card_security(ByteView file, const SignedDataOptions& options = {});

// create_card_security: signs `infos` with `signer` (personalization, e.g. for PACE-CAM).
Result<Bytes> create_card_security(const SecurityInfos& infos, const CmsSigner& signer);

}  // namespace idtap::lds
