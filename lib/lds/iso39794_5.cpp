// Tags below follow the IMPLICIT TAGS module: a [n] SEQUENCE is A0+n, a [n] INTEGER / OCTET
// STRING / ENUMERATED is 80+n, and a [n] CHOICE is explicit (A0+n around the chosen alternative).
#include "idtap/lds/iso39794_5.h"

#include "idtap/apdu/tlv.h"
#include "idtap/lds/der.h"

namespace idtap::lds {
namespace {

using apdu::Tlv;
using apdu::TlvReader;
using apdu::TlvWriter;

constexpr uint32_t kFaceImageDataBlock = 0x65;  // [APPLICATION 5] constructed
constexpr uint32_t kProfileWrapper = 0xA1;      // ICAO 39794-5 AP Table 2: A1 around the block

Error bad(const std::string& why) { return make_error(ErrorCode::kMalformed, "ISO/IEC 39794-5: " + why); }

constexpr uint32_t ctx(int n) { return 0x80u + static_cast<uint32_t>(n); }
constexpr uint32_t ctx_c(int n) { return 0xA0u + static_cast<uint32_t>(n); }

// ImageInformation2DBlock: imageDataFormat [0] CHOICE { code [0] ENUMERATED, extensionBlock [1] },
// ..., imageSizeBlock [7] SEQUENCE { width [0], height [1] }, ...
Status read_image_information(TlvReader info, Iso39794Representation& rep) {
  IDTAP_ASSIGN_OR_RETURN(TlvReader format, info.enter(ctx_c(0)));
  IDTAP_ASSIGN_OR_RETURN(Tlv alt, format.next());
  if (alt.tag == ctx(0)) {
    IDTAP_ASSIGN_OR_RETURN(int64_t code, der::parse_integer(alt.value));
    if (code < 0 || code > 255) return bad("image data format code out of range");
    rep.image_data_format = static_cast<int>(code);
  } else if (alt.tag != ctx_c(1)) {
    return bad("unknown image data format alternative");
  }
  IDTAP_TRY(format.expect_end());
  while (!info.empty()) {
    IDTAP_ASSIGN_OR_RETURN(Tlv t, info.next());
    if (t.tag != ctx_c(7)) continue;  // other optional blocks are not needed to show the image
    TlvReader size(t.value);
    IDTAP_ASSIGN_OR_RETURN(int64_t w, der::read_integer(size, ctx(0)));
    IDTAP_ASSIGN_OR_RETURN(int64_t h, der::read_integer(size, ctx(1)));
    IDTAP_TRY(size.expect_end());
    if (w < 0 || w > 65535 || h < 0 || h > 65535) return bad("image size out of range");
    rep.width = static_cast<uint16_t>(w);
    rep.height = static_cast<uint16_t>(h);
  }
  return ok_status();
}

Result<Iso39794Representation> read_representation(TlvReader rb) {
  Iso39794Representation rep;
  IDTAP_ASSIGN_OR_RETURN(int64_t id, der::read_integer(rb, ctx(0)));
  if (id < 0) return bad("negative representation id");
  rep.representation_id = static_cast<uint64_t>(id);
  // imageRepresentation [1] CHOICE { base [0] CHOICE { imageRepresentation2DBlock [0] ... } }
  IDTAP_ASSIGN_OR_RETURN(TlvReader image_rep, rb.enter(ctx_c(1)));
  IDTAP_ASSIGN_OR_RETURN(TlvReader base, image_rep.enter(ctx_c(0)));
  IDTAP_TRY(image_rep.expect_end());
  IDTAP_ASSIGN_OR_RETURN(TlvReader block2d, base.enter(ctx_c(0)));
  IDTAP_TRY(base.expect_end());
  IDTAP_ASSIGN_OR_RETURN(Tlv data, block2d.read(ctx(0)));
  if (data.value.empty()) return bad("empty representationData2D");
  rep.image = to_bytes(data.value);
  IDTAP_ASSIGN_OR_RETURN(TlvReader info, block2d.enter(ctx_c(1)));
  IDTAP_TRY(read_image_information(info, rep));
  // captureDevice2DBlock [2] and extensions: skipped, but must be well-formed.
  while (!block2d.empty()) IDTAP_TRY(block2d.next());
  // captureDateTimeBlock [2] .. landmarkBlocks [9] and extensions: skipped, well-formed.
  while (!rb.empty()) IDTAP_TRY(rb.next());
  return rep;
}

}  // namespace

ImageFormat Iso39794Representation::declared_format() const {
  if (!image_data_format) return ImageFormat::kUnknown;
  if (*image_data_format == 2) return ImageFormat::kJpeg;
  if (*image_data_format == 3 || *image_data_format == 4) return ImageFormat::kJpeg2000;
  return ImageFormat::kUnknown;
}

Result<Iso39794FaceImageDataBlock> parse_iso39794_5(ByteView data) {
  TlvReader top(data);
  IDTAP_ASSIGN_OR_RETURN(uint32_t first, top.peek_tag());
  TlvReader block_reader(ByteView{});
  if (first == kProfileWrapper) {
    IDTAP_ASSIGN_OR_RETURN(TlvReader wrapper, top.enter(kProfileWrapper));
    IDTAP_TRY(top.expect_end());
    IDTAP_ASSIGN_OR_RETURN(block_reader, wrapper.enter(kFaceImageDataBlock));
    IDTAP_TRY(wrapper.expect_end());
  } else {
    IDTAP_ASSIGN_OR_RETURN(block_reader, top.enter(kFaceImageDataBlock));
    IDTAP_TRY(top.expect_end());
  }
  Iso39794FaceImageDataBlock out;
  // versionBlock [0] SEQUENCE { generation [0] INTEGER, year [1] INTEGER, ... }
  IDTAP_ASSIGN_OR_RETURN(TlvReader version, block_reader.enter(ctx_c(0)));
  IDTAP_ASSIGN_OR_RETURN(out.version_generation, der::read_integer(version, ctx(0)));
  IDTAP_ASSIGN_OR_RETURN(out.version_year, der::read_integer(version, ctx(1)));
  while (!version.empty()) IDTAP_TRY(version.next());
  // representationBlocks [1] SEQUENCE OF RepresentationBlock
  IDTAP_ASSIGN_OR_RETURN(TlvReader reps, block_reader.enter(ctx_c(1)));
  while (!reps.empty()) {
    IDTAP_ASSIGN_OR_RETURN(TlvReader rb, reps.enter(der::kSequence));
    auto rep = read_representation(rb);
    if (!rep.ok()) return std::move(rep).error().with_context("representation #" + std::to_string(out.representations.size()));
    out.representations.push_back(std::move(rep).value());
  }
  if (out.representations.empty()) return bad("no representation block");
  while (!block_reader.empty()) IDTAP_TRY(block_reader.next());  // extensions
  return out;
}

Result<Bytes> encode_iso39794_5(const Iso39794FaceImageDataBlock& block) {
  if (block.representations.empty()) return make_error(ErrorCode::kInvalidArgument, "ISO/IEC 39794-5: no representation");
  TlvWriter w;
  w.open(kProfileWrapper).open(kFaceImageDataBlock);
  w.open(ctx_c(0));
  der::add_integer(w, block.version_generation, ctx(0));
  der::add_integer(w, block.version_year, ctx(1));
  w.close();
  w.open(ctx_c(1));
  for (const auto& rep : block.representations) {
    if (rep.image.empty()) return make_error(ErrorCode::kInvalidArgument, "ISO/IEC 39794-5: representation without an image");
    w.open(der::kSequence);
    der::add_integer(w, static_cast<int64_t>(rep.representation_id), ctx(0));
    w.open(ctx_c(1)).open(ctx_c(0)).open(ctx_c(0));
    w.add(ctx(0), rep.image);
    w.open(ctx_c(1));
    w.open(ctx_c(0));
    if (rep.image_data_format) {
      der::add_integer(w, *rep.image_data_format, ctx(0));
    } else {
      // A format given by an extension block (not kept when parsed): an empty one stands for it.
      w.open(ctx_c(1)).close();
    }
    w.close();
    if (rep.width && rep.height) {
      w.open(ctx_c(7));
      der::add_integer(w, *rep.width, ctx(0));
      der::add_integer(w, *rep.height, ctx(1));
      w.close();
    }
    w.close();                   // imageInformation2DBlock
    w.close().close().close();   // 2D block, base, imageRepresentation
    w.close();                   // RepresentationBlock
  }
  w.close();                     // representationBlocks
  w.close().close();             // 65, A1
  return w.finish();
}

}  // namespace idtap::lds
