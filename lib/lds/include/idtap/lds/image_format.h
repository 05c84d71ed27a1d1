// idtap/lds/image_format.h: the face image formats of DG2, as the LDS parsers name them. The
// formats and their detection live in the image layer (idtap/image/format.h); these are its
// names in lds, not a second copy.
#pragma once

#include "idtap/image/format.h"

namespace idtap::lds {

using image::detect_image_format;
using image::image_file_extension;
using image::image_format_name;
using image::image_mime_type;
using image::ImageFormat;

}  // namespace idtap::lds
