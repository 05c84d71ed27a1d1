// The C API (idtap/idtap.h) in process, on simulated cards ("sim:DIR"): the status enum in step
// with ErrorCode, a genuine read and everything its result gives (fields, masked and revealed
// resident number, face as stored and as PNG, raw files, the JSON of `idtap read --json`), the
// errors (wrong CAN, bad arguments, a buffer too small), and cancellation.
#include <doctest/doctest.h>

#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "idtap/base/error.h"
#include "idtap/base/file_io.h"
#include "idtap/idtap.h"
#include "idtap/sim/card_image.h"
#include "support/run_shell.h"
#include "support/scratch_dir.h"
#include "support/test_card.h"

using namespace idtap;

namespace {

// A card directory and its CSCA, written once per test.
struct SimCard {
  test::ScratchDir dir{"capi"};
  std::string card;
  std::string csca;
  explicit SimCard(const test::TestCardOptions& options = {}) {
    test::TestCard made = test::make_test_card(options);
    card = dir.path() + "/card";
    REQUIRE(sim::write_card_image(card, made.image).ok());
    csca = dir.path() + "/csca.pem";
    std::ofstream(csca) << made.csca_pem;
  }
};

// Context: an idtap_context for one test (libnfc left alone), freed at scope end.
struct Context {
  idtap_context* ctx = nullptr;
  Context() { REQUIRE(idtap_context_new(IDTAP_CONTEXT_NO_NFC, &ctx) == IDTAP_OK); }
  ~Context() { idtap_context_free(ctx); }
};

// read_sim: opens sim:DIR and reads it with `can` and the CSCA; the status, the result in *out.
idtap_status read_sim(idtap_context* ctx, const SimCard& card, const char* can, idtap_result** out,
                      idtap_read_options* custom = nullptr) {
  idtap_reader* reader = nullptr;
  const std::string spec = "sim:" + card.card;
  idtap_status st = idtap_open(ctx, spec.c_str(), 0, &reader);
  if (st != IDTAP_OK) return st;
  idtap_read_options options;
  idtap_read_options_init(&options);
  if (custom) options = *custom;
  const char* paths[] = {card.csca.c_str()};
  options.can = can;
  options.trust_paths = paths;
  options.trust_path_count = 1;
  st = idtap_read(reader, &options, out);
  idtap_reader_free(reader);
  return st;
}

}  // namespace

TEST_CASE("idtap_status mirrors ErrorCode value for value, name for name") {
  for (int v = static_cast<int>(ErrorCode::kInvalidArgument); v <= static_cast<int>(ErrorCode::kBusy); ++v) {
    CAPTURE(v);
    const auto code = static_cast<ErrorCode>(v);
    const auto status = static_cast<idtap_status>(v);
    CHECK(std::string(idtap_status_name(status)) == error_code_name(code));
    CHECK(std::string(idtap_strerror(status)) != "unknown status");
  }
  // Spot checks against the enumerators themselves (a renumbering on either side fails here).
  CHECK(IDTAP_E_INVALID_ARGUMENT == static_cast<int>(ErrorCode::kInvalidArgument));
  CHECK(IDTAP_E_DEVICE_GONE == static_cast<int>(ErrorCode::kDeviceGone));
  CHECK(IDTAP_E_CARD_REMOVED == static_cast<int>(ErrorCode::kCardRemoved));
  CHECK(IDTAP_E_CANCELLED == static_cast<int>(ErrorCode::kCancelled));
  CHECK(IDTAP_E_AUTH_FAILED == static_cast<int>(ErrorCode::kAuthFailed));
  CHECK(IDTAP_E_NOT_FOUND == static_cast<int>(ErrorCode::kNotFound));
  CHECK(IDTAP_E_INTERNAL == static_cast<int>(ErrorCode::kInternal));
  CHECK(IDTAP_E_BUSY == static_cast<int>(ErrorCode::kBusy));
  CHECK(std::string(idtap_status_name(static_cast<idtap_status>(static_cast<int>(ErrorCode::kBusy) + 1))) == "unknown");
  CHECK(std::string(idtap_status_name(IDTAP_OK)) == "ok");
  CHECK(std::string(idtap_strerror(static_cast<idtap_status>(999))) == "unknown status");
  CHECK(std::string(idtap_version()) == IDTAP_TEST_VERSION);
}

TEST_CASE("a genuine read: verdict, text, masked and revealed resident number, face, files, JSON") {
  SimCard card;
  Context c;
  int progress_calls = 0;
  idtap_read_options options;
  idtap_read_options_init(&options);
  options.progress = [](void* user, const char* file, size_t, size_t) {
    ++*static_cast<int*>(user);
    CHECK(file != nullptr);
  };
  options.progress_user_data = &progress_calls;
  const uint8_t challenge[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  options.aa_challenge = challenge;
  options.aa_challenge_len = 8;
  idtap_result* r = nullptr;
  REQUIRE_MESSAGE(read_sim(c.ctx, card, test::kCardCan, &r, &options) == IDTAP_OK, idtap_context_error(c.ctx));
  CHECK(std::string(idtap_context_error(c.ctx)).empty());
  CHECK(progress_calls > 0);
  CHECK(idtap_result_genuine(r) == 1);
  CHECK(idtap_result_reason_count(r) == 0);
  CHECK(idtap_result_reason(r, 0) == nullptr);
  CHECK(std::string(idtap_result_field(r, "document_number")) == test::kCardDocumentNumber);
  CHECK(std::string(idtap_result_field(r, "passive")) == "valid");
  CHECK(std::string(idtap_result_field(r, "chip")) == "passed");
  CHECK(std::string(idtap_result_field(r, "active")) == "passed");
  CHECK(std::string(idtap_result_field(r, "full_name")).find("홍") != std::string::npos);  // UTF-8
  CHECK(std::string(idtap_result_field(r, "personal_number")) == "900101-1******");
  CHECK(idtap_result_field(r, "no_such_field") == nullptr);

  // Revealing is its own call, into the caller's buffer; too small a buffer gets nothing.
  char small[4] = {'x', 'x', 'x', 'x'};
  size_t len = sizeof small;
  CHECK(idtap_result_reveal_personal_number(r, small, &len) == IDTAP_E_BUFFER_TOO_SMALL);
  CHECK(len == std::strlen(test::kCardResidentNumber) + 1);
  CHECK(small[0] == 'x');
  char whole[32];
  len = sizeof whole;
  REQUIRE(idtap_result_reveal_personal_number(r, whole, &len) == IDTAP_OK);
  CHECK(std::string(whole) == test::kCardResidentNumber);
  CHECK(idtap_result_reveal_personal_number(r, nullptr, nullptr) == IDTAP_E_INVALID_ARGUMENT);

  // The face as stored (JPEG) and as PNG.
  const uint8_t* face = nullptr;
  size_t face_len = 0;
  const char* format = nullptr;
  REQUIRE(idtap_result_face(r, &face, &face_len, &format) == IDTAP_OK);
  CHECK(std::string(format) == "jpeg");
  REQUIRE(face_len > 4);
  CHECK((face[0] == 0xFF && face[1] == 0xD8));
  const uint8_t* png = nullptr;
  size_t png_len = 0;
  REQUIRE(idtap_result_face_png(r, &png, &png_len) == IDTAP_OK);
  REQUIRE(png_len > 8);
  CHECK(std::memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);

  // The raw files, by name, as on the card.
  std::vector<std::string> names;
  for (size_t i = 0; i < idtap_result_file_count(r); ++i) names.emplace_back(idtap_result_file_name(r, i));
  CHECK(std::find(names.begin(), names.end(), "EF.SOD") != names.end());
  CHECK(std::find(names.begin(), names.end(), "DG1") != names.end());
  CHECK(std::find(names.begin(), names.end(), "DG2") != names.end());
  CHECK(idtap_result_file_name(r, names.size()) == nullptr);
  const uint8_t* dg1 = nullptr;
  size_t dg1_len = 0;
  REQUIRE(idtap_result_file(r, "DG1", &dg1, &dg1_len) == IDTAP_OK);
  auto on_disk = read_file(card.card + "/files/dg1.bin");
  REQUIRE(on_disk.ok());
  CHECK(Bytes(dg1, dg1 + dg1_len) == *on_disk);
  CHECK(idtap_result_file(r, "DG9", &dg1, &dg1_len) == IDTAP_E_NOT_FOUND);
  CHECK(std::string(idtap_context_error(c.ctx)).find("DG9") != std::string::npos);

  // The JSON: the schema of `idtap read --json` (same document and verification; stats differ
  // per read), with the AA challenge the caller chose.
  const char* json = idtap_result_json(r);
  REQUIRE(json != nullptr);
  const auto doc = nlohmann::json::parse(json);
  CHECK(doc["verification"]["genuine"] == true);
  CHECK(doc["verification"]["active_challenge"] == "0102030405060708");
  CHECK(doc["document"]["personal_number"] == "900101-1******");
  CHECK(std::string(json).find(test::kCardResidentNumber) == std::string::npos);
  test::ShellRun cli = test::run_shell(std::string(IDTAP_BUILD_DIR) + "/bin/idtap read --reader sim:" + card.card + " --can " +
                                       test::kCardCan + " --trust " + card.csca + " --aa-challenge 0102030405060708 --json");
  REQUIRE_MESSAGE(cli.exit_code == 0, cli.out);
  const auto tool = nlohmann::json::parse(cli.out);
  CHECK(tool["document"] == doc["document"]);
  auto strip = [](nlohmann::json v) {
    v.erase("active_signature");  // ECDSA: a fresh signature every time
    return v;
  };
  CHECK(strip(tool["verification"]) == strip(doc["verification"]));
  CHECK(tool["data_groups"] == doc["data_groups"]);
  std::vector<std::string> tool_stats, api_stats;
  for (auto& [k, v] : tool["stats"].items()) tool_stats.push_back(k);
  for (auto& [k, v] : doc["stats"].items()) api_stats.push_back(k);
  tool_stats.erase(std::remove(tool_stats.begin(), tool_stats.end(), "modeled_link_us"), tool_stats.end());
  CHECK(tool_stats == api_stats);
  idtap_result_free(r);
}

TEST_CASE("a card that is not genuine is a result with reasons, not an error") {
  test::TestCardOptions options;
  options.tamper_dg = 1;
  SimCard card(options);
  Context c;
  idtap_result* r = nullptr;
  REQUIRE_MESSAGE(read_sim(c.ctx, card, test::kCardCan, &r) == IDTAP_OK, idtap_context_error(c.ctx));
  CHECK(idtap_result_genuine(r) == 0);
  REQUIRE(idtap_result_reason_count(r) >= 1);
  const std::string last = idtap_result_reason(r, idtap_result_reason_count(r) - 1);
  CHECK(last.rfind("genuine: ", 0) == 0);
  idtap_result_free(r);
}

TEST_CASE("errors: a wrong CAN, bad arguments, no such reader; the detail is per context") {
  SimCard card;
  Context c;
  idtap_result* r = nullptr;
  CHECK(read_sim(c.ctx, card, "654321", &r) == IDTAP_E_AUTH_FAILED);
  CHECK(r == nullptr);
  const std::string detail = idtap_context_error(c.ctx);
  CHECK(detail.rfind("auth_failed", 0) == 0);
  CHECK(detail.find("654321") == std::string::npos);  // never the password

  // Each case: a bad call and the status it gets.
  CHECK(read_sim(c.ctx, card, "12345x", &r) == IDTAP_E_INVALID_ARGUMENT);  // not a CAN
  CHECK(read_sim(c.ctx, card, nullptr, &r) == IDTAP_E_INVALID_ARGUMENT);   // no CAN, no MRZ
  idtap_read_options stale;
  idtap_read_options_init(&stale);
  stale.struct_size = 8;                                                    // not this library's size
  CHECK(read_sim(c.ctx, card, test::kCardCan, &r, &stale) == IDTAP_E_INVALID_ARGUMENT);
  idtap_read_options dgs;
  idtap_read_options_init(&dgs);
  const int bad_dg[] = {17};
  dgs.data_groups = bad_dg;                                                 // DG17 does not exist
  dgs.data_group_count = 1;
  CHECK(read_sim(c.ctx, card, test::kCardCan, &r, &dgs) == IDTAP_E_INVALID_ARGUMENT);
  idtap_read_options aa;
  idtap_read_options_init(&aa);
  const uint8_t seven[7] = {};
  aa.aa_challenge = seven;                                                  // AA wants 8 bytes
  aa.aa_challenge_len = 7;
  CHECK(read_sim(c.ctx, card, test::kCardCan, &r, &aa) == IDTAP_E_INVALID_ARGUMENT);
  idtap_reader* reader = nullptr;
  CHECK(idtap_open(c.ctx, "bogus:x", 0, &reader) == IDTAP_E_INVALID_ARGUMENT);  // unknown scheme
  CHECK(idtap_open(c.ctx, "sim:", 0, &reader) == IDTAP_E_INVALID_ARGUMENT);     // no directory
  CHECK(idtap_open(c.ctx, nullptr, 0, nullptr) == IDTAP_E_INVALID_ARGUMENT);    // no out
  CHECK(idtap_context_new(0x80, nullptr) == IDTAP_E_INVALID_ARGUMENT);
  CHECK(idtap_cancel(nullptr) == IDTAP_E_INVALID_ARGUMENT);
  CHECK(idtap_result_genuine(nullptr) == 0);
  idtap_result_free(nullptr);
  idtap_reader_free(nullptr);
  idtap_context_free(nullptr);

  // Reading with the MRZ key's fields (BAC or PACE-MRZ) works as well.
  idtap_read_options mrz;
  idtap_read_options_init(&mrz);
  mrz.document_number = test::kCardDocumentNumber;
  mrz.date_of_birth = test::kCardDateOfBirth;
  mrz.date_of_expiry = test::kCardDateOfExpiry;
  REQUIRE_MESSAGE(read_sim(c.ctx, card, nullptr, &r, &mrz) == IDTAP_OK, idtap_context_error(c.ctx));
  CHECK(idtap_result_genuine(r) == 1);
  idtap_result_free(r);
}

TEST_CASE("readers: sim: readers are listed; a cancel before a wait or read is used up by it") {
  SimCard card;
  Context c;
  REQUIRE(idtap_add_sim_reader(c.ctx, card.card.c_str()) == IDTAP_OK);
  CHECK(idtap_add_sim_reader(c.ctx, "") == IDTAP_E_INVALID_ARGUMENT);
  size_t n = 0;
  REQUIRE(idtap_list_readers(c.ctx, &n) == IDTAP_OK);
  REQUIRE(n >= 1);
  CHECK(std::string(idtap_reader_spec(c.ctx, n - 1)) == "sim:" + card.card);
  CHECK(idtap_reader_has_card(c.ctx, n - 1) == 1);
  CHECK(idtap_reader_spec(c.ctx, n) == nullptr);

  // A cancel with nothing running cancels the next blocking call at once, and only that one.
  idtap_reader* reader = nullptr;
  REQUIRE(idtap_open(c.ctx, idtap_reader_spec(c.ctx, n - 1), 0, &reader) == IDTAP_OK);
  REQUIRE(idtap_cancel(c.ctx) == IDTAP_OK);
  idtap_read_options options;
  idtap_read_options_init(&options);
  options.can = test::kCardCan;
  idtap_result* r = nullptr;
  CHECK(idtap_read(reader, &options, &r) == IDTAP_E_CANCELLED);
  CHECK(r == nullptr);
  REQUIRE_MESSAGE(idtap_read(reader, &options, &r) == IDTAP_OK, idtap_context_error(c.ctx));
  CHECK(std::string(idtap_result_field(r, "passive")) == "no_trust_anchor");  // no trust path given
  idtap_result_free(r);

  // A cancel from another thread during a read stops it: the progress callback (on the reading
  // thread) asks a second thread to cancel and waits until it has.
  struct Shared {
    idtap_context* ctx;
    bool cancelled = false;
  } shared{c.ctx};
  options.progress_user_data = &shared;
  options.progress = [](void* user, const char*, size_t, size_t) {
    auto* s = static_cast<Shared*>(user);
    if (s->cancelled) return;
    std::thread([ctx = s->ctx]() { idtap_cancel(ctx); }).join();
    s->cancelled = true;
  };
  CHECK(idtap_read(reader, &options, &r) == IDTAP_E_CANCELLED);
  CHECK(shared.cancelled);
  idtap_reader_free(reader);
}
