// idtap/lds/files.h: the LDS1 files of an eMRTD (ICAO 9303-10 §4.6, §4.7): data group number,
// tag, file identifier and short file identifier, and the length of a file from its first bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "idtap/apdu/tlv.h"
#include "idtap/base/bytes.h"
#include "idtap/base/result.h"

namespace idtap::lds {

// LdsFileId: every elementary file idtap knows. kDg1..kDg16 are numbered so that
// static_cast<int>(kDgN) == N.
enum class LdsFileId : int {
  kDg1 = 1, kDg2, kDg3, kDg4, kDg5, kDg6, kDg7, kDg8, kDg9, kDg10, kDg11, kDg12, kDg13, kDg14, kDg15, kDg16,
  kCom = 100,       // EF.COM, in the eMRTD application
  kSod,             // EF.SOD, in the eMRTD application
  kCardAccess,      // EF.CardAccess, in the MF
  kCardSecurity,    // EF.CardSecurity, in the MF
  kAtrInfo,         // EF.ATR/INFO, in the MF
  kDir,             // EF.DIR, in the MF
};

// LdsFile: one row of the registry. `tag` is the file's outer tag (0 for files that are not one
// TLV with a fixed tag: EF.CardAccess and EF.CardSecurity are a DER SET / SEQUENCE, tag 31 / 30).
struct LdsFile {
  LdsFileId id;
  const char* name;     // "DG1", "EF.COM", "EF.CardAccess"
  uint16_t fid;         // file identifier: 0101 for DG1
  uint8_t sfi;          // short file identifier: 01 for DG1
  uint32_t tag;         // 61 for DG1, 60 for EF.COM, 77 for EF.SOD
  bool in_master_file;  // true for EF.CardAccess, EF.CardSecurity, EF.ATR/INFO, EF.DIR
};

// lds_files: the whole registry, EF.COM and EF.SOD first, then DG1..DG16, then the MF files.
std::span<const LdsFile> lds_files();

// lds_file: the row for `id`; never null for a defined enumerator.
const LdsFile& lds_file(LdsFileId id);
// data_group: the row for data group `number` (1..16); nullopt otherwise.
std::optional<LdsFile> data_group(int number);
// file_by_tag: the eMRTD application file whose outer tag is `tag` (60, 61..76, 77); nullopt
// for an unknown tag.
std::optional<LdsFile> file_by_tag(uint32_t tag);
// file_by_fid: the row for file identifier `fid`, looked up in the MF (`in_master_file`) or
// the eMRTD application; nullopt when unknown. EF.SOD and EF.CardSecurity share 011D and are
// told apart by where they live.
std::optional<LdsFile> file_by_fid(uint16_t fid, bool in_master_file);
// file_by_sfi: the same by short file identifier.
std::optional<LdsFile> file_by_sfi(uint8_t sfi, bool in_master_file);
// data_group_number: the data group number of a data group tag (61 -> 1, 75 -> 2, 6E -> 14);
// nullopt for any other tag.
std::optional<int> data_group_number(uint32_t tag);

// FileLength: what the first bytes of a file tell about its size.
struct FileLength {
  size_t header_length = 0;     // tag + length octets
  std::optional<size_t> total;  // header + content; nullopt for a BER indefinite length, whose
                                // end is only found by reading on to the end-of-contents octets
};

// kFileHeadBytes: enough leading bytes to learn any file's length (a 2-byte tag, 5 length
// bytes), the size a reader asks for first.
inline constexpr size_t kFileHeadBytes = 8;

// file_length: the size of a file from its first bytes `head` (at least the TLV header: a
// shorter `head` is kMalformed "need more bytes"). In TlvMode::kDer an indefinite length is
// kMalformed; in kBerLenient it gives total = nullopt (the named EF.SOD leniency). kMalformed
// on a bad tag or a length field of more than 4 bytes.
Result<FileLength> file_length(ByteView head, apdu::TlvMode mode = apdu::TlvMode::kDer);

// peek_file_length: file_length for a reader that is still fetching the head: nullopt (not an
// error) while `head` is too short to tell; the other errors as file_length's.
Result<std::optional<FileLength>> peek_file_length(ByteView head, apdu::TlvMode mode = apdu::TlvMode::kDer);

}  // namespace idtap::lds
