// PNG through libpng (written only: idtap never reads PNG from a card).
#include <png.h>

#include <csetjmp>
#include <memory>

#include "idtap/image/codec.h"

namespace idtap::image {
namespace {

void png_write_to_bytes(png_structp png, png_bytep data, png_size_t len) {
  auto* out = static_cast<Bytes*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + len);
}
void png_flush_nothing(png_structp) {}

}  // namespace

Result<Bytes> encode_png(const Raster& raster) {
  if (!raster_consistent(raster)) return make_error(ErrorCode::kInvalidArgument, "PNG: inconsistent raster");
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info) {
    png_destroy_write_struct(&png, &info);
    return make_error(ErrorCode::kInternal, "libpng set-up failed");
  }
  // libpng reports errors by longjmp: the output lives outside the setjmp scope.
  Bytes* out = new Bytes();
  std::unique_ptr<Bytes> owner(out);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return make_error(ErrorCode::kInternal, "libpng failed to encode");
  }
  png_set_write_fn(png, out, png_write_to_bytes, png_flush_nothing);
  png_set_IHDR(png, info, static_cast<png_uint_32>(raster.width), static_cast<png_uint_32>(raster.height), 8,
               raster.channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const size_t stride = raster.width * static_cast<size_t>(raster.channels);
  for (size_t y = 0; y < raster.height; ++y)
    png_write_row(png, const_cast<png_bytep>(raster.pixels.data() + y * stride));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return std::move(*owner);
}

}  // namespace idtap::image
