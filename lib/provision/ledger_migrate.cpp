// lib/provision/ledger_migrate.cpp: the ledger's schema versions and the steps between them
// (`idtap ledger migrate`). A step takes a ledger of version `from` to `from + 1` inside the
// migration's one transaction; the last step's `from + 1` is the version this idtap writes.
//
// Adding a step (a new table, say) is one line in kSteps (and its function, if it has more to
// do than the schema text's CREATE ... IF NOT EXISTS): the version number,
// the refusal of older ledgers by every other command and the test from every earlier version
// (tests/provision/ledger_migrate_test.cpp walks tests/provision/schemas/) follow from the list.
#include "idtap/base/hex.h"
#include "ledger_detail.h"
#include "ledger_internal.h"

namespace idtap::provision {
namespace {

// kPage: rows read per query while snapshotting (memory stays flat whatever the ledger's size).
constexpr int kPage = 512;

// snapshot_holders / _cards / _credentials: one keyed event per row, in the order of the row
// ids (ledger_rebuild.cpp folds the events by the same keys).
Status snapshot_holders(Ledger::Impl& l, UnixSeconds now, uint64_t& count) {
  int64_t after = 0;
  while (true) {
    struct Row {
      int64_t id;
      Bytes key;
      int64_t created_at;
    };
    std::vector<Row> page;
    {
      IDTAP_ASSIGN_OR_RETURN(Stmt s, l.prepare("SELECT id, holder_key, created_at FROM holders WHERE id > ?1 ORDER BY id LIMIT 512"));
      s.bind(1, after);
      while (true) {
        IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
        if (!row) break;
        page.push_back({s.i64(0), s.blob(1), s.i64(2)});
      }
    }
    for (const auto& r : page) IDTAP_TRY(l.append_holder_event(now, r.id, r.key, r.created_at));
    count += page.size();
    if (page.size() < static_cast<size_t>(kPage)) return ok_status();
    after = page.back().id;
  }
}

Status snapshot_cards(Ledger::Impl& l, UnixSeconds now, uint64_t& count) {
  int64_t after = 0;
  while (true) {
    struct Row {
      int64_t id;
      std::string detail;
    };
    std::vector<Row> page;
    {
      IDTAP_ASSIGN_OR_RETURN(Stmt s, l.prepare("SELECT id, issuing_state, document_number, holder_id, state FROM cards "
                                               "WHERE id > ?1 ORDER BY id LIMIT 512"));
      s.bind(1, after);
      while (true) {
        IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
        if (!row) break;
        EventDetail d = EventDetail::versioned();
        d.add("card", s.text(1) + " " + s.text(2)).add("holder", s.is_null(3) ? int64_t(0) : s.i64(3)).add("state", s.text(4));
        page.push_back({s.i64(0), d.str()});
      }
    }
    for (const auto& r : page) IDTAP_TRY(l.append_event(now, "card_snapshot", "", r.id, r.detail));
    count += page.size();
    if (page.size() < static_cast<size_t>(kPage)) return ok_status();
    after = page.back().id;
  }
}

Status snapshot_credentials(Ledger::Impl& l, UnixSeconds now, uint64_t& count) {
  std::string after;
  while (true) {
    struct Row {
      std::string id;
      int64_t card_id;
      std::string detail;
    };
    std::vector<Row> page;
    {
      IDTAP_ASSIGN_OR_RETURN(Stmt s, l.prepare(
          "SELECT c.id, c.holder_id, c.card_id, c.device_thumbprint, c.doc_type, c.issued_at, c.valid_from, c.valid_until, c.state, "
          "c.state_reason, c.status_idx, c.file_path, c.file_sha256, c.evidence, c.site, k.issuing_state, k.document_number "
          "FROM credentials c LEFT JOIN cards k ON k.id = c.card_id WHERE c.id > ?1 ORDER BY c.id LIMIT 512"));
      s.bind(1, after);
      while (true) {
        IDTAP_ASSIGN_OR_RETURN(bool row, s.step());
        if (!row) break;
        EventDetail d = EventDetail::versioned();
        d.add("holder", s.i64(1)).add("card", s.text(15) + " " + s.text(16)).add("idx", s.i64(10)).add("device", s.text(3))
            .add("doc_type", s.text(4)).add("valid_from", s.i64(6)).add("valid_until", s.i64(7)).add_hex("sha256", s.blob(12))
            .add("evidence", s.text(13)).add("file", s.text(11)).add("issued_at", s.i64(5)).add("state", s.text(8))
            .add("reason", s.text(9)).add("site", s.text(14));
        page.push_back({s.text(0), s.i64(2), d.str()});
      }
    }
    for (const auto& r : page) IDTAP_TRY(l.append_event(now, "credential_snapshot", r.id, r.card_id, r.detail));
    count += page.size();
    if (page.size() < static_cast<size_t>(kPage)) return ok_status();
    after = page.back().id;
  }
}

// migrate_2_to_3: the columns a later idtap added to version 2 (evidence, site) where missing;
// then the snapshot that lets verify rebuild every column (version 2 events carried only the
// states); the settings tag.
Result<std::string> migrate_2_to_3(Ledger::Impl& l, UnixSeconds now) {
  IDTAP_TRY(l.db->upgrade_schema());
  uint64_t holders = 0, cards = 0, credentials = 0;
  IDTAP_TRY(snapshot_holders(l, now, holders));
  IDTAP_TRY(snapshot_cards(l, now, cards));
  IDTAP_TRY(snapshot_credentials(l, now, credentials));
  EventDetail d = EventDetail::versioned();
  d.add("from", 2).add("to", 3).add("holders", static_cast<int64_t>(holders)).add("cards", static_cast<int64_t>(cards))
      .add("credentials", static_cast<int64_t>(credentials));
  IDTAP_TRY(l.append_event(now, "migrated", "", 0, d.str()));
  // The settings under their tags (version 2 left them bare); trusted as of this migration.
  for (const char* name : {"status_uri", "status_list_size"}) {
    IDTAP_ASSIGN_OR_RETURN(std::string value, l.meta(name));
    IDTAP_TRY(l.set_tagged_meta(name, value));
  }
  return "2 -> 3: a keyed snapshot of " + std::to_string(holders) + " holders, " + std::to_string(cards) + " cards and " +
         std::to_string(credentials) + " credentials (verify trusts the state before it as of this migration)";
}

// MigrationStep: the step from version `from` to `from + 1`. `apply` may be nullptr: the step is
// then only what the schema text (ledger_schema.cpp, CREATE ... IF NOT EXISTS, run before the
// steps) adds, e.g. a new table, and `what` says so.
struct MigrationStep {
  int from;
  const char* what;
  Result<std::string> (*apply)(Ledger::Impl&, UnixSeconds);
};

// kSteps: in order; kSteps[i].from == kSteps[0].from + i. A new table is one line, e.g.
//   {3, "3 -> 4: the issuances' idempotency ids (a new table)", nullptr},
// with its CREATE TABLE IF NOT EXISTS in the schema text.
constexpr MigrationStep kSteps[] = {
    {2, "2 -> 3", migrate_2_to_3},
};

}  // namespace

int current_schema_version() { return std::end(kSteps)[-1].from + 1; }

Result<std::vector<std::string>> migrate_schema(Ledger::Impl& l, int from, UnixSeconds now) {
  std::vector<std::string> done;
  for (const auto& step : kSteps) {
    if (step.from < from) continue;
    if (step.apply != nullptr) {
      IDTAP_ASSIGN_OR_RETURN(std::string what, step.apply(l, now));
      done.push_back(std::move(what));
    } else {
      done.push_back(step.what);
    }
    IDTAP_TRY(l.set_tagged_meta("schema_version", std::to_string(step.from + 1)));
  }
  return done;
}

}  // namespace idtap::provision
