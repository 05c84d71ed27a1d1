// support/test_images.h: small synthetic JPEG and JPEG 2000 images for tests of image handling.
#pragma once

#include <cstddef>

#include "idtap/base/bytes.h"

namespace idtap::test {

// test_pattern: width x height RGB pixels of a smooth gradient (easy to compress, easy to
// compare after lossy coding).
Bytes test_pattern(size_t width, size_t height);
// make_test_jpeg: test_pattern encoded as a baseline JPEG at `quality`.
Bytes make_test_jpeg(size_t width, size_t height, int quality = 90);
// make_test_jpeg2000: test_pattern encoded losslessly as JPEG 2000: a JP2 file, or a raw J2K
// codestream when `codestream`.
Bytes make_test_jpeg2000(size_t width, size_t height, bool codestream = false);

}  // namespace idtap::test
