// Issuing: idtap_issuer_*, idtap_offer_*, idtap_issue_to_device, idtap_credential_*. A thin
// binding of the one issuance pipeline (idtap/issue/pipeline.h), as `idtap provision` and
// `idtap provision offer` use it: the holder comes from a result of idtap_read.
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include "capi_internal.h"
#include "idtap/base/file_io.h"
#include "idtap/base/secure_bytes.h"
#include "idtap/issue/offer_uri.h"
#include "idtap/issue/pipeline.h"
#include "idtap/issue/qr.h"
#include "idtap/provision/date.h"
#include "idtap/provision/files.h"
#include "idtap/provision/holder_from_read.h"
#include "idtap/provision/ledger.h"
#include "idtap/provision/mapping.h"

using namespace idtap;
using idtap::capi::fail;
using idtap::capi::guarded;
using idtap::capi::succeed;

// idtap_issuer: one ledger connection and the pipeline over it (with or without a signer).
struct idtap_issuer {
  idtap_context* ctx = nullptr;
  std::unique_ptr<provision::Ledger> ledger;
  std::unique_ptr<issue::Pipeline> pipeline;
  bool can_sign = false;
};

// idtap_offer: a pending offer's secrets (wiped when freed) and its URI and QR code.
struct idtap_offer {
  std::string offer_id;
  std::string pre_authorized_code;
  std::string tx_code;
  std::optional<std::string> uri;
  std::optional<Bytes> qr_png;
  int64_t expires_at = 0;
  ~idtap_offer() {
    secure_zero(pre_authorized_code.data(), pre_authorized_code.size());
    secure_zero(tx_code.data(), tx_code.size());
    if (uri) secure_zero(uri->data(), uri->size());  // the URI carries the pre-authorized code
  }
};

// idtap_credential: what Pipeline::issue_to_file handed back.
struct idtap_credential {
  provision::IssuedCredential issued;
  ~idtap_credential() { secure_zero(issued.issuer_signed.data(), issued.issuer_signed.size()); }
};

namespace {

constexpr size_t kIssuerOptionsV1Size = sizeof(idtap_issuer_options);
constexpr size_t kLedgerOptionsV1Size = sizeof(idtap_ledger_options);
// idtap_device_issue grew at its end (ABI-additive): v1 ends before idempotency_id.
constexpr size_t kDeviceIssueV1Size = offsetof(idtap_device_issue, idempotency_id);
constexpr size_t kDeviceIssueV2Size = sizeof(idtap_device_issue);

// holder_of: the pipeline's step 2 on a read already made: only a genuine card goes on
// (kVerificationFailed as issue::read_holder words it), then the one conversion.
Result<provision::VerifiedHolder> holder_of(const idtap_result& read) {
  if (!read.read.verification.genuine)
    return make_error(ErrorCode::kVerificationFailed, "refused: the card was not read as genuine (" +
                                                          read.read.verification.genuine_reason +
                                                          "); nothing was issued or recorded");
  return provision::holder_from_read(read.read);
}

}  // namespace

extern "C" {

IDTAP_API void idtap_issuer_options_init(idtap_issuer_options* options) {
  if (options == nullptr) return;
  *options = idtap_issuer_options{};
  options->struct_size = sizeof *options;
}

IDTAP_API void idtap_ledger_options_init(idtap_ledger_options* options) {
  if (options == nullptr) return;
  std::memset(options, 0, sizeof *options);
  options->struct_size = sizeof *options;
}

IDTAP_API idtap_status idtap_issuer_open(idtap_context* ctx, const idtap_issuer_options* options, idtap_issuer** out) {
  return idtap_issuer_open_ledger(ctx, options, nullptr, out);
}

IDTAP_API idtap_status idtap_issuer_open_ledger(idtap_context* ctx, const idtap_issuer_options* options,
                                                const idtap_ledger_options* ledger_options, idtap_issuer** out) {
  if (ctx == nullptr) return IDTAP_E_INVALID_ARGUMENT;
  return guarded(ctx, [&]() -> idtap_status {
    if (options == nullptr || out == nullptr) return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "options or out is NULL");
    *out = nullptr;
    if (options->struct_size != kIssuerOptionsV1Size)
      return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "idtap_issuer_options.struct_size " + std::to_string(options->struct_size) +
                                                     " is not this library's (call idtap_issuer_options_init)");
    if (options->ledger == nullptr || *options->ledger == '\0')
      return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "the ledger is required (made by `idtap ledger init`)");
    if ((options->issuer_key == nullptr) != (options->issuer_cert == nullptr))
      return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "issuer_key and issuer_cert go together");
    provision::LedgerOptions opened;
    if (ledger_options != nullptr) {
      if (ledger_options->struct_size != kLedgerOptionsV1Size)
        return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "idtap_ledger_options.struct_size " + std::to_string(ledger_options->struct_size) +
                                                       " is not this library's (call idtap_ledger_options_init)");
      if (ledger_options->busy_timeout_ms < 0 || ledger_options->reconnect_timeout_ms < 0)
        return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "busy_timeout_ms and reconnect_timeout_ms must not be negative");
      if (ledger_options->key_file != nullptr) opened.key_file = ledger_options->key_file;
      if (ledger_options->site != nullptr) opened.site = ledger_options->site;
      if (ledger_options->busy_timeout_ms > 0) opened.busy_timeout_ms = ledger_options->busy_timeout_ms;
      if (ledger_options->reconnect_timeout_ms > 0) opened.reconnect_timeout_ms = ledger_options->reconnect_timeout_ms;
    }
    provision::DocTypeMapping mapping = provision::DocTypeMapping::resident_id_default();
    if (options->mapping != nullptr) {
      auto text = read_file(options->mapping, 1 << 20);
      if (!text.ok()) return fail(ctx, text.error().with_context("mapping"));
      auto parsed = provision::DocTypeMapping::parse(string_of(*text));
      if (!parsed.ok()) return fail(ctx, parsed.error());
      mapping = std::move(parsed).value();
    }
    // The issuer before the ledger: refused when its certificate would not cover a credential.
    std::unique_ptr<provision::IssuerSigner> signer;
    if (options->issuer_key != nullptr) {
      provision::IssuerFiles files{options->issuer_key, options->issuer_cert,
                                   options->issuer_key_passphrase_file ? options->issuer_key_passphrase_file : ""};
      auto loaded = issue::load_checked_issuer(files, provision::now_seconds());
      if (!loaded.ok()) return fail(ctx, loaded.error());
      signer = std::move(loaded).value();
    }
    auto ledger = provision::Ledger::open(options->ledger, opened);
    if (!ledger.ok()) return fail(ctx, ledger.error());
    auto handle = std::make_unique<idtap_issuer>();
    handle->ctx = ctx;
    handle->can_sign = signer != nullptr;
    handle->ledger = std::make_unique<provision::Ledger>(std::move(ledger).value());
    handle->pipeline = std::make_unique<issue::Pipeline>(*handle->ledger, std::move(signer), std::move(mapping));
    *out = handle.release();
    return succeed(ctx);
  });
}

IDTAP_API void idtap_issuer_free(idtap_issuer* issuer) {
  if (issuer == nullptr) return;
  issuer->pipeline.reset();  // before the ledger it borrows
  delete issuer;
}

IDTAP_API idtap_status idtap_issuer_challenge(idtap_issuer* issuer, int ttl_seconds, uint8_t* buf, size_t* len) {
  if (issuer == nullptr) return IDTAP_E_INVALID_ARGUMENT;
  idtap_context* ctx = issuer->ctx;
  return guarded(ctx, [&]() -> idtap_status {
    if (len == nullptr || (buf == nullptr && *len > 0)) return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "len is NULL, or buf NULL with a size");
    if (ttl_seconds <= 0 || ttl_seconds > 86400) return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "ttl_seconds must be 1..86400");
    // Asked first, so that a buffer too small does not spend a challenge.
    constexpr size_t kChallengeBytes = 32;
    if (*len < kChallengeBytes) {
      *len = kChallengeBytes;
      return fail(ctx, IDTAP_E_BUFFER_TOO_SMALL, "the challenge needs 32 bytes");
    }
    auto challenge = issuer->ledger->new_challenge(provision::now_seconds(), ttl_seconds);
    if (!challenge.ok()) return fail(ctx, challenge.error());
    if (challenge->size() > *len) {
      *len = challenge->size();
      return fail(ctx, IDTAP_E_BUFFER_TOO_SMALL, "the challenge needs " + std::to_string(challenge->size()) + " bytes");
    }
    std::copy(challenge->begin(), challenge->end(), buf);
    *len = challenge->size();
    return succeed(ctx);
  });
}

IDTAP_API idtap_status idtap_offer_create(idtap_issuer* issuer, const idtap_result* read, const char* issuer_url,
                                          int ttl_seconds, idtap_offer** out) {
  if (issuer == nullptr) return IDTAP_E_INVALID_ARGUMENT;
  idtap_context* ctx = issuer->ctx;
  return guarded(ctx, [&]() -> idtap_status {
    if (read == nullptr || out == nullptr) return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "read or out is NULL");
    *out = nullptr;
    if (ttl_seconds < 0 || ttl_seconds > provision::kOfferMaxTtlSeconds)
      return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "ttl_seconds must be 0 (ten minutes) or 1..86400");
    const std::string url = issuer_url ? issuer_url : "";
    if (!url.empty()) {
      // Checked before anything is stored: the URI builder refuses what a wallet would.
      issue::CredentialOfferParams probe{url, {"x"}, "x"};
      if (auto ok = issue::credential_offer_json(probe); !ok.ok())
        return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "issuer_url: " + ok.error().context);
    }
    auto holder = holder_of(*read);
    if (!holder.ok()) return fail(ctx, holder.error());
    const int64_t ttl = ttl_seconds == 0 ? provision::kOfferDefaultTtlSeconds : ttl_seconds;
    auto created = issuer->pipeline->create_offer({&*holder, provision::now_seconds(), ttl});
    if (!created.ok()) return fail(ctx, created.error());
    auto offer = std::make_unique<idtap_offer>();
    offer->offer_id = created->offer_id;
    offer->pre_authorized_code = created->pre_authorized_code;
    offer->tx_code = created->tx_code;
    offer->expires_at = created->expires_at;
    secure_zero(created->pre_authorized_code.data(), created->pre_authorized_code.size());
    secure_zero(created->tx_code.data(), created->tx_code.size());
    if (!url.empty()) {
      issue::CredentialOfferParams params;
      params.credential_issuer = url;
      params.credential_configuration_ids = {issuer->pipeline->credential_configuration_id()};
      params.pre_authorized_code = offer->pre_authorized_code;
      auto uri = issue::credential_offer_uri(params);
      secure_zero(params.pre_authorized_code.data(), params.pre_authorized_code.size());
      if (!uri.ok()) return fail(ctx, uri.error());
      offer->uri = std::move(uri).value();
      auto qr = issue::qr_encode(*offer->uri);
      if (!qr.ok()) return fail(ctx, qr.error().with_context("the offer's QR code"));
      auto png = issue::render_png(*qr);
      if (!png.ok()) return fail(ctx, png.error().with_context("the offer's QR code"));
      offer->qr_png = std::move(png).value();
    }
    *out = offer.release();
    return succeed(ctx);
  });
}

IDTAP_API void idtap_offer_free(idtap_offer* offer) { delete offer; }

IDTAP_API const char* idtap_offer_id(const idtap_offer* offer) { return offer ? offer->offer_id.c_str() : nullptr; }
IDTAP_API const char* idtap_offer_pre_authorized_code(const idtap_offer* offer) {
  return offer ? offer->pre_authorized_code.c_str() : nullptr;
}
IDTAP_API const char* idtap_offer_tx_code(const idtap_offer* offer) { return offer ? offer->tx_code.c_str() : nullptr; }
IDTAP_API const char* idtap_offer_uri(const idtap_offer* offer) {
  return offer && offer->uri ? offer->uri->c_str() : nullptr;
}
IDTAP_API int64_t idtap_offer_expires_at(const idtap_offer* offer) { return offer ? offer->expires_at : 0; }

IDTAP_API idtap_status idtap_offer_qr_png(const idtap_offer* offer, const uint8_t** data, size_t* len) {
  if (offer == nullptr || data == nullptr || len == nullptr) return IDTAP_E_INVALID_ARGUMENT;
  if (!offer->qr_png) return IDTAP_E_NOT_FOUND;
  *data = offer->qr_png->data();
  *len = offer->qr_png->size();
  return IDTAP_OK;
}

IDTAP_API void idtap_device_issue_init(idtap_device_issue* request) {
  if (request == nullptr) return;
  *request = idtap_device_issue{};
  request->struct_size = sizeof *request;
}

IDTAP_API idtap_status idtap_issue_to_device(idtap_issuer* issuer, const idtap_result* read,
                                             const idtap_device_issue* request, idtap_credential** out) {
  if (issuer == nullptr) return IDTAP_E_INVALID_ARGUMENT;
  idtap_context* ctx = issuer->ctx;
  return guarded(ctx, [&]() -> idtap_status {
    if (read == nullptr || request == nullptr || out == nullptr)
      return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "read, request or out is NULL");
    *out = nullptr;
    if (request->struct_size != kDeviceIssueV1Size && request->struct_size != kDeviceIssueV2Size)
      return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "idtap_device_issue.struct_size " + std::to_string(request->struct_size) +
                                                     " is not this library's (call idtap_device_issue_init)");
    if (!issuer->can_sign)
      return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "this issuer was opened without an issuer key: it only makes offers");
    if (request->device_key == nullptr || request->device_key_len == 0 || request->challenge == nullptr ||
        request->challenge_len == 0 || request->signature == nullptr || request->signature_len == 0 ||
        request->out_path == nullptr || *request->out_path == '\0')
      return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "device_key, challenge, signature and out_path are required");
    const char* idempotency_id = request->struct_size >= kDeviceIssueV2Size ? request->idempotency_id : nullptr;
    if (idempotency_id != nullptr) {
      if (auto st = provision::check_idempotency_id(idempotency_id); !st.ok()) return fail(ctx, st.error());
    }
    // A retry under an idempotency id may find the file its first call wrote (issue_to_file
    // settles that: the same bytes are done, others refused); any other existing file is refused.
    const bool retry_may_find_file = idempotency_id != nullptr && ::access(request->out_path, F_OK) == 0;
    if (!retry_may_find_file) {
      if (auto st = provision::check_out_path(request->out_path, "out_path"); !st.ok()) return fail(ctx, st.error());
    }
    auto device_key = provision::EcPublicKey::load(ByteView(request->device_key, request->device_key_len));
    if (!device_key.ok()) return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "device key: " + device_key.error().message());
    auto holder = holder_of(*read);
    if (!holder.ok()) return fail(ctx, holder.error());
    issue::FileIssue file;
    file.holder = &*holder;
    file.device_key = *device_key;
    file.proof.challenge = Bytes(request->challenge, request->challenge + request->challenge_len);
    file.proof.signature = Bytes(request->signature, request->signature + request->signature_len);
    file.now = provision::now_seconds();
    file.path = request->out_path;
    if (idempotency_id != nullptr) file.idempotency_id = idempotency_id;
    auto issued = issuer->pipeline->issue_to_file(file);
    if (!issued.ok()) return fail(ctx, issued.error());
    auto credential = std::make_unique<idtap_credential>();
    credential->issued = std::move(issued).value();
    *out = credential.release();
    return succeed(ctx);
  });
}

IDTAP_API void idtap_credential_free(idtap_credential* credential) { delete credential; }

IDTAP_API const char* idtap_credential_id(const idtap_credential* credential) {
  return credential ? credential->issued.credential_id.c_str() : nullptr;
}
IDTAP_API const char* idtap_credential_file(const idtap_credential* credential) {
  return credential ? credential->issued.file_path.c_str() : nullptr;
}
IDTAP_API idtap_status idtap_credential_bytes(const idtap_credential* credential, const uint8_t** data, size_t* len) {
  if (credential == nullptr || data == nullptr || len == nullptr) return IDTAP_E_INVALID_ARGUMENT;
  *data = credential->issued.issuer_signed.data();
  *len = credential->issued.issuer_signed.size();
  return IDTAP_OK;
}
IDTAP_API int64_t idtap_credential_valid_until(const idtap_credential* credential) {
  return credential ? credential->issued.validity.valid_until : 0;
}
IDTAP_API size_t idtap_credential_revoked_count(const idtap_credential* credential) {
  return credential ? credential->issued.revoked.size() : 0;
}
IDTAP_API const char* idtap_credential_revoked(const idtap_credential* credential, size_t index) {
  if (credential == nullptr || index >= credential->issued.revoked.size()) return nullptr;
  return credential->issued.revoked[index].c_str();
}

IDTAP_API const char* idtap_credential_idempotency_id(const idtap_credential* credential) {
  return credential ? credential->issued.idempotency_id.c_str() : nullptr;
}
IDTAP_API int idtap_credential_replayed(const idtap_credential* credential) {
  return credential != nullptr && credential->issued.replayed ? 1 : 0;
}

}  // extern "C"
