// lib/provision/ledger_paged.h (internal): what `ledger verify`'s comparisons share
// (ledger_rebuild.cpp, ledger_verify_issuances.cpp): a keyset-paged cursor, so that memory stays
// flat as the ledger grows, and the one format of a finding about a column
// (table[row].column: the events say X, the table has Y). Not installed; not for other layers.
#pragma once

#include <string>
#include <vector>

#include "idtap/base/hex.h"
#include "ledger_internal.h"

namespace idtap::provision {

constexpr size_t kPage = 512;

// Cell / Row: one column of a row read by a PagedCursor (its type letter says which member).
struct Cell {
  int64_t i = 0;
  std::string s;  // text, or the bytes of a blob
  bool null = false;
};
using Row = std::vector<Cell>;

// PagedCursor: the rows of `sql`, read kPage at a time. `sql` selects the columns `types` (one
// letter each: i integer, t text, b blob) WHERE (its key columns) > (?1, ?2, ...) ORDER BY them
// LIMIT 512; `key` names the key columns by position, `start` gives their first bounds.
class PagedCursor {
 public:
  PagedCursor(Ledger::Impl& l, const char* sql, std::string types, std::vector<int> key, Row start)
      : l_(l), sql_(sql), types_(std::move(types)), key_(std::move(key)), last_(std::move(start)) {}

  // peek: the current row, or nullptr at the end.
  Result<const Row*> peek() {
    if (pos_ < page_.size()) return &page_[pos_];
    if (done_) return static_cast<const Row*>(nullptr);
    IDTAP_TRY(fetch());
    if (pos_ < page_.size()) return &page_[pos_];
    return static_cast<const Row*>(nullptr);
  }
  void pop() { ++pos_; }

 private:
  Status fetch() {
    page_.clear();
    pos_ = 0;
    IDTAP_ASSIGN_OR_RETURN(Stmt s, l_.prepare(sql_));
    for (size_t k = 0; k < key_.size(); ++k) {
      const Cell& c = last_[k];
      const char type = types_[static_cast<size_t>(key_[k])];
      if (type == 'i') s.bind(static_cast<int>(k + 1), c.i);
      else if (type == 'b') s.bind_blob(static_cast<int>(k + 1), ByteView(reinterpret_cast<const uint8_t*>(c.s.data()), c.s.size()));
      else s.bind(static_cast<int>(k + 1), std::string_view(c.s));
    }
    while (true) {
      IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
      if (!row) break;
      Row r(types_.size());
      for (size_t c = 0; c < types_.size(); ++c) {
        const int col = static_cast<int>(c);
        r[c].null = s.is_null(col);
        if (types_[c] == 'i') r[c].i = r[c].null ? 0 : s.i64(col);
        else if (types_[c] == 't') r[c].s = s.text(col);
        else {
          Bytes b = s.blob(col);
          r[c].s.assign(b.begin(), b.end());
        }
      }
      page_.push_back(std::move(r));
    }
    if (page_.size() < kPage) done_ = true;
    if (!page_.empty()) {
      last_.clear();
      for (int k : key_) last_.push_back(page_.back()[static_cast<size_t>(k)]);
    }
    return ok_status();
  }

  Ledger::Impl& l_;
  const char* sql_;
  std::string types_;
  std::vector<int> key_;
  Row last_;
  std::vector<Row> page_;
  size_t pos_ = 0;
  bool done_ = false;
};

inline std::string hex_of(const std::string& bytes) { return to_hex(ByteView(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())); }

// shown: how a value appears in a finding: secrets never whole (a holder key is an HMAC of a
// resident number: its first 8 hex digits identify the row well enough).
inline std::string shown(const std::string& v, bool secret) {
  if (!secret) return "'" + v + "'";
  return "'" + v.substr(0, 8) + "…'";
}

// Findings: the report, and the one format of a difference: table[row].column.
struct Findings {
  LedgerReport& report;
  bool wrong_key = false;  // every link and the head fail: the key file is not this ledger's
  void add(std::string what) { report.findings.push_back({std::move(what), false}); }
  void differs(const std::string& table, const std::string& row, const std::string& column, const std::string& expected,
               const std::string& found, bool secret = false) {
    LedgerFinding f;
    f.what = table + "[" + row + "]." + column + ": the events say " + shown(expected, secret) + ", the table has " +
             shown(found, secret) + " (edited)";
    f.table = table;
    f.row = row;
    f.column = column;
    f.expected = secret ? expected.substr(0, 8) + "…" : expected;
    f.found = secret ? found.substr(0, 8) + "…" : found;
    report.findings.push_back(std::move(f));
  }
  // at: a finding about one cell that is not a difference of two values (a row naming what
  // does not exist, sealed bytes that do not open): `what` follows "table[row].column: ".
  void at(const std::string& table, const std::string& row, const std::string& column, const std::string& what) {
    LedgerFinding f;
    f.what = table + "[" + row + "]." + column + ": " + what;
    f.table = table;
    f.row = row;
    f.column = column;
    report.findings.push_back(std::move(f));
  }
  void compare(const std::string& table, const std::string& row, const std::string& column, const std::string& expected,
               const std::string& found, bool secret = false) {
    if (expected != found) differs(table, row, column, expected, found, secret);
  }
  void compare(const std::string& table, const std::string& row, const std::string& column, int64_t expected, int64_t found) {
    if (expected != found) differs(table, row, column, std::to_string(expected), std::to_string(found));
  }
};

}  // namespace idtap::provision
