// tools/read_report.h: how `idtap read` (and `idtap demo`) present a ReadResult: the readable
// summary, the JSON document (schema in the README), and the --out directory.
#pragma once

#include <string>
#include <vector>

#include "idtap/base/result.h"
#include "idtap/reader/report_json.h"
#include "idtap/reader/session.h"
#include "json.h"

namespace idtap::cli {

// PhotoOutcome: what became of photo.png in an --out directory. `face_file` names the face
// image written as stored ("face.jpg", "face.jp2"; empty when DG2 gave none); `error` says why
// photo.png was not written (DG2 not read, failed its hash check, no face, the image does not
// decode, a file-system error), empty when `written`.
struct PhotoOutcome {
  bool written = false;
  std::string face_file;
  std::string error;
};

// OutDirReport: what write_out_files did in `dir`: the files written (names, in order), the
// file-system failure that stopped it (`status`), and the photo. A photo that does not decode is
// not a failure of `status`: the raw files are all there.
struct OutDirReport {
  std::string dir;
  std::vector<std::string> files;
  Status status;
  PhotoOutcome photo;
};

// ReportOptions: `reveal` prints the resident registration number whole (never the default);
// `modeled_link_us` is the simulated card's modeled air time, when known; `out` (not owned,
// may be null) is what --out wrote, reported in the summary and as the JSON's "out" object.
struct ReportOptions {
  bool reveal = false;
  std::optional<uint64_t> modeled_link_us;
  const OutDirReport* out = nullptr;
};

// print_summary: the human summary on stdout.
void print_summary(const reader::ReadResult& result, const ReportOptions& options);

// write_json: the JSON document for `result` into `json` (one object): the read's members
// (reader::write_read_json_members) and, with options.out, the "out" object.
void write_json(JsonWriter& json, const reader::ReadResult& result, const ReportOptions& options);

// write_out_files: ef_cardaccess.bin, ef_cardsecurity.bin, ef_com.bin, ef_sod.bin, dgN.bin
// (raw, as read), the face image as stored (face.jpg / face.jp2) and photo.png, each written
// atomically (temporary file, fsync, rename) into `dir` (created if missing). The face image is
// only decoded when DG2 passed its hash check. The first file-system failure stops the writing
// and is the report's `status` (kIo with the path; a full disk leaves no half-written file); a
// face that does not decode or convert is reported in `photo` and loses no other file. Files of
// those names that an earlier read left in `dir` and this one did not write (another holder's
// photo.png, a data group not read this time) are removed; other files are left alone. Never
// fails as a whole: the caller prints the report either way.
OutDirReport write_out_files(const std::string& dir, const reader::ReadResult& result);

// write_out_dir: write_out_files' status alone (kIo on a file-system failure; a face that does
// not decode is not an error here).
Status write_out_dir(const std::string& dir, const reader::ReadResult& result);

// verdict_reasons: reader::verdict_reasons (idtap/reader/report_json.h), shared with the C API.
using reader::verdict_reasons;

// exit_code_for_verdict: 0 genuine; kExitNoTrustAnchor, kExitPassiveFailed or kExitChipFailed
// by the first reason it is not.
int exit_code_for_verdict(const reader::Verification& v);

}  // namespace idtap::cli
