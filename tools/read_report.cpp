#include "read_report.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli.h"
#include "idtap/base/file_io.h"
#include "idtap/base/hex.h"
#include "idtap/base/redact.h"
#include "idtap/provision/national_name.h"
#include "idtap/reader/photo.h"
#include "idtap/reader/report_json.h"

namespace idtap::cli {
namespace {

using reader::CheckState;

std::string date_text(const lds::MrzDate& d) { return d.date ? format_date(*d.date) : d.raw; }

std::string lds_date_text(const lds::LdsDate& d) { return d.date ? format_date(*d.date) : d.raw; }

std::string resident_number(const reader::ReadResult& r, bool reveal) { return reader::masked_personal_number(r, reveal); }

std::string check_line(const reader::CheckResult& c) {
  std::string s = reader::check_state_name(c.state);
  if (!c.method.empty()) s += " (" + c.method + ")";
  if (!c.detail.empty() && c.state != CheckState::kPassed) s += ": " + c.detail;
  return s;
}

const lds::FaceImage* first_face(const reader::ReadResult& r, std::vector<lds::FaceImage>& storage) {
  if (!r.dg2) return nullptr;
  storage = r.dg2->images();
  return storage.empty() ? nullptr : &storage.front();
}

}  // namespace

int exit_code_for_verdict(const reader::Verification& v) {
  if (v.genuine) return kExitOk;
  // Genuine but for signed data groups the chip withheld: the signed data could not all be
  // checked, a passive-authentication outcome (the withheld finding alone is the reason).
  if (!v.withheld_data_groups.empty() && v.genuine_reason.rfind("EF.SOD lists", 0) == 0) return kExitPassiveFailed;
  if (v.passive == auth::PassiveStatus::kNoTrustAnchor) return kExitNoTrustAnchor;
  if (v.passive != auth::PassiveStatus::kValid) return kExitPassiveFailed;
  return kExitChipFailed;
}

// full_name_text: DG11's full name split (the card's '<<', else the MRZ's split) and written as
// the clerk reads it (provision::national_name_text).
std::string full_name_text(const std::string& full_name, const reader::ReadResult& r) {
  const auto name = provision::split_national_name(full_name, r.dg1 ? r.dg1->mrz.primary_identifier : "",
                                                   r.dg1 ? r.dg1->mrz.secondary_identifier : "");
  return provision::national_name_text(name.family, name.given);
}

void print_summary(const reader::ReadResult& r, const ReportOptions& options) {
  auto row = [](const char* label, const std::string& value) {
    if (!value.empty()) fmt::print("{:<14}{}\n", label, value);
  };
  if (r.dg1) {
    const lds::Mrz& m = r.dg1->mrz;
    row("Document", fmt::format("{} {} {} ({})", m.document_code, m.issuing_state, m.document_number, lds::mrz_format_name(m.format)));
    row("Name", m.primary_identifier + (m.secondary_identifier.empty() ? "" : ", " + m.secondary_identifier));
  }
  if (r.dg11 && r.dg11->dg11.full_name) row("Full name", full_name_text(*r.dg11->dg11.full_name, r));
  if (r.dg1) {
    const lds::Mrz& m = r.dg1->mrz;
    row("Nationality", m.nationality);
    row("Sex", std::string(1, m.sex == '<' ? '-' : m.sex));
    row("Born", date_text(m.date_of_birth));
    row("Expires", date_text(m.date_of_expiry));
    if (!m.checks_valid()) {
      std::string bad;
      for (const auto& c : m.invalid_checks()) bad += (bad.empty() ? "" : ", ") + c;
      row("MRZ checks", "FAILED: " + bad);
    }
  }
  row("Resident no.", resident_number(r, options.reveal));
  if (r.dg11 && r.dg11->dg11.address) row("Address", *r.dg11->dg11.address);
  if (r.dg12 && r.dg12->dg12.issuing_authority) row("Issued by", *r.dg12->dg12.issuing_authority);
  if (r.dg12 && r.dg12->dg12.date_of_issue) row("Issued on", lds_date_text(*r.dg12->dg12.date_of_issue));
  std::vector<lds::FaceImage> faces;
  if (const lds::FaceImage* face = first_face(r, faces))
    row("Photo", fmt::format("{} {}x{}, {} bytes", lds::image_format_name(face->format), face->width, face->height, face->data.size()));
  fmt::print("\n");
  const reader::Verification& v = r.verification;
  row("Access", v.access_warning.empty() ? v.access : v.access + " (warning: " + v.access_warning + ")");
  std::string passive = auth::passive_status_name(v.passive);
  if (!v.passive_reason.empty()) passive += ": " + v.passive_reason;
  if (!v.passive_leniencies.empty()) passive += " (leniencies: " + fmt::format("{}", fmt::join(v.passive_leniencies, ", ")) + ")";
  row("Passive", passive);
  row("Chip", check_line(v.chip));
  row("Active", check_line(v.active));
  if (!v.unsigned_data_groups.empty()) {
    std::string list;
    for (int n : v.unsigned_data_groups) list += (list.empty() ? "DG" : ", DG") + std::to_string(n);
    row("Unsigned", list + " (listed in EF.COM, not in EF.SOD: not trusted)");
  }
  if (!v.withheld_data_groups.empty()) {
    std::string list;
    for (int n : v.withheld_data_groups) list += (list.empty() ? "DG" : ", DG") + std::to_string(n);
    row("Withheld", list + " (listed in EF.SOD, not delivered by the chip: the signed data is incomplete)");
  }
  for (const auto& [n, rec] : r.data_groups)
    if (!rec.decode_error.empty()) row(rec.name.c_str(), rec.decode_error);
  row("Genuine", v.genuine ? "YES" : "NO: " + v.genuine_reason);
  std::string stats = fmt::format("{} APDUs ({} after access control), {} bytes sent, {} received, {} ms",
                                  r.stats.apdus, r.stats.apdus_after_access, r.stats.bytes_sent, r.stats.bytes_received, r.stats.ms);
  if (options.modeled_link_us) stats += fmt::format(", modeled link time {:.1f} ms", *options.modeled_link_us / 1000.0);
  if (r.stats.recoveries) stats += fmt::format(", survived {} card removal(s)", r.stats.recoveries);
  row("Read", stats);
  if (const OutDirReport* out = options.out) {
    if (out->status.ok()) row("Saved", fmt::format("{} files in {}", out->files.size(), out->dir));
    else row("Saved", fmt::format("FAILED after {} files in {}: {}", out->files.size(), out->dir, out->status.error().message()));
    row("Photo file", out->photo.written ? "photo.png" : "not written: " + out->photo.error);
  }
}

void write_json(JsonWriter& j, const reader::ReadResult& r, const ReportOptions& options) {
  j.begin_object();
  reader::write_read_json_members(j, r, reader::ReadJsonOptions{options.reveal, options.modeled_link_us});
  if (const OutDirReport* out = options.out) {
    j.key("out").begin_object();
    j.field("dir", out->dir);
    j.key("files").begin_array();
    for (const auto& f : out->files) j.value(f);
    j.end_array();
    j.field("error", out->status.ok() ? std::string() : out->status.error().message());
    j.key("photo").begin_object();
    j.field("written", out->photo.written);
    j.field("face_file", out->photo.face_file);
    j.field("error", out->photo.error);
    j.end_object();
    j.end_object();
  }
  j.end_object();
}

namespace {

// write_new_outputs: write_out_files without the clean-up of an earlier read's files.
OutDirReport write_new_outputs(const std::string& dir, const reader::ReadResult& r) {
  OutDirReport report;
  report.dir = dir;
  // What comes from a card is personal data (DG11 holds the resident number whole, DG2 the
  // face): the directory is created 0700 and every file 0600, whatever the umask.
  std::error_code ec;
  const bool existed = std::filesystem::exists(dir, ec);
  std::filesystem::create_directories(dir, ec);
  if (!ec && !existed)
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace, ec);
  if (ec) {
    report.status = make_error(ErrorCode::kIo, "cannot create " + dir + ": " + ec.message());
    report.photo.error = "not written: the directory could not be created";
    return report;
  }
  auto put = [&](const std::string& name, ByteView data) -> Status {
    IDTAP_TRY(write_file_atomic(dir + "/" + name, data, 0600));
    report.files.push_back(name);
    return ok_status();
  };
  auto raw_files = [&]() -> Status {
    if (r.card_access) IDTAP_TRY(put("ef_cardaccess.bin", *r.card_access));
    if (r.card_security) IDTAP_TRY(put("ef_cardsecurity.bin", r.card_security->raw));
    if (r.ef_com) IDTAP_TRY(put("ef_com.bin", r.ef_com->raw));
    if (r.ef_sod) IDTAP_TRY(put("ef_sod.bin", r.ef_sod->raw));
    for (const auto& [n, rec] : r.data_groups)
      if (!rec.raw.empty()) IDTAP_TRY(put("dg" + std::to_string(n) + ".bin", rec.raw));
    return ok_status();
  };
  report.status = raw_files();
  if (!report.status.ok()) {
    report.photo.error = "not written: an earlier file could not be written";
    return report;
  }

  // Why there is no face to decode: r.dg2 is set only when DG2's hash matched and it parsed.
  std::vector<lds::FaceImage> faces;
  const lds::FaceImage* face = first_face(r, faces);
  if (face == nullptr) {
    auto dg2 = r.data_groups.find(2);
    if (dg2 == r.data_groups.end()) report.photo.error = "DG2 was not read";
    else if (!dg2->second.hash_ok.value_or(false)) report.photo.error = "DG2 did not match a hash in EF.SOD: its image is not decoded";
    else if (!dg2->second.decode_error.empty()) report.photo.error = "DG2 did not parse: " + dg2->second.decode_error;
    else report.photo.error = "DG2 holds no face image";
    return report;
  }
  const std::string face_file = std::string("face.") + lds::image_file_extension(face->format);
  report.status = put(face_file, face->data);
  if (!report.status.ok()) {
    report.photo.error = "not written: the face image could not be written";
    return report;
  }
  report.photo.face_file = face_file;
  auto png = [&]() -> Result<Bytes> {
    IDTAP_ASSIGN_OR_RETURN(reader::Raster raster, reader::decode_face_image(face->data));
    return reader::encode_png(raster);
  }();
  if (!png.ok()) {
    report.photo.error = "the face image (" + face_file + ") does not convert to PNG: " + png.error().message();
    return report;
  }
  report.status = put("photo.png", *png);
  if (!report.status.ok()) {
    report.photo.error = "not written: " + report.status.error().message();
    return report;
  }
  report.photo.written = true;
  return report;
}

// remove_stale_outputs: deletes the files of an earlier read in `dir` that this one did not write
// (a kiosk must never find the previous holder's photo.png next to this card's data). Only names
// write_out_files itself uses are touched.
void remove_stale_outputs(const std::string& dir, OutDirReport& report) {
  std::vector<std::string> names = {"ef_cardaccess.bin", "ef_cardsecurity.bin", "ef_com.bin", "ef_sod.bin",
                                    "face.jpg", "face.jp2", "face.j2k", "face.bin", "photo.png"};
  for (int n = 1; n <= 16; ++n) names.push_back("dg" + std::to_string(n) + ".bin");
  for (const auto& name : names) {
    if (std::find(report.files.begin(), report.files.end(), name) != report.files.end()) continue;
    std::error_code ec;
    std::filesystem::remove(dir + "/" + name, ec);
    if (ec && report.status.ok()) report.status = make_error(ErrorCode::kIo, "cannot remove " + dir + "/" + name + " of an earlier read: " + ec.message());
  }
}

}  // namespace

OutDirReport write_out_files(const std::string& dir, const reader::ReadResult& r) {
  OutDirReport report = write_new_outputs(dir, r);
  if (std::filesystem::is_directory(dir)) remove_stale_outputs(dir, report);
  return report;
}

Status write_out_dir(const std::string& dir, const reader::ReadResult& r) { return write_out_files(dir, r).status; }

}  // namespace idtap::cli
