// JPEG 2000 (ISO/IEC 15444-1) through OpenJPEG, in memory both ways: one memory stream serves the
// decoder (reading a card's face image) and the encoder (the simulated card's face, test images).
#include <openjpeg.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "idtap/image/codec.h"

namespace idtap::image {
namespace {

// MemoryStream: the bytes OpenJPEG reads (`in`) or writes (`out`), and its position. A write
// past the end grows `out`; a seek or skip past the end of `in` is refused.
struct MemoryStream {
  ByteView in;
  Bytes out;
  size_t pos = 0;
  bool writing = false;
  size_t size() const { return writing ? out.size() : in.size(); }
};

OPJ_SIZE_T mem_read(void* buffer, OPJ_SIZE_T n, void* user) {
  auto* m = static_cast<MemoryStream*>(user);
  if (m->pos >= m->in.size()) return static_cast<OPJ_SIZE_T>(-1);  // end of stream
  const size_t take = std::min<size_t>(n, m->in.size() - m->pos);
  std::memcpy(buffer, m->in.data() + m->pos, take);
  m->pos += take;
  return take;
}

OPJ_SIZE_T mem_write(void* buffer, OPJ_SIZE_T n, void* user) {
  auto* m = static_cast<MemoryStream*>(user);
  if (m->pos + n > m->out.size()) m->out.resize(m->pos + n);
  std::memcpy(m->out.data() + m->pos, buffer, n);
  m->pos += n;
  return n;
}

OPJ_OFF_T mem_skip(OPJ_OFF_T n, void* user) {
  auto* m = static_cast<MemoryStream*>(user);
  if (!m->writing) {
    if (n < 0) return -1;
    const size_t take = std::min<size_t>(static_cast<size_t>(n), m->in.size() - std::min(m->pos, m->in.size()));
    m->pos += take;
    return static_cast<OPJ_OFF_T>(take);
  }
  if (n < 0 && static_cast<size_t>(-n) > m->pos) return -1;
  m->pos = static_cast<size_t>(static_cast<OPJ_OFF_T>(m->pos) + n);
  if (m->pos > m->out.size()) m->out.resize(m->pos);
  return n;
}

OPJ_BOOL mem_seek(OPJ_OFF_T n, void* user) {
  auto* m = static_cast<MemoryStream*>(user);
  if (n < 0 || (!m->writing && static_cast<size_t>(n) > m->in.size())) return OPJ_FALSE;
  m->pos = static_cast<size_t>(n);
  if (m->writing && m->pos > m->out.size()) m->out.resize(m->pos);
  return OPJ_TRUE;
}

void opj_quiet(const char*, void*) {}

using StreamPtr = std::unique_ptr<opj_stream_t, void (*)(opj_stream_t*)>;
using CodecPtr = std::unique_ptr<opj_codec_t, void (*)(opj_codec_t*)>;
using ImagePtr = std::unique_ptr<opj_image_t, void (*)(opj_image_t*)>;

// memory_stream: an OpenJPEG stream over `mem`, reading or writing as `mem.writing` says.
StreamPtr memory_stream(MemoryStream& mem) {
  StreamPtr stream(opj_stream_create(64 * 1024, mem.writing ? OPJ_FALSE : OPJ_TRUE), opj_stream_destroy);
  if (!stream) return stream;
  opj_stream_set_user_data(stream.get(), &mem, nullptr);
  if (!mem.writing) {
    opj_stream_set_user_data_length(stream.get(), mem.in.size());
    opj_stream_set_read_function(stream.get(), mem_read);
  } else {
    opj_stream_set_write_function(stream.get(), mem_write);
  }
  opj_stream_set_skip_function(stream.get(), mem_skip);
  opj_stream_set_seek_function(stream.get(), mem_seek);
  return stream;
}

void silence(opj_codec_t* codec) {
  opj_set_info_handler(codec, opj_quiet, nullptr);
  opj_set_warning_handler(codec, opj_quiet, nullptr);
  opj_set_error_handler(codec, opj_quiet, nullptr);
}

}  // namespace

Result<Raster> decode_jpeg2000(ByteView image, bool codestream) {
  MemoryStream mem{image, {}, 0, false};
  StreamPtr stream = memory_stream(mem);
  CodecPtr codec(opj_create_decompress(codestream ? OPJ_CODEC_J2K : OPJ_CODEC_JP2), opj_destroy_codec);
  if (!stream || !codec) return make_error(ErrorCode::kInternal, "OpenJPEG set-up failed");
  silence(codec.get());
  opj_dparameters_t params;
  opj_set_default_decoder_parameters(&params);
  if (!opj_setup_decoder(codec.get(), &params)) return make_error(ErrorCode::kInternal, "OpenJPEG set-up failed");
  opj_image_t* raw = nullptr;
  if (!opj_read_header(stream.get(), codec.get(), &raw) || raw == nullptr)
    return make_error(ErrorCode::kMalformed, "face image: JPEG 2000 header does not decode");
  ImagePtr img(raw, opj_image_destroy);
  const size_t w = img->x1 - img->x0, h = img->y1 - img->y0;
  if (w == 0 || h == 0 || w * h > kMaxPixels || img->numcomps == 0 || img->numcomps > 4)
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

Result<Bytes> encode_jpeg2000(const Raster& raster, const Jpeg2000Options& options) {
  if (!raster_consistent(raster)) return make_error(ErrorCode::kInvalidArgument, "JPEG 2000: inconsistent raster");
  if (options.target_bytes != 0 && options.target_bytes < 512)
    return make_error(ErrorCode::kInvalidArgument, "JPEG 2000: target below 512 bytes");
  const int channels = raster.channels;
  opj_image_cmptparm_t comp[3];
  std::memset(comp, 0, sizeof comp);
  for (int k = 0; k < channels; ++k) {
    comp[k].dx = comp[k].dy = 1;
    comp[k].w = static_cast<OPJ_UINT32>(raster.width);
    comp[k].h = static_cast<OPJ_UINT32>(raster.height);
    comp[k].prec = 8;
    comp[k].sgnd = 0;
  }
  ImagePtr image(opj_image_create(static_cast<OPJ_UINT32>(channels), comp, channels == 3 ? OPJ_CLRSPC_SRGB : OPJ_CLRSPC_GRAY),
                 opj_image_destroy);
  if (!image) return make_error(ErrorCode::kInternal, "OpenJPEG: cannot create the image");
  image->x0 = image->y0 = 0;
  image->x1 = static_cast<OPJ_UINT32>(raster.width);
  image->y1 = static_cast<OPJ_UINT32>(raster.height);
  const size_t n = raster.width * raster.height;
  for (size_t i = 0; i < n; ++i)
    for (int k = 0; k < channels; ++k)
      image->comps[k].data[i] = raster.pixels[i * static_cast<size_t>(channels) + static_cast<size_t>(k)];

  opj_cparameters_t params;
  opj_set_default_encoder_parameters(&params);
  params.tcp_numlayers = 1;
  params.cp_disto_alloc = 1;
  if (options.target_bytes == 0) {
    params.tcp_rates[0] = 0;  // lossless: the reversible 5/3 wavelet
  } else {
    // Rate: raw size / target size (OpenJPEG counts the rate against the uncompressed bytes).
    params.tcp_rates[0] = static_cast<float>(static_cast<double>(raster.pixels.size()) / static_cast<double>(options.target_bytes));
    params.irreversible = 1;  // 9/7 wavelet: lossy, as ICAO's JPEG 2000 faces are
  }
  params.tcp_mct = channels == 3 ? 1 : 0;
  // Each resolution level halves the image: no more levels than the smaller side allows.
  int levels = 1;
  while (levels < params.numresolution && (std::min(raster.width, raster.height) >> levels) > 0) ++levels;
  params.numresolution = levels;

  CodecPtr codec(opj_create_compress(options.codestream ? OPJ_CODEC_J2K : OPJ_CODEC_JP2), opj_destroy_codec);
  MemoryStream mem{{}, {}, 0, true};
  StreamPtr stream = memory_stream(mem);
  if (!codec || !stream) return make_error(ErrorCode::kInternal, "OpenJPEG set-up failed");
  silence(codec.get());
  const bool ok = opj_setup_encoder(codec.get(), &params, image.get()) && opj_start_compress(codec.get(), image.get(), stream.get()) &&
                  opj_encode(codec.get(), stream.get()) && opj_end_compress(codec.get(), stream.get());
  stream.reset();  // flushes what the stream still buffers into `mem`
  if (!ok || mem.out.empty()) return make_error(ErrorCode::kInternal, "OpenJPEG: JPEG 2000 encoding failed");
  return std::move(mem.out);
}

}  // namespace idtap::image
