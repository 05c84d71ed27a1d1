// idtap/provision/pending_offers.h: credential offers waiting for a phone, in the ledger's
// database (table `offers`), so an offer survives a restart of the process that made it.
//
// An offer is made at the desk from a holder whose rules were checked then (a 16-year-old is
// refused at the desk, not at the phone). It holds:
//   - a pre-authorized code (256 random bits, base64url) and a 6-digit tx_code: only
//     HMAC-SHA256 tags of both are stored, under a key derived from the ledger key (HKDF-SHA256,
//     info "idtap offer code v1"), so a copy of the database alone does not give the codes;
//   - the holder record (everything the credential needs: names, resident number, portrait,
//     card, evidence), sealed with AES-256-GCM under a key derived from the ledger key (HKDF,
//     info "idtap offer seal v1"), the offer id in the associated data: the resident number is
//     never stored in clear, and a record moved to another offer does not open;
//   - an expiry (the ttl), a count of wrong tx_codes (the fifth kills the offer) and a state:
//       pending  -> redeemed (the code and tx_code were accepted once; the phone has
//                   kIssueWindowSeconds from then to fetch the credential)
//                -> issued   (the holder record is deleted in the issuance's own transaction;
//                   the credential is kept sealed until the offer expires, for a wallet that
//                   retries after a lost response)
//       pending  -> killed   (five wrong tx_codes; the holder record is deleted at once)
// sweep() deletes every offer past its expiry (create() and redeem() sweep too).
//
// Each state change appends an event to the ledger's HMAC event chain in its own transaction
// (so `idtap ledger verify` catches an edited one): 'offer_created' (detail "offer ID evidence
// chip|clerk:ID expires T", the site in the row's site), 'offer_redeemed', 'offer_killed' (the
// fifth wrong tx_code) and 'offer_expired' (swept unused: pending, or redeemed and never
// issued). An issued offer's last event is the credential's 'issued'. No event holds the
// pre-authorized code, the tx_code or anything of the holder record.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/provision/holder.h"
#include "idtap/provision/keys.h"
#include "idtap/provision/ledger.h"
#include "idtap/provision/mapping.h"
#include "idtap/provision/signer.h"

namespace idtap::provision {

// kOfferDefaultTtlSeconds: an offer not redeemed within 10 minutes expires.
inline constexpr int64_t kOfferDefaultTtlSeconds = 600;
// kOfferMaxTtlSeconds: at most a day.
inline constexpr int64_t kOfferMaxTtlSeconds = 86400;
// kIssueWindowSeconds: after redemption, the credential may be fetched (and fetched again with
// the same key) for this long.
inline constexpr int64_t kIssueWindowSeconds = 600;
// kMaxTxCodeAttempts: the fifth wrong tx_code kills the offer.
inline constexpr int kMaxTxCodeAttempts = 5;

// NewOffer: what create() needs. `holder` is borrowed for the call.
struct NewOffer {
  const VerifiedHolder* holder = nullptr;
  std::string credential_configuration_id;  // OID4VCI 1.0 §4.1.1 credential_configuration_ids
  UnixSeconds now = 0;
  int64_t ttl_seconds = kOfferDefaultTtlSeconds;
};

// CreatedOffer: what the clerk hands the phone. The two codes exist only here (and in the
// phone): the store keeps their tags.
struct CreatedOffer {
  std::string offer_id;             // 32 hex digits: the store's handle
  std::string pre_authorized_code;  // 43 base64url characters (256 bits)
  std::string tx_code;              // 6 digits, shown once to the holder
  UnixSeconds expires_at = 0;
};

// OfferState: where an offer stands.
enum class OfferState { kPending, kRedeemed, kIssued, kKilled };
// offer_state_name: "pending", "redeemed", "issued", "killed".
const char* offer_state_name(OfferState state);

// OfferInfo: an offer as stored, without its secrets (for tests and the console).
struct OfferInfo {
  std::string offer_id;
  std::string credential_configuration_id;
  std::string evidence;            // "chip" or "clerk:ID"
  OfferState state = OfferState::kPending;
  int failed_attempts = 0;
  UnixSeconds created_at = 0;
  UnixSeconds expires_at = 0;
  bool holder_sealed = false;      // the sealed holder record is still there
  std::string credential_id;       // once issued
};

// RedeemedOfferRow: an accepted code.
struct RedeemedOfferRow {
  std::string offer_id;
  std::string credential_configuration_id;
};

// OfferIssue: issue()'s input. `signer` is borrowed for the call.
struct OfferIssue {
  std::string offer_id;
  EcPublicKey device_key;           // its possession was proved to the caller (OID4VCI proof)
  UnixSeconds now = 0;
  DocTypeMapping mapping = DocTypeMapping::resident_id_default();
  IssuerSigner* signer = nullptr;
};

// OfferCredential: issue()'s output.
struct OfferCredential {
  std::string credential_id;
  Bytes issuer_signed;                // IssuerSigned CBOR
  std::vector<std::string> revoked;   // the holder's previous phone, revoked by this issuance
  bool repeated = false;              // the same key asked again: the stored credential
};

// PendingOffers: the offers of one Ledger (borrowed: it must outlive this object; the same
// thread rules apply).
class PendingOffers {
 public:
  explicit PendingOffers(Ledger& ledger);

  // PendingOffers::create: checks the rules now (check_issuance_policy on the day of `now`;
  // the card not reported lost in the ledger; a clerk-attested holder only when
  // Ledger::allow_attested()), then stores the sealed offer. kRefused with the reason when a
  // rule says no (nothing stored); kInvalidArgument for no holder, an empty configuration id
  // or a ttl outside 1..kOfferMaxTtlSeconds; ledger errors otherwise.
  Result<CreatedOffer> create(const NewOffer& offer);

  // PendingOffers::redeem: accepts `pre_authorized_code` with `tx_code` once. kNotFound for an
  // unknown, already redeemed or expired code; kAuthFailed for a wrong tx_code (counted, durably);
  // kRefused once the offer is killed (the fifth wrong tx_code returns kRefused too).
  Result<RedeemedOfferRow> redeem(std::string_view pre_authorized_code, std::string_view tx_code, UnixSeconds now);

  // PendingOffers::issue: the credential of a redeemed offer, bound to `request.device_key`,
  // through Ledger::issue (the rules again, the card not lost, one phone per holder: the
  // holder's previous credential revoked in the same transaction, PossessionCheck::kCaller);
  // in that transaction the sealed holder record is deleted and the credential kept sealed.
  // The same key again returns the same bytes (repeated = true); another key is kRefused.
  // kNotFound for an unknown or expired offer, kState for one not redeemed, kRefused for a
  // killed one or a rule that says no now; kMalformed when the sealed record does not open
  // (edited, or the ledger key replaced) or does not decode.
  Result<OfferCredential> issue(const OfferIssue& request);

  // PendingOffers::sweep: deletes every offer whose expiry is at or before `now`; returns how
  // many.
  Result<size_t> sweep(UnixSeconds now);

  // PendingOffers::info: the stored offer (kNotFound).
  Result<OfferInfo> info(const std::string& offer_id);

 private:
  Status ensure_schema();
  Ledger& ledger_;
  bool schema_ready_ = false;
};

// encode_holder_record / decode_holder_record: the holder as the sealed record holds it
// (deterministic CBOR map; every VerifiedHolder field). The encoding holds the resident number:
// SecureBytes. decode: kMalformed naming the field for anything that is not such a record.
Result<SecureBytes> encode_holder_record(const VerifiedHolder& holder);
Result<VerifiedHolder> decode_holder_record(ByteView record);

}  // namespace idtap::provision
