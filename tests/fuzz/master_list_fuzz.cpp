// libFuzzer target: an ICAO CSCA master list (ICAO 9303-12 §8) as the trust store loads it: the
// CMS SignedData with its signature and signer checks (add_master_list, with and without the
// signer-chain policy), and the CscaMasterList content parser on its own (the signature keeps
// mutated lists from reaching it through add_master_list). Seeds: whole master lists and bare
// CscaMasterList contents built from the test PKI.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "idtap/auth/trust_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  idtap::ByteView in(data, size);
  for (bool chain : {true, false}) {
    idtap::auth::TrustStore store;
    auto st = store.add_master_list(in, "fuzz.ml", idtap::auth::MasterListPolicy{.require_signer_chain = chain});
    // A list that loaded trusts at least one CSCA; a refused one trusts nothing.
    if (st.ok() != (store.anchor_count() > 0)) std::abort();
    if (st.ok()) (void)store.verify_signer(in);
  }
  auto certs = idtap::auth::parse_csca_master_list(in);
  if (certs.ok()) {
    if (certs->empty()) std::abort();
    idtap::auth::TrustStore store;
    for (const auto& c : *certs) {
      // Every entry parsed as a certificate: it loads, or is refused as no CA certificate.
      auto st = store.add_certificates(c, "entry");
      if (!st.ok() && st.error().code != idtap::ErrorCode::kRefused) std::abort();
    }
  }
  return 0;
}
