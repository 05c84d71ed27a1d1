#include "idtap/reader/photo.h"

#include <jpeglib.h>
#include <openjpeg.h>
#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "idtap/lds/image_format.h"

namespace idtap::reader {
namespace {

// libjpeg reports fatal errors through error_exit; jump back instead of exiting the process.
struct JpegError {
  jpeg_error_mgr mgr;
  jmp_buf jump;
};

void jpeg_error_exit(j_common_ptr cinfo) { longjmp(reinterpret_cast<JpegError*>(cinfo->err)->jump, 1); }
void jpeg_silent(j_common_ptr, int) {}
void jpeg_no_output(j_common_ptr) {}

Result<Raster> decode_jpeg(ByteView image) {
  jpeg_decompress_struct cinfo;
  JpegError err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_error_exit;
  err.mgr.emit_message = jpeg_silent;
  err.mgr.output_message = jpeg_no_output;
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
  if (static_cast<size_t>(cinfo.image_width) * cinfo.image_height > kMaxPhotoPixels) {
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

// OpenJPEG reads from memory through a stream whose user data is this cursor.
struct MemoryStream {
  ByteView data;
  size_t pos = 0;
};

OPJ_SIZE_T mem_read(void* buffer, OPJ_SIZE_T n, void* user) {
  auto* m = static_cast<MemoryStream*>(user);
  if (m->pos >= m->data.size()) return static_cast<OPJ_SIZE_T>(-1);
  size_t take = std::min<size_t>(n, m->data.size() - m->pos);
  std::memcpy(buffer, m->data.data() + m->pos, take);
  m->pos += take;
  return take;
}
OPJ_OFF_T mem_skip(OPJ_OFF_T n, void* user) {
  auto* m = static_cast<MemoryStream*>(user);
  if (n < 0) return -1;
  size_t take = std::min<size_t>(static_cast<size_t>(n), m->data.size() - m->pos);
  m->pos += take;
  return static_cast<OPJ_OFF_T>(take);
}
OPJ_BOOL mem_seek(OPJ_OFF_T n, void* user) {
  auto* m = static_cast<MemoryStream*>(user);
  if (n < 0 || static_cast<size_t>(n) > m->data.size()) return OPJ_FALSE;
  m->pos = static_cast<size_t>(n);
  return OPJ_TRUE;
}
void opj_quiet(const char*, void*) {}

Result<Raster> decode_jpeg2000(ByteView image, bool codestream) {
  MemoryStream mem{image, 0};
  std::unique_ptr<opj_stream_t, void (*)(opj_stream_t*)> stream(opj_stream_create(64 * 1024, OPJ_TRUE), opj_stream_destroy);
  std::unique_ptr<opj_codec_t, void (*)(opj_codec_t*)> codec(opj_create_decompress(codestream ? OPJ_CODEC_J2K : OPJ_CODEC_JP2),
                                                             opj_destroy_codec);
  if (!stream || !codec) return make_error(ErrorCode::kInternal, "OpenJPEG set-up failed");
  opj_stream_set_user_data(stream.get(), &mem, nullptr);
  opj_stream_set_user_data_length(stream.get(), image.size());
  opj_stream_set_read_function(stream.get(), mem_read);
  opj_stream_set_skip_function(stream.get(), mem_skip);
  opj_stream_set_seek_function(stream.get(), mem_seek);
  opj_set_info_handler(codec.get(), opj_quiet, nullptr);
  opj_set_warning_handler(codec.get(), opj_quiet, nullptr);
  opj_set_error_handler(codec.get(), opj_quiet, nullptr);
  opj_dparameters_t params;
  opj_set_default_decoder_parameters(&params);
  if (!opj_setup_decoder(codec.get(), &params)) return make_error(ErrorCode::kInternal, "OpenJPEG set-up failed");
  opj_image_t* raw = nullptr;
  if (!opj_read_header(stream.get(), codec.get(), &raw) || raw == nullptr)
    return make_error(ErrorCode::kMalformed, "face image: JPEG 2000 header does not decode");
  std::unique_ptr<opj_image_t, void (*)(opj_image_t*)> img(raw, opj_image_destroy);
  const size_t w = img->x1 - img->x0, h = img->y1 - img->y0;
  if (w == 0 || h == 0 || w * h > kMaxPhotoPixels || img->numcomps == 0 || img->numcomps > 4)
    return make_error(ErrorCode::kMalformed, "face image: JPEG 2000 dimensions or components out of range");
  if (!opj_decode(codec.get(), stream.get(), img.get()) || !opj_end_decompress(codec.get(), stream.get()))
    return make_error(ErrorCode::kMalformed, "face image: JPEG 2000 does not decode");
  const int channels = img->numcomps >= 3 ? 3 : 1;
  for (int c = 0; c < channels; ++c) {
    const opj_image_comp_t& comp = img->comps[c];
    if (comp.data == nullptr || comp.w != w || comp.h != h || comp.prec == 0 || comp.prec > 16)
      return make_error(ErrorCode::kMalformed, "face image: JPEG 2000 subsampled or empty components are not supported");
  }
  Raster r;
  r.width = w;
  r.height = h;
  r.channels = channels;
  r.pixels.resize(w * h * static_cast<size_t>(channels));
  for (size_t i = 0; i < w * h; ++i) {
    for (int c = 0; c < channels; ++c) {
      const opj_image_comp_t& comp = img->comps[c];
      int v = comp.data[i] + (comp.sgnd ? (1 << (comp.prec - 1)) : 0);
      if (comp.prec > 8) v >>= (comp.prec - 8);
      if (comp.prec < 8) v <<= (8 - comp.prec);
      r.pixels[i * static_cast<size_t>(channels) + static_cast<size_t>(c)] = static_cast<uint8_t>(std::clamp(v, 0, 255));
    }
  }
  return r;
}

void png_write_to_bytes(png_structp png, png_bytep data, png_size_t len) {
  auto* out = static_cast<Bytes*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + len);
}
void png_flush_nothing(png_structp) {}

bool raster_ok(const Raster& r) {
  return r.width != 0 && r.height != 0 && (r.channels == 1 || r.channels == 3) &&
         r.pixels.size() == r.width * r.height * static_cast<size_t>(r.channels);
}

}  // namespace

std::string image_extension(ByteView image) { return lds::image_file_extension(lds::detect_image_format(image)); }

Result<Raster> decode_face_image(ByteView image) {
  switch (lds::detect_image_format(image)) {
    case lds::ImageFormat::kJpeg: return decode_jpeg(image);
    case lds::ImageFormat::kJpeg2000: return decode_jpeg2000(image, false);
    case lds::ImageFormat::kJpeg2000Codestream: return decode_jpeg2000(image, true);
    case lds::ImageFormat::kUnknown: break;
  }
  return make_error(ErrorCode::kNotSupported, "face image is neither JPEG nor JPEG 2000");
}

Result<Bytes> encode_png(const Raster& raster) {
  if (!raster_ok(raster)) return make_error(ErrorCode::kInvalidArgument, "PNG: inconsistent raster");
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info) {
    png_destroy_write_struct(&png, &info);
    return make_error(ErrorCode::kInternal, "libpng set-up failed");
  }
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

Result<Bytes> encode_jpeg(const Raster& raster, int quality) {
  if (!raster_ok(raster) || quality < 1 || quality > 100)
    return make_error(ErrorCode::kInvalidArgument, "JPEG: inconsistent raster or quality");
  jpeg_compress_struct cinfo;
  JpegError err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_error_exit;
  err.mgr.emit_message = jpeg_silent;
  err.mgr.output_message = jpeg_no_output;
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

}  // namespace idtap::reader
