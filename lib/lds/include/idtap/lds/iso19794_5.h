// idtap/lds/iso19794_5.h: the ISO/IEC 19794-5:2005 facial record (format "FAC", version "010"),
// the biometric data block of most DG2s: general header, then per image the facial information,
// feature points, image information and the image bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/lds/image_format.h"

namespace idtap::lds {

// FeaturePoint: ISO/IEC 19794-5 §5.6.5 (8 bytes): type (1 = MPEG-4), code (major << 4 | minor),
// horizontal and vertical position in pixels.
struct FeaturePoint {
  uint8_t type = 1;
  uint8_t major_code = 0;
  uint8_t minor_code = 0;
  uint16_t x = 0;
  uint16_t y = 0;
};

// Iso19794FaceImage: one facial record data block (§5.5 facial information, §5.7 image
// information, §5.8 image data).
struct Iso19794FaceImage {
  // Facial information (§5.5).
  uint8_t gender = 0;         // 0 unspecified, 1 male, 2 female, 0xFF unknown
  uint8_t eye_colour = 0;
  uint8_t hair_colour = 0;
  uint32_t feature_mask = 0;  // 24 bits
  uint16_t expression = 0;
  uint8_t pose_yaw = 0, pose_pitch = 0, pose_roll = 0;
  uint8_t pose_uncertainty_yaw = 0, pose_uncertainty_pitch = 0, pose_uncertainty_roll = 0;
  std::vector<FeaturePoint> feature_points;
  // Image information (§5.7).
  uint8_t face_image_type = 1;  // 0 basic, 1 full frontal, 2 token frontal
  uint8_t image_data_type = 0;  // 0 JPEG, 1 JPEG 2000
  uint16_t width = 0;
  uint16_t height = 0;
  uint8_t colour_space = 1;     // 1 24-bit RGB
  uint8_t source_type = 2;      // 2 digital still camera
  uint16_t device_type = 0;
  uint16_t quality = 0;
  Bytes image;                  // the JPEG / JPEG 2000 bytes

  // Iso19794FaceImage::declared_format: kJpeg for data type 0, kJpeg2000 for 1, else kUnknown.
  ImageFormat declared_format() const;
};

// Iso19794FacialRecord: the whole record.
struct Iso19794FacialRecord {
  std::vector<Iso19794FaceImage> images;
};

// Iso19794Options: by default a general header whose record length differs from the data is
// rejected; allow_short_record_length accepts a value 8 bytes short, seen on some issued
// documents (a named leniency, reported in the result).
struct Iso19794Options {
  bool allow_short_record_length = false;
};

// Iso19794Parsed: the record and whether a leniency was needed.
struct Iso19794Parsed {
  Iso19794FacialRecord record;
  bool used_short_record_length = false;
};

// parse_iso19794_5: decodes a facial record. kMalformed on a bad format identifier, a truncated
// block, a block length that does not add up, or trailing bytes; kNotSupported for a version
// other than "010" (the 2011 edition's "030" is not read).
Result<Iso19794Parsed> parse_iso19794_5(ByteView bdb, const Iso19794Options& options = {});

// encode_iso19794_5: the "FAC" version "010" record for `record`; kInvalidArgument when there
// is no image or a length overflows its field.
Result<Bytes> encode_iso19794_5(const Iso19794FacialRecord& record);

}  // namespace idtap::lds
