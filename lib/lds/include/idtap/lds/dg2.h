// idtap/lds/dg2.h: DG2, the encoded face (ICAO 9303-10 §4.7.2, ISO/IEC 7816-11 CBEFF):
// 75 { 7F61 { 02 count, 7F60 { A1 header, 5F2E or 7F2E biometric data block }... } }.
// The data block is an ISO/IEC 19794-5 facial record (5F2E, format type 0008) or an
// ISO/IEC 39794-5 face image data block (7F2E, format type 002A).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/lds/image_format.h"
#include "idtap/lds/iso19794_5.h"
#include "idtap/lds/iso39794_5.h"

namespace idtap::lds {

// CBEFF format owner / types (ISO/IEC 7816-11, IBIA registry).
inline constexpr uint16_t kFormatOwnerJtc1Sc37 = 0x0101;
inline constexpr uint16_t kFormatTypeIso19794Face = 0x0008;
inline constexpr uint16_t kFormatTypeIso39794Face = 0x002A;

// BiometricHeader: the A1 biometric header template (ICAO 9303-10 §4.7.2.1). Optional elements
// are kept as their value bytes.
struct BiometricHeader {
  std::optional<Bytes> version;           // 80: ICAO header version (01 01)
  std::optional<Bytes> biometric_type;    // 81: 02 = facial features
  std::optional<Bytes> biometric_subtype; // 82
  std::optional<Bytes> creation_date;     // 83
  std::optional<Bytes> validity_period;   // 85
  std::optional<Bytes> creator;           // 86
  uint16_t format_owner = kFormatOwnerJtc1Sc37;     // 87 (mandatory)
  uint16_t format_type = kFormatTypeIso19794Face;   // 88 (mandatory)
};

// BiometricEncoding: how the data block is written.
enum class BiometricEncoding { kIso19794_5, kIso39794_5 };

// FaceImage: one image found in DG2, flattened for display and provisioning.
struct FaceImage {
  ImageFormat format = ImageFormat::kUnknown;    // from the image's magic bytes
  ImageFormat declared = ImageFormat::kUnknown;  // from the record's image data type
  uint16_t width = 0;   // 0 when the record does not say
  uint16_t height = 0;
  Bytes data;
};

// BiometricInfo: one 7F60 biometric information template.
struct BiometricInfo {
  BiometricHeader header;
  BiometricEncoding encoding = BiometricEncoding::kIso19794_5;
  std::optional<Iso19794FacialRecord> iso19794;        // set for kIso19794_5
  std::optional<Iso39794FaceImageDataBlock> iso39794;  // set for kIso39794_5
};

// Dg2: the decoded data group.
struct Dg2 {
  std::vector<BiometricInfo> infos;
  bool used_short_record_length = false;  // a 19794-5 leniency was needed (see Dg2Options)

  // Dg2::images: every image of every template, in order.
  std::vector<FaceImage> images() const;
};

// Dg2Options: the named leniencies: allow_short_record_length as in Iso19794Options.
struct Dg2Options {
  bool allow_short_record_length = false;
};

// parse_dg2: decodes DG2 in strict DER. kMalformed on a wrong tag, a count (02) that differs
// from the number of templates, a missing header or data block, a data block that does not
// parse, or trailing bytes. The encoding is chosen by the header's format type, else by the
// data block's content ("FAC\0" or an A1/65 tag).
Result<Dg2> parse_dg2(ByteView file, const Dg2Options& options = {});

// encode_dg2: DG2 for `dg2`: each BiometricInfo with its header (format type set from its
// encoding) and a 5F2E (19794-5) or 7F2E (39794-5) block. kInvalidArgument when an info lacks
// the record its encoding names, or there is no info.
Result<Bytes> encode_dg2(const Dg2& dg2);

}  // namespace idtap::lds
