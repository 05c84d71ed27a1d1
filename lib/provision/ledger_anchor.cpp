// lib/provision/ledger_anchor.cpp: the chain head anchored outside the database, and the check
// of a ledger against its anchors (rollback and truncation).
//
// An anchor is the head of the event chain (the sequence number of the last event, its link,
// and the head's HMAC tag under the ledger key) written where a copy of the database does not
// reach: every signed status list carries one (the claim "idtap_ledger_head"), and the anchor
// log, a text file beside the ledger (LedgerOptions::anchor_file; "<ledger>.anchors" for a
// SQLite ledger), gets one line per publication or `idtap ledger anchor`:
//   idtap-ledger-anchor 1 SEQ LINK TAG AT
// A ledger whose events end before an anchor's SEQ, or whose event SEQ has another link, is
// older than that anchor: rolled back to an earlier copy, or its newest events deleted.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "idtap/base/hex.h"
#include "idtap/crypto/mac.h"
#include "idtap/provision/files.h"
#include "ledger_internal.h"

namespace idtap::provision {
namespace {

constexpr std::string_view kAnchorMagic = "idtap-ledger-anchor";

// Anchor: one anchor and where it came from (for the findings).
struct Anchor {
  StatusListLedgerHead head;
  UnixSeconds at = 0;
  std::string where;  // "FILE line N" or "FILE (status list)"
};

// check_anchor: one anchor against the ledger; a finding when the ledger is older than it.
Status check_anchor(Ledger::Impl& l, const Anchor& a, int64_t last_seq, LedgerReport& report) {
  auto find = [&](std::string what) { report.findings.push_back({std::move(what), false}); };
  IDTAP_ASSIGN_OR_RETURN(Bytes tag, l.head_tag(a.head.seq, a.head.link));
  if (!crypto::constant_time_equal(tag, a.head.tag)) {
    find("anchor " + a.where + " is not this ledger's (its tag does not verify under the ledger key)");
    return ok_status();
  }
  if (a.head.seq == 0) return ok_status();
  if (last_seq < a.head.seq) {
    report.rolled_back = true;
    find("ROLLED BACK: the ledger is older than its anchor " + a.where + ": its last event is " + std::to_string(last_seq) +
         " but event " + std::to_string(a.head.seq) + " was anchored" + (a.at ? " at " + std::to_string(a.at) : std::string()) +
         " (restored from an older copy, truncated, or its newest events deleted); credentials revoked since may verify as valid");
    return ok_status();
  }
  IDTAP_ASSIGN_OR_RETURN(Stmt s, l.prepare("SELECT hash FROM events WHERE seq = ?1"));
  s.bind(1, a.head.seq);
  IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
  if (row && !crypto::constant_time_equal(s.blob(0), a.head.link)) {
    report.rolled_back = true;
    find("ROLLED BACK: event " + std::to_string(a.head.seq) + " is not the one anchored in " + a.where +
         " (the ledger was rolled back and written again since)");
  }
  return ok_status();
}

// parse_anchor_line: "idtap-ledger-anchor 1 SEQ LINK TAG AT"; nullopt for another line.
std::optional<Anchor> parse_anchor_line(const std::string& line) {
  std::istringstream in(line);
  std::string magic, version, link, tag;
  Anchor a;
  if (!(in >> magic >> version >> a.head.seq >> link >> tag >> a.at) || magic != kAnchorMagic || version != "1") return std::nullopt;
  auto l = from_hex(link);
  auto t = from_hex(tag);
  if (!l.ok() || !t.ok()) return std::nullopt;
  a.head.link = std::move(l).value();
  a.head.tag = std::move(t).value();
  return a;
}

}  // namespace

Result<StatusListLedgerHead> Ledger::head() {
  IDTAP_ASSIGN_OR_RETURN(EventHead h, impl_->event_head());
  return StatusListLedgerHead{h.seq, h.hash, h.tag};
}

const std::string& Ledger::anchor_file() const { return impl_->anchor_file; }

uint64_t Ledger::round_trips() const { return impl_->db->round_trips(); }

Result<StatusListLedgerHead> Ledger::anchor(const std::string& path) {
  if (path.empty())
    return make_error(ErrorCode::kInvalidArgument, "no anchor log: a PostgreSQL ledger's is named with LedgerOptions::anchor_file "
                                                   "(the commands: IDTAP_LEDGER_ANCHOR_FILE)");
  IDTAP_ASSIGN_OR_RETURN(StatusListLedgerHead h, head());
  const std::string line = std::string(kAnchorMagic) + " 1 " + std::to_string(h.seq) + " " + to_hex(h.link) + " " + to_hex(h.tag) +
                           " " + std::to_string(now_seconds()) + "\n";
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(ErrorCode::kIo, "anchor log " + path + ": " + std::strerror(errno));
  const ssize_t n = ::write(fd, line.data(), line.size());
  const int synced = ::fsync(fd);
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size()) || synced != 0)
    return make_error(ErrorCode::kIo, "anchor log " + path + ": the line was not written whole");
  return h;
}

Status Ledger::Impl::check_anchors(const std::vector<std::string>& files, LedgerReport& report) {
  if (files.empty()) return ok_status();
  int64_t last_seq = 0;
  {
    IDTAP_ASSIGN_OR_RETURN(Stmt s, prepare("SELECT max(seq) FROM events"));
    IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
    last_seq = row && !s.is_null(0) ? s.i64(0) : 0;
  }
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return make_error(ErrorCode::kIo, "anchor " + file + ": cannot be read");
    const int first = in.peek();
    if (first == 0xD2 || first == 0x84) {
      // A status list token: its head claim.
      IDTAP_ASSIGN_OR_RETURN(Bytes token, read_file(file));
      IDTAP_ASSIGN_OR_RETURN(std::optional<StatusListLedgerHead> head, status_list_ledger_head(token));
      if (!head) return make_error(ErrorCode::kMalformed, "anchor " + file + ": the status list carries no ledger head (made by an older idtap)");
      IDTAP_TRY(check_anchor(*this, Anchor{*head, 0, file + " (status list)"}, last_seq, report));
      continue;
    }
    // An anchor log: every line (the newest is not always the highest: a log copied back).
    std::string line;
    uint64_t number = 0, anchors = 0;
    while (std::getline(in, line)) {
      ++number;
      if (line.empty()) continue;
      auto a = parse_anchor_line(line);
      if (!a) return make_error(ErrorCode::kMalformed, "anchor log " + file + " line " + std::to_string(number) + " is not an anchor");
      a->where = file + " line " + std::to_string(number);
      const bool before = report.rolled_back;
      IDTAP_TRY(check_anchor(*this, *a, last_seq, report));
      ++anchors;
      if (!before && report.rolled_back) break;  // one finding says it; the rest of the log would repeat it
    }
    if (anchors == 0) return make_error(ErrorCode::kMalformed, "anchor log " + file + " holds no anchor");
  }
  return ok_status();
}

}  // namespace idtap::provision
