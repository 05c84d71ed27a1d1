// JPEG (ISO/IEC 10918) through libjpeg, which reports fatal errors by longjmp: nothing with a
// destructor lives between setjmp and the end of either function.
#include <cstddef>
#include <cstdio>

#include <jpeglib.h>

#include <csetjmp>
#include <cstdlib>
#include <memory>

#include "idtap/image/codec.h"

namespace idtap::image {
namespace {

struct JpegError {
  jpeg_error_mgr mgr;
  jmp_buf jump;
};

void jpeg_error_exit(j_common_ptr cinfo) { longjmp(reinterpret_cast<JpegError*>(cinfo->err)->jump, 1); }
void jpeg_silent(j_common_ptr, int) {}
void jpeg_no_output(j_common_ptr) {}

// quiet_errors: libjpeg's error manager in `err`, jumping back instead of exiting, printing nothing.
jpeg_error_mgr* quiet_errors(JpegError& err) {
  jpeg_error_mgr* mgr = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_error_exit;
  err.mgr.emit_message = jpeg_silent;
  err.mgr.output_message = jpeg_no_output;
  return mgr;
}

}  // namespace

Result<Raster> decode_jpeg(ByteView image) {
  jpeg_decompress_struct cinfo;
  JpegError err;
  cinfo.err = quiet_errors(err);
  // Everything that must survive the longjmp lives outside the setjmp scope.
  Raster* raster = new Raster();
  std::unique_ptr<Raster> owner(raster);
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return make_error(ErrorCode::kMalformed, "face image: JPEG does not decode");
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, image.data(), static_cast<unsigned long>(image.size()));
  jpeg_read_header(&cinfo, TRUE);
  if (static_cast<size_t>(cinfo.image_width) * cinfo.image_height > kMaxPixels) {
    jpeg_destroy_decompress(&cinfo);
    return make_error(ErrorCode::kMalformed, "face image: JPEG larger than the limit");
  }
  cinfo.out_color_space = cinfo.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  raster->width = cinfo.output_width;
  raster->height = cinfo.output_height;
  raster->channels = cinfo.output_components;
  const size_t stride = raster->width * static_cast<size_t>(raster->channels);
  raster->pixels.resize(stride * raster->height);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = raster->pixels.data() + stride * cinfo.output_scanline;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return std::move(*owner);
}

Result<Bytes> encode_jpeg(const Raster& raster, int quality) {
  if (!raster_consistent(raster) || quality < 1 || quality > 100)
    return make_error(ErrorCode::kInvalidArgument, "JPEG: inconsistent raster or quality");
  jpeg_compress_struct cinfo;
  JpegError err;
  cinfo.err = quiet_errors(err);
  unsigned char* mem = nullptr;
  unsigned long mem_size = 0;
  if (setjmp(err.jump)) {
    jpeg_destroy_compress(&cinfo);
    std::free(mem);
    return make_error(ErrorCode::kInternal, "libjpeg failed to encode");
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &mem, &mem_size);
  cinfo.image_width = static_cast<JDIMENSION>(raster.width);
  cinfo.image_height = static_cast<JDIMENSION>(raster.height);
  cinfo.input_components = raster.channels;
  cinfo.in_color_space = raster.channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  const size_t stride = raster.width * static_cast<size_t>(raster.channels);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(raster.pixels.data() + stride * cinfo.next_scanline);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  Bytes out(mem, mem + mem_size);
  jpeg_destroy_compress(&cinfo);
  std::free(mem);
  return out;
}

}  // namespace idtap::image
