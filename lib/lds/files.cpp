#include "idtap/lds/files.h"

#include <array>
#include <cstdlib>

namespace idtap::lds {
namespace {

// ICAO 9303-10 §4.6.1 (MF files), §4.7 Table 42 (the eMRTD application's files and tags).
constexpr std::array<LdsFile, 22> kFiles = {{
    {LdsFileId::kCom, "EF.COM", 0x011E, 0x1E, 0x60, false},
    {LdsFileId::kSod, "EF.SOD", 0x011D, 0x1D, 0x77, false},
    {LdsFileId::kDg1, "DG1", 0x0101, 0x01, 0x61, false},
    {LdsFileId::kDg2, "DG2", 0x0102, 0x02, 0x75, false},
    {LdsFileId::kDg3, "DG3", 0x0103, 0x03, 0x63, false},
    {LdsFileId::kDg4, "DG4", 0x0104, 0x04, 0x76, false},
    {LdsFileId::kDg5, "DG5", 0x0105, 0x05, 0x65, false},
    {LdsFileId::kDg6, "DG6", 0x0106, 0x06, 0x66, false},
    {LdsFileId::kDg7, "DG7", 0x0107, 0x07, 0x67, false},
    {LdsFileId::kDg8, "DG8", 0x0108, 0x08, 0x68, false},
    {LdsFileId::kDg9, "DG9", 0x0109, 0x09, 0x69, false},
    {LdsFileId::kDg10, "DG10", 0x010A, 0x0A, 0x6A, false},
    {LdsFileId::kDg11, "DG11", 0x010B, 0x0B, 0x6B, false},
    {LdsFileId::kDg12, "DG12", 0x010C, 0x0C, 0x6C, false},
    {LdsFileId::kDg13, "DG13", 0x010D, 0x0D, 0x6D, false},
    {LdsFileId::kDg14, "DG14", 0x010E, 0x0E, 0x6E, false},
    {LdsFileId::kDg15, "DG15", 0x010F, 0x0F, 0x6F, false},
    {LdsFileId::kDg16, "DG16", 0x0110, 0x10, 0x70, false},
    {LdsFileId::kCardAccess, "EF.CardAccess", 0x011C, 0x1C, 0, true},
    {LdsFileId::kCardSecurity, "EF.CardSecurity", 0x011D, 0x1D, 0, true},
    {LdsFileId::kAtrInfo, "EF.ATR/INFO", 0x2F01, 0x01, 0, true},
    {LdsFileId::kDir, "EF.DIR", 0x2F00, 0x1E, 0, true},
}};

}  // namespace

std::span<const LdsFile> lds_files() { return kFiles; }

const LdsFile& lds_file(LdsFileId id) {
  for (const auto& f : kFiles)
    if (f.id == id) return f;
  std::abort();  // every enumerator has a row
}

std::optional<LdsFile> data_group(int number) {
  if (number < 1 || number > 16) return std::nullopt;
  return lds_file(static_cast<LdsFileId>(number));
}

std::optional<LdsFile> file_by_tag(uint32_t tag) {
  if (tag == 0) return std::nullopt;
  for (const auto& f : kFiles)
    if (f.tag == tag) return f;
  return std::nullopt;
}

std::optional<LdsFile> file_by_fid(uint16_t fid, bool in_master_file) {
  for (const auto& f : kFiles)
    if (f.fid == fid && f.in_master_file == in_master_file) return f;
  return std::nullopt;
}

std::optional<LdsFile> file_by_sfi(uint8_t sfi, bool in_master_file) {
  for (const auto& f : kFiles)
    if (f.sfi == sfi && f.in_master_file == in_master_file) return f;
  return std::nullopt;
}

std::optional<int> data_group_number(uint32_t tag) {
  auto f = file_by_tag(tag);
  if (!f || static_cast<int>(f->id) > 16) return std::nullopt;
  return static_cast<int>(f->id);
}

Result<std::optional<FileLength>> peek_file_length(ByteView head, apdu::TlvMode mode) {
  auto need_more = [] { return std::optional<FileLength>(); };
  size_t pos = 0;
  if (head.empty()) return need_more();
  // Tag (X.690 §8.1.2): one byte, or 1F-style continuation bytes.
  if ((head[pos++] & 0x1F) == 0x1F) {
    for (size_t n = 1;; ++n) {
      if (pos >= head.size()) return need_more();
      if (n > 3) return make_error(ErrorCode::kMalformed, "file header: tag longer than 4 bytes");
      if ((head[pos++] & 0x80) == 0) break;
    }
  }
  if (pos >= head.size()) return need_more();
  const uint8_t l0 = head[pos++];
  FileLength out;
  if (l0 < 0x80) {
    out.header_length = pos;
    out.total = pos + l0;
    return out;
  }
  if (l0 == 0x80) {
    if (mode != apdu::TlvMode::kBerLenient)
      return make_error(ErrorCode::kMalformed, "file header: indefinite length (BER) in strict DER mode");
    if ((head[0] & 0x20) == 0)
      return make_error(ErrorCode::kMalformed, "file header: indefinite length on a primitive tag");
    out.header_length = pos;
    return out;
  }
  const size_t count = l0 & 0x7F;
  if (count > 4) return make_error(ErrorCode::kMalformed, "file header: length field of more than 4 bytes");
  if (pos + count > head.size()) return need_more();
  size_t len = 0;
  for (size_t i = 0; i < count; ++i) len = len << 8 | head[pos + i];
  if (mode == apdu::TlvMode::kDer && (head[pos] == 0 || (count == 1 && len < 0x80)))
    return make_error(ErrorCode::kMalformed, "file header: non-minimal DER length");
  out.header_length = pos + count;
  out.total = out.header_length + len;
  return out;
}

Result<FileLength> file_length(ByteView head, apdu::TlvMode mode) {
  IDTAP_ASSIGN_OR_RETURN(std::optional<FileLength> length, peek_file_length(head, mode));
  if (!length) return make_error(ErrorCode::kMalformed, "file header: need more bytes");
  return *length;
}

}  // namespace idtap::lds
