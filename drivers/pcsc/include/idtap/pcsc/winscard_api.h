// idtap/pcsc/winscard_api.h: the seam between the PC/SC driver and libpcsclite. The driver calls
// the PC/SC API only through WinscardApi, so its logic (capability probing, extended-length
// fallback, swap detection, events) is unit-tested against a fake, and runs against pcscd
// through real_winscard_api().
#pragma once

#include <winscard.h>

#include <memory>
#include <string>
#include <vector>

#include "idtap/base/bytes.h"

namespace idtap::pcsc {

// kPnpReaderName: the pseudo reader whose state changes when a reader is plugged or unplugged
// (PC/SC part 5; pcsc-lite spells it "\\?PnP?\Notification").
inline constexpr const char* kPnpReaderName = "\\\\?PnP?\\Notification";

// WinscardApi: one method per PC/SC call the driver makes, with the buffers managed by the
// implementation. Every method returns the PC/SC code (SCARD_S_SUCCESS on success); outputs are
// written only on success. cancel() may be called from any thread while another thread is
// blocked in get_status_change() on the same context; the other methods are called by one thread
// at a time per context.
class WinscardApi {
 public:
  virtual ~WinscardApi() = default;

  // WinscardApi::establish_context: SCardEstablishContext(SCARD_SCOPE_SYSTEM).
  virtual LONG establish_context(SCARDCONTEXT* context) = 0;
  // WinscardApi::release_context: SCardReleaseContext.
  virtual LONG release_context(SCARDCONTEXT context) = 0;
  // WinscardApi::list_readers: SCardListReaders, split into names (SCARD_E_NO_READERS_AVAILABLE
  // when there are none).
  virtual LONG list_readers(SCARDCONTEXT context, std::vector<std::string>* names) = 0;
  // WinscardApi::get_status_change: SCardGetStatusChange over `states` (szReader pointers owned
  // by the caller), `timeout_ms` (INFINITE allowed).
  virtual LONG get_status_change(SCARDCONTEXT context, DWORD timeout_ms, SCARD_READERSTATE* states,
                                 DWORD count) = 0;
  // WinscardApi::cancel: SCardCancel (wakes a blocked get_status_change with SCARD_E_CANCELLED).
  virtual LONG cancel(SCARDCONTEXT context) = 0;
  // WinscardApi::connect: SCardConnect; `active_protocol` receives SCARD_PROTOCOL_T0/T1.
  virtual LONG connect(SCARDCONTEXT context, const std::string& reader, DWORD share_mode,
                       DWORD preferred_protocols, SCARDHANDLE* card, DWORD* active_protocol) = 0;
  // WinscardApi::reconnect: SCardReconnect with `initialization` (SCARD_LEAVE/RESET/UNPOWER_CARD).
  virtual LONG reconnect(SCARDHANDLE card, DWORD share_mode, DWORD preferred_protocols,
                         DWORD initialization, DWORD* active_protocol) = 0;
  // WinscardApi::disconnect: SCardDisconnect with `disposition`.
  virtual LONG disconnect(SCARDHANDLE card, DWORD disposition) = 0;
  // WinscardApi::begin_transaction / end_transaction: SCardBeginTransaction / SCardEndTransaction.
  virtual LONG begin_transaction(SCARDHANDLE card) = 0;
  virtual LONG end_transaction(SCARDHANDLE card, DWORD disposition) = 0;
  // WinscardApi::transmit: SCardTransmit of `command` under `protocol`; `response` receives at
  // most `max_response` bytes (data and SW).
  virtual LONG transmit(SCARDHANDLE card, DWORD protocol, ByteView command, size_t max_response,
                        Bytes* response) = 0;
  // WinscardApi::control: SCardControl with `control_code` (e.g. CM_IOCTL_GET_FEATURE_REQUEST).
  virtual LONG control(SCARDHANDLE card, DWORD control_code, ByteView input, Bytes* output) = 0;
  // WinscardApi::get_attrib: SCardGetAttrib of `attribute` (e.g. SCARD_ATTR_MAXINPUT).
  virtual LONG get_attrib(SCARDHANDLE card, DWORD attribute, Bytes* value) = 0;
  // WinscardApi::status: SCardStatus: the reader state bits (SCARD_PRESENT, ...) and the ATR.
  virtual LONG status(SCARDHANDLE card, DWORD* state, DWORD* protocol, Bytes* atr) = 0;
};

// real_winscard_api: the implementation over libpcsclite (stateless; shared by every context).
// The client library finds pcscd through its socket, /run/pcscd/pcscd.comm unless the
// environment variable PCSCLITE_CSOCK_NAME names another.
std::shared_ptr<WinscardApi> real_winscard_api();

}  // namespace idtap::pcsc
