#include "support/test_images.h"

#include <openjpeg.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

#include "idtap/reader/photo.h"

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
  reader::Raster raster{width, height, 3, test_pattern(width, height)};
  auto jpeg = reader::encode_jpeg(raster, quality);
  if (!jpeg.ok()) std::abort();
  return std::move(jpeg).value();
}

Bytes make_test_jpeg2000(size_t width, size_t height, bool codestream) {
  Bytes px = test_pattern(width, height);
  opj_image_cmptparm_t cmpt[3];
  std::memset(cmpt, 0, sizeof cmpt);
  for (auto& c : cmpt) {
    c.dx = c.dy = 1;
    c.w = static_cast<OPJ_UINT32>(width);
    c.h = static_cast<OPJ_UINT32>(height);
    c.prec = 8;
    c.sgnd = 0;
  }
  opj_image_t* image = opj_image_create(3, cmpt, OPJ_CLRSPC_SRGB);
  image->x0 = image->y0 = 0;
  image->x1 = static_cast<OPJ_UINT32>(width);
  image->y1 = static_cast<OPJ_UINT32>(height);
  for (size_t i = 0; i < width * height; ++i)
    for (int c = 0; c < 3; ++c) image->comps[c].data[i] = px[i * 3 + static_cast<size_t>(c)];
  // A JP2 file is written as a J2K codestream wrapped in the fixed JP2 boxes by OpenJPEG, which
  // needs a seekable stream; a temporary file gives it one.
  char path[] = "/tmp/idtap-jp2-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) std::abort();
  close(fd);
  opj_codec_t* codec = opj_create_compress(codestream ? OPJ_CODEC_J2K : OPJ_CODEC_JP2);
  opj_cparameters_t params;
  opj_set_default_encoder_parameters(&params);
  params.tcp_numlayers = 1;
  params.tcp_rates[0] = 0;  // lossless
  params.cp_disto_alloc = 1;
  opj_setup_encoder(codec, &params, image);
  opj_stream_t* stream = opj_stream_create_default_file_stream(path, OPJ_FALSE);
  if (!stream || !opj_start_compress(codec, image, stream) || !opj_encode(codec, stream) || !opj_end_compress(codec, stream))
    std::abort();
  opj_stream_destroy(stream);
  opj_destroy_codec(codec);
  opj_image_destroy(image);
  FILE* f = std::fopen(path, "rb");
  Bytes out;
  int ch;
  while ((ch = std::fgetc(f)) != EOF) out.push_back(static_cast<uint8_t>(ch));
  std::fclose(f);
  std::remove(path);
  return out;
}

}  // namespace idtap::test
