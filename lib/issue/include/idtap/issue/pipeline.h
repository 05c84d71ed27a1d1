// idtap/issue/pipeline.h: the one issuance pipeline. `idtap provision`, `idtap provision
// offer`, the OID4VCI server (through LedgerOfferBackend), the clerk console and the C API all
// run these steps, in this order:
//
//   1. Pipeline::open        the issuer key and chain, refused when its certificate would not
//                            cover a credential issued now (before any card is read)
//   2. read_holder           one read session; only a card read as genuine goes on
//      (or parse_attested_holder, attested_record.h: the chipless path)
//   3. the rules             check_issuance_policy (genuine or attested, portrait, resident
//                            number agrees with the birth date, 17+, card valid and not lost),
//                            the ledger's own (card not reported lost, not another holder's,
//                            attested only when the ledger allows it, one phone per holder:
//                            the previous phone revoked in the same transaction)
//   4. issue                 the mdoc, signed, recorded in the ledger, published (a file for
//                            `idtap provision`, a pending offer for the phone, the bytes for
//                            the OID4VCI credential endpoint)
//
// Every error is a library error (Result): the callers map them (exit codes, OID4VCI errors).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "idtap/apdu/transport.h"
#include "idtap/base/result.h"
#include "idtap/provision/holder.h"
#include "idtap/provision/keys.h"
#include "idtap/provision/ledger.h"
#include "idtap/provision/mapping.h"
#include "idtap/provision/pending_offers.h"
#include "idtap/provision/proof.h"
#include "idtap/provision/signer.h"
#include "idtap/reader/session.h"

namespace idtap::issue {

// read_holder: step 2: one read session over `card` (reader::read_card) and, only when the
// card read as genuine, the one conversion (provision::holder_from_read). A read that fails
// returns its error (wrong CAN or MRZ, card or reader errors); a card that is not genuine is
// kVerificationFailed ("refused: the card was not read as genuine (REASON); nothing was issued
// or recorded"), and its verification is copied to `*refused` when given (callers that report
// the verdict: `idtap provision` exits as `idtap read` does for it).
Result<provision::VerifiedHolder> read_holder(apdu::Transport& card, const reader::ReadRequest& request,
                                              reader::Verification* refused = nullptr);

// load_checked_issuer: step 1: the issuer key and chain (provision::load_issuer: kIo,
// kMalformed, kAuthFailed for a wrong passphrase, ...), refused (check_issuer_validity:
// kRefused naming the certificate) when a credential issued at `now` would not verify.
Result<std::unique_ptr<provision::IssuerSigner>> load_checked_issuer(const provision::IssuerFiles& files, UnixSeconds now);

// PipelineConfig: what a pipeline issues with.
struct PipelineConfig {
  provision::IssuerFiles issuer;
  provision::DocTypeMapping mapping = provision::DocTypeMapping::resident_id_default();
};

// FileIssue / OfferRequest: the inputs of the two desk publications. `holder` is borrowed.
struct FileIssue {
  const provision::VerifiedHolder* holder = nullptr;
  provision::EcPublicKey device_key;
  provision::PossessionProof proof;  // over a challenge of the ledger
  UnixSeconds now = 0;
  std::string path;                  // a new file (provision::issue_to_file)
  std::string idempotency_id;        // IssueRequest::idempotency_id ("": one is made)
};
struct OfferRequest {
  const provision::VerifiedHolder* holder = nullptr;
  UnixSeconds now = 0;
  int64_t ttl_seconds = provision::kOfferDefaultTtlSeconds;
};

// Pipeline: steps 3 and 4 over one ledger and one issuer. The ledger is borrowed (it must
// outlive the pipeline); the signer is owned. Not shared between threads (as Ledger).
class Pipeline {
 public:
  // Pipeline::open: step 1 (load_checked_issuer), then the pipeline over `ledger`.
  static Result<Pipeline> open(provision::Ledger& ledger, const PipelineConfig& config, UnixSeconds now);
  // Pipeline: over a signer made elsewhere (an HSM, a test issuer, load_checked_issuer); no
  // validity check here (the ledger checks it again at every issue). A null signer makes a
  // desk pipeline that only creates offers (`idtap provision offer` holds no issuer key): its
  // issue_to_file and issue_offer are kInvalidArgument.
  Pipeline(provision::Ledger& ledger, std::unique_ptr<provision::IssuerSigner> signer,
           provision::DocTypeMapping mapping = provision::DocTypeMapping::resident_id_default());
  Pipeline(Pipeline&&) noexcept = default;

  // Pipeline::issue_to_file: `idtap provision`: the rules, the ledger transaction and the
  // credential file (provision::issue_to_file: temp file, commit, no-replace rename). Errors
  // as that function's (kRefused for a rule).
  Result<provision::IssuedCredential> issue_to_file(const FileIssue& request);

  // Pipeline::create_offer: `idtap provision offer`: the rules now, then a pending offer for
  // the mapping's doc type (provision::PendingOffers::create; kRefused for a rule).
  Result<provision::CreatedOffer> create_offer(const OfferRequest& request);

  // Pipeline::redeem_offer / issue_offer: the phone's half (provision::PendingOffers::redeem /
  // issue: the rules again, one phone per holder, idempotent for the same key).
  Result<provision::RedeemedOfferRow> redeem_offer(std::string_view pre_authorized_code, std::string_view tx_code,
                                                   UnixSeconds now);
  Result<provision::OfferCredential> issue_offer(const std::string& offer_id, const provision::EcPublicKey& device_key,
                                                 UnixSeconds now);

  // Pipeline::credential_configuration_id: the OID4VCI configuration the offers name: the
  // mapping's doc type (one configuration per doc type).
  const std::string& credential_configuration_id() const { return mapping_.doc_type; }
  provision::Ledger& ledger() { return *ledger_; }
  provision::IssuerSigner& signer() { return *signer_; }
  const provision::DocTypeMapping& mapping() const { return mapping_; }

 private:
  provision::Ledger* ledger_;
  std::unique_ptr<provision::IssuerSigner> signer_;
  provision::DocTypeMapping mapping_;
  provision::PendingOffers offers_;
};

}  // namespace idtap::issue
