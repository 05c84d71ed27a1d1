// The status enum, its texts, and the error record of a context.
#include <type_traits>

#include "capi_internal.h"

#ifndef IDTAP_VERSION
#error "IDTAP_VERSION is defined by the Makefile"
#endif

namespace idtap::capi {

idtap_status status_of(ErrorCode code) { return static_cast<idtap_status>(static_cast<int>(code)); }

idtap_status fail(idtap_context* ctx, const Error& error) {
  const idtap_status status = status_of(error.code);
  if (ctx) {
    ctx->error = error.message();
    ctx->sw = error.sw;
  }
  return status;
}

idtap_status fail(idtap_context* ctx, idtap_status status, std::string detail) {
  if (ctx) {
    ctx->error = std::string(idtap_status_name(status)) + ": " + detail;
    ctx->sw = 0;
  }
  return status;
}

idtap_status succeed(idtap_context* ctx) {
  if (ctx) {
    ctx->error.clear();
    ctx->sw = 0;
  }
  return IDTAP_OK;
}

}  // namespace idtap::capi

extern "C" {

IDTAP_API const char* idtap_status_name(idtap_status status) {
  if (status == IDTAP_OK) return "ok";
  if (status == IDTAP_E_BUFFER_TOO_SMALL) return "buffer_too_small";
  const int v = static_cast<int>(status);
  if (v < static_cast<int>(idtap::ErrorCode::kInvalidArgument) || v > static_cast<int>(idtap::ErrorCode::kBusy))
    return "unknown";
  return idtap::error_code_name(static_cast<idtap::ErrorCode>(v));
}

IDTAP_API const char* idtap_strerror(idtap_status status) {
  switch (status) {
    case IDTAP_OK: return "success";
    case IDTAP_E_INVALID_ARGUMENT: return "invalid argument";
    case IDTAP_E_TRANSPORT: return "the link to the reader failed";
    case IDTAP_E_DEVICE_GONE: return "the reader was unplugged";
    case IDTAP_E_CARD_REMOVED: return "the card left the field";
    case IDTAP_E_CARD_RESET: return "the card was reset by another program";
    case IDTAP_E_NO_READER: return "no such reader";
    case IDTAP_E_NO_CARD: return "no card in the reader";
    case IDTAP_E_SERVICE_UNAVAILABLE: return "the PC/SC service (pcscd) is not running";
    case IDTAP_E_SHARING_VIOLATION: return "another program holds the card";
    case IDTAP_E_TIMEOUT: return "timed out";
    case IDTAP_E_CANCELLED: return "cancelled";
    case IDTAP_E_CARD_STATUS: return "the card refused the command";
    case IDTAP_E_MALFORMED: return "malformed data";
    case IDTAP_E_SECURE_MESSAGING: return "secure messaging failed";
    case IDTAP_E_AUTH_FAILED: return "access control failed (wrong CAN or MRZ?)";
    case IDTAP_E_PASSWORD_BLOCKED: return "the password is blocked";
    case IDTAP_E_PASSWORD_SUSPENDED: return "the password is suspended";
    case IDTAP_E_VERIFICATION_FAILED: return "verification failed";
    case IDTAP_E_NO_TRUST_ANCHOR: return "no trusted CSCA";
    case IDTAP_E_NOT_SUPPORTED: return "not supported";
    case IDTAP_E_IO: return "file system error";
    case IDTAP_E_REFUSED: return "refused by policy";
    case IDTAP_E_STATE: return "used in the wrong state";
    case IDTAP_E_NOT_FOUND: return "not found";
    case IDTAP_E_INTERNAL: return "internal error";
    case IDTAP_E_BUSY: return "the ledger is busy (locked by another process); try again";
    case IDTAP_E_BUFFER_TOO_SMALL: return "buffer too small";
  }
  return "unknown status";
}

IDTAP_API const char* idtap_version(void) { return IDTAP_VERSION; }

}  // extern "C"
