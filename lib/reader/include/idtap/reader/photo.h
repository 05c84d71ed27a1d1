// idtap/reader/photo.h: the face image of DG2 as a PNG anyone can open: JPEG decoded with libjpeg,
// JPEG 2000 (JP2 or a raw J2K codestream) with OpenJPEG, written with libpng. Only call this on
// an image whose data group passed its EF.SOD hash check: decoders are attack surface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"

namespace idtap::reader {

// Raster: 8-bit pixels, `channels` per pixel (1 grey, 3 RGB), rows top to bottom.
struct Raster {
  size_t width = 0;
  size_t height = 0;
  int channels = 3;
  Bytes pixels;
};

// kMaxPhotoPixels: larger images are refused (a face image is ~ 480x640).
inline constexpr size_t kMaxPhotoPixels = 16u * 1024 * 1024;

// decode_face_image: decodes JPEG (FF D8 FF) or JPEG 2000 (a JP2 box file or a J2K codestream,
// FF 4F FF 51) by its magic bytes. kMalformed for anything that does not decode (truncated,
// corrupt, more than kMaxPhotoPixels, more than 4 components); kNotSupported for another format.
Result<Raster> decode_face_image(ByteView image);

// encode_png: the raster as a PNG file. kInvalidArgument for an empty or inconsistent raster.
Result<Bytes> encode_png(const Raster& raster);

// encode_jpeg: the raster as a baseline JPEG at `quality` (1-100), e.g. a JPEG 2000 face image
// re-encoded for an ISO 18013-5 portrait (which must be JPEG). kInvalidArgument for an empty or
// inconsistent raster or a quality out of range.
Result<Bytes> encode_jpeg(const Raster& raster, int quality = 90);

// image_extension: "jpg", "jp2", "j2k" by magic bytes, "bin" otherwise.
std::string image_extension(ByteView image);

}  // namespace idtap::reader
