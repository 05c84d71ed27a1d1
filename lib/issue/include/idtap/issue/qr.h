// idtap/issue/qr.h: the QR code a clerk shows the phone (an openid-credential-offer:// URI):
// encoded by libqrencode (ISO/IEC 18004 QR Code Model 2), drawn for a terminal with UTF-8 half
// blocks and as a PNG through lib/image. No QR encoding is written here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"

namespace idtap::issue {

// QrErrorCorrection: the four error correction levels of ISO/IEC 18004 (L, M, Q, H: about 7,
// 15, 25 and 30 % of the codewords recoverable).
enum class QrErrorCorrection { kL, kM, kQ, kH };

// kQrQuietZone: the light margin around a QR Code symbol: ISO/IEC 18004 asks for a quiet zone
// 4 modules wide on every side, which scanners need to find the symbol.
inline constexpr int kQrQuietZone = 4;

// QrMatrix: a QR Code symbol: `size` x `size` modules, row-major, 1 for dark, 0 for light; no
// quiet zone (the renderers add it).
struct QrMatrix {
  int version = 0;  // 1..40
  size_t size = 0;
  std::vector<uint8_t> modules;

  // QrMatrix::dark: the module at column x, row y (false outside the symbol: the quiet zone).
  bool dark(long x, long y) const;
};

// qr_encode: `text` (bytes, e.g. a URI; no NUL) as the smallest QR Code symbol at `level`
// (libqrencode's mode optimisation, case kept). kInvalidArgument for empty text or a NUL byte;
// kInvalidArgument too when it does not fit in version 40; kInternal when libqrencode fails.
Result<QrMatrix> qr_encode(std::string_view text, QrErrorCorrection level = QrErrorCorrection::kM);

// render_terminal: the symbol with its quiet zone as lines of UTF-8 half blocks (U+2580, U+2584,
// U+2588, space), two module rows per line, each line ending in '\n'. `light_on_dark` (the usual
// dark terminal) draws the light modules in the foreground colour; false draws the dark ones.
std::string render_terminal(const QrMatrix& qr, bool light_on_dark = true);

// render_png: the symbol with its quiet zone as an 8-bit greyscale PNG, each module `scale` x
// `scale` pixels (1..64). kInvalidArgument for a bad scale or an empty matrix; kInternal when
// libpng fails.
Result<Bytes> render_png(const QrMatrix& qr, int scale = 8);

}  // namespace idtap::issue
