// tests/provision/ledger_tamper_test.cpp: whole-ledger tamper evidence (issue 16). Each edit an
// adversarial test of the ledger found passing `ledger verify` as "consistent" (one SQL
// statement, no key) is made on both backends and must be reported as table[row].column with
// the value the events say and the one found; nothing secret appears in a finding.
#include <doctest/doctest.h>

#include <functional>
#include <string>

#include "idtap/base/hex.h"
#include "idtap/provision/ledger.h"
#include "ledger_fixture.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

namespace {

// TamperWorld: holder A with a revoked credential (replaced) and an active one, holder B with an
// active one; every issuance with a challenge of the ledger.
template <typename B>
struct TamperWorld : LedgerWorld<B> {
  VerifiedHolder a = sample_holder();
  VerifiedHolder b = sample_holder("850101-2345678", Date{1985, 1, 1}, "M00000001");
  EcPrivateKey phone_a = EcPrivateKey::generate().value();
  EcPrivateKey phone_a2 = EcPrivateKey::generate().value();
  EcPrivateKey phone_b = EcPrivateKey::generate().value();
  IssuedCredential revoked, active, other;
  TamperWorld() {
    revoked = this->ledger.issue(request_for(this->ledger, a, phone_a, this->now), this->signer).value();
    active = this->ledger.issue(request_for(this->ledger, a, phone_a2, this->now + 60), this->signer).value();
    other = this->ledger.issue(request_for(this->ledger, b, phone_b, this->now + 120), this->signer).value();
  }
  // findings: verify on a fresh connection, every finding's text (one per line).
  std::string findings(LedgerReport* out = nullptr) {
    Ledger fresh = this->reopen();
    LedgerReport r = fresh.verify().value();
    std::string all;
    for (const auto& f : r.findings) all += f.what + "\n";
    if (out != nullptr) *out = r;
    return all;
  }
};

// blob_literal: a byte string literal in the backend's SQL.
template <typename B>
std::string blob_literal(const std::string& hex) {
  return std::string(B::kName) == "sqlite" ? "X'" + hex + "'" : "'\\x" + hex + "'::bytea";
}

}  // namespace

TEST_CASE_TEMPLATE("every edit of a column a rule or a publication reads is reported by verify (issue 16)", B, LEDGER_BACKENDS) {
  struct Case {
    const char* why;
    std::function<std::string(TamperWorld<B>&)> sql;                          // the attacker's edit
    std::function<std::vector<std::string>(TamperWorld<B>&)> expect;          // what verify must say
  };
  const Case cases[] = {
      // The revoked credential's index moved off its INVALID bit: the next status list shows it valid.
      {"status_idx of a revoked credential",
       [](auto& w) { return "UPDATE credentials SET status_idx = 4000 WHERE id = '" + w.revoked.credential_id + "'"; },
       [](auto& w) {
         return std::vector<std::string>{"credentials[" + w.revoked.credential_id + "].status_idx: the events say '" +
                                         std::to_string(w.revoked.status_idx) + "', the table has '4000' (edited)"};
       }},
      // A new holder row, and the active credential moved to it: the next issuance from the card
      // would leave two active credentials for one person.
      {"a holder inserted and a credential moved to it",
       [](auto& w) {
         return "INSERT INTO holders(holder_key, created_at) VALUES(" + blob_literal<B>(std::string(64, 'a')) +
                ", 1); UPDATE credentials SET holder_id = (SELECT max(id) FROM holders) WHERE id = '" + w.active.credential_id + "'";
       },
       [](auto& w) {
         return std::vector<std::string>{"holders[3]: no event records this holder (inserted)",
                                         "credentials[" + w.active.credential_id + "].holder_id: the events say '1', the table has '3' (edited)"};
       }},
      // A later report-lost would suspend nothing.
      {"cards.holder_id set to NULL", [](auto&) { return std::string("UPDATE cards SET holder_id = NULL WHERE id = 1"); },
       [](auto&) { return std::vector<std::string>{"cards[1].holder_id: the events say '1', the table has '0' (edited)"}; }},
      {"valid_until extended",
       [](auto& w) { return "UPDATE credentials SET valid_until = valid_until + 86400 WHERE id = '" + w.active.credential_id + "'"; },
       [](auto& w) {
         return std::vector<std::string>{"credentials[" + w.active.credential_id + "].valid_until: the events say '" +
                                         std::to_string(w.active.validity.valid_until) + "', the table has '" +
                                         std::to_string(w.active.validity.valid_until + 86400) + "' (edited)"};
       }},
      // Frees the phone of the one-phone-per-person rule.
      {"device_thumbprint replaced",
       [](auto& w) { return "UPDATE credentials SET device_thumbprint = 'someone-else' WHERE id = '" + w.other.credential_id + "'"; },
       [](auto& w) {
         return std::vector<std::string>{"credentials[" + w.other.credential_id + "].device_thumbprint: the events say '" +
                                         w.other.device_thumbprint + "', the table has 'someone-else' (edited)"};
       }},
      {"doc_type replaced",
       [](auto& w) { return "UPDATE credentials SET doc_type = 'org.iso.18013.5.1.mDL' WHERE id = '" + w.other.credential_id + "'"; },
       [](auto& w) {
         return std::vector<std::string>{"credentials[" + w.other.credential_id + "].doc_type:",
                                         "the table has 'org.iso.18013.5.1.mDL' (edited)"};
       }},
      {"issued_at moved",
       [](auto& w) { return "UPDATE credentials SET issued_at = issued_at - 3600 WHERE id = '" + w.other.credential_id + "'"; },
       [](auto& w) {
         return std::vector<std::string>{"credentials[" + w.other.credential_id + "].issued_at: the events say '" +
                                         std::to_string(w.now + 120) + "', the table has '" + std::to_string(w.now + 120 - 3600) +
                                         "' (edited)"};
       }},
      // The next credentials would point verifiers at another status list.
      {"meta.status_uri replaced",
       [](auto&) { return std::string("UPDATE meta SET value = 'https://evil.example/list' WHERE key = 'status_uri'"); },
       [](auto&) {
         return std::vector<std::string>{"meta[status_uri]: 'https://evil.example/list' does not match its tag (edited"};
       }},
      // The proof of possession could be replayed.
      {"challenges.used_at cleared", [](auto&) { return std::string("UPDATE challenges SET used_at = NULL"); },
       [](auto& w) {
         return std::vector<std::string>{"].used_at: the events say '" + std::to_string(w.now) + "', the table has 'NULL' (edited)",
                                         "].used_at: the events say '" + std::to_string(w.now + 120) + "', the table has 'NULL' (edited)"};
       }},
      // Two holders' keys swapped: each person's next issuance resolves to the other's record.
      {"holder keys swapped",
       [](auto&) {
         return std::string("UPDATE holders SET holder_key = (SELECT holder_key FROM holders WHERE id = 2) || ") +
                blob_literal<B>("00") + " WHERE id = 1";
       },
       [](auto&) { return std::vector<std::string>{"holders[1].holder_key: the events say '"}; }},
      {"a card's state edited (lost -> valid would be the attack)",
       [](auto&) { return std::string("UPDATE cards SET state = 'lost' WHERE id = 2"); },
       [](auto&) { return std::vector<std::string>{"cards[2].state: the events say 'valid', the table has 'lost' (edited)"}; }},
      {"a card's number edited (a lost card's number changed dodges the refusal)",
       [](auto&) { return std::string("UPDATE cards SET document_number = 'M99999999' WHERE id = 2"); },
       [](auto&) {
         return std::vector<std::string>{"cards[2].issuing_state document_number: the events say 'KOR M00000001', the table has "
                                         "'KOR M99999999' (edited)"};
       }},
      {"state_reason, evidence and site edited",
       [](auto& w) {
         return "UPDATE credentials SET state_reason = 'x', evidence = 'clerk:1', site = 'ELSEWHERE' WHERE id = '" +
                w.other.credential_id + "'";
       },
       [](auto& w) {
         const std::string row = "credentials[" + w.other.credential_id + "].";
         return std::vector<std::string>{row + "state_reason:", row + "evidence: the events say 'chip', the table has 'clerk:1'",
                                         row + "site: the events say '', the table has 'ELSEWHERE'"};
       }},
      {"a credential row inserted",
       [](auto& w) {
         return "INSERT INTO credentials(id, holder_id, card_id, device_thumbprint, doc_type, issued_at, valid_from, valid_until, "
                "state, status_idx, file_sha256) VALUES('" + std::string(32, 'f') + "', 2, 2, 't', 'd', 1, 1, " +
                std::to_string(w.now + 86400) + ", 'revoked', 4001, " + blob_literal<B>("00") + ")";
       },
       [](auto&) { return std::vector<std::string>{"credentials[" + std::string(32, 'f') + "]: no 'issued' event (inserted)"}; }},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    TamperWorld<B> w;
    REQUIRE_MESSAGE(w.findings().empty(), w.findings());
    const std::string sql = c.sql(w);
    w.backend.run_sql(sql.c_str());
    LedgerReport report;
    const std::string all = w.findings(&report);
    CHECK_FALSE(report.consistent());
    for (const auto& expected : c.expect(w)) CHECK_MESSAGE(all.find(expected) != std::string::npos, expected << "\nin:\n" << all);
    // Nothing secret in a finding: no resident number, no key, no holder key whole.
    CHECK(all.find("900515") == std::string::npos);
    CHECK(all.find("850101") == std::string::npos);
    CHECK(all.find(std::string(64, 'a')) == std::string::npos);
  }
}

TEST_CASE_TEMPLATE("a finding names the table, the row, the column and both values; an edited status URI stops issuance", B,
                   LEDGER_BACKENDS) {
  TamperWorld<B> w;
  w.backend.run_sql(("UPDATE credentials SET status_idx = 4000 WHERE id = '" + w.revoked.credential_id + "'").c_str());
  LedgerReport report;
  (void)w.findings(&report);
  REQUIRE(report.findings.size() == 1);
  const LedgerFinding& f = report.findings[0];
  CHECK(f.table == "credentials");
  CHECK(f.row == w.revoked.credential_id);
  CHECK(f.column == "status_idx");
  CHECK(f.expected == std::to_string(w.revoked.status_idx));
  CHECK(f.found == "4000");

  w.backend.run_sql("UPDATE meta SET value = 'https://evil.example/list' WHERE key = 'status_uri'");
  Ledger fresh = w.reopen();
  VerifiedHolder c = sample_holder("700101-1234567", Date{1970, 1, 1}, "M00000002");
  auto phone = EcPrivateKey::generate().value();
  auto refused = fresh.issue(request_for(fresh, c, phone, w.now + 300), w.signer);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kRefused);
  CHECK_MESSAGE(refused.error().context.find("were edited") != std::string::npos, refused.error().context);
  // Nor is a status list made under the edited URI.
  auto list = fresh.status_list();
  REQUIRE_FALSE(list.ok());
  CHECK(list.error().code == ErrorCode::kRefused);
}

TEST_CASE_TEMPLATE("verify reads the ledger a page at a time: more rows than a page, all compared", B, LEDGER_BACKENDS) {
  // 600 holders with a credential each (more than one page of 512 rows in every cursor), one
  // column edited in the last page: found; nothing else reported.
  LedgerWorld<B> w;
  std::vector<VerifiedHolder> holders;
  std::vector<EcPrivateKey> phones;
  constexpr int kHolders = 600;
  holders.reserve(kHolders);
  for (int i = 0; i < kHolders; ++i) {
    char rrn[16], doc[16];
    std::snprintf(rrn, sizeof rrn, "800101-1%06d", i);
    std::snprintf(doc, sizeof doc, "M%08d", i);
    holders.push_back(sample_holder(rrn, Date{1980, 1, 1}, doc));
    phones.push_back(EcPrivateKey::generate().value());
  }
  std::vector<IssueRequest> requests;
  for (int i = 0; i < kHolders; ++i) requests.push_back(request_for(w.ledger, holders[i], phones[i], w.now));
  auto issued = w.ledger.issue_batch(requests, w.signer).value();
  for (const auto& one : issued) REQUIRE(one.ok());
  auto clean = w.ledger.verify().value();
  CHECK(clean.consistent());
  CHECK(clean.credentials == kHolders);
  CHECK(clean.events == 2 * kHolders);
  w.backend.run_sql("UPDATE cards SET state = 'lost' WHERE id = 590");
  Ledger fresh = w.reopen();
  auto report = fresh.verify().value();
  REQUIRE(report.findings.size() == 1);
  CHECK(report.findings[0].what == "cards[590].state: the events say 'valid', the table has 'lost' (edited)");
  // The consumed challenges are looked up in batches: every one of them is still compared.
  w.backend.run_sql("UPDATE challenges SET used_at = NULL");
  auto cleared = fresh.verify().value();
  int used_at = 0;
  for (const auto& f : cleared.findings) used_at += f.table == "challenges" && f.column == "used_at" && f.found == "NULL";
  CHECK(used_at == kHolders);
}
