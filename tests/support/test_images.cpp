#include "support/test_images.h"

#include <cstdlib>

#include "idtap/image/codec.h"

namespace idtap::test {

Bytes test_pattern(size_t width, size_t height) {
  Bytes px(width * height * 3);
  for (size_t y = 0; y < height; ++y)
    for (size_t x = 0; x < width; ++x) {
      uint8_t* p = &px[(y * width + x) * 3];
      p[0] = static_cast<uint8_t>(x * 255 / (width ? width : 1));
      p[1] = static_cast<uint8_t>(y * 255 / (height ? height : 1));
      p[2] = 128;
    }
  return px;
}

Bytes make_test_jpeg(size_t width, size_t height, int quality) {
  const image::Raster raster{width, height, 3, test_pattern(width, height)};
  auto jpeg = image::encode_jpeg(raster, quality);
  if (!jpeg.ok()) std::abort();
  return std::move(jpeg).value();
}

Bytes make_test_jpeg2000(size_t width, size_t height, bool codestream) {
  const image::Raster raster{width, height, 3, test_pattern(width, height)};
  auto jp2 = image::encode_jpeg2000(raster, image::Jpeg2000Options{.codestream = codestream, .target_bytes = 0});
  if (!jp2.ok()) std::abort();
  return std::move(jp2).value();
}

}  // namespace idtap::test
