// idtap/image/format.h: the image formats a face image comes in, told from their first bytes.
#pragma once

#include "idtap/base/bytes.h"

namespace idtap::image {

// ImageFormat: JPEG (ISO/IEC 10918), JPEG 2000 as a JP2 file (ISO/IEC 15444-1 Annex I) or as a
// bare codestream (J2K).
enum class ImageFormat { kUnknown, kJpeg, kJpeg2000, kJpeg2000Codestream };

// image_format_name: "jpeg", "jpeg2000", "jpeg2000-codestream", "unknown".
const char* image_format_name(ImageFormat f);
// image_mime_type: "image/jpeg", "image/jp2", "image/j2k", "application/octet-stream".
const char* image_mime_type(ImageFormat f);
// image_file_extension: "jpg", "jp2", "j2k", "bin".
const char* image_file_extension(ImageFormat f);

// detect_image_format: from the magic bytes: FF D8 FF (JPEG), 00 00 00 0C 6A 50 20 20 0D 0A 87 0A
// (JP2 signature box), FF 4F FF 51 (J2K SOC + SIZ); kUnknown otherwise.
ImageFormat detect_image_format(ByteView data);

}  // namespace idtap::image
