// tools/read_report.h: how `idtap read` (and `idtap demo`) present a ReadResult: the readable
// summary, the JSON document (schema in the README), and the --out directory.
#pragma once

#include <string>

#include "idtap/base/result.h"
#include "idtap/reader/session.h"
#include "json.h"

namespace idtap::cli {

// ReportOptions: `reveal` prints the resident registration number whole (never the default);
// `modeled_link_us` is the simulated card's modeled air time, when known.
struct ReportOptions {
  bool reveal = false;
  std::optional<uint64_t> modeled_link_us;
};

// print_summary: the human summary on stdout.
void print_summary(const reader::ReadResult& result, const ReportOptions& options);

// write_json: the JSON document for `result` into `json` (one object).
void write_json(JsonWriter& json, const reader::ReadResult& result, const ReportOptions& options);

// write_out_dir: ef_cardaccess.bin, ef_com.bin, ef_sod.bin, dgN.bin (raw, as read), the face
// image as stored (face.jpg / face.jp2) and photo.png, each written atomically (temporary file,
// fsync, rename) into `dir` (created if missing). The face image is only decoded when DG2 passed
// its hash check. kIo with the path on any failure (a full disk leaves no half-written file).
Status write_out_dir(const std::string& dir, const reader::ReadResult& result);

// exit_code_for_verdict: 0 genuine; kExitNoTrustAnchor, kExitPassiveFailed or kExitChipFailed
// by the first reason it is not.
int exit_code_for_verdict(const reader::Verification& v);

}  // namespace idtap::cli
