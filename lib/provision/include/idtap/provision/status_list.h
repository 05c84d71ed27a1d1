// idtap/provision/status_list.h: the IETF Token Status List (draft-ietf-oauth-status-list,
// CBOR/CWT form) that tells verifiers which credentials are suspended or revoked.
//
// A status list is a byte array holding one `bits`-wide status per credential (status i at
// bit (i*bits) % 8 of byte (i*bits) / 8, least significant bit first: draft §4.1), compressed
// with DEFLATE in the ZLIB format. The Status List Token is a CWT signed with COSE_Sign1
// (ES256, typ "application/statuslist+cwt") whose claims are 2 (sub: the list's URI),
// 6 (iat), 4 (exp, optional), 65534 (ttl, optional) and 65533 (status_list:
// {"bits": uint, "lst": bstr}). Each mdoc's MSO refers to its entry with
// status: {"status_list": {"idx": uint, "uri": tstr}}.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/provision/date.h"
#include "idtap/provision/keys.h"
#include "idtap/provision/signer.h"

namespace idtap::provision {

// Status values (draft §7.1): VALID 0, INVALID 1 (revoked), SUSPENDED 2 (needs bits >= 2).
inline constexpr uint8_t kStatusValid = 0;
inline constexpr uint8_t kStatusInvalid = 1;
inline constexpr uint8_t kStatusSuspended = 2;
inline constexpr const char* kStatusListTyp = "application/statuslist+cwt";

// StatusList: the uncompressed list.
class StatusList {
 public:
  // StatusList::create: `size` entries of `bits` (1, 2, 4 or 8) each, all VALID;
  // kInvalidArgument for another width.
  static Result<StatusList> create(uint64_t size, int bits = 1);
  // StatusList::from_bytes: a decompressed `lst` byte array.
  static Result<StatusList> from_bytes(Bytes bytes, int bits);

  int bits() const { return bits_; }
  uint64_t size() const { return bytes_.size() * 8 / bits_; }
  const Bytes& bytes() const { return bytes_; }
  // StatusList::get / set: the status at `index`; kInvalidArgument past the end or for a value
  // that does not fit `bits`.
  Result<uint8_t> get(uint64_t index) const;
  Status set(uint64_t index, uint8_t value);

 private:
  int bits_ = 1;
  Bytes bytes_;
};

// zlib_compress / zlib_decompress: DEFLATE in the ZLIB format (RFC 1950/1951);
// decompression stops with kMalformed past `max_output` bytes (a decompression bomb).
Result<Bytes> zlib_compress(ByteView data);
Result<Bytes> zlib_decompress(ByteView data, size_t max_output = 16 * 1024 * 1024);

// StatusListLedgerHead: the head of the issuing ledger's event chain when the list was made
// (the sequence number of its last event, that event's link, and the head's HMAC tag under the
// ledger key): an anchor outside the database, so that a ledger rolled back to an older copy is
// found (`idtap ledger verify --anchor status.cwt`). Carried in the private claim
// "idtap_ledger_head" = [seq, link, tag].
struct StatusListLedgerHead {
  int64_t seq = 0;
  Bytes link;
  Bytes tag;
};

// StatusListToken: the claims of a Status List Token.
struct StatusListToken {
  std::string uri;                          // sub (2)
  UnixSeconds issued_at = 0;                // iat (6)
  std::optional<UnixSeconds> expires_at;    // exp (4)
  std::optional<uint64_t> ttl;              // ttl (65534)
  StatusList list;                          // status_list (65533)
  std::optional<StatusListLedgerHead> ledger_head;  // "idtap_ledger_head" (private claim)
};

// sign_status_list_token: the Status List Token as a tagged COSE_Sign1 (tag 18) carrying the
// signer's certificate chain (x5chain).
Result<Bytes> sign_status_list_token(const StatusListToken& token, IssuerSigner& signer);

// StatusListVerifyOptions: what a verifier trusts and when it checks.
struct StatusListVerifyOptions {
  std::vector<Certificate> trusted_issuers;
  UnixSeconds now = 0;
};

// verify_status_list_token: the token's claims after checking the typ, the ES256 signature,
// the signer chain to `trusted_issuers` and exp. kMalformed for a bad shape,
// kVerificationFailed / kNoTrustAnchor otherwise.
Result<StatusListToken> verify_status_list_token(ByteView token, const StatusListVerifyOptions& options);

// status_list_ledger_head: the "idtap_ledger_head" claim of a Status List Token, read WITHOUT
// checking its signature (the ledger checks the head's own tag under its key instead); nullopt
// when the token has none; kMalformed when it is not a token or the claim has another shape.
Result<std::optional<StatusListLedgerHead>> status_list_ledger_head(ByteView token);

}  // namespace idtap::provision
