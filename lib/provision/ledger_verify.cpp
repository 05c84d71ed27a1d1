// lib/provision/ledger_verify.cpp: audit and repair: the event chain and the tables rebuilt from
// it (ledger_rebuild.cpp), and the credential files against the crash-consistency contract of
// ledger.h.
#include <dirent.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <set>

#include "idtap/crypto/hash.h"
#include "idtap/crypto/mac.h"
#include "idtap/provision/files.h"
#include "ledger_rebuild.h"

namespace idtap::provision {
namespace {

// sha256_matches: SHA-256(`data`) is `sha` (false too if OpenSSL cannot hash).
bool sha256_matches(ByteView data, ByteView sha) {
  auto digest = crypto::digest(crypto::HashAlg::kSha256, data);
  return digest.ok() && equal_bytes(*digest, sha);
}

// kAtomicSuffixSize: ".tmp-XXXXXX", what write_file_atomic (lib/base, mkstemp) puts after the
// name it writes (`idtap status-list publish --out status.cwt` among them) until its rename.
constexpr size_t kAtomicSuffixSize = 11;

// is_atomic_write_leftover: `name` is NAME.tmp-XXXXXX (six letters or digits, as mkstemp makes
// them) with a non-empty NAME: a write_file_atomic killed before its rename left it.
bool is_atomic_write_leftover(const std::string& name) {
  if (name.size() <= kAtomicSuffixSize) return false;
  const size_t at = name.size() - kAtomicSuffixSize;
  if (name.compare(at, 5, ".tmp-") != 0) return false;
  for (size_t i = at + 5; i < name.size(); ++i)
    if (!std::isalnum(static_cast<unsigned char>(name[i]))) return false;
  return true;
}

}  // namespace

Result<LedgerReport> Ledger::verify(const LedgerVerifyOptions& options) {
  LedgerReport report;
  auto find = [&](std::string what) { report.findings.push_back({std::move(what), false}); };
  {
    IDTAP_ASSIGN_OR_RETURN(std::vector<std::string> storage, impl_->db->integrity_check());
    for (auto& what : storage) find(std::move(what));
  }

  // The event chain, and every column of the tables against what the events say.
  IDTAP_TRY(rebuild_and_compare(*impl_, report));
  IDTAP_TRY(impl_->check_anchors(options.anchors, report));
  // The offers table against the offers' events (its own file).
  IDTAP_TRY(verify_offers(*impl_, report.findings));

  // Credential files (the crash-consistency contract in the header).
  std::set<std::string> dirs(options.scan_dirs.begin(), options.scan_dirs.end());
  // The credentials with a file, a page at a time (a repair below writes between pages).
  struct FileCheck {
    std::string id, path, state;
    Bytes sha;
  };
  std::string after;
  while (true) {
    std::vector<FileCheck> files;
    {
      IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("SELECT id, state, file_path, file_sha256 FROM credentials "
                                                    "WHERE file_path <> '' AND id > ?1 ORDER BY id LIMIT 512"));
      s.bind(1, after);
      while (true) {
        IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
        if (!row) break;
        files.push_back({s.text(0), s.text(2), s.text(1), s.blob(3)});
      }
    }
    if (files.empty()) break;
    after = files.back().id;
    for (const auto& f : files) {
      dirs.insert(directory_of(f.path));
      auto final_bytes = read_file(f.path);
      const bool live = f.state == "active" || f.state == "suspended";
      if (final_bytes.ok()) {
        // A revoked or expired credential's desk copy replaced by a later credential at the same
        // path (a new provision for the holder) is nothing to settle; a live one's is.
        if (live && !sha256_matches(*final_bytes, f.sha)) find("credential " + f.id + ": " + f.path + " differs from the recorded credential");
        const std::string temp = credential_temp_path(f.path, f.id);
        if (!live && ::access(temp.c_str(), F_OK) == 0) {
          LedgerFinding finding{"credential " + f.id + " (" + f.state + "): its temp file " + temp + " was left behind", false};
          if (options.repair) finding.repaired = ::unlink(temp.c_str()) == 0;
          report.findings.push_back(std::move(finding));
        }
        continue;
      }
      // Only a file that is not there (ENOENT) is missing: a permission or I/O error says nothing
      // about the credential, and a relative path (recorded by an older idtap) depends on the
      // directory verify runs from. Neither is repaired.
      if (final_bytes.error().code != ErrorCode::kNotFound) {
        find("credential " + f.id + ": its file " + f.path + " cannot be read (" + final_bytes.error().context + "): not repaired");
        continue;
      }
      std::string temp = credential_temp_path(f.path, f.id);
      auto temp_bytes = read_file(temp);
      if (!temp_bytes.ok() && temp_bytes.error().code != ErrorCode::kNotFound) {
        find("credential " + f.id + ": its temp file " + temp + " cannot be read (" + temp_bytes.error().context + "): not repaired");
        continue;
      }
      if (temp_bytes.ok() && sha256_matches(*temp_bytes, f.sha)) {
        LedgerFinding finding{"credential " + f.id + ": committed but not yet renamed into " + f.path, false};
        if (options.repair) finding.repaired = rename_no_replace_durable(temp, f.path).ok();
        report.findings.push_back(std::move(finding));
        continue;
      }
      if (temp_bytes.ok()) {
        // The marker made before the commit, empty or cut short: the signed bytes never reached
        // the disk whole, so nobody holds this credential. Repair revokes it and removes the marker.
        LedgerFinding finding{"credential " + f.id + ": recorded but never published (its issuance was interrupted before " +
                                  "the file was written; " + temp + ")", false};
        if (options.repair) {
          const bool settled = !live || revoke(f.id, "never published (issuance interrupted)", now_seconds()).ok();
          finding.repaired = settled && ::unlink(temp.c_str()) == 0;
        }
        report.findings.push_back(std::move(finding));
        continue;
      }
      if (live && f.path.front() != '/') {
        find("credential " + f.id + ": its file " + f.path + " is recorded with a relative path and is not in " +
             "the current directory: not repaired (run verify from the directory it was issued in)");
        continue;
      }
      if (live) {
        // The file is the desk's copy: the phone holds the credential, which stays valid. Repair
        // never revokes; revoking is the clerk's explicit action.
        find("the desk copy of credential " + f.id + " is gone (" + f.path + "); the credential stays " + f.state +
             " (the phone holds it): not repaired; revoke it with `idtap credential revoke " + f.id +
             "` only if it must no longer be used");
      }
    }
    if (files.size() < 512) break;
  }
  for (const auto& dir : dirs) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) continue;
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (is_atomic_write_leftover(name)) {
        const std::string full = dir + "/" + name;
        LedgerFinding finding{"leftover temp file " + full + " of an interrupted publication of " + dir + "/" +
                                  name.substr(0, name.size() - kAtomicSuffixSize) + " (a status list, say); the file itself is intact",
                              false};
        if (options.repair) finding.repaired = ::unlink(full.c_str()) == 0;
        report.findings.push_back(std::move(finding));
        continue;
      }
      auto pos = name.rfind(kTempMarker);
      if (pos == std::string::npos) continue;
      std::string id = name.substr(pos + std::strlen(kTempMarker));
      if (id.size() != 32) continue;
      {
        IDTAP_ASSIGN_OR_RETURN(Stmt known, impl_->prepare("SELECT 1 FROM credentials WHERE id = ?1"));
        known.bind(1, id);
        IDTAP_ASSIGN_OR_RETURN(bool recorded, known.step());
        if (recorded) continue;
      }
      std::string full = dir + "/" + name;
      LedgerFinding finding{"orphan temp file " + full + " (its issuance never committed)", false};
      if (options.repair) finding.repaired = ::unlink(full.c_str()) == 0;
      report.findings.push_back(std::move(finding));
    }
    ::closedir(d);
  }
  return report;
}

}  // namespace idtap::provision
