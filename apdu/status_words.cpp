#include "idtap/apdu/status_words.h"

#include <cstdio>

namespace idtap::apdu::sw {

std::string describe(uint16_t s) {
  const uint8_t sw1 = static_cast<uint8_t>(s >> 8), sw2 = static_cast<uint8_t>(s);
  switch (s) {
    case 0x9000: return "success";
    case 0x6200: return "warning: state of non-volatile memory unchanged";
    case 0x6281: return "warning: part of returned data may be corrupted";
    case 0x6282: return "warning: end of file reached before reading Ne bytes";
    case 0x6283: return "warning: selected file deactivated";
    case 0x6284: return "warning: file control information not formatted correctly";
    case 0x6285: return "warning: selected file in termination state";
    case 0x6286: return "warning: no input data available from a sensor";
    case 0x6300: return "warning: verification failed (no retry counter given)";
    case 0x6381: return "warning: file filled up by the last write";
    case 0x6400: return "error: execution error, non-volatile memory unchanged";
    case 0x6401: return "error: immediate response required by the card";
    case 0x6581: return "error: memory failure";
    case 0x6700: return "wrong length (Lc or Le)";
    case 0x6800: return "functions in CLA not supported";
    case 0x6881: return "logical channel not supported";
    case 0x6882: return "secure messaging not supported";
    case 0x6883: return "last command of the chain expected";
    case 0x6884: return "command chaining not supported";
    case 0x6900: return "command not allowed";
    case 0x6981: return "command incompatible with file structure";
    case 0x6982: return "security status not satisfied";
    case 0x6983: return "authentication method blocked";
    case 0x6984: return "reference data not usable";
    case 0x6985: return "conditions of use not satisfied";
    case 0x6986: return "command not allowed (no current EF)";
    case 0x6987: return "expected secure messaging data objects missing";
    case 0x6988: return "incorrect secure messaging data objects";
    case 0x6A00: return "wrong parameters P1-P2";
    case 0x6A80: return "incorrect parameters in the command data field";
    case 0x6A81: return "function not supported";
    case 0x6A82: return "file or application not found";
    case 0x6A83: return "record not found";
    case 0x6A84: return "not enough memory space in the file";
    case 0x6A85: return "Nc inconsistent with TLV structure";
    case 0x6A86: return "incorrect parameters P1-P2";
    case 0x6A87: return "Nc inconsistent with parameters P1-P2";
    case 0x6A88: return "referenced data or reference data not found";
    case 0x6A89: return "file already exists";
    case 0x6A8A: return "DF name already exists";
    case 0x6B00: return "wrong parameters P1-P2 (offset outside the EF)";
    case 0x6D00: return "instruction code not supported or invalid";
    case 0x6E00: return "class not supported";
    case 0x6F00: return "no precise diagnosis";
    default: break;
  }
  char buf[96];
  if (sw1 == 0x61) {
    std::snprintf(buf, sizeof buf, "%u more bytes available (GET RESPONSE)", sw2 == 0 ? 256u : unsigned(sw2));
    return buf;
  }
  if (sw1 == 0x6C) {
    std::snprintf(buf, sizeof buf, "wrong Le: exact length is %u", sw2 == 0 ? 256u : unsigned(sw2));
    return buf;
  }
  if ((s & 0xFFF0) == 0x63C0) {
    std::snprintf(buf, sizeof buf, "verification failed, %u tries left", unsigned(sw2 & 0x0F));
    return buf;
  }
  switch (sw1) {
    case 0x62: return "warning: non-volatile memory unchanged";
    case 0x63: return "warning: non-volatile memory changed";
    case 0x64: return "execution error: non-volatile memory unchanged";
    case 0x65: return "execution error: non-volatile memory changed";
    case 0x66: return "security-related issue";
    case 0x67: return "wrong length";
    case 0x68: return "functions in CLA not supported";
    case 0x69: return "command not allowed";
    case 0x6A: return "wrong parameters P1-P2";
    case 0x90: return "success (proprietary)";
    default: break;
  }
  std::snprintf(buf, sizeof buf, "unknown status word %04X", s);
  return buf;
}

}  // namespace idtap::apdu::sw
