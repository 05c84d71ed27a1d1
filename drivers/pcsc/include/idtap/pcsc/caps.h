// idtap/pcsc/caps.h: what a PC/SC reader says about APDU lengths (PC/SC part 10 v2.02.09 §2.6.14
// FEATURE_GET_TLV_PROPERTIES, SCARD_ATTR_MAXINPUT), and the transport capabilities that follow.
// Pure functions: the bytes come from SCardControl / SCardGetAttrib.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "idtap/apdu/transport.h"
#include "idtap/base/bytes.h"
#include "idtap/base/result.h"

namespace idtap::pcsc {

// kFeatureGetTlvProperties / kPropertyMaxApduDataSize: PC/SC part 10 tag values.
inline constexpr uint8_t kFeatureGetTlvProperties = 0x12;
inline constexpr uint8_t kPropertyMaxApduDataSize = 0x0A;  // dwMaxAPDUDataSize

// parse_feature_list: the output of CM_IOCTL_GET_FEATURE_REQUEST: a list of (tag, length 4,
// big-endian control code), as a map tag -> control code. kMalformed for a truncated entry or a
// length other than 4 (PC/SC part 10 §2.2).
Result<std::map<uint8_t, uint32_t>> parse_feature_list(ByteView data);

// parse_tlv_properties: the output of FEATURE_GET_TLV_PROPERTIES: (tag, length, value) entries;
// values of 1, 2 or 4 bytes are little-endian integers (part 10 §2.6.14), others (sFirmwareID)
// are skipped. kMalformed for a truncated entry.
Result<std::map<uint8_t, uint32_t>> parse_tlv_properties(ByteView data);

// LengthPolicy: how the driver chooses between short and extended APDUs. kAuto asks the reader;
// kShort never sends extended APDUs; kExtended assumes the reader carries them (for readers that
// can but do not say so), still falling back to short APDUs if the reader then fails one.
enum class LengthPolicy { kAuto, kShort, kExtended };

// ReaderLengthInfo: what was learnt from the reader. Each field is empty when the reader did not
// answer that question.
struct ReaderLengthInfo {
  std::optional<uint32_t> max_apdu_data_size;  // part 10 dwMaxAPDUDataSize (0: short APDUs only)
  std::optional<uint32_t> max_input;           // SCARD_ATTR_MAXINPUT (CCID: dwMaxCCIDMessageLength - 10)
  bool t0 = false;                              // the card runs T=0 (no extended APDUs without ENVELOPE)
  std::string reader_name;                      // for the known-reader table
};

// length_caps: the transport capabilities for `info` under `policy`:
//  - T=0, or kShort: short APDUs (255 / 256).
//  - dwMaxAPDUDataSize present: 0 or <= 256 means short; larger means extended, with data up to
//    that size (capped at 65535 / 65536).
//  - else SCARD_ATTR_MAXINPUT above 271 (a short APDU with framing) means extended with
//    Nc <= MAXINPUT - 9 (extended header and Le) and Ne <= MAXINPUT - 2.
//  - else a reader in the known table (vpcd "Virtual PCD", which relays APDUs unchanged) is
//    extended to the ISO maximum; anything else is short.
//  - kExtended: the ISO maximum whatever the reader says (T=0 still short).
apdu::TransportCaps length_caps(const ReaderLengthInfo& info, LengthPolicy policy);

// short_caps: the capabilities of a short-APDU transport (Nc <= 255, Ne <= 256).
apdu::TransportCaps short_caps();

}  // namespace idtap::pcsc
