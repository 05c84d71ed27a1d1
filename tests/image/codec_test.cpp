// The image layer: JPEG, JPEG 2000 and PNG in and out of pixels, with typed errors for what does
// not decode. PNG output is checked with libpng's own reader, independently of encode_png.
#include "idtap/image/codec.h"

#include <doctest/doctest.h>
#include <png.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "idtap/image/format.h"
#include "support/test_images.h"

using namespace idtap;
using namespace idtap::image;

namespace {
std::string image_extension(ByteView b) { return image_file_extension(detect_image_format(b)); }
Result<Raster> decode_face_image(ByteView b) { return decode(b); }
}  // namespace

namespace {

// Decodes a PNG with libpng (independently of encode_png) into RGB or grey rows.
Raster read_png(const Bytes& png_bytes) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  REQUIRE(png_image_begin_read_from_memory(&image, png_bytes.data(), png_bytes.size()) != 0);
  image.format = PNG_FORMAT_RGB;
  Raster r;
  r.width = image.width;
  r.height = image.height;
  r.channels = 3;
  r.pixels.resize(PNG_IMAGE_SIZE(image));
  REQUIRE(png_image_finish_read(&image, nullptr, r.pixels.data(), 0, nullptr) != 0);
  return r;
}

int max_difference(const Bytes& a, const Bytes& b) {
  int worst = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) worst = std::max(worst, std::abs(int(a[i]) - int(b[i])));
  return worst;
}

}  // namespace

TEST_CASE("a JPEG face image becomes a PNG with the same pixels (within JPEG loss)") {
  Bytes jpeg = test::make_test_jpeg(96, 128, 95);
  CHECK(image_extension(jpeg) == "jpg");
  auto raster = decode_face_image(jpeg);
  REQUIRE(raster.ok());
  CHECK(raster->width == 96);
  CHECK(raster->height == 128);
  CHECK(raster->channels == 3);
  CHECK(max_difference(raster->pixels, test::test_pattern(96, 128)) < 24);
  auto png = encode_png(*raster);
  REQUIRE(png.ok());
  Raster back = read_png(*png);
  CHECK(back.width == 96);
  CHECK(back.pixels == raster->pixels);  // PNG is lossless
}

TEST_CASE("JPEG 2000 face images (JP2 file and J2K codestream) decode losslessly") {
  for (bool codestream : {false, true}) {
    CAPTURE(codestream);
    Bytes j2k = test::make_test_jpeg2000(64, 80, codestream);
    CHECK(image_extension(j2k) == (codestream ? "j2k" : "jp2"));
    auto raster = decode_face_image(j2k);
    REQUIRE(raster.ok());
    CHECK(raster->width == 64);
    CHECK(raster->height == 80);
    CHECK(raster->pixels == test::test_pattern(64, 80));
    CHECK(encode_png(*raster).ok());
  }
}

TEST_CASE("a JPEG 2000 face image re-encodes as JPEG (the mdoc portrait format)") {
  auto raster = decode_face_image(test::make_test_jpeg2000(48, 64));
  REQUIRE(raster.ok());
  auto jpeg = encode_jpeg(*raster, 92);
  REQUIRE(jpeg.ok());
  CHECK(image_extension(*jpeg) == "jpg");
  auto again = decode_face_image(*jpeg);
  REQUIRE(again.ok());
  CHECK(again->width == 48);
  CHECK(max_difference(again->pixels, raster->pixels) < 24);
  CHECK(encode_jpeg(*raster, 0).error().code == ErrorCode::kInvalidArgument);
  CHECK(encode_jpeg(Raster{}, 90).error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("corrupt images give typed errors, never a crash") {
  Bytes jpeg = test::make_test_jpeg(32, 32);
  Bytes jp2 = test::make_test_jpeg2000(32, 32);
  Bytes flipped = jp2;
  for (size_t i = flipped.size() / 2; i < flipped.size(); ++i) flipped[i] ^= 0x5A;
  struct Case {
    Bytes data;
    ErrorCode code;
    const char* why;
  } cases[] = {
      {Bytes(jpeg.begin(), jpeg.begin() + 20), ErrorCode::kMalformed, "JPEG cut inside its headers"},
      {Bytes(jp2.begin(), jp2.begin() + 40), ErrorCode::kMalformed, "JP2 cut inside its boxes"},
      {Bytes{0xFF, 0xD8, 0xFF}, ErrorCode::kMalformed, "JPEG magic and nothing else"},
      {Bytes{0x89, 'P', 'N', 'G'}, ErrorCode::kNotSupported, "a PNG is not a face image format of ICAO"},
      {Bytes{}, ErrorCode::kNotSupported, "empty"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto r = decode_face_image(c.data);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == c.code);
  }
  // A JP2 with its codestream scrambled must not crash (it may or may not decode to noise).
  (void)decode_face_image(flipped);
  CHECK(encode_png(Raster{}).error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("JPEG 2000 encoding: lossless round trips, grey rasters, and a lossy rate near its target") {
  // grey (one channel), lossless, both containers
  Raster grey{40, 30, 1, Bytes(40 * 30)};
  for (size_t i = 0; i < grey.pixels.size(); ++i) grey.pixels[i] = static_cast<uint8_t>(i * 7);
  for (bool codestream : {false, true}) {
    CAPTURE(codestream);
    auto j2k = encode_jpeg2000(grey, Jpeg2000Options{.codestream = codestream, .target_bytes = 0});
    REQUIRE(j2k.ok());
    auto back = decode_jpeg2000(*j2k, codestream);
    REQUIRE(back.ok());
    CHECK(back->channels == 1);
    CHECK(back->pixels == grey.pixels);
  }
  // lossy at a target: the size stays within a factor of two of it (the rate is a ceiling: a
  // smooth picture may need less), and the picture survives
  const Raster rgb{240, 320, 3, test::test_pattern(240, 320)};
  auto lossy = encode_jpeg2000(rgb, Jpeg2000Options{.codestream = false, .target_bytes = 4000});
  REQUIRE(lossy.ok());
  CHECK(lossy->size() <= 8000);
  auto seen = decode(*lossy);
  REQUIRE(seen.ok());
  CHECK(seen->width == 240);
  CHECK(max_difference(seen->pixels, rgb.pixels) < 64);
  // bad arguments
  CHECK(encode_jpeg2000(Raster{}).error().code == ErrorCode::kInvalidArgument);  // empty raster
  CHECK(encode_jpeg2000(rgb, Jpeg2000Options{.codestream = false, .target_bytes = 100}).error().code ==
        ErrorCode::kInvalidArgument);  // a target below 512 bytes
  Raster two_channels{4, 4, 2, Bytes(32)};
  CHECK_FALSE(raster_consistent(two_channels));  // grey+alpha is not a raster we write
}
