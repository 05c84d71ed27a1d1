// idtap/nfc/pcsc_bridge.h: what presenting a libnfc device as a PC/SC reader needs beyond the
// device itself: naming (pcscd's DEVICENAME to a libnfc connection string) and the PC/SC part 3
// pseudo-APDUs a contactless reader answers itself. Pure; used by the pcscd IFD handler.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/nfc/target.h"

namespace idtap::nfc {

// connstring_for_device_name: the libnfc connection string for pcscd's DEVICENAME:
//   ""  or "nfc:" or "nfc:default"           -> "" (libnfc's default device)
//   "nfc:CONNSTRING" or "CONNSTRING"          -> CONNSTRING ("pn532_uart:/dev/ttyUSB0")
//   "usb:VVVV/PPPP:libudev:0:/dev/bus/usb/BBB/DDD" and
//   "usb:VVVV/PPPP:libusb-1.0:B:D:IF"         -> the listed connection string ending in ":BBB:DDD"
//                                               (else "acr122_usb:BBB:DDD" for ACS, "pn53x_usb:BBB:DDD")
//   pcscd writes the libusb-1.0 numbers unpadded ("7:99"); libnfc's are zero-padded to three
//   digits ("007:099") and compared as text, so both forms map to the padded one.
// `listed` is what NfcContext::list_devices() returned. kInvalidArgument for a usb: name whose
// bus and device numbers cannot be found.
Result<std::string> connstring_for_device_name(std::string_view device_name, const std::vector<std::string>& listed);

// answer_pseudo_apdu: PC/SC part 3 §3.2.2.1.3 GET DATA for a contactless card, answered by the
// reader: FF CA 00 00 Le -> UID (Type A) or PUPI (Type B); FF CA 01 00 Le -> the ATS historical
// bytes (Type A). Le = 00 returns everything; a shorter Le gets 6Cxx, a longer one the data and
// 6282. Other CLA FF commands get 6A81 (function not supported), a bad P2 6A86. nullopt when
// `command` is not a pseudo-APDU (CLA != FF) and must go to the card.
std::optional<Bytes> answer_pseudo_apdu(ByteView command, const TargetInfo& target);

}  // namespace idtap::nfc
