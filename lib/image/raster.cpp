#include "idtap/image/codec.h"

#include "idtap/image/format.h"

namespace idtap::image {

bool raster_consistent(const Raster& r) {
  return r.width != 0 && r.height != 0 && (r.channels == 1 || r.channels == 3) &&
         r.pixels.size() == r.width * r.height * static_cast<size_t>(r.channels);
}

Result<Raster> decode(ByteView image) {
  switch (detect_image_format(image)) {
    case ImageFormat::kJpeg: return decode_jpeg(image);
    case ImageFormat::kJpeg2000: return decode_jpeg2000(image, false);
    case ImageFormat::kJpeg2000Codestream: return decode_jpeg2000(image, true);
    case ImageFormat::kUnknown: break;
  }
  return make_error(ErrorCode::kNotSupported, "face image is neither JPEG nor JPEG 2000");
}

}  // namespace idtap::image
