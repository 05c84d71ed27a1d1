// idtap/image/codec.h: face images in and out of pixels: JPEG with libjpeg, JPEG 2000 (a JP2 file
// or a bare J2K codestream) with OpenJPEG, PNG with libpng. The one image layer the reader (DG2
// as a PNG, a JPEG 2000 face re-encoded as JPEG for an mdoc portrait), the simulated card (its
// drawn face) and the tests share. Decoders are attack surface: the reader calls them only on an
// image whose data group passed its EF.SOD hash check, and they refuse anything over kMaxPixels.
#pragma once

#include <cstddef>
#include <cstdint>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"

namespace idtap::image {

// Raster: 8-bit pixels, `channels` per pixel (1 grey, 3 RGB), rows top to bottom.
struct Raster {
  size_t width = 0;
  size_t height = 0;
  int channels = 3;
  Bytes pixels;
};

// kMaxPixels: larger images are refused (a face image is ~ 480x640).
inline constexpr size_t kMaxPixels = 16u * 1024 * 1024;

// raster_consistent: true when `r` has a size, 1 or 3 channels and exactly the pixels those say.
bool raster_consistent(const Raster& r);

// decode: JPEG (FF D8 FF) or JPEG 2000 (a JP2 box file or a J2K codestream, FF 4F FF 51) by its
// magic bytes. kMalformed for anything that does not decode (truncated, corrupt, more than
// kMaxPixels, more than 4 components, subsampled); kNotSupported for another format.
Result<Raster> decode(ByteView image);

// decode_jpeg / decode_jpeg2000: one format each (errors as decode's). `codestream`: a bare J2K
// codestream rather than a JP2 file.
Result<Raster> decode_jpeg(ByteView image);
Result<Raster> decode_jpeg2000(ByteView image, bool codestream);

// encode_png: the raster as a PNG file. kInvalidArgument for an inconsistent raster; kInternal
// when libpng fails.
Result<Bytes> encode_png(const Raster& raster);

// encode_jpeg: the raster as a baseline JFIF JPEG at `quality` (1-100). kInvalidArgument for an
// inconsistent raster or a quality out of range; kInternal when libjpeg fails.
Result<Bytes> encode_jpeg(const Raster& raster, int quality = 90);

// Jpeg2000Options: a JP2 file or a bare codestream; `target_bytes` 0 encodes losslessly (5/3
// wavelet), otherwise lossy (9/7 wavelet, as ICAO's JPEG 2000 faces are) at the rate that aims
// for about that many bytes.
struct Jpeg2000Options {
  bool codestream = false;
  size_t target_bytes = 0;
};

// encode_jpeg2000: the raster as JPEG 2000. kInvalidArgument for an inconsistent raster or a
// target below 512 bytes; kInternal when OpenJPEG fails.
Result<Bytes> encode_jpeg2000(const Raster& raster, const Jpeg2000Options& options = {});

}  // namespace idtap::image
