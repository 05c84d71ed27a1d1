// idtap/reader/photo.h: the face image of DG2 as the reader names it. The codecs live in the image
// layer (idtap/image/codec.h: JPEG, JPEG 2000, PNG); these are its names in the reader, not a
// second copy. Only decode an image whose data group passed its EF.SOD hash check.
#pragma once

#include <string>

#include "idtap/image/codec.h"
#include "idtap/image/format.h"

namespace idtap::reader {

using image::encode_jpeg;
using image::encode_png;
using image::Raster;

// kMaxPhotoPixels: larger face images are refused (image::kMaxPixels).
inline constexpr size_t kMaxPhotoPixels = image::kMaxPixels;

// decode_face_image: image::decode (JPEG or JPEG 2000 by magic bytes; kMalformed, kNotSupported).
inline Result<Raster> decode_face_image(ByteView face) { return image::decode(face); }

// image_extension: "jpg", "jp2", "j2k" by magic bytes, "bin" otherwise.
inline std::string image_extension(ByteView face) {
  return image::image_file_extension(image::detect_image_format(face));
}

}  // namespace idtap::reader
