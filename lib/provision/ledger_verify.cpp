// lib/provision/ledger_verify.cpp: audit and repair: the event chain, the states it implies
// against the tables, and the credential files against the crash-consistency contract of
// ledger.h.
#include <dirent.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <map>
#include <set>

#include "idtap/crypto/hash.h"
#include "idtap/crypto/mac.h"
#include "idtap/provision/files.h"
#include "ledger_internal.h"

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

  // The event chain, and the states the events imply.
  std::map<std::string, std::string> cred_state;   // by replay
  std::map<int64_t, std::string> card_state;
  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("SELECT seq, at, kind, credential_id, card_id, detail, hash, site FROM events ORDER BY seq"));
    int64_t expect = 1;
    Bytes prev = kGenesis;
    std::vector<int64_t> chain_breaks;  // rows whose HMAC link does not verify
    while (true) {
      IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
      if (!row) break;
      int64_t seq = s.i64(0);
      if (seq != expect) {
        find("event log: rows " + std::to_string(expect) + ".." + std::to_string(seq - 1) + " are missing (deleted)");
        prev.clear();  // the chain cannot be followed across the gap
      }
      std::string kind = s.text(2), cred = s.text(3), detail = s.text(5);
      int64_t card = s.i64(4);
      IDTAP_ASSIGN_OR_RETURN(Bytes canonical, canonical_event(seq, s.i64(1), kind, cred, card, detail, s.text(7)));
      Bytes stored = s.blob(6);
      if (!prev.empty()) {
        IDTAP_ASSIGN_OR_RETURN(Bytes link, impl_->event_link(prev, canonical));
        if (!crypto::constant_time_equal(link, stored)) chain_breaks.push_back(seq);
      }
      prev = stored;
      expect = seq + 1;
      ++report.events;
      if (kind == "issued" || kind == "resumed") cred_state[cred] = "active";
      else if (kind == "suspended") cred_state[cred] = "suspended";
      else if (kind == "revoked") cred_state[cred] = "revoked";
      else if (kind == "expired") cred_state[cred] = "expired";
      else if (kind == "card_lost") card_state[card] = "lost";
      else if (kind == "card_found") card_state[card] = "valid";
      else if (kind == "policy" || kind == "clerk") continue;  // clerk: clerks.h (the console)
      // The offers' lifecycle (pending_offers.cpp): chained, but no credential or card state.
      else if (kind == "offer_created" || kind == "offer_redeemed" || kind == "offer_expired" || kind == "offer_killed") continue;
      else find("event log: row " + std::to_string(seq) + " has an unknown kind '" + kind + "'");
    }
    auto head = impl_->event_head();
    if (!chain_breaks.empty() && chain_breaks.size() == report.events && !head.ok()) {
      // Every row and the head fail their HMAC: not N edits but a key that is not this ledger's
      // (a replaced or another ledger's DB.key). One finding, which says so.
      find("the key file does not belong to this ledger: all " + std::to_string(report.events) +
           " event rows and the recorded head fail their HMAC, as with a wrong or replaced key file (the data itself "
           "may be intact); put the ledger's own key back and verify again");
    } else {
      for (int64_t seq : chain_breaks) find("event log: row " + std::to_string(seq) + " does not match the hash chain (edited)");
      if (!head.ok()) find("event log: the recorded head is not authentic (rewound or forged)");
    }
    if (head.ok() && (head->seq != expect - 1 || !equal_bytes(head->hash, prev)))
      find("event log: the recorded head (" + std::to_string(head->seq) + ") is not the last row (" + std::to_string(expect - 1) +
           "): rows were removed or added");
  }

  // Tables against the replay.
  struct FileCheck {
    std::string id, path, state;
    Bytes sha;
  };
  std::vector<FileCheck> files;
  std::set<std::string> ids;
  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("SELECT id, state, file_path, file_sha256 FROM credentials"));
    while (true) {
      IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
      if (!row) break;
      std::string id = s.text(0), state = s.text(1);
      ++report.credentials;
      ids.insert(id);
      auto it = cred_state.find(id);
      if (it == cred_state.end()) find("credential " + id + " has no 'issued' event");
      else if (it->second != state) find("credential " + id + " is '" + state + "' but its events say '" + it->second + "' (edited)");
      if (!s.text(2).empty()) files.push_back({id, s.text(2), state, s.blob(3)});
    }
    for (const auto& [id, st] : cred_state)
      if (!ids.count(id)) find("credential " + id + " has events but no record (deleted)");
  }
  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("SELECT id, state FROM cards"));
    while (true) {
      IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
      if (!row) break;
      auto it = card_state.find(s.i64(0));
      std::string expect = it == card_state.end() ? "valid" : it->second;
      if (s.text(1) != expect) find("card " + std::to_string(s.i64(0)) + " is '" + s.text(1) + "' but its events say '" + expect + "' (edited)");
    }
  }

  // Credential files (the crash-consistency contract in the header).
  std::set<std::string> dirs(options.scan_dirs.begin(), options.scan_dirs.end());
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
      if (id.size() != 32 || ids.count(id)) continue;
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
