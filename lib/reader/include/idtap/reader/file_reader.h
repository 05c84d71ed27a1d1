// idtap/reader/file_reader.h: reading whole transparent EFs as fast as the reader, the card and
// secure messaging allow, and surviving a card that leaves the field.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "idtap/apdu/transport.h"
#include "idtap/base/bytes.h"
#include "idtap/base/result.h"

namespace idtap::reader {

// FileRef: one elementary file: its FID, its short file identifier (0 = none) and a name for
// progress and errors ("DG2").
struct FileRef {
  uint16_t fid = 0;
  uint8_t sfi = 0;
  std::string name;
};

// Progress: called after every chunk with the file, bytes read and the file's total length
// (0 while the total is not yet known).
using ProgressFn = std::function<void(const FileRef& file, size_t done, size_t total)>;

// Recovery: after the card left the field, brings it back: reconnects, repeats access control
// (and chip authentication), and returns the transport to continue on (owned by the caller, who
// keeps it alive for the rest of the read). An error ends the read with that error.
using RecoverFn = std::function<Result<apdu::Transport*>()>;

// kChunkLadder: the plaintext response sizes tried in turn when a card or reader rejects a
// size (6700, 6Cxx-less wrong length, a transport error): whole-file extended reads first,
// then the ICAO-typical short sizes.
inline constexpr size_t kChunkLadder[] = {65536, 223, 160, 112};
inline constexpr size_t kChunkLadderSteps = sizeof kChunkLadder / sizeof kChunkLadder[0];

// FileReaderOptions: tuning.
struct FileReaderOptions {
  ProgressFn progress;                         // may be empty
  RecoverFn recover;                           // empty: card removal ends the read
  // restart: a fresh card session (reset, access control, chip authentication) after the
  // channel died with the card still there: a size refused under secure messaging (a transport
  // error, or 6700 / 6B00 in plain, which ends secure messaging). Empty: retry on the same
  // transport (a plain one survives a refused size).
  RecoverFn restart;
  const std::atomic<bool>* cancel = nullptr;   // set to true (from any thread) to cancel
  size_t max_recoveries = 8;                   // per read_file call
  // use_sfi: read a file by its SFI first (the fast form: no SELECT). false: SELECT every file
  // by FID, for a card already known to refuse SFI reads (see read_file).
  bool use_sfi = true;
  size_t max_file_size = 1 << 20;              // larger declared lengths are kMalformed
};

// FileReader: reads EFs over one transport (normally a secure channel). Keeps the working chunk
// size for the session once a size had to be lowered. Not thread-safe.
class FileReader {
 public:
  // FileReader: reads through `transport` (borrowed; replaced by what recover() returns).
  FileReader(apdu::Transport& transport, FileReaderOptions options);

  // FileReader::read_file: the whole file. The first READ BINARY uses the SFI form (no SELECT)
  // when the file has one, asking for as much as the channel carries; the file's length comes
  // from its BER-TLV header; the rest is read with even-INS offsets up to 32767 and the odd INS
  // (offset DO 54) beyond. 6282 (end of file) ends the file. A size the reader or card refuses
  // (6700, 6B00 at offset 0, a transport error; under secure messaging also those status words
  // in plain) is retried one kChunkLadder step smaller from the same offset, after `restart`
  // when the channel died; what was read is kept. A card that refuses the SFI form (6A82, 6A86,
  // 6D00 or 6986 to it: many issued passports do not implement it) is asked again with SELECT
  // by FID + READ BINARY; when that refusal came in plain under secure messaging (which ends
  // it), after `restart`. The SFI form is then given up for this reader (uses_sfi() false) once
  // the FID form read the file, or at once when the refusal cost the channel; a file the FID
  // form does not find either is simply absent (the SFI form is kept). Errors: kCardStatus (6A82
  // file not found, 6982 ...), kMalformed (bad TLV header, a card returning no data),
  // kCancelled, kCardRemoved when it left and could not be recovered, and whatever the
  // transport returns (kSecureMessaging for a plain refusal when there is no `restart`).
  Result<Bytes> read_file(const FileRef& file);

  // FileReader::uses_sfi: false once the card was found to refuse reads by SFI (or when
  // options.use_sfi said so): every file is then selected by FID.
  bool uses_sfi() const { return use_sfi_; }

  // FileReader::chunk_size: the current largest plaintext response asked for.
  size_t chunk_size() const { return chunk_; }
  // FileReader::transport: the transport in use (after recoveries, the latest).
  apdu::Transport& transport() { return *transport_; }
  // FileReader::set_transport: continue on `transport` (borrowed), e.g. after the caller
  // re-established secure messaging; the chunk size is kept.
  void set_transport(apdu::Transport& transport) { transport_ = &transport; }

 private:
  Result<apdu::ResponseApdu> read_chunk(const FileRef& file, size_t offset, size_t ne, bool selected);
  bool lower_chunk();
  apdu::Transport* transport_;
  FileReaderOptions options_;
  size_t chunk_;
  bool use_sfi_ = true;
};

// sfi_read_refused: true for the status words a card that does not implement READ BINARY by
// short file identifier answers it with: 6A82 (as for a file it does not know), 6A86 (P1-P2),
// 6D00 (instruction) and 6986 (no current EF: the SFI was not taken as one).
bool sfi_read_refused(uint16_t sw);

// kIndefiniteLength: tlv_total_length's answer for a BER indefinite-length outer object (some
// EF.SOD): the file is then read until the card signals its end.
inline constexpr size_t kIndefiniteLength = static_cast<size_t>(-1);

// tlv_total_length: the total length (header + value) of the BER-TLV object that `head` starts
// with, from its first bytes; 0 when `head` is too short to tell yet; kIndefiniteLength for
// 0x80. kMalformed for a header no ICAO file can have (a tag over 4 bytes, a length field over
// 4 bytes, a zero first byte).
Result<size_t> tlv_total_length(ByteView head);

}  // namespace idtap::reader
