// libFuzzer target: EF.SOD (77 wrapper, CMS SignedData, LDSSecurityObject), strict and with the
// BER and id-data leniencies, and EF.CardSecurity.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "idtap/lds/card_security.h"
#include "idtap/lds/ef_sod.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  idtap::ByteView in(data, size);
  for (bool ber : {false, true}) {
    for (bool id_data : {false, true}) {
      auto sod = idtap::lds::parse_ef_sod(in, idtap::lds::EfSodOptions{.allow_ber = ber, .allow_id_data_content_type = id_data});
      if (!sod.ok()) continue;
      if (sod->signed_data.signer_infos.empty()) std::abort();
      if (!ber && sod->signed_data.used_ber) std::abort();
      if (!id_data && sod->id_data_content_type) std::abort();
    }
  }
  (void)idtap::lds::parse_card_security(in, idtap::lds::SignedDataOptions{true});
  (void)idtap::lds::parse_lds_security_object(in, idtap::apdu::TlvMode::kBerLenient);
  return 0;
}
