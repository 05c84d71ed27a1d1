// idtap/select/drivers.h: the per-driver entry points the selector dispatches to. Each driver
// branch lives in its own file (drivers/select/open_DRIVER.cpp) so the driver's owner can fill it
// in without touching the dispatcher.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "idtap/apdu/transport.h"
#include "idtap/base/result.h"
#include "idtap/nfc/watch.h"
#include "idtap/pcsc/events.h"
#include "idtap/select/select.h"
#include "idtap/select/watch.h"

namespace idtap::select {

// open_nfc: a transport on the card in the libnfc device `connstring` ("" = libnfc's default
// device), waiting options.wait_for_card for one. Errors: nfc::NfcTransport::open's (kNoReader,
// kSharingViolation, kNoCard, kDeviceGone, ...), kCancelled through options.cancel.
Result<OpenedReader> open_nfc(const std::string& connstring, const OpenOptions& options);

// list_nfc_readers: the libnfc devices, appended to `inventory` (readers, or a problem). Each
// device is opened for one polling round to see whether it holds a card; one held by another
// program is listed as "in use".
void list_nfc_readers(Inventory& inventory);

// open_sim: the in-process simulated card whose files are in `dir`. kNotSupported until the
// simulated card is built in; its own errors (kNotFound, kMalformed) otherwise.
Result<OpenedReader> open_sim(const std::string& dir, const OpenOptions& options);

// watch_event_from_pcsc: a PC/SC monitor's event as a WatchEvent: the reader as "pcsc:NAME",
// the ATR for kCardInserted (watch_pcsc.cpp).
WatchEvent watch_event_from_pcsc(const pcsc::ReaderEvent& event);

// watch_event_from_nfc: a libnfc watcher's event as a WatchEvent: the reader as the watcher
// names it ("nfc:CONNSTRING"), the ATR and UID for kCardInserted, the device error for
// kReaderRemoved (watch_nfc.cpp).
WatchEvent watch_event_from_nfc(const nfc::NfcEvent& event);

}  // namespace idtap::select
