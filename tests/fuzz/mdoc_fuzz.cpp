// libFuzzer target: every parser of lib/provision that reads bytes from a file or a phone:
// the mdoc (IssuerSigned / Document / DeviceResponse, each item, the MSO), a COSE_Key, a status
// list token, a proof file and a mapping file. None may crash, leak or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "idtap/provision/cbor.h"
#include "idtap/provision/keys.h"
#include "idtap/provision/mapping.h"
#include "idtap/provision/mdoc.h"
#include "idtap/provision/proof.h"
#include "idtap/provision/status_list.h"

using namespace idtap;
using namespace idtap::provision;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  auto is = decode_issuer_signed(in);
  if (is.ok()) {
    for (const auto& [ns, items] : is->name_spaces)
      for (const auto& b : items) (void)decode_issuer_signed_item(b);
    auto payload = cbor::decode(is->issuer_auth.payload);
    if (payload.ok()) {
      auto inner = cbor::unwrap_encoded_cbor(payload->get());
      if (inner.ok()) (void)decode_mso(*inner);
    }
  }
  // verify_mdoc with no trust anchor exercises the structure checks and stops at the issuer.
  (void)verify_mdoc(in, MdocVerifyOptions{});
  (void)decode_mso(in);
  (void)verify_status_list_token(in, StatusListVerifyOptions{});
  (void)zlib_decompress(in, 1 << 20);
  auto item = cbor::decode(in);
  if (item.ok()) {
    (void)EcPublicKey::from_cose_key(item->get());
    (void)cbor::diagnostic(item->get());
  }
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)parse_proof(text);
  (void)DocTypeMapping::parse(text);
  return 0;
}
