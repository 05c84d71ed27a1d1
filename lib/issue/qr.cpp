// QR codes for credential offers: libqrencode in, terminal text and PNG out (see qr.h).
#include "idtap/issue/qr.h"

#include <qrencode.h>

#include <cerrno>
#include <memory>

#include "idtap/image/codec.h"

namespace idtap::issue {

namespace {

struct QrFree {
  void operator()(QRcode* q) const { QRcode_free(q); }
};

QRecLevel level_of(QrErrorCorrection level) {
  switch (level) {
    case QrErrorCorrection::kL: return QR_ECLEVEL_L;
    case QrErrorCorrection::kM: return QR_ECLEVEL_M;
    case QrErrorCorrection::kQ: return QR_ECLEVEL_Q;
    case QrErrorCorrection::kH: return QR_ECLEVEL_H;
  }
  return QR_ECLEVEL_M;
}

}  // namespace

bool QrMatrix::dark(long x, long y) const {
  if (x < 0 || y < 0 || static_cast<size_t>(x) >= size || static_cast<size_t>(y) >= size) return false;
  return modules[static_cast<size_t>(y) * size + static_cast<size_t>(x)] != 0;
}

Result<QrMatrix> qr_encode(std::string_view text, QrErrorCorrection level) {
  if (text.empty()) return make_error(ErrorCode::kInvalidArgument, "QR code of empty text");
  if (text.find('\0') != std::string_view::npos) return make_error(ErrorCode::kInvalidArgument, "QR code text holds a NUL byte");
  std::string c_text(text);
  errno = 0;
  // Version 0: the smallest that fits; QR_MODE_8 hint and case-sensitive: libqrencode splits the
  // text into numeric / alphanumeric / 8-bit segments, as ISO/IEC 18004 allows.
  std::unique_ptr<QRcode, QrFree> q(QRcode_encodeString(c_text.c_str(), 0, level_of(level), QR_MODE_8, 1));
  if (!q) {
    if (errno == ERANGE) return make_error(ErrorCode::kInvalidArgument, "text of " + std::to_string(text.size()) + " bytes does not fit in a QR code");
    return make_error(ErrorCode::kInternal, "libqrencode failed");
  }
  QrMatrix m;
  m.version = q->version;
  m.size = static_cast<size_t>(q->width);
  m.modules.resize(m.size * m.size);
  // libqrencode: bit 0 of each byte is the module colour (1 = dark); the other bits describe it.
  for (size_t i = 0; i < m.modules.size(); ++i) m.modules[i] = q->data[i] & 1;
  return m;
}

std::string render_terminal(const QrMatrix& qr, bool light_on_dark) {
  const long q = kQrQuietZone;
  const long n = static_cast<long>(qr.size);
  std::string out;
  // A cell is drawn (foreground) when its module is light on a dark terminal, dark otherwise.
  auto ink = [&](long x, long y) { return qr.dark(x, y) != light_on_dark; };
  for (long y = -q; y < n + q; y += 2) {
    for (long x = -q; x < n + q; ++x) {
      bool top = ink(x, y);
      bool bottom = (y + 1 < n + q) ? ink(x, y + 1) : light_on_dark;  // below the last row: quiet zone
      if (top && bottom) out += "\u2588";        // full block
      else if (top) out += "\u2580";             // upper half block
      else if (bottom) out += "\u2584";          // lower half block
      else out += ' ';
    }
    out += '\n';
  }
  return out;
}

Result<Bytes> render_png(const QrMatrix& qr, int scale) {
  if (scale < 1 || scale > 64) return make_error(ErrorCode::kInvalidArgument, "QR PNG scale must be 1..64");
  if (qr.size == 0 || qr.modules.size() != qr.size * qr.size) return make_error(ErrorCode::kInvalidArgument, "empty QR matrix");
  const long q = kQrQuietZone;
  const long modules = static_cast<long>(qr.size) + 2 * q;
  image::Raster r;
  r.channels = 1;
  r.width = r.height = static_cast<size_t>(modules * scale);
  r.pixels.assign(r.width * r.height, 0xFF);
  for (long my = 0; my < modules; ++my)
    for (long mx = 0; mx < modules; ++mx) {
      if (!qr.dark(mx - q, my - q)) continue;
      for (long py = 0; py < scale; ++py)
        for (long px = 0; px < scale; ++px)
          r.pixels[static_cast<size_t>(my * scale + py) * r.width + static_cast<size_t>(mx * scale + px)] = 0x00;
    }
  return image::encode_png(r);
}

}  // namespace idtap::issue
