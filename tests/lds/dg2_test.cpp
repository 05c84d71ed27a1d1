#include "idtap/lds/dg2.h"

#include <doctest/doctest.h>

#include "idtap/apdu/tlv.h"
#include "idtap/base/hex.h"

using namespace idtap;
using namespace idtap::lds;

namespace {

// A 19794-5 record with one image of 4 "JPEG" bytes and one feature point, every field set,
// written out by hand from ISO/IEC 19794-5:2005 §5.4-§5.8.
const char* kRecordHex =
    "46414300 30313000 0000003A 0001"          // "FAC", "010", record length 58, 1 image
    "0000002C 0001 01 02 03 000001 0000 000000 000000"  // block length 44, 1 point, gender..pose
    "01 21 0064 0078 0000"                     // feature point: MPEG-4, 2.1, (100, 120)
    "01 00 00F0 0140 01 02 0000 0000"          // full frontal, JPEG, 240x320, RGB, camera
    "FFD8FFD9";                                // the image

Bytes fake_jpeg(size_t n) {
  Bytes b = {0xFF, 0xD8, 0xFF, 0xE0};
  while (b.size() + 2 < n) b.push_back(static_cast<uint8_t>(b.size()));
  b.push_back(0xFF);
  b.push_back(0xD9);
  return b;
}

Bytes fake_jp2(size_t n) {
  Bytes b = hex_or_die("0000000C6A5020200D0A870A");
  while (b.size() < n) b.push_back(static_cast<uint8_t>(b.size()));
  return b;
}

}  // namespace

TEST_CASE("image formats are told from their magic bytes") {
  CHECK(detect_image_format(hex_or_die("FFD8FFE000104A464946")) == ImageFormat::kJpeg);
  CHECK(detect_image_format(hex_or_die("0000000C6A5020200D0A870A00000014")) == ImageFormat::kJpeg2000);
  CHECK(detect_image_format(hex_or_die("FF4FFF51002F")) == ImageFormat::kJpeg2000Codestream);
  CHECK(detect_image_format(hex_or_die("89504E47")) == ImageFormat::kUnknown);  // PNG is not a DG2 format
  CHECK(detect_image_format(hex_or_die("FFD8")) == ImageFormat::kUnknown);      // too short
  CHECK(detect_image_format({}) == ImageFormat::kUnknown);
  CHECK(std::string(image_mime_type(ImageFormat::kJpeg2000)) == "image/jp2");
}

TEST_CASE("ISO/IEC 19794-5 record: fixed bytes both ways") {
  Bytes record = hex_or_die(kRecordHex);
  auto parsed = parse_iso19794_5(record);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->record.images.size() == 1);
  const auto& img = parsed->record.images[0];
  CHECK(img.gender == 1);
  CHECK(img.eye_colour == 2);
  CHECK(img.hair_colour == 3);
  CHECK(img.feature_mask == 1);
  REQUIRE(img.feature_points.size() == 1);
  CHECK(img.feature_points[0].major_code == 2);
  CHECK(img.feature_points[0].minor_code == 1);
  CHECK(img.feature_points[0].x == 100);
  CHECK(img.feature_points[0].y == 120);
  CHECK(img.width == 240);
  CHECK(img.height == 320);
  CHECK(img.declared_format() == ImageFormat::kJpeg);
  CHECK(to_hex(img.image) == "ffd8ffd9");
  CHECK(encode_iso19794_5(parsed->record).value() == record);
}

TEST_CASE("DG2 with a 19794-5 record of two images (JPEG and JPEG 2000) round trips") {
  Dg2 dg2;
  BiometricInfo info;
  info.header.version = hex_or_die("0101");
  info.header.biometric_type = hex_or_die("02");
  Iso19794FacialRecord rec;
  Iso19794FaceImage jpeg;
  jpeg.width = 240;
  jpeg.height = 320;
  jpeg.image = fake_jpeg(1000);
  Iso19794FaceImage jp2 = jpeg;
  jp2.image_data_type = 1;
  jp2.image = fake_jp2(700);
  rec.images = {jpeg, jp2};
  info.iso19794 = rec;
  dg2.infos.push_back(info);
  auto file = encode_dg2(dg2);
  REQUIRE(file.ok());
  // 75 82 .... 7F61 82 .... 02 01 01 7F60 82 .... A1 0F 80 02 0101 81 01 02 87 02 0101 88 02 0008
  // 5F2E 82 ....
  CHECK(to_hex(ByteView(*file).first(2)) == "7582");
  CHECK(to_hex(ByteView(*file).subspan(4, 3)) == "7f6182");
  CHECK(to_hex(ByteView(*file).subspan(9, 3)) == "020101");
  CHECK(to_hex(ByteView(*file).subspan(17, 17)) == "a10f800201018101028702010188020008");
  auto back = parse_dg2(*file);
  REQUIRE(back.ok());
  REQUIRE(back->infos.size() == 1);
  CHECK(back->infos[0].encoding == BiometricEncoding::kIso19794_5);
  CHECK(back->infos[0].header.format_owner == kFormatOwnerJtc1Sc37);
  CHECK(back->infos[0].header.format_type == kFormatTypeIso19794Face);
  auto images = back->images();
  REQUIRE(images.size() == 2);
  CHECK(images[0].format == ImageFormat::kJpeg);
  CHECK(images[0].declared == ImageFormat::kJpeg);
  CHECK(images[0].data == jpeg.image);
  CHECK(images[1].format == ImageFormat::kJpeg2000);
  CHECK(images[1].declared == ImageFormat::kJpeg2000);
  CHECK(images[1].width == 240);
  CHECK(encode_dg2(*back).value() == *file);
}

TEST_CASE("DG2 with two templates, one 19794-5 and one 39794-5") {
  Dg2 dg2;
  BiometricInfo a;
  Iso19794FacialRecord rec;
  Iso19794FaceImage img;
  img.image = fake_jpeg(300);
  rec.images = {img};
  a.iso19794 = rec;
  BiometricInfo b;
  b.encoding = BiometricEncoding::kIso39794_5;
  Iso39794FaceImageDataBlock block;
  Iso39794Representation rep;
  rep.representation_id = 1;
  rep.image_data_format = 4;  // jpeg2000Lossless
  rep.width = 480;
  rep.height = 640;
  rep.image = fake_jp2(500);
  block.representations = {rep};
  b.iso39794 = block;
  dg2.infos = {a, b};
  auto file = encode_dg2(dg2);
  REQUIRE(file.ok());
  auto back = parse_dg2(*file);
  REQUIRE(back.ok());
  REQUIRE(back->infos.size() == 2);
  CHECK(back->infos[1].encoding == BiometricEncoding::kIso39794_5);
  CHECK(back->infos[1].header.format_type == kFormatTypeIso39794Face);
  REQUIRE(back->infos[1].iso39794.has_value());
  CHECK(back->infos[1].iso39794->version_generation == 3);
  CHECK(back->infos[1].iso39794->version_year == 2019);
  auto images = back->images();
  REQUIRE(images.size() == 2);
  CHECK(images[1].format == ImageFormat::kJpeg2000);
  CHECK(images[1].declared == ImageFormat::kJpeg2000);
  CHECK(images[1].width == 480);
  CHECK(images[1].height == 640);
  CHECK(images[1].data == rep.image);
}

TEST_CASE("ISO/IEC 39794-5 block: tagged structure and the application profile wrapper") {
  Iso39794FaceImageDataBlock block;
  Iso39794Representation rep;
  rep.image_data_format = 2;
  rep.image = hex_or_die("FFD8FFD9");
  block.representations = {rep};
  auto enc = encode_iso39794_5(block);
  REQUIRE(enc.ok());
  // A1 { 65 { A0 { 80 01 03, 81 02 07E3 }, A1 { 30 { 80 01 00, A1 { A0 { A0 { 80 04 FFD8FFD9,
  //   A1 { A0 { 80 01 02 } } } } } } } } }
  CHECK(to_hex(*enc) == "a1256523a007800103810207e3a1183016800100a111a00fa00d8004ffd8ffd9a105a003800102");
  auto parsed = parse_iso39794_5(*enc);
  REQUIRE(parsed.ok());
  CHECK(parsed->representations[0].declared_format() == ImageFormat::kJpeg);
  // The bare 65 block (without the profile's A1) is read too.
  auto bare = parse_iso39794_5(ByteView(*enc).subspan(2));
  REQUIRE(bare.ok());
  CHECK(bare->representations[0].image == rep.image);
  // Unknown optional blocks are skipped: add a captureDateTimeBlock [2] to the representation.
  Bytes with_extra = hex_or_die("a12a6528a007800103810207e3a11d301b800100a111a00fa00d8004ffd8ffd9a105a003800102a203800107");
  auto extra = parse_iso39794_5(with_extra);
  REQUIRE(extra.ok());
  CHECK(extra->representations[0].image == rep.image);
}

TEST_CASE("malformed DG2 and biometric blocks") {
  Bytes record = hex_or_die(kRecordHex);
  auto dg2_with = [](const Bytes& bdb, const char* header = "A10887020101880200 08", const char* count = "020101") {
    Bytes bit = hex_or_die(header);
    append(bit, apdu::encode_tlv(0x5F2E, bdb));
    Bytes group = hex_or_die(count);
    append(group, apdu::encode_tlv(0x7F60, bit));
    return apdu::encode_tlv(0x75, apdu::encode_tlv(0x7F61, group));
  };
  CHECK(parse_dg2(dg2_with(record)).ok());  // the baseline parses
  auto patched = [&record](size_t at, uint8_t v) {
    Bytes r = record;
    r[at] = v;
    return r;
  };
  Bytes truncated(record.begin(), record.end() - 1);
  Bytes extra = record;
  extra.push_back(0);
  Bytes short_length = record;  // record length 8 short, as some documents write it
  short_length[11] = 0x32;
  struct Case {
    Bytes file;
    const char* why;
  } cases[] = {
      {hex_or_die("7500"), "empty DG2"},
      {hex_or_die("6B00"), "wrong outer tag"},
      {dg2_with(record, "A10887020101880200 08", "020102"), "count 2 for one template"},
      {dg2_with(record, "A10887020101880200 08", "020100"), "count 0"},
      {dg2_with(record, "A104870201 01"), "header without format type"},
      {dg2_with(record, "A107 87020101 880108"), "format type of one byte"},
      {dg2_with(patched(0, 'G')), "format identifier GAC"},
      {dg2_with(truncated), "record one byte short"},
      {dg2_with(extra), "record one byte long"},
      {dg2_with(short_length), "record length 8 short without the leniency"},
      {dg2_with(patched(17, 0xFF)), "facial record data length far beyond the record"},
      {dg2_with(patched(19, 0x02)), "two feature points announced: the block length no longer adds up"},
      {dg2_with(patched(13, 0x00)), "zero images"},
      {dg2_with(hex_or_die("46414300 30313000 0000000E 0001")), "header only"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto r = parse_dg2(c.file);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
  }
  // The short record length is accepted as a named leniency, and reported.
  auto lenient = parse_dg2(dg2_with(short_length), Dg2Options{true});
  REQUIRE(lenient.ok());
  CHECK(lenient->used_short_record_length);
  // Version "030" (19794-5:2011) is reported as not supported, not as garbage.
  CHECK(parse_iso19794_5(patched(5, '3')).error().code == ErrorCode::kNotSupported);

  struct Bad39794 {
    const char* hex;
    const char* why;
  } bad39794[] = {
      {"a100", "empty wrapper"},
      {"a1026500", "empty block: no version"},
      {"a10a6508a0068001038101e3", "no representation blocks"},
      {"a10e650ca0068001038101e3a10230 00", "empty representation block"},
      {"a11a6518a0068001038101e3a10e300c800100a107a005a003800100", "2D block without image information"},
      {"a1256523a007800103810207e3a1183016800100a111a00fa00d8004ffd8ffd9a105a003810102", "image data format alternative [1] primitive"},
      {"a1256523a007800103810207e3a1183016800100a111a00fa00d8004ffd8ffd9a105a003800102 00", "trailing byte"},
  };
  for (const auto& c : bad39794) {
    CAPTURE(c.why);
    auto r = parse_iso39794_5(hex_or_die(c.hex));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
  }
}

TEST_CASE("a 39794-5 image whose format is an extension block parses, re-encodes and parses the same") {
  // Found by dg2_fuzz: imageDataFormat [0] { extensionBlock [1] } instead of a format code.
  const Bytes dg2 = hex_or_die(
      "753d7f613a0201017f6034a10887020101880200317f2e27a1256523a00780" "01f6810207e3a118301680" "0100a111a00fa00d8004ffd8ffd9a105a003a10142");
  auto parsed = parse_dg2(dg2);
  REQUIRE(parsed.ok());
  auto images = parsed->images();
  REQUIRE(images.size() == 1);
  CHECK(images[0].data == hex_or_die("ffd8ffd9"));
  auto again = encode_dg2(*parsed);
  REQUIRE_MESSAGE(again.ok(), (again.ok() ? std::string() : again.error().message()));
  auto back = parse_dg2(*again);
  REQUIRE(back.ok());
  REQUIRE(back->images().size() == 1);
  CHECK(back->images()[0].data == images[0].data);
}
