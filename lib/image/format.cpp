#include "idtap/image/format.h"

#include <algorithm>

namespace idtap::image {

const char* image_format_name(ImageFormat f) {
  switch (f) {
    case ImageFormat::kJpeg: return "jpeg";
    case ImageFormat::kJpeg2000: return "jpeg2000";
    case ImageFormat::kJpeg2000Codestream: return "jpeg2000-codestream";
    case ImageFormat::kUnknown: break;
  }
  return "unknown";
}

const char* image_mime_type(ImageFormat f) {
  switch (f) {
    case ImageFormat::kJpeg: return "image/jpeg";
    case ImageFormat::kJpeg2000: return "image/jp2";
    case ImageFormat::kJpeg2000Codestream: return "image/j2k";
    case ImageFormat::kUnknown: break;
  }
  return "application/octet-stream";
}

const char* image_file_extension(ImageFormat f) {
  switch (f) {
    case ImageFormat::kJpeg: return "jpg";
    case ImageFormat::kJpeg2000: return "jp2";
    case ImageFormat::kJpeg2000Codestream: return "j2k";
    case ImageFormat::kUnknown: break;
  }
  return "bin";
}

ImageFormat detect_image_format(ByteView d) {
  auto starts = [d](std::initializer_list<uint8_t> magic) {
    return d.size() >= magic.size() && std::equal(magic.begin(), magic.end(), d.begin());
  };
  if (starts({0xFF, 0xD8, 0xFF})) return ImageFormat::kJpeg;
  if (starts({0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A})) return ImageFormat::kJpeg2000;
  if (starts({0xFF, 0x4F, 0xFF, 0x51})) return ImageFormat::kJpeg2000Codestream;
  return ImageFormat::kUnknown;
}

}  // namespace idtap::image
