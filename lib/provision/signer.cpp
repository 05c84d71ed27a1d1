#include "idtap/provision/signer.h"

namespace idtap::provision {

SoftwareIssuer::SoftwareIssuer(EcPrivateKey key, std::vector<Certificate> chain)
    : key_(std::move(key)), chain_(std::move(chain)) {
  for (const auto& c : chain_) chain_der_.push_back(c.der());
}

Result<SoftwareIssuer> SoftwareIssuer::create(EcPrivateKey key, std::vector<Certificate> chain) {
  if (chain.empty()) return make_error(ErrorCode::kInvalidArgument, "issuer certificate chain is empty");
  auto leaf_key = chain.front().public_key();
  if (!leaf_key.ok()) return make_error(ErrorCode::kInvalidArgument, "issuer certificate: " + leaf_key.error().context);
  if (!(*leaf_key == key.public_key()))
    return make_error(ErrorCode::kInvalidArgument, "the issuer key does not match the issuer certificate");
  return SoftwareIssuer(std::move(key), std::move(chain));
}

Result<SoftwareIssuer> SoftwareIssuer::load(ByteView key_pem, ByteView passphrase, ByteView chain_pem) {
  IDTAP_ASSIGN_OR_RETURN(EcPrivateKey key, EcPrivateKey::from_pem(key_pem, passphrase));
  auto chain = Certificate::load_pem_chain(chain_pem);
  if (!chain.ok()) return make_error(ErrorCode::kInvalidArgument, "issuer certificate: " + chain.error().context);
  return create(std::move(key), std::move(chain).value());
}

}  // namespace idtap::provision
