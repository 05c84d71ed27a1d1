// The synthetic face of the simulated card's DG2: drawn here, compressed with libjpeg or
// OpenJPEG (JP2). No photograph of anyone is involved.
#include <csetjmp>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include <jpeglib.h>
#include <openjpeg.h>

#include "idtap/sim/personalize.h"

namespace idtap::sim {
namespace {

struct Rgb {
  double r, g, b;
};

// Canvas: an RGB image drawn with soft-edged ellipses.
class Canvas {
 public:
  Canvas(int w, int h) : w_(w), h_(h), px_(static_cast<size_t>(w) * static_cast<size_t>(h)) {}

  void fill_gradient(Rgb top, Rgb bottom) {
    for (int y = 0; y < h_; ++y) {
      const double t = static_cast<double>(y) / (h_ - 1);
      const Rgb c{top.r + (bottom.r - top.r) * t, top.g + (bottom.g - top.g) * t, top.b + (bottom.b - top.b) * t};
      for (int x = 0; x < w_; ++x) at(x, y) = c;
    }
  }

  // ellipse: centre and radii as fractions of the width / height; `shade` darkens toward the
  // rim (0: flat); the rim is anti-aliased over about a pixel.
  void ellipse(double cx, double cy, double rx, double ry, Rgb c, double shade = 0) {
    const double X = cx * w_, Y = cy * h_, RX = rx * w_, RY = ry * h_;
    for (int y = 0; y < h_; ++y)
      for (int x = 0; x < w_; ++x) {
        const double dx = (x + 0.5 - X) / RX, dy = (y + 0.5 - Y) / RY;
        const double d = std::sqrt(dx * dx + dy * dy);
        const double edge = (1.0 - d) * std::min(RX, RY);  // pixels inside the rim
        if (edge <= -0.5) continue;
        const double alpha = edge >= 0.5 ? 1.0 : edge + 0.5;
        const double k = 1.0 - shade * d * d;
        Rgb& p = at(x, y);
        p.r = p.r * (1 - alpha) + c.r * k * alpha;
        p.g = p.g * (1 - alpha) + c.g * k * alpha;
        p.b = p.b * (1 - alpha) + c.b * k * alpha;
      }
  }

  // texture: a little low-frequency shading and per-pixel grain, as a camera would record.
  void texture(uint32_t seed) {
    uint32_t s = seed ? seed : 0x9E3779B9u;
    auto next = [&s] {
      s ^= s << 13;
      s ^= s >> 17;
      s ^= s << 5;
      return s;
    };
    for (int y = 0; y < h_; ++y)
      for (int x = 0; x < w_; ++x) {
        const double wave = 3.0 * std::sin(x * 0.11 + y * 0.05) * std::cos(y * 0.07);
        Rgb& p = at(x, y);
        p.r += wave + static_cast<int>(next() % 9) - 4;
        p.g += wave + static_cast<int>(next() % 9) - 4;
        p.b += wave + static_cast<int>(next() % 9) - 4;
      }
  }

  std::vector<uint8_t> bytes() const {
    std::vector<uint8_t> out;
    out.reserve(px_.size() * 3);
    auto clamp = [](double v) { return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : std::lround(v)); };
    for (const auto& p : px_) {
      out.push_back(clamp(p.r));
      out.push_back(clamp(p.g));
      out.push_back(clamp(p.b));
    }
    return out;
  }

 private:
  Rgb& at(int x, int y) { return px_[static_cast<size_t>(y) * static_cast<size_t>(w_) + static_cast<size_t>(x)]; }
  int w_, h_;
  std::vector<Rgb> px_;
};

std::vector<uint8_t> draw_face(int w, int h, uint32_t seed) {
  Canvas c(w, h);
  const Rgb skin{224, 182, 150}, hair{48, 34, 28}, white{245, 245, 242}, iris{60, 42, 30}, lips{180, 92, 92},
      jacket{38, 46, 72}, shirt{236, 238, 240};
  c.fill_gradient(Rgb{214, 222, 232}, Rgb{192, 202, 216});  // ICAO plain light background
  c.ellipse(0.50, 1.08, 0.56, 0.30, jacket, 0.15);          // shoulders
  c.ellipse(0.50, 0.86, 0.10, 0.10, shirt);                 // collar
  c.ellipse(0.50, 0.74, 0.11, 0.12, skin, 0.2);             // neck
  c.ellipse(0.50, 0.36, 0.31, 0.26, hair, 0.1);             // hair behind the head
  c.ellipse(0.235, 0.45, 0.045, 0.06, skin, 0.3);           // ears
  c.ellipse(0.765, 0.45, 0.045, 0.06, skin, 0.3);
  c.ellipse(0.50, 0.46, 0.255, 0.27, skin, 0.35);           // face
  c.ellipse(0.50, 0.24, 0.25, 0.09, hair, 0.1);             // fringe
  for (double ex : {0.40, 0.60}) {
    c.ellipse(ex, 0.375, 0.060, 0.012, hair);               // brows
    c.ellipse(ex, 0.42, 0.050, 0.020, white);               // eyes
    c.ellipse(ex, 0.42, 0.020, 0.017, iris);
    c.ellipse(ex, 0.42, 0.008, 0.007, Rgb{10, 10, 10});
  }
  c.ellipse(0.50, 0.50, 0.030, 0.050, Rgb{210, 165, 135}, 0.2);  // nose
  c.ellipse(0.47, 0.535, 0.012, 0.008, Rgb{150, 110, 95});       // nostrils
  c.ellipse(0.53, 0.535, 0.012, 0.008, Rgb{150, 110, 95});
  c.ellipse(0.50, 0.60, 0.075, 0.018, lips, 0.2);                 // mouth
  c.texture(seed);
  return c.bytes();
}

// --- libjpeg -------------------------------------------------------------------------------

struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
};

void jpeg_error_exit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  std::longjmp(err->jump, 1);
}

// encode_jpeg: `rgb` as a baseline JFIF JPEG. C-style on purpose: libjpeg reports errors by
// longjmp, so nothing with a destructor lives between setjmp and the end.
bool encode_jpeg(const uint8_t* rgb, int w, int h, int quality, unsigned char** out, unsigned long* out_size) {
  jpeg_compress_struct cinfo;
  JpegError err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_error_exit;
  if (setjmp(err.jump)) {
    jpeg_destroy_compress(&cinfo);
    return false;
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, out, out_size);
  cinfo.image_width = static_cast<JDIMENSION>(w);
  cinfo.image_height = static_cast<JDIMENSION>(h);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(rgb + static_cast<size_t>(cinfo.next_scanline) * static_cast<size_t>(w) * 3);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  return true;
}

// --- OpenJPEG ------------------------------------------------------------------------------

struct MemStream {
  Bytes data;
  size_t pos = 0;
};

OPJ_SIZE_T mem_write(void* buffer, OPJ_SIZE_T n, void* user) {
  auto* s = static_cast<MemStream*>(user);
  if (s->pos + n > s->data.size()) s->data.resize(s->pos + n);
  std::memcpy(s->data.data() + s->pos, buffer, n);
  s->pos += n;
  return n;
}

OPJ_OFF_T mem_skip(OPJ_OFF_T n, void* user) {
  auto* s = static_cast<MemStream*>(user);
  if (n < 0 && static_cast<size_t>(-n) > s->pos) return -1;
  s->pos = static_cast<size_t>(static_cast<OPJ_OFF_T>(s->pos) + n);
  if (s->pos > s->data.size()) s->data.resize(s->pos);
  return n;
}

OPJ_BOOL mem_seek(OPJ_OFF_T n, void* user) {
  auto* s = static_cast<MemStream*>(user);
  if (n < 0) return OPJ_FALSE;
  s->pos = static_cast<size_t>(n);
  if (s->pos > s->data.size()) s->data.resize(s->pos);
  return OPJ_TRUE;
}

void opj_quiet(const char*, void*) {}

Result<Bytes> encode_jp2(const std::vector<uint8_t>& rgb, int w, int h, size_t target_bytes) {
  opj_image_cmptparm_t comp[3];
  std::memset(comp, 0, sizeof comp);
  for (auto& c : comp) {
    c.dx = c.dy = 1;
    c.w = static_cast<OPJ_UINT32>(w);
    c.h = static_cast<OPJ_UINT32>(h);
    c.prec = 8;
    c.sgnd = 0;
  }
  opj_image_t* image = opj_image_create(3, comp, OPJ_CLRSPC_SRGB);
  if (image == nullptr) return make_error(ErrorCode::kInternal, "OpenJPEG: cannot create the image");
  image->x0 = image->y0 = 0;
  image->x1 = static_cast<OPJ_UINT32>(w);
  image->y1 = static_cast<OPJ_UINT32>(h);
  const size_t n = static_cast<size_t>(w) * static_cast<size_t>(h);
  for (size_t i = 0; i < n; ++i)
    for (int k = 0; k < 3; ++k) image->comps[k].data[i] = rgb[i * 3 + static_cast<size_t>(k)];

  opj_cparameters_t params;
  opj_set_default_encoder_parameters(&params);
  params.tcp_numlayers = 1;
  params.cp_disto_alloc = 1;
  // Rate: raw size / target size (OpenJPEG counts the rate against the uncompressed bytes).
  params.tcp_rates[0] = static_cast<float>(static_cast<double>(n * 3) / static_cast<double>(target_bytes));
  params.irreversible = 1;  // 9/7 wavelet: lossy, as ICAO's JPEG 2000 faces are
  params.tcp_mct = 1;

  opj_codec_t* codec = opj_create_compress(OPJ_CODEC_JP2);
  MemStream mem;
  opj_stream_t* stream = opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_FALSE);
  bool ok = codec != nullptr && stream != nullptr;
  if (ok) {
    opj_set_info_handler(codec, opj_quiet, nullptr);
    opj_set_warning_handler(codec, opj_quiet, nullptr);
    opj_set_error_handler(codec, opj_quiet, nullptr);
    opj_stream_set_user_data(stream, &mem, nullptr);
    opj_stream_set_write_function(stream, mem_write);
    opj_stream_set_skip_function(stream, mem_skip);
    opj_stream_set_seek_function(stream, mem_seek);
    ok = opj_setup_encoder(codec, &params, image) && opj_start_compress(codec, image, stream) &&
         opj_encode(codec, stream) && opj_end_compress(codec, stream);
  }
  if (stream) opj_stream_destroy(stream);
  if (codec) opj_destroy_codec(codec);
  opj_image_destroy(image);
  if (!ok || mem.data.empty()) return make_error(ErrorCode::kInternal, "OpenJPEG: JPEG 2000 encoding failed");
  return std::move(mem.data);
}

}  // namespace

Result<Bytes> make_face_image(const FaceImageSpec& spec) {
  if (spec.width < 16 || spec.height < 16 || spec.width > 4096 || spec.height > 4096)
    return make_error(ErrorCode::kInvalidArgument, "face image: width and height must be 16..4096");
  if (spec.jpeg_quality < 1 || spec.jpeg_quality > 100)
    return make_error(ErrorCode::kInvalidArgument, "face image: JPEG quality must be 1..100");
  const std::vector<uint8_t> rgb = draw_face(spec.width, spec.height, spec.seed);
  if (spec.format == FaceFormat::kJpeg2000) {
    if (spec.jpeg2000_bytes < 512) return make_error(ErrorCode::kInvalidArgument, "face image: JPEG 2000 target below 512 bytes");
    return encode_jp2(rgb, spec.width, spec.height, spec.jpeg2000_bytes);
  }
  unsigned char* out = nullptr;
  unsigned long size = 0;
  const bool ok = encode_jpeg(rgb.data(), spec.width, spec.height, spec.jpeg_quality, &out, &size);
  Bytes jpeg;
  if (ok && out != nullptr) jpeg.assign(out, out + size);
  std::free(out);
  if (!ok || jpeg.empty()) return make_error(ErrorCode::kInternal, "libjpeg: JPEG encoding failed");
  return jpeg;
}

}  // namespace idtap::sim
