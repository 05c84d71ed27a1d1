// idtap/pcsc/errors.h: PC/SC return codes as idtap errors.
#pragma once

#include <winscard.h>

#include <string_view>

#include "idtap/base/error.h"

namespace idtap::pcsc {

// error_code_for_pcsc: the ErrorCode for the PC/SC return code `rc`: SCARD_E_NO_SERVICE ->
// kServiceUnavailable, SCARD_W_REMOVED_CARD -> kCardRemoved, SCARD_E_READER_UNAVAILABLE /
// SCARD_E_UNKNOWN_READER -> kDeviceGone, ... (the whole table is in errors.cpp and
// tests/pcsc/errors_test.cpp). An unknown code is kTransport; SCARD_S_SUCCESS (not an error) is
// kInternal.
ErrorCode error_code_for_pcsc(LONG rc);

// pcsc_code_name: the constant's name ("SCARD_E_NO_SMARTCARD"), or "SCARD_0x........" for a
// code pcsc-lite does not define; never null.
const char* pcsc_code_name(LONG rc);

// pcsc_error: an Error for `rc` with context "WHAT: explanation (SCARD_E_...)" and, where the
// user can act, what to do (how to start pcscd, which programs commonly hold a card).
Error pcsc_error(LONG rc, std::string_view what);

}  // namespace idtap::pcsc
