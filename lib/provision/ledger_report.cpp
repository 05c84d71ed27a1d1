// lib/provision/ledger_report.cpp: the per-site report (`idtap ledger report --by-site`), read
// from the event log: every event names the site that made it (LedgerOptions::site).
#include "ledger_internal.h"

namespace idtap::provision {

Result<std::vector<Ledger::SiteDay>> Ledger::site_report() {
  // Integer division by 86400 gives the UTC day on both backends (at is a 64-bit integer).
  IDTAP_ASSIGN_OR_RETURN(Stmt s, impl_->prepare("SELECT site, at / 86400, kind, count(*) FROM events "
                                                "WHERE kind IN ('issued', 'suspended', 'revoked') "
                                                "GROUP BY site, at / 86400, kind ORDER BY site, at / 86400"));
  std::vector<SiteDay> out;
  while (true) {
    IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) break;
    const std::string site = s.text(0);
    const UnixSeconds day = s.i64(1) * 86400;
    if (out.empty() || out.back().site != site || out.back().day_start != day) out.push_back(SiteDay{site, day, 0, 0, 0});
    const std::string kind = s.text(2);
    const uint64_t n = static_cast<uint64_t>(s.i64(3));
    if (kind == "issued") out.back().issued += n;
    else if (kind == "suspended") out.back().suspended += n;
    else out.back().revoked += n;
  }
  return out;
}

}  // namespace idtap::provision
