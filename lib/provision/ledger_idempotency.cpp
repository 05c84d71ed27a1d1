// lib/provision/ledger_idempotency.cpp: the idempotency ids of issuances (IssueRequest::
// idempotency_id): an issuance cut off by a lost connection (its commit may or may not have
// happened) is retried with the same id and returns the one outcome.
//
// Table `issuances` (ledger_schema.cpp): idempotency_id -> credential_id, with the signed bytes
// kept for kIdempotencyReplaySeconds, sealed (AES-256-GCM under a key derived from the ledger
// key, HKDF info kReplaySealInfo; the id and the credential id as associated data): the
// credential holds the resident number, which is never at rest in the ledger in clear. The row is written in the issuance's own transaction, so
// it exists exactly when the credential does. Writers are serialized (the backend's write lock),
// so a second call with the same id always finds the first one's row once it committed, and
// waits for it while it commits. A replay checks that the stored bytes are the ones the
// credential's row records (file_sha256) and that the holder and the device key are the
// request's: an id reused for another person or phone is refused, not answered with someone
// else's credential.
#include "idtap/base/hex.h"
#include "idtap/crypto/aead.h"
#include "idtap/crypto/hash.h"
#include "idtap/crypto/mac.h"
#include "idtap/crypto/random.h"
#include "ledger_internal.h"
#include "ledger_rebuild.h"

namespace idtap::provision {
namespace {

constexpr std::string_view kReplaySealInfo = "idtap issuance replay seal v1";

Result<SecureBytes> replay_seal_key(const Ledger::Impl& l) {
  return crypto::hkdf_sha256(ByteView(l.key.data(), l.key.size()), {}, bytes_of(kReplaySealInfo), 32);
}

Bytes replay_aad(const std::string& idempotency_id, const std::string& credential_id) {
  const std::string aad = "idtap issuance " + idempotency_id + " " + credential_id;
  return Bytes(aad.begin(), aad.end());
}

}  // namespace

Result<SecureBytes> open_replay_bytes(const Ledger::Impl& l, const std::string& idempotency_id, const std::string& credential_id,
                                      ByteView sealed) {
  IDTAP_ASSIGN_OR_RETURN(SecureBytes seal_key, replay_seal_key(l));
  return crypto::aes256_gcm_open(seal_key, replay_aad(idempotency_id, credential_id), sealed);
}

Status check_idempotency_id(std::string_view id) {
  if (id.empty() || id.size() > 128 ||
      id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") != std::string_view::npos)
    return make_error(ErrorCode::kInvalidArgument, "idempotency id '" + std::string(id.substr(0, 40)) +
                                                       "': 1..128 of A-Z a-z 0-9 . _ : - (the same id names the same issuance)");
  return ok_status();
}

Result<std::string> new_idempotency_id() {
  IDTAP_ASSIGN_OR_RETURN(Bytes r, crypto::random_bytes(16));
  return "idt-" + to_hex(r);
}

Result<std::optional<IssuedCredential>> Ledger::Impl::replay_issuance(const IssueRequest& r, ByteView holder_key) {
  IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare(
      "SELECT i.credential_id, i.issuer_signed, c.device_thumbprint, c.status_idx, c.valid_from, c.valid_until, "
      "c.issued_at, c.file_path, c.file_sha256, h.holder_key FROM issuances i JOIN credentials c ON c.id = i.credential_id "
      "JOIN holders h ON h.id = c.holder_id WHERE i.idempotency_id = ?1"));
  s.bind(1, r.idempotency_id);
  IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
  if (!row) return std::optional<IssuedCredential>();
  IssuedCredential out;
  out.credential_id = s.text(0);
  out.device_thumbprint = s.text(2);
  out.status_idx = static_cast<uint64_t>(s.i64(3));
  out.validity.valid_from = s.i64(4);
  out.validity.valid_until = s.i64(5);
  out.validity.signed_at = s.i64(6);
  out.file_path = s.text(7);
  out.idempotency_id = r.idempotency_id;
  out.replayed = true;
  const Bytes recorded_sha256 = s.blob(8);
  const Bytes stored_holder = s.blob(9);
  if (!crypto::constant_time_equal(stored_holder, holder_key) || out.device_thumbprint != r.device_key.thumbprint())
    return make_error(ErrorCode::kRefused, "idempotency id " + r.idempotency_id + " was used for another issuance (credential " +
                                               out.credential_id + ", another holder or phone): use a new id for a new issuance");
  if (s.is_null(1))
    return make_error(ErrorCode::kState, "idempotency id " + r.idempotency_id + " already issued credential " + out.credential_id +
                                             "; its signed bytes are no longer kept (older than one day): look it up with "
                                             "`idtap credential show`, or issue anew with a new id");
  auto opened = open_replay_bytes(*this, r.idempotency_id, out.credential_id, s.blob(1));
  if (!opened.ok())
    return make_error(ErrorCode::kMalformed, "ledger is corrupt: the bytes kept for idempotency id " + r.idempotency_id +
                                                 " do not open (edited, or not this ledger's key): run `idtap ledger verify`");
  out.issuer_signed.assign(opened->begin(), opened->end());
  IDTAP_ASSIGN_OR_RETURN(Bytes sha256, crypto::digest(crypto::HashAlg::kSha256, out.issuer_signed));
  if (!crypto::constant_time_equal(sha256, recorded_sha256))
    return make_error(ErrorCode::kMalformed, "ledger is corrupt: the bytes kept for idempotency id " + r.idempotency_id +
                                                 " are not credential " + out.credential_id + "'s: run `idtap ledger verify`");
  return std::optional<IssuedCredential>(std::move(out));
}

Status Ledger::Impl::record_issuance(const IssuedCredential& issued, UnixSeconds now) {
  IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("INSERT INTO issuances(idempotency_id, credential_id, created_at, issuer_signed) "
                                         "VALUES(?1, ?2, ?3, ?4)"));
  IDTAP_ASSIGN_OR_RETURN(SecureBytes seal_key, replay_seal_key(*this));
  IDTAP_ASSIGN_OR_RETURN(Bytes sealed, crypto::aes256_gcm_seal(seal_key, replay_aad(issued.idempotency_id, issued.credential_id),
                                                               issued.issuer_signed));
  return s.bind(1, issued.idempotency_id).bind(2, issued.credential_id).bind(3, now).bind_blob(4, sealed).run_deferred();
}

Status Ledger::Impl::forget_replay_bytes(UnixSeconds now) {
  IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("UPDATE issuances SET issuer_signed = NULL WHERE created_at < ?1 AND issuer_signed IS NOT NULL"));
  return s.bind(1, now - kIdempotencyReplaySeconds).run();
}

}  // namespace idtap::provision
