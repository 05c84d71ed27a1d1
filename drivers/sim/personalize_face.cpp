// The synthetic face of the simulated card's DG2: drawn here, compressed as JPEG or JPEG 2000
// (JP2) by the image layer. No photograph of anyone is involved.
#include <cmath>
#include <vector>

#include "idtap/image/codec.h"
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

}  // namespace

Result<Bytes> make_face_image(const FaceImageSpec& spec) {
  if (spec.width < 16 || spec.height < 16 || spec.width > 4096 || spec.height > 4096)
    return make_error(ErrorCode::kInvalidArgument, "face image: width and height must be 16..4096");
  if (spec.jpeg_quality < 1 || spec.jpeg_quality > 100)
    return make_error(ErrorCode::kInvalidArgument, "face image: JPEG quality must be 1..100");
  const std::vector<uint8_t> rgb = draw_face(spec.width, spec.height, spec.seed);
  const image::Raster raster{static_cast<size_t>(spec.width), static_cast<size_t>(spec.height), 3, Bytes(rgb.begin(), rgb.end())};
  if (spec.format == FaceFormat::kJpeg2000) {
    if (spec.jpeg2000_bytes < 512) return make_error(ErrorCode::kInvalidArgument, "face image: JPEG 2000 target below 512 bytes");
    return image::encode_jpeg2000(raster, image::Jpeg2000Options{.codestream = false, .target_bytes = spec.jpeg2000_bytes});
  }
  return image::encode_jpeg(raster, spec.jpeg_quality);
}

}  // namespace idtap::sim
