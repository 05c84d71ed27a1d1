// idtap/lds/iso39794_5.h: the ISO/IEC 39794-5:2019 face image data block (tagged binary, i.e.
// DER of the ASN.1 module ISO-IEC-39794-5-ed-1-v1, IMPLICIT TAGS), as the ICAO 39794-5 eMRTD
// application profile puts it in DG2: 7F2E { A1 { 65 FaceImageDataBlock } }. idtap reads what a
// reader needs (the version, each representation's image, its declared format and size) and
// skips the other blocks; the encoder writes the mandatory blocks only.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/lds/image_format.h"

namespace idtap::lds {

// Iso39794Representation: one RepresentationBlock with a 2D image.
struct Iso39794Representation {
  uint64_t representation_id = 0;
  // ImageDataFormatCode: 2 jpeg, 3 jpeg2000Lossy, 4 jpeg2000Lossless; nullopt when the extension
  // alternative was used.
  std::optional<int> image_data_format;
  std::optional<uint16_t> width;   // imageSizeBlock, when present
  std::optional<uint16_t> height;
  Bytes image;                     // representationData2D

  // Iso39794Representation::declared_format: kJpeg for code 2, kJpeg2000 for 3 and 4.
  ImageFormat declared_format() const;
};

// Iso39794FaceImageDataBlock: FaceImageDataBlock ::= [APPLICATION 5] SEQUENCE { versionBlock [0],
// representationBlocks [1], ... }.
struct Iso39794FaceImageDataBlock {
  int64_t version_generation = 3;
  int64_t version_year = 2019;
  std::vector<Iso39794Representation> representations;
};

// parse_iso39794_5: decodes the FaceImageDataBlock (tag 65) in strict DER, from `data` that is
// either the 65 object itself or the application profile's A1 wrapper around it. kMalformed on
// bad DER, a missing mandatory block, or a representation that is not a 2D image.
Result<Iso39794FaceImageDataBlock> parse_iso39794_5(ByteView data);

// encode_iso39794_5: A1 { 65 { ... } } (the content of DG2's 7F2E) with the version block and,
// per representation, its id, the 2D image, its data format (an empty extension block when it
// has no format code) and size. kInvalidArgument with no representation or an empty image.
Result<Bytes> encode_iso39794_5(const Iso39794FaceImageDataBlock& block);

}  // namespace idtap::lds
