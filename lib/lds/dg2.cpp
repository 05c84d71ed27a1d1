#include "idtap/lds/dg2.h"

#include "idtap/apdu/tlv.h"
#include "idtap/lds/der.h"

namespace idtap::lds {
namespace {

using apdu::Tlv;
using apdu::TlvReader;
using apdu::TlvWriter;

// ICAO 9303-10 §4.7.2, ISO/IEC 7816-11 Table 3.
constexpr uint32_t kTagDg2 = 0x75;
constexpr uint32_t kTagGroupTemplate = 0x7F61;
constexpr uint32_t kTagCount = 0x02;
constexpr uint32_t kTagInfoTemplate = 0x7F60;
constexpr uint32_t kTagHeader = 0xA1;
constexpr uint32_t kTagDataBlock = 0x5F2E;
constexpr uint32_t kTagDataBlockConstructed = 0x7F2E;

Error bad(const std::string& why) { return make_error(ErrorCode::kMalformed, "DG2: " + why); }

Result<uint16_t> two_bytes(const Tlv& t, const char* what) {
  if (t.value.size() != 2) return bad(std::string(what) + " is not 2 bytes");
  return static_cast<uint16_t>(be_uint(t.value));
}

Result<BiometricHeader> read_header(TlvReader h) {
  BiometricHeader out;
  bool owner = false, type = false;
  while (!h.empty()) {
    IDTAP_ASSIGN_OR_RETURN(Tlv t, h.next());
    switch (t.tag) {
      case 0x80: out.version = to_bytes(t.value); break;
      case 0x81: out.biometric_type = to_bytes(t.value); break;
      case 0x82: out.biometric_subtype = to_bytes(t.value); break;
      case 0x83: out.creation_date = to_bytes(t.value); break;
      case 0x85: out.validity_period = to_bytes(t.value); break;
      case 0x86: out.creator = to_bytes(t.value); break;
      case 0x87: {
        IDTAP_ASSIGN_OR_RETURN(out.format_owner, two_bytes(t, "format owner"));
        owner = true;
        break;
      }
      case 0x88: {
        IDTAP_ASSIGN_OR_RETURN(out.format_type, two_bytes(t, "format type"));
        type = true;
        break;
      }
      default: break;  // other CBEFF header elements are allowed and ignored
    }
  }
  // ICAO 9303-10 §4.7.2.1: format owner and format type are mandatory.
  if (!owner || !type) return bad("biometric header without format owner / format type");
  return out;
}

bool looks_like_19794(ByteView v) { return v.size() >= 4 && v[0] == 'F' && v[1] == 'A' && v[2] == 'C' && v[3] == 0; }

}  // namespace

std::vector<FaceImage> Dg2::images() const {
  std::vector<FaceImage> out;
  for (const auto& info : infos) {
    if (info.iso19794)
      for (const auto& img : info.iso19794->images)
        out.push_back(FaceImage{detect_image_format(img.image), img.declared_format(), img.width, img.height, img.image});
    if (info.iso39794)
      for (const auto& rep : info.iso39794->representations)
        out.push_back(FaceImage{detect_image_format(rep.image), rep.declared_format(), rep.width.value_or(0),
                                rep.height.value_or(0), rep.image});
  }
  return out;
}

Result<Dg2> parse_dg2(ByteView file, const Dg2Options& options) {
  TlvReader top(file);
  IDTAP_ASSIGN_OR_RETURN(TlvReader body, top.enter(kTagDg2));
  IDTAP_TRY(top.expect_end());
  IDTAP_ASSIGN_OR_RETURN(TlvReader group, body.enter(kTagGroupTemplate));
  IDTAP_TRY(body.expect_end());
  IDTAP_ASSIGN_OR_RETURN(Tlv count_tlv, group.read(kTagCount));
  IDTAP_ASSIGN_OR_RETURN(int64_t count, der::parse_integer(count_tlv.value));
  if (count < 1) return bad("biometric template count below 1");
  Dg2 out;
  while (!group.empty()) {
    IDTAP_ASSIGN_OR_RETURN(TlvReader bit, group.enter(kTagInfoTemplate));
    BiometricInfo info;
    IDTAP_ASSIGN_OR_RETURN(TlvReader header, bit.enter(kTagHeader));
    IDTAP_ASSIGN_OR_RETURN(info.header, read_header(header));
    IDTAP_ASSIGN_OR_RETURN(Tlv block, bit.next());
    IDTAP_TRY(bit.expect_end());
    if (block.tag != kTagDataBlock && block.tag != kTagDataBlockConstructed)
      return bad("template without a biometric data block (5F2E / 7F2E)");
    bool is_19794 = info.header.format_type == kFormatTypeIso19794Face;
    if (info.header.format_type != kFormatTypeIso19794Face && info.header.format_type != kFormatTypeIso39794Face)
      is_19794 = looks_like_19794(block.value);
    if (is_19794) {
      info.encoding = BiometricEncoding::kIso19794_5;
      auto rec = parse_iso19794_5(block.value, Iso19794Options{options.allow_short_record_length});
      if (!rec.ok()) return std::move(rec).error().with_context("DG2 template #" + std::to_string(out.infos.size()));
      out.used_short_record_length |= rec->used_short_record_length;
      info.iso19794 = std::move(rec->record);
    } else {
      info.encoding = BiometricEncoding::kIso39794_5;
      auto blk = parse_iso39794_5(block.value);
      if (!blk.ok()) return std::move(blk).error().with_context("DG2 template #" + std::to_string(out.infos.size()));
      info.iso39794 = std::move(blk).value();
    }
    out.infos.push_back(std::move(info));
  }
  if (static_cast<int64_t>(out.infos.size()) != count)
    return bad("count says " + std::to_string(count) + " templates, found " + std::to_string(out.infos.size()));
  return out;
}

Result<Bytes> encode_dg2(const Dg2& dg2) {
  if (dg2.infos.empty() || dg2.infos.size() > 127) return make_error(ErrorCode::kInvalidArgument, "DG2: 1..127 templates");
  TlvWriter w;
  w.open(kTagDg2).open(kTagGroupTemplate);
  w.add_uint(kTagCount, dg2.infos.size());
  for (const auto& info : dg2.infos) {
    const bool is_19794 = info.encoding == BiometricEncoding::kIso19794_5;
    Bytes block;
    if (is_19794) {
      if (!info.iso19794) return make_error(ErrorCode::kInvalidArgument, "DG2: 19794-5 template without a record");
      IDTAP_ASSIGN_OR_RETURN(block, encode_iso19794_5(*info.iso19794));
    } else {
      if (!info.iso39794) return make_error(ErrorCode::kInvalidArgument, "DG2: 39794-5 template without a block");
      IDTAP_ASSIGN_OR_RETURN(block, encode_iso39794_5(*info.iso39794));
    }
    const BiometricHeader& h = info.header;
    w.open(kTagInfoTemplate).open(kTagHeader);
    if (h.version) w.add(0x80, *h.version);
    if (h.biometric_type) w.add(0x81, *h.biometric_type);
    if (h.biometric_subtype) w.add(0x82, *h.biometric_subtype);
    if (h.creation_date) w.add(0x83, *h.creation_date);
    if (h.validity_period) w.add(0x85, *h.validity_period);
    if (h.creator) w.add(0x86, *h.creator);
    w.add(0x87, be_bytes(h.format_owner, 2));
    w.add(0x88, be_bytes(is_19794 ? kFormatTypeIso19794Face : kFormatTypeIso39794Face, 2));
    w.close();
    if (is_19794)
      w.add(kTagDataBlock, block);
    else
      w.add_raw(apdu::encode_tlv(kTagDataBlockConstructed, block));
    w.close();
  }
  w.close().close();
  return w.finish();
}

}  // namespace idtap::lds
