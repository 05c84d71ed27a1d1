// idtap/base/error.h: the error value every layer returns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace idtap {

// ErrorCode: what went wrong, named by the layer that saw it. Stable values: the C API and the
// CLI's exit codes map from these.
enum class ErrorCode : int {
  kInvalidArgument = 1,   // the caller passed something unusable (bad hex, bad option)
  kTransport,             // the link to the reader failed (driver error, I/O on the wire)
  kDeviceGone,            // the reader itself disappeared (unplugged, driver gone)
  kCardRemoved,           // the card left the field / was pulled out
  kCardReset,             // the card was reset by someone else
  kNoReader,              // no reader found, or the named one does not exist
  kNoCard,                // the reader holds no card
  kServiceUnavailable,    // a service the driver needs (pcscd) is not running
  kSharingViolation,      // another program holds the card exclusively
  kTimeout,               // an operation did not finish in time
  kCancelled,             // cancelled by the caller (SIGINT, cancel token)
  kCardStatus,            // the card answered with an error status word (sw holds it)
  kMalformed,             // bytes from the card or a file do not parse
  kSecureMessaging,       // secure messaging failed (bad MAC, missing DO99, ...): channel dead
  kAuthFailed,            // access control failed (wrong CAN/MRZ/PIN, bad token)
  kPasswordBlocked,       // the password's retry counter reached zero
  kPasswordSuspended,     // the password is suspended (resume with the CAN first)
  kVerificationFailed,    // a signature, hash or chip check did not verify
  kNoTrustAnchor,         // no trusted CSCA for the document signer
  kNotSupported,          // the card, reader or build does not offer this
  kIo,                    // file system error (read, write, full disk)
  kRefused,               // a policy refused the request (provisioning rules)
  kState,                 // an object was used in the wrong state (dead channel, finished)
  kNotFound,              // a named thing (file, record, credential) does not exist
  kInternal,              // a bug in idtap or an OpenSSL failure that should not happen
  kBusy,                  // a shared resource (the ledger) stayed locked by another process too long
};

// error_code_name: a short stable identifier ("card_removed") for `code`; never null.
const char* error_code_name(ErrorCode code);

// Error: a code, the status word when the card sent one (0 otherwise), and a human-readable
// context. The context never holds key material, passwords or whole resident numbers.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string context;
  uint16_t sw = 0;

  // Error::message: "code_name: context (SW 6982: security status not satisfied)".
  std::string message() const;
  // Error::with_context: this error with "what: " prefixed to its context, for propagation.
  Error with_context(std::string_view what) const;
};

// make_error: an Error with `code` and `context`.
Error make_error(ErrorCode code, std::string context);
// card_status_error: a kCardStatus error carrying `sw`, with `what` as context.
Error card_status_error(uint16_t sw, std::string what);

}  // namespace idtap
