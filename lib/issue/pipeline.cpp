#include "idtap/issue/pipeline.h"

#include "idtap/provision/holder_from_read.h"
#include "idtap/provision/provisioning.h"

namespace idtap::issue {

using namespace idtap::provision;

Result<VerifiedHolder> read_holder(apdu::Transport& card, const reader::ReadRequest& request, reader::Verification* refused) {
  IDTAP_ASSIGN_OR_RETURN(reader::ReadResult read, reader::read_card(card, request));
  if (!read.verification.genuine) {
    if (refused != nullptr) *refused = read.verification;
    return make_error(ErrorCode::kVerificationFailed, "refused: the card was not read as genuine (" + read.verification.genuine_reason +
                                                          "); nothing was issued or recorded");
  }
  return holder_from_read(read);
}

Result<std::unique_ptr<IssuerSigner>> load_checked_issuer(const IssuerFiles& files, UnixSeconds now) {
  IDTAP_ASSIGN_OR_RETURN(SoftwareIssuer issuer, load_issuer(files));
  // An issuer certificate that would make the credential fail verification: refused before
  // the card is read (Ledger::issue checks it again at the moment of issue).
  IDTAP_TRY(check_issuer_validity(issuer, now, credential_valid_until(now)));
  return std::unique_ptr<IssuerSigner>(std::make_unique<SoftwareIssuer>(std::move(issuer)));
}

Result<Pipeline> Pipeline::open(Ledger& ledger, const PipelineConfig& config, UnixSeconds now) {
  IDTAP_ASSIGN_OR_RETURN(std::unique_ptr<IssuerSigner> signer, load_checked_issuer(config.issuer, now));
  return Pipeline(ledger, std::move(signer), config.mapping);
}

Pipeline::Pipeline(Ledger& ledger, std::unique_ptr<IssuerSigner> signer, DocTypeMapping mapping)
    : ledger_(&ledger), signer_(std::move(signer)), mapping_(std::move(mapping)), offers_(ledger) {}

Result<IssuedCredential> Pipeline::issue_to_file(const FileIssue& request) {
  if (request.holder == nullptr) return make_error(ErrorCode::kInvalidArgument, "issue: no holder");
  if (!signer_) return make_error(ErrorCode::kInvalidArgument, "issue: this pipeline has no issuer (a desk pipeline makes offers only)");
  IssueRequest r;
  r.holder = request.holder;
  r.device_key = request.device_key;
  r.possession = PossessionCheck::kChallenge;
  r.proof = request.proof;
  r.now = request.now;
  r.mapping = mapping_;
  r.file_path = request.path;
  r.idempotency_id = request.idempotency_id;
  return provision::issue_to_file(*ledger_, std::move(r), *signer_);
}

Result<CreatedOffer> Pipeline::create_offer(const OfferRequest& request) {
  NewOffer offer;
  offer.holder = request.holder;
  offer.credential_configuration_id = mapping_.doc_type;
  offer.now = request.now;
  offer.ttl_seconds = request.ttl_seconds;
  return offers_.create(offer);
}

Result<RedeemedOfferRow> Pipeline::redeem_offer(std::string_view pre_authorized_code, std::string_view tx_code, UnixSeconds now) {
  return offers_.redeem(pre_authorized_code, tx_code, now);
}

Result<OfferCredential> Pipeline::issue_offer(const std::string& offer_id, const EcPublicKey& device_key, UnixSeconds now) {
  if (!signer_) return make_error(ErrorCode::kInvalidArgument, "issue: this pipeline has no issuer (a desk pipeline makes offers only)");
  OfferIssue r;
  r.offer_id = offer_id;
  r.device_key = device_key;
  r.now = now;
  r.mapping = mapping_;
  r.signer = signer_.get();
  return offers_.issue(r);
}

}  // namespace idtap::issue
