// tests/provision/ledger_migrate_test.cpp: `idtap ledger migrate` from every earlier schema. Each
// shape a version 2 ledger had (tests/provision/schemas/, reconstructed from git history) is
// built with realistic rows written as that idtap wrote them (its event details, its HMAC chain
// under the key), refused by open() with a message naming the migration, migrated, verified
// clean, and used again (an issuance, a card found).
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>
#include <span>

#include "idtap/base/hex.h"
#include "idtap/crypto/mac.h"
#include "idtap/provision/cbor.h"
#include "idtap/provision/ledger.h"
#include "cli_fixture.h"
#include "ledger_fixture.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

namespace {

// OldShape: one fixture: the schema text and what its tables have.
struct OldShape {
  const char* file;  // under tests/provision/schemas/
  bool evidence;     // credentials.evidence
  bool site;         // credentials.site and events.site
  bool long_detail;  // 'issued' details say "device T evidence E" (else "device T")
};

const OldShape kSqliteShapes[] = {
    {"sqlite_v2_9535b9c.sql", false, false, false},
    {"sqlite_v2_89ab083.sql", false, false, false},
    {"sqlite_v2_b3cf508.sql", true, false, true},
    {"sqlite_v2_23252b8.sql", true, true, true},
};
const OldShape kPostgresShapes[] = {
    {"postgres_v2_44cc1b7.sql", true, false, true},
    {"postgres_v2_23252b8.sql", true, true, true},
};

std::string schema_text(const char* file) {
  std::ifstream in(std::string(IDTAP_SOURCE_DIR) + "/tests/provision/schemas/" + file);
  REQUIRE_MESSAGE(in.good(), file);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

template <typename B>
std::string blob(const Bytes& b) {
  return std::string(B::kName) == "sqlite" ? "X'" + to_hex(b) + "'" : "'\\x" + to_hex(b) + "'::bytea";
}

// OldWriter: writes rows and chained events as the version 2 idtap did (canonical row
// [seq, at, kind, credential_id, card_id, detail], link HMAC(key, prev || row), head
// "SEQ:HASH:TAG" with TAG = HMAC(key, "idtap ledger event head" || SEQ (8 bytes) || HASH)).
template <typename B>
struct OldWriter {
  const B& backend;
  Bytes key;
  int64_t seq = 0;
  Bytes prev = Bytes(32, 0);

  void event(int64_t at, const std::string& kind, const std::string& credential, int64_t card, const std::string& detail) {
    ++seq;
    std::vector<cbor::Item> row;
    row.push_back(cbor::integer(seq));
    row.push_back(cbor::integer(at));
    row.push_back(cbor::text(kind));
    row.push_back(cbor::text(credential));
    row.push_back(cbor::integer(card));
    row.push_back(cbor::text(detail));
    Bytes data = prev;
    append(data, cbor::encode(cbor::array(std::move(row))).value());
    prev = crypto::hmac_sha256(key, data).value();
    backend.run_sql(("INSERT INTO events(seq, at, kind, credential_id, card_id, detail, hash) VALUES(" + std::to_string(seq) + ", " +
                     std::to_string(at) + ", '" + kind + "', '" + credential + "', " + std::to_string(card) + ", '" + detail + "', " +
                     blob<B>(prev) + ")").c_str());
  }
  std::string head() const {
    const std::string label = "idtap ledger event head";
    Bytes data(label.begin(), label.end());
    for (int shift = 56; shift >= 0; shift -= 8) data.push_back(static_cast<uint8_t>(static_cast<uint64_t>(seq) >> shift));
    append(data, prev);
    return std::to_string(seq) + ":" + to_hex(prev) + ":" + to_hex(crypto::hmac_sha256(key, data).value());
  }
};

// build_old_ledger: the fixture's tables and a ledger's worth of rows: holder 1 (card 1) with a
// credential replaced by a second, holder 2 whose card 2 is lost (its credential suspended), a
// card 3 reported lost before any use, two consumed challenges. Returns the ids of the three
// credentials (replaced, active, suspended).
template <typename B>
std::vector<std::string> build_old_ledger(const B& backend, const std::string& key_file, const OldShape& shape, UnixSeconds now) {
  backend.run_sql(schema_text(shape.file).c_str());
  const Bytes key = hex_or_die(std::string(64, '7'));
  {
    std::ofstream(key_file) << to_hex(key) << "\n";
  }
  REQUIRE(::chmod(key_file.c_str(), 0600) == 0);
  OldWriter<B> w{backend, key};
  const std::string c1(32, '1'), c2(32, '2'), c3(32, '3');
  auto holder_key = [&](const std::string& digits) { return crypto::hmac_sha256(key, bytes_of(digits)).value(); };
  const std::string extra_cols = std::string(shape.evidence ? ", evidence" : "") + (shape.site ? ", site" : "");
  auto extra_vals = [&](const char* evidence, const char* site) {
    return std::string(shape.evidence ? std::string(", '") + evidence + "'" : "") + (shape.site ? std::string(", '") + site + "'" : "");
  };
  const Bytes sha(32, 0xAB);
  auto credential = [&](const std::string& id, int holder, int card, const char* device, UnixSeconds at, const char* state,
                        const char* reason, int idx) {
    backend.run_sql(("INSERT INTO credentials(id, holder_id, card_id, device_thumbprint, doc_type, issued_at, valid_from, valid_until, "
                     "state, state_reason, status_idx, file_path, file_sha256" + extra_cols + ") VALUES('" + id + "', " +
                     std::to_string(holder) + ", " + std::to_string(card) + ", '" + device + "', 'kr.go.mois.resident.1', " +
                     std::to_string(at) + ", " + std::to_string(at) + ", " + std::to_string(at + 86400 * 365) + ", '" + state + "', '" +
                     reason + "', " + std::to_string(idx) + ", '', " + blob<B>(sha) + extra_vals("chip", "") + ")").c_str());
  };
  auto issued_detail = [&](const char* device) {
    return std::string("device ") + device + (shape.long_detail ? " evidence chip" : "");
  };
  backend.run_sql(("INSERT INTO meta(key, value) VALUES('schema_version', '2'), ('status_uri', 'https://status.example.kr/lists/1'), "
                   "('status_list_size', '4096'), ('key_check', '" +
                   to_hex(crypto::hmac_sha256(key, bytes_of("idtap ledger key check")).value()) + "')").c_str());
  backend.run_sql(("INSERT INTO holders(holder_key, created_at) VALUES(" + blob<B>(holder_key("9005151234567")) + ", " +
                   std::to_string(now) + "), (" + blob<B>(holder_key("8501012345678")) + ", " + std::to_string(now + 20) + ")").c_str());
  backend.run_sql("INSERT INTO cards(issuing_state, document_number, holder_id, state) VALUES('KOR', 'M12345678', 1, 'valid'), "
                  "('KOR', 'M00000001', 2, 'lost'), ('KOR', 'X9999999', NULL, 'lost')");
  backend.run_sql(("INSERT INTO challenges(challenge, created_at, expires_at, used_at) VALUES(" + blob<B>(Bytes(32, 1)) + ", " +
                   std::to_string(now) + ", " + std::to_string(now + 300) + ", " + std::to_string(now) + "), (" + blob<B>(Bytes(32, 2)) +
                   ", " + std::to_string(now) + ", " + std::to_string(now + 300) + ", " + std::to_string(now + 10) + ")").c_str());
  credential(c1, 1, 1, "thumb-1", now, "revoked", ("replaced by " + c2).c_str(), 11);
  credential(c2, 1, 1, "thumb-2", now + 10, "active", "", 22);
  credential(c3, 2, 2, "thumb-3", now + 20, "suspended", "card_lost", 33);
  w.event(now, "issued", c1, 1, issued_detail("thumb-1"));
  w.event(now + 10, "revoked", c1, 0, "replaced by " + c2);
  w.event(now + 10, "issued", c2, 1, issued_detail("thumb-2"));
  w.event(now + 20, "issued", c3, 2, issued_detail("thumb-3"));
  w.event(now + 30, "card_lost", "", 2, "KOR M00000001");
  w.event(now + 30, "suspended", c3, 0, "card_lost");
  w.event(now + 40, "card_lost", "", 3, "KOR X9999999");
  backend.run_sql(("INSERT INTO meta(key, value) VALUES('event_head', '" + w.head() + "')").c_str());
  return {c1, c2, c3};
}

template <typename B>
void migrate_every_shape(std::span<const OldShape> shapes) {
  for (const auto& shape : shapes) {
    CAPTURE(shape.file);
    B backend;
    LedgerOptions options = backend.options();
    options.key_file = backend.dir.file("ledger.key");
    const UnixSeconds now = fixture_now();
    const auto ids = build_old_ledger(backend, options.key_file, shape, now);

    // Every other use refuses it, naming the migration.
    auto refused = Ledger::open(backend.location(), options);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == ErrorCode::kNotSupported);
    CHECK_MESSAGE(refused.error().context.find("has schema version 2; this idtap needs version 3: run `idtap ledger migrate") !=
                      std::string::npos,
                  refused.error().context);

    auto migrated = Ledger::migrate(backend.location(), options);
    REQUIRE_MESSAGE(migrated.ok(), migrated.error().message());
    CHECK(migrated->from == 2);
    CHECK(migrated->to == 3);
    REQUIRE(migrated->steps.size() == 1);
    CHECK_MESSAGE(migrated->steps[0].find("2 holders, 3 cards and 3 credentials") != std::string::npos, migrated->steps[0]);

    Ledger ledger = Ledger::open(backend.location(), options).value();
    auto report = ledger.verify().value();
    std::string all;
    for (const auto& f : report.findings) all += f.what + "\n";
    CHECK_MESSAGE(report.consistent(), all);
    // Every row kept as it was.
    CHECK(ledger.credential(ids[0])->state == CredentialState::kRevoked);
    CHECK(ledger.credential(ids[1])->state == CredentialState::kActive);
    CHECK(ledger.credential(ids[2])->state == CredentialState::kSuspended);
    CHECK(ledger.credential(ids[2])->status_idx == 33);
    auto list = ledger.status_list().value();
    CHECK(list.get(11).value() == kStatusInvalid);
    CHECK(list.get(22).value() == kStatusValid);
    CHECK(list.get(33).value() == kStatusInvalid);

    // And used again: holder 1 on a new phone (its credential replaced), card 2 found (holder
    // 2's credential resumed), an edit after the migration still found.
    TestIssuer pki = make_test_issuer();
    SoftwareIssuer signer = signer_of(pki);
    VerifiedHolder one = sample_holder();
    auto phone = EcPrivateKey::generate().value();
    auto again = ledger.issue(request_for(ledger, one, phone, now + 100), signer);
    REQUIRE_MESSAGE(again.ok(), again.error().message());
    CHECK(again->revoked == std::vector<std::string>{ids[1]});
    auto found = ledger.card_found(CardIdentity{"M00000001", "KOR"}, now + 110).value();
    CHECK(found == std::vector<std::string>{ids[2]});
    auto after = ledger.verify().value();
    all.clear();
    for (const auto& f : after.findings) all += f.what + "\n";
    CHECK_MESSAGE(after.consistent(), all);
    backend.run_sql(("UPDATE credentials SET status_idx = 44 WHERE id = '" + ids[0] + "'").c_str());
    auto edited = ledger.verify().value();
    REQUIRE(edited.findings.size() == 1);
    CHECK(edited.findings[0].what == "credentials[" + ids[0] + "].status_idx: the events say '11', the table has '44' (edited)");

    // A second migration has nothing to do.
    auto twice = Ledger::migrate(backend.location(), options);
    REQUIRE(twice.ok());
    CHECK(twice->from == 3);
    CHECK(twice->steps.empty());
  }
}

}  // namespace

TEST_CASE("ledger migrate: every earlier SQLite schema (git history) migrates, verifies clean and issues again") {
  migrate_every_shape<SqliteBackend>(kSqliteShapes);
}

TEST_CASE("ledger migrate: every earlier PostgreSQL schema (git history) migrates, verifies clean and issues again") {
  migrate_every_shape<PostgresBackend>(kPostgresShapes);
}

TEST_CASE("idtap ledger migrate: other commands name it; --json says what it did; a second run does nothing") {
  SqliteBackend backend;
  const std::string key = backend.dir.file("ledger.db.key");  // the default key file beside the ledger
  build_old_ledger(backend, key, kSqliteShapes[3], fixture_now());
  const std::string db = backend.location();
  auto verify = cli::run("ledger verify --ledger " + db);
  CHECK(verify.rc == 13);  // its own exit code (tools/exit_codes.cpp), not the generic 1
  CHECK_MESSAGE(cli::contains(verify.out, "run `idtap ledger migrate --ledger " + db + "` first"), verify.out);
  auto listed = cli::run("credential list --ledger " + db);
  CHECK(listed.rc == 13);
  CHECK_MESSAGE(cli::contains(listed.out, "idtap ledger migrate"), listed.out);
  auto migrated = cli::run("ledger migrate --ledger " + db + " --json");
  REQUIRE_MESSAGE(migrated.rc == 0, migrated.out);
  CHECK(cli::contains(migrated.out, "\"from\":2,\"to\":3,\"steps\":[\"2 -> 3: a keyed snapshot of 2 holders, 3 cards and 3 credentials"));
  auto again = cli::run("ledger migrate --ledger " + db);
  CHECK(again.rc == 0);
  CHECK_MESSAGE(cli::contains(again.out, "is at schema version 3 already: nothing to do"), again.out);
  auto clean = cli::run("ledger verify --ledger " + db + " --json");
  CHECK_MESSAGE(clean.rc == 0, clean.out);
  CHECK(cli::contains(clean.out, "\"consistent\":true"));
  auto help = cli::run("ledger --help");
  CHECK(cli::contains(help.out, "idtap ledger migrate --ledger DB [--json]"));
  CHECK(cli::run("ledger migrate --ledger " + db + " --anchor x").rc == 2);
}
