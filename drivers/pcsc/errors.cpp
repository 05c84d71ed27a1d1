#include "idtap/pcsc/errors.h"

#include <fmt/format.h>

#include <string>

namespace idtap::pcsc {
namespace {

struct CodeInfo {
  LONG rc;
  const char* name;
  ErrorCode code;
  const char* text;
};

// Every code pcsc-lite 1.9 defines (pcsclite.h). SCARD_E_UNEXPECTED and
// SCARD_E_UNSUPPORTED_FEATURE share 0x8010001F there: listed once, as the latter (what pcscd
// means by it). pcsc-lite has no SCARD_E_NO_SUCH_DEVICE: a vanished reader is
// SCARD_E_READER_UNAVAILABLE or SCARD_E_UNKNOWN_READER.
constexpr CodeInfo kCodes[] = {
    {SCARD_F_INTERNAL_ERROR, "SCARD_F_INTERNAL_ERROR", ErrorCode::kInternal, "internal consistency check failed in PC/SC"},
    {SCARD_E_CANCELLED, "SCARD_E_CANCELLED", ErrorCode::kCancelled, "cancelled"},
    {SCARD_E_INVALID_HANDLE, "SCARD_E_INVALID_HANDLE", ErrorCode::kTransport, "the connection to the card is no longer valid (pcscd restarted or the reader was reset)"},
    {SCARD_E_INVALID_PARAMETER, "SCARD_E_INVALID_PARAMETER", ErrorCode::kInternal, "PC/SC rejected a parameter"},
    {SCARD_E_INVALID_TARGET, "SCARD_E_INVALID_TARGET", ErrorCode::kInternal, "PC/SC start-up information is missing or invalid"},
    {SCARD_E_NO_MEMORY, "SCARD_E_NO_MEMORY", ErrorCode::kInternal, "PC/SC ran out of memory"},
    {SCARD_F_WAITED_TOO_LONG, "SCARD_F_WAITED_TOO_LONG", ErrorCode::kTimeout, "an internal PC/SC timer expired"},
    {SCARD_E_INSUFFICIENT_BUFFER, "SCARD_E_INSUFFICIENT_BUFFER", ErrorCode::kTransport, "the answer did not fit the buffer"},
    {SCARD_E_UNKNOWN_READER, "SCARD_E_UNKNOWN_READER", ErrorCode::kDeviceGone, "the reader is not known to pcscd (unplugged?)"},
    {SCARD_E_TIMEOUT, "SCARD_E_TIMEOUT", ErrorCode::kTimeout, "timed out"},
    {SCARD_E_SHARING_VIOLATION, "SCARD_E_SHARING_VIOLATION", ErrorCode::kSharingViolation, "another program holds the card"},
    {SCARD_E_NO_SMARTCARD, "SCARD_E_NO_SMARTCARD", ErrorCode::kNoCard, "no card in the reader"},
    {SCARD_E_UNKNOWN_CARD, "SCARD_E_UNKNOWN_CARD", ErrorCode::kNotSupported, "unknown card"},
    {SCARD_E_CANT_DISPOSE, "SCARD_E_CANT_DISPOSE", ErrorCode::kTransport, "the card could not be disposed of as asked"},
    {SCARD_E_PROTO_MISMATCH, "SCARD_E_PROTO_MISMATCH", ErrorCode::kTransport, "the card does not run the requested protocol"},
    {SCARD_E_NOT_READY, "SCARD_E_NOT_READY", ErrorCode::kTransport, "the reader or card is not ready"},
    {SCARD_E_INVALID_VALUE, "SCARD_E_INVALID_VALUE", ErrorCode::kInternal, "PC/SC rejected a value"},
    {SCARD_E_SYSTEM_CANCELLED, "SCARD_E_SYSTEM_CANCELLED", ErrorCode::kCancelled, "cancelled by the system"},
    {SCARD_F_COMM_ERROR, "SCARD_F_COMM_ERROR", ErrorCode::kTransport, "communication error with the reader or pcscd"},
    {SCARD_F_UNKNOWN_ERROR, "SCARD_F_UNKNOWN_ERROR", ErrorCode::kTransport, "unknown PC/SC error"},
    {SCARD_E_INVALID_ATR, "SCARD_E_INVALID_ATR", ErrorCode::kMalformed, "invalid ATR"},
    {SCARD_E_NOT_TRANSACTED, "SCARD_E_NOT_TRANSACTED", ErrorCode::kTransport, "the reader could not carry the command"},
    {SCARD_E_READER_UNAVAILABLE, "SCARD_E_READER_UNAVAILABLE", ErrorCode::kDeviceGone, "the reader is gone"},
    {SCARD_P_SHUTDOWN, "SCARD_P_SHUTDOWN", ErrorCode::kServiceUnavailable, "pcscd is shutting down"},
    {SCARD_E_PCI_TOO_SMALL, "SCARD_E_PCI_TOO_SMALL", ErrorCode::kInternal, "PCI receive buffer too small"},
    {SCARD_E_READER_UNSUPPORTED, "SCARD_E_READER_UNSUPPORTED", ErrorCode::kNotSupported, "the reader driver is not supported"},
    {SCARD_E_DUPLICATE_READER, "SCARD_E_DUPLICATE_READER", ErrorCode::kTransport, "duplicate reader name"},
    {SCARD_E_CARD_UNSUPPORTED, "SCARD_E_CARD_UNSUPPORTED", ErrorCode::kNotSupported, "the card is not supported"},
    {SCARD_E_NO_SERVICE, "SCARD_E_NO_SERVICE", ErrorCode::kServiceUnavailable, "pcscd is not running"},
    {SCARD_E_SERVICE_STOPPED, "SCARD_E_SERVICE_STOPPED", ErrorCode::kServiceUnavailable, "pcscd stopped"},
    {SCARD_E_UNSUPPORTED_FEATURE, "SCARD_E_UNSUPPORTED_FEATURE", ErrorCode::kNotSupported, "the reader does not support this"},
    {SCARD_E_ICC_INSTALLATION, "SCARD_E_ICC_INSTALLATION", ErrorCode::kNotSupported, "no primary provider for the card"},
    {SCARD_E_ICC_CREATEORDER, "SCARD_E_ICC_CREATEORDER", ErrorCode::kNotSupported, "object creation order not supported"},
    {SCARD_E_DIR_NOT_FOUND, "SCARD_E_DIR_NOT_FOUND", ErrorCode::kNotFound, "directory not found on the card"},
    {SCARD_E_FILE_NOT_FOUND, "SCARD_E_FILE_NOT_FOUND", ErrorCode::kNotFound, "file not found on the card"},
    {SCARD_E_NO_DIR, "SCARD_E_NO_DIR", ErrorCode::kNotFound, "not a directory on the card"},
    {SCARD_E_NO_FILE, "SCARD_E_NO_FILE", ErrorCode::kNotFound, "not a file on the card"},
    {SCARD_E_NO_ACCESS, "SCARD_E_NO_ACCESS", ErrorCode::kAuthFailed, "access denied"},
    {SCARD_E_WRITE_TOO_MANY, "SCARD_E_WRITE_TOO_MANY", ErrorCode::kNotSupported, "the card is full"},
    {SCARD_E_BAD_SEEK, "SCARD_E_BAD_SEEK", ErrorCode::kTransport, "bad seek on the card"},
    {SCARD_E_INVALID_CHV, "SCARD_E_INVALID_CHV", ErrorCode::kAuthFailed, "PIN incorrect"},
    {SCARD_E_UNKNOWN_RES_MNG, "SCARD_E_UNKNOWN_RES_MNG", ErrorCode::kTransport, "unrecognised resource manager error"},
    {SCARD_E_NO_SUCH_CERTIFICATE, "SCARD_E_NO_SUCH_CERTIFICATE", ErrorCode::kNotFound, "no such certificate"},
    {SCARD_E_CERTIFICATE_UNAVAILABLE, "SCARD_E_CERTIFICATE_UNAVAILABLE", ErrorCode::kNotFound, "certificate unavailable"},
    {SCARD_E_NO_READERS_AVAILABLE, "SCARD_E_NO_READERS_AVAILABLE", ErrorCode::kNoReader, "no reader connected"},
    {SCARD_E_COMM_DATA_LOST, "SCARD_E_COMM_DATA_LOST", ErrorCode::kTransport, "communication data lost"},
    {SCARD_E_NO_KEY_CONTAINER, "SCARD_E_NO_KEY_CONTAINER", ErrorCode::kNotFound, "no key container"},
    {SCARD_E_SERVER_TOO_BUSY, "SCARD_E_SERVER_TOO_BUSY", ErrorCode::kServiceUnavailable, "pcscd is too busy"},
    {SCARD_W_UNSUPPORTED_CARD, "SCARD_W_UNSUPPORTED_CARD", ErrorCode::kNotSupported, "the reader cannot talk to this card"},
    {SCARD_W_UNRESPONSIVE_CARD, "SCARD_W_UNRESPONSIVE_CARD", ErrorCode::kTransport, "the card does not answer (hold it still on the reader)"},
    {SCARD_W_UNPOWERED_CARD, "SCARD_W_UNPOWERED_CARD", ErrorCode::kTransport, "the card is not powered"},
    {SCARD_W_RESET_CARD, "SCARD_W_RESET_CARD", ErrorCode::kCardReset, "the card was reset by another program"},
    {SCARD_W_REMOVED_CARD, "SCARD_W_REMOVED_CARD", ErrorCode::kCardRemoved, "the card was removed"},
    {SCARD_W_SECURITY_VIOLATION, "SCARD_W_SECURITY_VIOLATION", ErrorCode::kAuthFailed, "security violation"},
    {SCARD_W_WRONG_CHV, "SCARD_W_WRONG_CHV", ErrorCode::kAuthFailed, "wrong PIN"},
    {SCARD_W_CHV_BLOCKED, "SCARD_W_CHV_BLOCKED", ErrorCode::kPasswordBlocked, "PIN blocked"},
    {SCARD_W_EOF, "SCARD_W_EOF", ErrorCode::kTransport, "end of card file"},
    {SCARD_W_CANCELLED_BY_USER, "SCARD_W_CANCELLED_BY_USER", ErrorCode::kCancelled, "cancelled by the user"},
    {SCARD_W_CARD_NOT_AUTHENTICATED, "SCARD_W_CARD_NOT_AUTHENTICATED", ErrorCode::kAuthFailed, "no PIN presented"},
};

const CodeInfo* find(LONG rc) {
  for (const auto& c : kCodes)
    if (c.rc == rc) return &c;
  return nullptr;
}

}  // namespace

ErrorCode error_code_for_pcsc(LONG rc) {
  if (rc == SCARD_S_SUCCESS) return ErrorCode::kInternal;
  const CodeInfo* c = find(rc);
  return c ? c->code : ErrorCode::kTransport;
}

const char* pcsc_code_name(LONG rc) {
  if (rc == SCARD_S_SUCCESS) return "SCARD_S_SUCCESS";
  const CodeInfo* c = find(rc);
  return c ? c->name : "SCARD_unknown";
}

Error pcsc_error(LONG rc, std::string_view what) {
  const CodeInfo* c = find(rc);
  std::string text = c ? c->text : fmt::format("unknown PC/SC error 0x{:08X}", static_cast<uint32_t>(rc));
  std::string name = c ? c->name : fmt::format("0x{:08X}", static_cast<uint32_t>(rc));
  std::string hint;
  switch (rc) {
    case SCARD_E_NO_SERVICE:
    case SCARD_E_SERVICE_STOPPED:
      hint = "; start it with `sudo systemctl start pcscd` (or run `sudo pcscd`)";
      break;
    case SCARD_E_SHARING_VIOLATION:
      // pcsc-lite does not say which program holds a card.
      hint = " exclusively (pcscd does not say which; often gpg-agent's scdaemon, a browser or "
             "another idtap); close it or run `sudo systemctl restart pcscd`";
      break;
    case SCARD_E_NO_READERS_AVAILABLE:
      hint = "; plug one in (see `idtap readers`)";
      break;
    default:
      break;
  }
  return make_error(error_code_for_pcsc(rc), fmt::format("{}: {}{} ({})", what, text, hint, name));
}

}  // namespace idtap::pcsc
