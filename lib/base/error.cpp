#include "idtap/base/error.h"

#include <cstdio>

namespace idtap {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kTransport: return "transport";
    case ErrorCode::kDeviceGone: return "device_gone";
    case ErrorCode::kCardRemoved: return "card_removed";
    case ErrorCode::kCardReset: return "card_reset";
    case ErrorCode::kNoReader: return "no_reader";
    case ErrorCode::kNoCard: return "no_card";
    case ErrorCode::kServiceUnavailable: return "service_unavailable";
    case ErrorCode::kSharingViolation: return "sharing_violation";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kCardStatus: return "card_status";
    case ErrorCode::kMalformed: return "malformed";
    case ErrorCode::kSecureMessaging: return "secure_messaging";
    case ErrorCode::kAuthFailed: return "auth_failed";
    case ErrorCode::kPasswordBlocked: return "password_blocked";
    case ErrorCode::kPasswordSuspended: return "password_suspended";
    case ErrorCode::kVerificationFailed: return "verification_failed";
    case ErrorCode::kNoTrustAnchor: return "no_trust_anchor";
    case ErrorCode::kNotSupported: return "not_supported";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kRefused: return "refused";
    case ErrorCode::kState: return "state";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kInternal: return "internal";
    case ErrorCode::kBusy: return "busy";
  }
  return "unknown";
}

std::string Error::message() const {
  std::string out = error_code_name(code);
  if (!context.empty()) {
    out += ": ";
    out += context;
  }
  if (sw != 0) {
    char buf[16];
    std::snprintf(buf, sizeof buf, " (SW %04X)", sw);
    out += buf;
  }
  return out;
}

Error Error::with_context(std::string_view what) const {
  Error e = *this;
  std::string c(what);
  if (!context.empty()) c += ": " + context;
  e.context = std::move(c);
  return e;
}

Error make_error(ErrorCode code, std::string context) {
  return Error{code, std::move(context), 0};
}

Error card_status_error(uint16_t sw, std::string what) {
  return Error{ErrorCode::kCardStatus, std::move(what), sw};
}

}  // namespace idtap
