#include "idtap/lds/iso19794_5.h"

namespace idtap::lds {
namespace {

constexpr size_t kGeneralHeader = 14;   // "FAC\0", "010\0", record length (4), count (2)
constexpr size_t kFacialInfo = 20;      // ISO/IEC 19794-5 §5.5
constexpr size_t kFeaturePoint = 8;     // §5.6.5
constexpr size_t kImageInfo = 12;       // §5.7

Error bad(const std::string& why) { return make_error(ErrorCode::kMalformed, "ISO/IEC 19794-5: " + why); }

// Cursor: a bounds-checked big-endian reader over the record.
class Cursor {
 public:
  explicit Cursor(ByteView d) : d_(d) {}
  size_t left() const { return d_.size() - pos_; }
  size_t pos() const { return pos_; }
  bool take(size_t n, ByteView* out) {
    if (left() < n) return false;
    *out = d_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool u8(uint8_t* v) { ByteView b; if (!take(1, &b)) return false; *v = b[0]; return true; }
  bool u16(uint16_t* v) { ByteView b; if (!take(2, &b)) return false; *v = static_cast<uint16_t>(be_uint(b)); return true; }
  bool u24(uint32_t* v) { ByteView b; if (!take(3, &b)) return false; *v = static_cast<uint32_t>(be_uint(b)); return true; }
  bool u32(uint32_t* v) { ByteView b; if (!take(4, &b)) return false; *v = static_cast<uint32_t>(be_uint(b)); return true; }

 private:
  ByteView d_;
  size_t pos_ = 0;
};

void put(Bytes& out, uint64_t v, size_t width) { append(out, be_bytes(v, width)); }

}  // namespace

ImageFormat Iso19794FaceImage::declared_format() const {
  return image_data_type == 0 ? ImageFormat::kJpeg : image_data_type == 1 ? ImageFormat::kJpeg2000 : ImageFormat::kUnknown;
}

Result<Iso19794Parsed> parse_iso19794_5(ByteView bdb, const Iso19794Options& options) {
  Cursor c(bdb);
  ByteView magic, version;
  uint32_t record_length = 0;
  uint16_t count = 0;
  if (!c.take(4, &magic) || !c.take(4, &version) || !c.u32(&record_length) || !c.u16(&count))
    return bad("truncated general header");
  // §5.4: format identifier "FAC\0", version "010\0".
  if (string_of(magic) != std::string("FAC\0", 4)) return bad("format identifier is not \"FAC\"");
  if (string_of(version) != std::string("010\0", 4))
    return make_error(ErrorCode::kNotSupported, "ISO/IEC 19794-5: version other than 010");
  Iso19794Parsed out;
  if (record_length != bdb.size()) {
    if (options.allow_short_record_length && record_length + 8 == bdb.size())
      out.used_short_record_length = true;
    else
      return bad("record length " + std::to_string(record_length) + " for " + std::to_string(bdb.size()) + " bytes");
  }
  if (count == 0) return bad("no facial image");
  for (uint16_t i = 0; i < count; ++i) {
    Iso19794FaceImage img;
    const size_t start = c.pos();
    uint32_t block_length = 0;
    uint16_t points = 0;
    if (!c.u32(&block_length) || !c.u16(&points) || !c.u8(&img.gender) || !c.u8(&img.eye_colour) ||
        !c.u8(&img.hair_colour) || !c.u24(&img.feature_mask) || !c.u16(&img.expression) || !c.u8(&img.pose_yaw) ||
        !c.u8(&img.pose_pitch) || !c.u8(&img.pose_roll) || !c.u8(&img.pose_uncertainty_yaw) ||
        !c.u8(&img.pose_uncertainty_pitch) || !c.u8(&img.pose_uncertainty_roll))
      return bad("truncated facial information");
    const uint64_t fixed = kFacialInfo + uint64_t{points} * kFeaturePoint + kImageInfo;
    if (block_length < fixed || block_length - kFacialInfo > c.left())
      return bad("facial record data length " + std::to_string(block_length) + " does not fit");
    for (uint16_t p = 0; p < points; ++p) {
      FeaturePoint fp;
      uint8_t code = 0;
      uint16_t reserved = 0;
      if (!c.u8(&fp.type) || !c.u8(&code) || !c.u16(&fp.x) || !c.u16(&fp.y) || !c.u16(&reserved))
        return bad("truncated feature point");
      fp.major_code = code >> 4;
      fp.minor_code = code & 0x0F;
      img.feature_points.push_back(fp);
    }
    if (!c.u8(&img.face_image_type) || !c.u8(&img.image_data_type) || !c.u16(&img.width) || !c.u16(&img.height) ||
        !c.u8(&img.colour_space) || !c.u8(&img.source_type) || !c.u16(&img.device_type) || !c.u16(&img.quality))
      return bad("truncated image information");
    ByteView data;
    if (!c.take(block_length - (c.pos() - start), &data)) return bad("truncated image data");
    if (data.empty()) return bad("empty image data");
    img.image = to_bytes(data);
    out.record.images.push_back(std::move(img));
  }
  if (c.left() != 0) return bad(std::to_string(c.left()) + " trailing bytes");
  return out;
}

Result<Bytes> encode_iso19794_5(const Iso19794FacialRecord& record) {
  if (record.images.empty() || record.images.size() > 0xFFFF)
    return make_error(ErrorCode::kInvalidArgument, "ISO/IEC 19794-5: 1..65535 images");
  Bytes body;
  for (const auto& img : record.images) {
    if (img.feature_points.size() > 0xFFFF || img.image.empty())
      return make_error(ErrorCode::kInvalidArgument, "ISO/IEC 19794-5: empty image or too many feature points");
    const uint64_t block = kFacialInfo + img.feature_points.size() * kFeaturePoint + kImageInfo + img.image.size();
    if (block > 0xFFFFFFFFu) return make_error(ErrorCode::kInvalidArgument, "ISO/IEC 19794-5: image too large");
    put(body, block, 4);
    put(body, img.feature_points.size(), 2);
    body.push_back(img.gender);
    body.push_back(img.eye_colour);
    body.push_back(img.hair_colour);
    put(body, img.feature_mask & 0xFFFFFF, 3);
    put(body, img.expression, 2);
    body.insert(body.end(), {img.pose_yaw, img.pose_pitch, img.pose_roll, img.pose_uncertainty_yaw,
                             img.pose_uncertainty_pitch, img.pose_uncertainty_roll});
    for (const auto& fp : img.feature_points) {
      body.push_back(fp.type);
      body.push_back(static_cast<uint8_t>((fp.major_code & 0x0F) << 4 | (fp.minor_code & 0x0F)));
      put(body, fp.x, 2);
      put(body, fp.y, 2);
      put(body, 0, 2);
    }
    body.push_back(img.face_image_type);
    body.push_back(img.image_data_type);
    put(body, img.width, 2);
    put(body, img.height, 2);
    body.push_back(img.colour_space);
    body.push_back(img.source_type);
    put(body, img.device_type, 2);
    put(body, img.quality, 2);
    append(body, img.image);
  }
  const uint64_t total = kGeneralHeader + body.size();
  if (total > 0xFFFFFFFFu) return make_error(ErrorCode::kInvalidArgument, "ISO/IEC 19794-5: record too large");
  Bytes out = {'F', 'A', 'C', 0, '0', '1', '0', 0};
  put(out, total, 4);
  put(out, record.images.size(), 2);
  append(out, body);
  return out;
}

}  // namespace idtap::lds
