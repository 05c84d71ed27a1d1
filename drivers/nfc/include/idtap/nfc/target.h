// idtap/nfc/target.h: what a contactless reader learns about a card when it activates it
// (ISO/IEC 14443-3 / -4), the PC/SC part 3 ATR built from that, and the frame sizes it allows.
// Pure: no libnfc here, so the IFD handler, the transport and their tests share it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "idtap/apdu/transport.h"
#include "idtap/base/bytes.h"
#include "idtap/base/result.h"

namespace idtap::nfc {

// TargetType: the two ISO/IEC 14443 signalling types an eMRTD uses.
enum class TargetType { kIso14443A, kIso14443B };

// target_type_name: "ISO/IEC 14443-A" or "ISO/IEC 14443-B"; never null.
const char* target_type_name(TargetType type);

// TargetInfo: one activated card. Every byte string is exactly what the card sent.
struct TargetInfo {
  TargetType type = TargetType::kIso14443A;
  Bytes uid;            // Type A: NFCID1 (4, 7 or 10 bytes, cascade tags removed); Type B: PUPI (4 bytes)
  Bytes atqa;           // Type A: SENS_RES (2 bytes, in the order received)
  uint8_t sak = 0;      // Type A: SEL_RES
  Bytes ats;            // Type A: the ATS without its length byte TL (T0 [TA1] [TB1] [TC1] T1..Tk);
                        // empty when the card did not answer RATS
  Bytes application_data;  // Type B: ATQB application data (4 bytes)
  Bytes protocol_info;     // Type B: ATQB protocol info (3 bytes)
  uint8_t attrib_res = 0;  // Type B: first byte of the ATTRIB response (MBLI in the high nibble, CID low)

  // TargetInfo::iso_dep: true when the card speaks ISO/IEC 14443-4 (APDUs): Type A with SAK
  // bit 6 (0x20) set, or Type B whose protocol info says "compliant with ISO/IEC 14443-4".
  bool iso_dep() const;
  // TargetInfo::describe: "ISO/IEC 14443-A UID 04a1b2c3d4e5f6 ATQA 0044 SAK 20" (one line).
  std::string describe() const;
};

// AtsInfo: the ATS fields (ISO/IEC 14443-4 §5.2).
struct AtsInfo {
  uint8_t fsci = 2;                 // T0 b4..b1
  size_t fsc = 32;                  // the frame size FSCI encodes (bytes, including PCB/CRC)
  std::optional<uint8_t> ta1, tb1, tc1;
  Bytes historical;                 // T1..Tk
};

// parse_ats: decodes an ATS given without TL. An empty ATS is the default (FSCI 2, no interface
// bytes). kMalformed when T0 announces an interface byte the ATS does not hold or T0 b8 is set.
Result<AtsInfo> parse_ats(ByteView ats_without_tl);

// fsc_for_fsci: the frame size for FSCI (ISO/IEC 14443-4 §5.2.3 table: 16..256 bytes); FSCI
// 9..F are RFU and read as 8 (256 bytes), as that clause tells the PCD to do.
size_t fsc_for_fsci(uint8_t fsci);

// card_frame_size: the card's FSC: from the ATS (Type A) or from the ATQB protocol info
// Max_Frame_Size (Type B); 32 when the card gave none. kMalformed for an ATS that does not parse.
Result<size_t> card_frame_size(const TargetInfo& target);

// synthesize_atr: the ATR a PC/SC reader reports for this contactless card (PC/SC part 3
// §3.1.3.2.3): 3B 8n 80 01, then n historical bytes, then TCK (XOR of T0..last byte).
//   Type A: the ATS historical bytes (at most 15 kept).
//   Type B: application data (4) || protocol info (3) || MBLI << 4 (n = 8).
// kNotSupported for a Type A card that is not ISO/IEC 14443-4 (no ATS: a memory card, which
// PC/SC part 3 describes with a different ATR this stack has no use for); kMalformed when the
// ATS or ATQB fields do not parse.
Result<Bytes> synthesize_atr(const TargetInfo& target);

// kPn53xMaxFrameData: the most bytes libnfc's PN53x drivers carry to or from the card in one
// InDataExchange (host frame data 264 = command code + target or status byte + 262).
inline constexpr size_t kPn53xMaxFrameData = 262;

// transport_caps_for: what one APDU exchange can carry through a reader whose host link takes at
// most `device_frame_data` bytes each way: short APDUs only (the PN53x firmware chains ISO/IEC
// 14443-4 blocks to fit the card's FSC itself, but libnfc has no extended-length path), and
// never more than the command/response data that fits in `device_frame_data` with the header,
// Lc, Le and the status word.
apdu::TransportCaps transport_caps_for(size_t device_frame_data);

}  // namespace idtap::nfc
