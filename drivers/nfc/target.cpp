#include "idtap/nfc/target.h"

#include <algorithm>
#include <cstdio>

#include "idtap/apdu/command.h"
#include "idtap/base/hex.h"

namespace idtap::nfc {

const char* target_type_name(TargetType type) {
  return type == TargetType::kIso14443A ? "ISO/IEC 14443-A" : "ISO/IEC 14443-B";
}

bool TargetInfo::iso_dep() const {
  if (type == TargetType::kIso14443A) return (sak & 0x20) != 0;  // ISO/IEC 14443-3 §6.5.3.4: SAK b6
  // ISO/IEC 14443-3 §7.9.4.3: protocol info byte 2, Protocol_Type b1 = 1: PICC compliant with -4.
  return protocol_info.size() >= 2 && (protocol_info[1] & 0x01) != 0;
}

std::string TargetInfo::describe() const {
  std::string out = target_type_name(type);
  if (type == TargetType::kIso14443A) {
    out += " UID " + to_hex(uid) + " ATQA " + to_hex(atqa);
    char sak_text[8];
    std::snprintf(sak_text, sizeof sak_text, "%02x", sak);
    out += " SAK ";
    out += sak_text;
    if (!ats.empty()) out += " ATS " + to_hex(ats);
  } else {
    out += " PUPI " + to_hex(uid) + " application data " + to_hex(application_data) + " protocol info " +
           to_hex(protocol_info);
  }
  return out;
}

size_t fsc_for_fsci(uint8_t fsci) {
  // ISO/IEC 14443-4 §5.2.3, FSCI to FSC conversion.
  static constexpr size_t kTable[] = {16, 24, 32, 40, 48, 64, 96, 128, 256};
  return fsci < 9 ? kTable[fsci] : 256;
}

Result<AtsInfo> parse_ats(ByteView ats) {
  AtsInfo info;
  if (ats.empty()) return info;  // ISO/IEC 14443-4 §5.2.1: absent T0 means the defaults
  const uint8_t t0 = ats[0];
  if (t0 & 0x80) return make_error(ErrorCode::kMalformed, "ATS format byte T0 has b8 set (ISO/IEC 14443-4 §5.2.2)");
  info.fsci = t0 & 0x0F;
  info.fsc = fsc_for_fsci(info.fsci);
  size_t pos = 1;
  auto take = [&](uint8_t flag, std::optional<uint8_t>& into, const char* name) -> Status {
    if (!(t0 & flag)) return ok_status();
    if (pos >= ats.size())
      return make_error(ErrorCode::kMalformed, std::string("ATS announces ") + name + " but ends before it");
    into = ats[pos++];
    return ok_status();
  };
  IDTAP_TRY(take(0x10, info.ta1, "TA(1)"));
  IDTAP_TRY(take(0x20, info.tb1, "TB(1)"));
  IDTAP_TRY(take(0x40, info.tc1, "TC(1)"));
  info.historical.assign(ats.begin() + static_cast<std::ptrdiff_t>(pos), ats.end());
  return info;
}

Result<size_t> card_frame_size(const TargetInfo& target) {
  if (target.type == TargetType::kIso14443A) {
    IDTAP_ASSIGN_OR_RETURN(AtsInfo ats, parse_ats(target.ats));
    return ats.fsc;
  }
  // ISO/IEC 14443-3 §7.9.4: protocol info byte 2, b8..b5 = Max_Frame_Size (coded as an FSCI).
  if (target.protocol_info.size() != 3)
    return make_error(ErrorCode::kMalformed, "ATQB protocol info is not 3 bytes");
  return fsc_for_fsci(target.protocol_info[1] >> 4);
}

Result<Bytes> synthesize_atr(const TargetInfo& target) {
  Bytes historical;
  if (target.type == TargetType::kIso14443A) {
    if (!target.iso_dep())
      return make_error(ErrorCode::kNotSupported,
                        "Type A card without ISO/IEC 14443-4 (SAK " + to_hex(Bytes{target.sak}) + "): no APDUs");
    IDTAP_ASSIGN_OR_RETURN(AtsInfo ats, parse_ats(target.ats));
    historical = std::move(ats.historical);
    // PC/SC part 3 §3.1.3.2.3.1: the historical bytes go in T1..Tk; the ATR's T0 has room for 15.
    if (historical.size() > 15) historical.resize(15);
  } else {
    if (target.application_data.size() != 4 || target.protocol_info.size() != 3)
      return make_error(ErrorCode::kMalformed, "ATQB application data / protocol info have the wrong length");
    // PC/SC part 3 §3.1.3.2.3.1, Type B: application data, protocol info, then MBLI from the
    // ATTRIB response in the high nibble (low nibble RFU = 0).
    historical = concat({target.application_data, target.protocol_info});
    historical.push_back(static_cast<uint8_t>(target.attrib_res & 0xF0));
  }
  Bytes atr = {0x3B, static_cast<uint8_t>(0x80 | historical.size()), 0x80, 0x01};
  append(atr, historical);
  uint8_t tck = 0;
  for (size_t i = 1; i < atr.size(); ++i) tck ^= atr[i];  // ISO/IEC 7816-3 §8.2.5: T0 .. last byte
  atr.push_back(tck);
  return atr;
}

apdu::TransportCaps transport_caps_for(size_t device_frame_data) {
  apdu::TransportCaps caps;
  caps.extended_length = false;
  // A case 4 short command: CLA INS P1 P2 Lc data Le = Nc + 6 bytes on the link.
  caps.max_command_data = device_frame_data > 6 ? std::min(apdu::kMaxShortNc, device_frame_data - 6) : 0;
  // A response: data SW1 SW2.
  caps.max_response_data = device_frame_data > 2 ? std::min(apdu::kMaxShortNe, device_frame_data - 2) : 0;
  return caps;
}

}  // namespace idtap::nfc
