#include "idtap/pcsc/errors.h"

#include <doctest/doctest.h>

#include <string>

using namespace idtap;
using namespace idtap::pcsc;

TEST_CASE("every PC/SC return code maps to its error code") {
  struct Row {
    LONG rc;
    ErrorCode code;
  };
  // Every code of pcsc-lite 1.9's pcsclite.h, grouped by what a caller does about it.
  const Row rows[] = {
      // pcscd itself
      {SCARD_E_NO_SERVICE, ErrorCode::kServiceUnavailable},
      {SCARD_E_SERVICE_STOPPED, ErrorCode::kServiceUnavailable},
      {SCARD_P_SHUTDOWN, ErrorCode::kServiceUnavailable},
      {SCARD_E_SERVER_TOO_BUSY, ErrorCode::kServiceUnavailable},
      // readers
      {SCARD_E_NO_READERS_AVAILABLE, ErrorCode::kNoReader},
      {SCARD_E_UNKNOWN_READER, ErrorCode::kDeviceGone},
      {SCARD_E_READER_UNAVAILABLE, ErrorCode::kDeviceGone},
      // cards
      {SCARD_E_NO_SMARTCARD, ErrorCode::kNoCard},
      {SCARD_W_REMOVED_CARD, ErrorCode::kCardRemoved},
      {SCARD_W_RESET_CARD, ErrorCode::kCardReset},
      {SCARD_E_SHARING_VIOLATION, ErrorCode::kSharingViolation},
      // waiting
      {SCARD_E_TIMEOUT, ErrorCode::kTimeout},
      {SCARD_F_WAITED_TOO_LONG, ErrorCode::kTimeout},
      {SCARD_E_CANCELLED, ErrorCode::kCancelled},
      {SCARD_E_SYSTEM_CANCELLED, ErrorCode::kCancelled},
      {SCARD_W_CANCELLED_BY_USER, ErrorCode::kCancelled},
      // the link: retry, resize or give up
      {SCARD_E_INVALID_HANDLE, ErrorCode::kTransport},
      {SCARD_E_INSUFFICIENT_BUFFER, ErrorCode::kTransport},
      {SCARD_E_CANT_DISPOSE, ErrorCode::kTransport},
      {SCARD_E_PROTO_MISMATCH, ErrorCode::kTransport},
      {SCARD_E_NOT_READY, ErrorCode::kTransport},
      {SCARD_F_COMM_ERROR, ErrorCode::kTransport},
      {SCARD_F_UNKNOWN_ERROR, ErrorCode::kTransport},
      {SCARD_E_NOT_TRANSACTED, ErrorCode::kTransport},
      {SCARD_E_DUPLICATE_READER, ErrorCode::kTransport},
      {SCARD_E_BAD_SEEK, ErrorCode::kTransport},
      {SCARD_E_UNKNOWN_RES_MNG, ErrorCode::kTransport},
      {SCARD_E_COMM_DATA_LOST, ErrorCode::kTransport},
      {SCARD_W_UNRESPONSIVE_CARD, ErrorCode::kTransport},
      {SCARD_W_UNPOWERED_CARD, ErrorCode::kTransport},
      {SCARD_W_EOF, ErrorCode::kTransport},
      // not offered
      {SCARD_E_UNKNOWN_CARD, ErrorCode::kNotSupported},
      {SCARD_E_READER_UNSUPPORTED, ErrorCode::kNotSupported},
      {SCARD_E_CARD_UNSUPPORTED, ErrorCode::kNotSupported},
      {SCARD_E_UNSUPPORTED_FEATURE, ErrorCode::kNotSupported},  // == SCARD_E_UNEXPECTED
      {SCARD_E_ICC_INSTALLATION, ErrorCode::kNotSupported},
      {SCARD_E_ICC_CREATEORDER, ErrorCode::kNotSupported},
      {SCARD_E_WRITE_TOO_MANY, ErrorCode::kNotSupported},
      {SCARD_W_UNSUPPORTED_CARD, ErrorCode::kNotSupported},
      // card file system codes of the Windows smart card stack (pcsc-lite never returns them)
      {SCARD_E_DIR_NOT_FOUND, ErrorCode::kNotFound},
      {SCARD_E_FILE_NOT_FOUND, ErrorCode::kNotFound},
      {SCARD_E_NO_DIR, ErrorCode::kNotFound},
      {SCARD_E_NO_FILE, ErrorCode::kNotFound},
      {SCARD_E_NO_SUCH_CERTIFICATE, ErrorCode::kNotFound},
      {SCARD_E_CERTIFICATE_UNAVAILABLE, ErrorCode::kNotFound},
      {SCARD_E_NO_KEY_CONTAINER, ErrorCode::kNotFound},
      {SCARD_E_NO_ACCESS, ErrorCode::kAuthFailed},
      {SCARD_E_INVALID_CHV, ErrorCode::kAuthFailed},
      {SCARD_W_SECURITY_VIOLATION, ErrorCode::kAuthFailed},
      {SCARD_W_WRONG_CHV, ErrorCode::kAuthFailed},
      {SCARD_W_CARD_NOT_AUTHENTICATED, ErrorCode::kAuthFailed},
      {SCARD_W_CHV_BLOCKED, ErrorCode::kPasswordBlocked},
      // bugs: a parameter idtap should not have passed
      {SCARD_F_INTERNAL_ERROR, ErrorCode::kInternal},
      {SCARD_E_INVALID_PARAMETER, ErrorCode::kInternal},
      {SCARD_E_INVALID_TARGET, ErrorCode::kInternal},
      {SCARD_E_NO_MEMORY, ErrorCode::kInternal},
      {SCARD_E_INVALID_VALUE, ErrorCode::kInternal},
      {SCARD_E_PCI_TOO_SMALL, ErrorCode::kInternal},
      {SCARD_E_INVALID_ATR, ErrorCode::kMalformed},
  };
  for (const auto& row : rows) {
    CAPTURE(pcsc_code_name(row.rc));
    CHECK(error_code_for_pcsc(row.rc) == row.code);
    CHECK(std::string(pcsc_code_name(row.rc)).rfind("SCARD_", 0) == 0);
    CHECK(std::string(pcsc_code_name(row.rc)) != "SCARD_unknown");  // the table names it
  }
  // A code pcsc-lite does not define is a transport error, and says its number.
  CHECK(error_code_for_pcsc(static_cast<LONG>(0x80100099)) == ErrorCode::kTransport);
  CHECK(pcsc_error(static_cast<LONG>(0x80100099), "x").context.find("0x80100099") != std::string::npos);
}

TEST_CASE("the pcscd-not-running error says how to start it") {
  Error e = pcsc_error(SCARD_E_NO_SERVICE, "connecting to pcscd");
  CHECK(e.code == ErrorCode::kServiceUnavailable);
  CHECK(e.context.find("connecting to pcscd: pcscd is not running") == 0);
  CHECK(e.context.find("sudo systemctl start pcscd") != std::string::npos);
  CHECK(e.context.find("SCARD_E_NO_SERVICE") != std::string::npos);
}

TEST_CASE("a sharing violation says who usually holds the card") {
  Error e = pcsc_error(SCARD_E_SHARING_VIOLATION, "connecting");
  CHECK(e.code == ErrorCode::kSharingViolation);
  CHECK(e.context.find("scdaemon") != std::string::npos);
}
