#include "idtap/pcsc/caps.h"

#include <algorithm>
#include <cctype>

#include "idtap/apdu/command.h"

namespace idtap::pcsc {
namespace {

// Readers known to carry extended APDUs although they answer neither part 10 properties nor
// SCARD_ATTR_MAXINPUT. Matched case-insensitively as a prefix of the pcscd reader name.
constexpr const char* kKnownExtendedReaders[] = {
    "Virtual PCD",  // vsmartcard vpcd: relays APDU bytes unchanged to the virtual card over TCP
};

bool starts_with_icase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

apdu::TransportCaps extended_caps(size_t max_nc, size_t max_ne) {
  return apdu::TransportCaps{.max_command_data = std::min(max_nc, apdu::kMaxExtendedNc),
                             .max_response_data = std::min(max_ne, apdu::kMaxExtendedNe),
                             .extended_length = true};
}

}  // namespace

apdu::TransportCaps short_caps() {
  return apdu::TransportCaps{.max_command_data = apdu::kMaxShortNc, .max_response_data = apdu::kMaxShortNe,
                             .extended_length = false};
}

Result<std::map<uint8_t, uint32_t>> parse_feature_list(ByteView data) {
  std::map<uint8_t, uint32_t> out;
  size_t pos = 0;
  while (pos < data.size()) {
    // PC/SC part 10 §2.2: tag (1), length (1) = 4, control code (4, big-endian).
    if (data.size() - pos < 2) return make_error(ErrorCode::kMalformed, "feature list: truncated entry");
    uint8_t tag = data[pos], length = data[pos + 1];
    if (length != 4) return make_error(ErrorCode::kMalformed, "feature list: entry length is not 4");
    if (data.size() - pos - 2 < 4) return make_error(ErrorCode::kMalformed, "feature list: truncated control code");
    out[tag] = static_cast<uint32_t>(be_uint(data.subspan(pos + 2, 4)));
    pos += 6;
  }
  return out;
}

Result<std::map<uint8_t, uint32_t>> parse_tlv_properties(ByteView data) {
  std::map<uint8_t, uint32_t> out;
  size_t pos = 0;
  while (pos < data.size()) {
    if (data.size() - pos < 2) return make_error(ErrorCode::kMalformed, "TLV properties: truncated entry");
    uint8_t tag = data[pos], length = data[pos + 1];
    if (data.size() - pos - 2 < length) return make_error(ErrorCode::kMalformed, "TLV properties: truncated value");
    if (length == 1 || length == 2 || length == 4) {
      // PC/SC part 10 §2.6.14: integer values are little-endian.
      uint32_t value = 0;
      for (size_t i = 0; i < length; ++i) value |= static_cast<uint32_t>(data[pos + 2 + i]) << (8 * i);
      out[tag] = value;
    }
    pos += 2 + length;
  }
  return out;
}

apdu::TransportCaps length_caps(const ReaderLengthInfo& info, LengthPolicy policy) {
  if (info.t0 || policy == LengthPolicy::kShort) return short_caps();
  if (policy == LengthPolicy::kExtended) return extended_caps(apdu::kMaxExtendedNc, apdu::kMaxExtendedNe);
  if (info.max_apdu_data_size) {
    uint32_t size = *info.max_apdu_data_size;
    if (size <= apdu::kMaxShortNe) return short_caps();
    return extended_caps(size, size);
  }
  // A short APDU with its CCID framing needs 5 + 255 + 1 bytes and some readers round up to 271.
  constexpr uint32_t kShortInputLimit = 271;
  if (info.max_input && *info.max_input > kShortInputLimit)
    return extended_caps(*info.max_input - 9, *info.max_input - 2);
  for (const char* known : kKnownExtendedReaders)
    if (starts_with_icase(info.reader_name, known))
      return extended_caps(apdu::kMaxExtendedNc, apdu::kMaxExtendedNe);
  return short_caps();
}

}  // namespace idtap::pcsc
