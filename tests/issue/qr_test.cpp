// tests/issue/qr_test.cpp: QR codes of credential offers (lib/issue/qr.h): the PNG decodes back
// to the exact offer URI with zbarimg (Debian zbar-tools), the terminal drawing holds the same
// modules, and bad input is refused.
#include "idtap/issue/qr.h"

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "idtap/crypto/random.h"
#include "idtap/issue/jose.h"
#include "idtap/issue/oid4vci.h"
#include "issue/memory_offer_backend.h"
#include "support/run_shell.h"
#include "support/scratch_dir.h"

using namespace idtap;
using namespace idtap::issue;

namespace {

// offer_uri: a realistic openid-credential-offer:// URI: a 256-bit pre-authorized code, the
// default configuration, a tx_code object (about 400 characters).
std::string offer_uri() {
  testing::MemoryOfferBackend backend;
  Oid4vciConfig config;
  config.credential_issuer = "https://mobileid.gov.kr/issuer/seoul-jongno";
  auto issuer = Oid4vciIssuer::create(config, backend).value();
  return issuer->credential_offer_uri(base64url_encode(crypto::random_bytes(32).value()));
}

// zbar_decode: what zbarimg reads from `png` (--raw: the data only, one line per symbol).
std::string zbar_decode(const Bytes& png, const std::string& name) {
  test::ScratchDir dir("qr");
  std::string path = dir.path() + "/" + name;
  {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
  }
  // zbarimg's stderr holds unrelated noise (a D-Bus warning of its image library): kept apart
  // (the braces keep run_shell's own 2>&1 off it).
  auto run = test::run_shell("{ zbarimg --raw -q '" + path + "' 2>'" + path + ".err'; }");
  if (run.exit_code != 0) {
    std::ifstream err(path + ".err");
    std::string text((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
    FAIL("zbarimg failed (" << run.exit_code << "): " << text);
  }
  return run.out;
}

// utf8_cells: the lines of a half-block drawing, each split into its characters.
std::vector<std::vector<std::string>> utf8_cells(const std::string& text) {
  std::vector<std::vector<std::string>> lines(1);
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '\n') {
      lines.emplace_back();
      ++i;
      continue;
    }
    size_t len = (static_cast<unsigned char>(text[i]) < 0x80) ? 1 : 3;  // space, or U+2580..U+2588
    lines.back().push_back(text.substr(i, len));
    i += len;
  }
  if (lines.back().empty()) lines.pop_back();
  return lines;
}

}  // namespace

TEST_CASE("a credential offer's QR code, as a PNG, decodes back to the exact URI (zbarimg)") {
  std::string uri = offer_uri();
  CHECK(uri.size() > 350);
  for (auto level : {QrErrorCorrection::kL, QrErrorCorrection::kM, QrErrorCorrection::kH}) {
    auto qr = qr_encode(uri, level);
    REQUIRE(qr.ok());
    CHECK(qr->size == static_cast<size_t>(17 + 4 * qr->version));  // the symbol size of a version
    for (int scale : {4, 8}) {
      CAPTURE(scale);
      auto png = render_png(*qr, scale);
      REQUIRE(png.ok());
      CHECK(png->size() > 8);
      CHECK((*png)[1] == 'P');
      CHECK(zbar_decode(*png, "offer.png") == uri + "\n");
    }
  }
  // Higher error correction needs a larger symbol for the same text.
  CHECK(qr_encode(uri, QrErrorCorrection::kH)->version > qr_encode(uri, QrErrorCorrection::kL)->version);
}

TEST_CASE("the QR matrix holds the finder patterns; outside the symbol is the light quiet zone") {
  auto qr = qr_encode("openid-credential-offer://?credential_offer=%7B%7D");
  REQUIRE(qr.ok());
  const long n = static_cast<long>(qr->size);
  // ISO/IEC 18004 finder pattern in three corners: a dark 7x7 ring, a light ring, a dark 3x3 core.
  for (auto [ox, oy] : {std::pair<long, long>{0, 0}, {n - 7, 0}, {0, n - 7}}) {
    CHECK(qr->dark(ox, oy));
    CHECK(qr->dark(ox + 6, oy + 6));
    CHECK_FALSE(qr->dark(ox + 1, oy + 1));
    CHECK(qr->dark(ox + 3, oy + 3));
  }
  CHECK_FALSE(qr->dark(-1, 0));
  CHECK_FALSE(qr->dark(0, n));
}

TEST_CASE("the terminal drawing holds the modules and the quiet zone, in both polarities") {
  auto qr = qr_encode(offer_uri());
  REQUIRE(qr.ok());
  const long q = kQrQuietZone, n = static_cast<long>(qr->size), w = n + 2 * q;
  for (bool light_on_dark : {true, false}) {
    CAPTURE(light_on_dark);
    auto lines = utf8_cells(render_terminal(*qr, light_on_dark));
    REQUIRE(lines.size() == static_cast<size_t>((w + 1) / 2));
    for (long row = 0; row < static_cast<long>(lines.size()); ++row) {
      REQUIRE(lines[row].size() == static_cast<size_t>(w));
      for (long x = 0; x < w; ++x) {
        const std::string& c = lines[row][x];
        bool top = c == "\u2588" || c == "\u2580";
        bool bottom = c == "\u2588" || c == "\u2584";
        REQUIRE((c == " " || top || bottom));
        long y = 2 * row;
        // Drawn (foreground) cells are the light modules on a dark terminal, the dark ones else.
        CHECK(top == (qr->dark(x - q, y - q) != light_on_dark));
        if (y + 1 < w) CHECK(bottom == (qr->dark(x - q, y + 1 - q) != light_on_dark));
      }
    }
  }
}

TEST_CASE("qr_encode and render_png refuse bad input") {
  CHECK(qr_encode("").error().code == ErrorCode::kInvalidArgument);
  CHECK(qr_encode(std::string("a\0b", 3)).error().code == ErrorCode::kInvalidArgument);
  // More than version 40 holds (2953 bytes at level L in 8-bit mode).
  auto too_long = qr_encode(std::string(8000, 'x') + "\xc3\xa9", QrErrorCorrection::kL);
  REQUIRE_FALSE(too_long.ok());
  CHECK(too_long.error().code == ErrorCode::kInvalidArgument);
  auto qr = qr_encode("x");
  REQUIRE(qr.ok());
  CHECK(qr->version == 1);
  CHECK(render_png(*qr, 0).error().code == ErrorCode::kInvalidArgument);
  CHECK(render_png(*qr, 65).error().code == ErrorCode::kInvalidArgument);
  CHECK(render_png(QrMatrix{}, 4).error().code == ErrorCode::kInvalidArgument);
}
