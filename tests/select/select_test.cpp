#include "idtap/select/select.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "idtap/apdu/commands.h"
#include "idtap/base/hex.h"
#include "idtap/sim/card_image.h"
#include "pcsc/fake_winscard.h"
#include "support/scratch_dir.h"
#include "support/sim_images.h"

using namespace idtap;
using namespace idtap::select;
using idtap::pcsc::testing::FakeWinscard;
using Kind = ReaderSpec::Kind;

namespace {

const Bytes kAtr = hex_or_die("3B8F8001804F0CA000000306030001000000006A");

std::shared_ptr<FakeWinscard> readers(const std::vector<std::pair<std::string, bool>>& list) {
  auto fake = std::make_shared<FakeWinscard>();
  for (const auto& [name, card] : list) {
    FakeWinscard::Reader r;
    r.name = name;
    fake->readers.push_back(r);
    if (card) fake->insert(name, kAtr);
  }
  return fake;
}

Result<OpenedReader> open(const std::shared_ptr<FakeWinscard>& fake, std::optional<std::string> reader) {
  OpenOptions o;
  o.reader = std::move(reader);
  o.pcsc_api = fake;
  return open_reader(o);
}

const char* kAcr = "ACS ACR1252 1S CL Reader [ACR1252 Reader PICC] 00 00";
const char* kAcrSam = "ACS ACR1252 1S CL Reader [ACR1252 Reader SAM] 00 01";
const char* kOmni = "HID Global OMNIKEY 5422 Smartcard Reader [OMNIKEY 5422CL Smartcard Reader] 01 00";

}  // namespace

TEST_CASE("--reader values parse to a driver and a target") {
  struct Row {
    const char* text;
    Kind kind;
    const char* value;
    size_t index;
  };
  const Row good[] = {
      {"", Kind::kAuto, "", 0},                                     // no --reader
      {"pcsc:ACR1252", Kind::kPcscName, "ACR1252", 0},              // substring
      {"PCSC:omnikey 5422", Kind::kPcscName, "omnikey 5422", 0},    // scheme is case-insensitive, spaces kept
      {"pcsc:#0", Kind::kPcscIndex, "", 0},                         // index
      {"pcsc:#12", Kind::kPcscIndex, "", 12},                       // two digits
      {"pcsc:[OMNIKEY 5422CL]", Kind::kPcscName, "[OMNIKEY 5422CL]", 0},  // brackets are part of names
      {"nfc:pn532_uart:/dev/ttyUSB0", Kind::kNfc, "pn532_uart:/dev/ttyUSB0", 0},  // colons after the first stay
      {"nfc:", Kind::kNfc, "", 0},                                  // the first libnfc device
      {"sim:/tmp/card", Kind::kSim, "/tmp/card", 0},                // simulated card directory
      {"ACS ACR122U 00 00", Kind::kPcscName, "ACS ACR122U 00 00", 0},  // bare name: PC/SC
      {"Gemalto PC Twin Reader (F1C2A3B4) 00 00", Kind::kPcscName, "Gemalto PC Twin Reader (F1C2A3B4) 00 00", 0},
  };
  for (const auto& row : good) {
    CAPTURE(std::string(row.text));
    auto spec = parse_reader_spec(row.text);
    REQUIRE(spec.ok());
    CHECK(spec->kind == row.kind);
    CHECK(spec->value == row.value);
    CHECK(spec->index == row.index);
  }
  const char* bad[] = {
      "pcsc:",         // nothing after the colon
      "sim:",          // no directory
      "pcsc:#",        // index missing
      "pcsc:#x1",      // not a number
      "pcsc:#-1",      // negative
      "pcsc:#99999",   // absurdly large
      "usb:072f:2200", // unknown scheme
      "pcsd:ACR122",   // typo of a scheme
  };
  for (const char* b : bad) {
    CAPTURE(std::string(b));
    CHECK(parse_reader_spec(b).error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("a PC/SC reader is found by substring, exact name or index") {
  auto fake = readers({{kAcr, true}, {kAcrSam, false}, {kOmni, true}});
  SUBCASE("a unique substring, any case") {
    auto r = open(fake, "pcsc:omnikey");
    REQUIRE(r.ok());
    CHECK(r->transport->describe() == std::string("pcsc:") + kOmni);
    CHECK(r->pcsc != nullptr);
    CHECK(r->description.find("T=1") != std::string::npos);
  }
  SUBCASE("the index") {
    auto r = open(fake, "pcsc:#2");
    REQUIRE(r.ok());
    CHECK(r->transport->describe() == std::string("pcsc:") + kOmni);
    CHECK(open(fake, "pcsc:#3").error().code == ErrorCode::kNoReader);
  }
  SUBCASE("an ambiguous substring lists the candidates") {
    auto r = open(fake, "pcsc:ACR1252");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
    CHECK(r.error().context.find("pcsc:#0") != std::string::npos);
    CHECK(r.error().context.find("pcsc:#1") != std::string::npos);
    CHECK(r.error().context.find("pcsc:#2") == std::string::npos);
  }
  SUBCASE("an exact name wins over the substring match") {
    auto r = open(fake, std::string("pcsc:") + kAcr);
    REQUIRE(r.ok());
    CHECK(r->transport->describe() == std::string("pcsc:") + kAcr);
  }
  SUBCASE("no match lists the readers") {
    auto r = open(fake, "pcsc:SCL3711");
    CHECK(r.error().code == ErrorCode::kNoReader);
    CHECK(r.error().context.find(kOmni) != std::string::npos);
  }
  SUBCASE("an empty reader") {
    CHECK(open(fake, "pcsc:SAM").error().code == ErrorCode::kNoCard);
  }
}

TEST_CASE("without --reader the one reader holding a card is chosen") {
  SUBCASE("one card among several readers") {
    auto fake = readers({{kAcr, false}, {kOmni, true}});
    auto r = open(fake, std::nullopt);
    REQUIRE(r.ok());
    CHECK(r->transport->describe() == std::string("pcsc:") + kOmni);
  }
  SUBCASE("several cards: an error that lists them") {
    auto fake = readers({{kAcr, true}, {kOmni, true}});
    auto r = open(fake, std::nullopt);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
    CHECK(r.error().context.find(std::string("--reader 'pcsc:") + kAcr) != std::string::npos);
    CHECK(r.error().context.find(std::string("--reader 'pcsc:") + kOmni) != std::string::npos);
  }
  SUBCASE("no card") {
    auto fake = readers({{kAcr, false}});
    auto r = open(fake, std::nullopt);
    CHECK(r.error().code == ErrorCode::kNoCard);
    CHECK(r.error().context.find("empty") != std::string::npos);
  }
  SUBCASE("no reader") {
    CHECK(open(readers({}), std::nullopt).error().code == ErrorCode::kNoReader);
  }
  SUBCASE("pcscd not running says so") {
    auto fake = readers({});
    fake->establish_rc = SCARD_E_NO_SERVICE;
    auto r = open(fake, std::nullopt);
    CHECK(r.error().code == ErrorCode::kServiceUnavailable);
    CHECK(r.error().context.find("systemctl start pcscd") != std::string::npos);
  }
  SUBCASE("one empty reader and a wait: the card that arrives is opened") {
    auto fake = readers({{kAcr, false}});
    fake->on_wait.push_back([](FakeWinscard& f) { f.insert(kAcr, kAtr); });
    OpenOptions o;
    o.pcsc_api = fake;
    o.wait_for_card = std::chrono::milliseconds(1000);
    auto r = open_reader(o);
    REQUIRE(r.ok());
    CHECK(r->transport->describe() == std::string("pcsc:") + kAcr);
  }
}

TEST_CASE("the inventory lists every reader with its state") {
  auto fake = readers({{kAcr, true}, {kAcrSam, false}});
  fake->readers[0].extra_state = SCARD_STATE_INUSE;
  Inventory inv = list_readers(ListOptions{.pcsc_api = fake});
  REQUIRE(inv.readers.size() == 2);
  CHECK(inv.problems.empty());
  CHECK(inv.readers[0].spec == std::string("pcsc:") + kAcr);
  CHECK(inv.readers[0].state == "in use");
  CHECK(inv.readers[0].in_use);
  CHECK(to_hex(inv.readers[0].atr) == to_hex(kAtr));
  CHECK(inv.readers[1].state == "empty");
  CHECK(inv.readers[1].index == 1);

  auto down = readers({});
  down->establish_rc = SCARD_E_NO_SERVICE;
  Inventory none = list_readers(ListOptions{.pcsc_api = down});
  CHECK(none.readers.empty());
  REQUIRE(none.problems.size() == 1);
  CHECK(none.problems[0].code == ErrorCode::kServiceUnavailable);
}

TEST_CASE("the other drivers answer for themselves") {
  // libnfc (drivers/nfc): a serial port that is not there.
  CHECK(open(readers({}), "nfc:pn532_uart:/dev/idtap-no-such-port").error().code == ErrorCode::kNoReader);
}

TEST_CASE("-v wraps the transport in the tracer, which sees every exchange") {
  auto fake = readers({{kAcr, true}});
  std::vector<std::string> lines;
  OpenOptions o;
  o.reader = "pcsc:#0";
  o.pcsc_api = fake;
  o.verbosity = 1;
  o.trace_sink = [&](const apdu::TraceRecord& r) { lines.push_back(r.command); };
  auto r = open_reader(o);
  REQUIRE(r.ok());
  CHECK(r->transport->transmit(apdu::CommandApdu{.cla = 0, .ins = 0x84, .ne = 8}).ok());
  CHECK(lines == std::vector<std::string>{"00 84 00 00 Le=8"});
  CHECK(r->pcsc != nullptr);
}

TEST_CASE("a cancel slot reaches the driver, before or after it registers") {
  auto slot = std::make_shared<CancelSlot>();
  int calls = 0;
  slot->set([&] { ++calls; });
  slot->cancel();
  CHECK(calls == 1);
  auto early = std::make_shared<CancelSlot>();
  early->cancel();
  int late_calls = 0;
  early->set([&] { ++late_calls; });
  CHECK(late_calls == 1);
  CHECK(early->requested());

  auto fake = readers({{kAcr, true}});
  OpenOptions o;
  o.pcsc_api = fake;
  o.cancel = early;
  CHECK(open_reader(o).error().code == ErrorCode::kCancelled);
}

TEST_CASE("sim:DIR opens the simulated card in this process") {
  test::ScratchDir tmp("select-sim");
  const std::string dir = tmp.path() + "/card";
  REQUIRE(sim::write_card_image(dir, test::basic_card_image()).ok());
  OpenOptions o;
  o.reader = "sim:" + dir;
  auto r = open_reader(o);
  REQUIRE_MESSAGE(r.ok(), r.error().message());
  CHECK(r->pcsc == nullptr);
  CHECK(r->description.rfind("sim:", 0) == 0);
  auto selected = r->transport->transmit(apdu::select_by_df_name(apdu::kEmrtdAid));
  REQUIRE(selected.ok());
  CHECK(selected->sw == 0x9000);
  o.reader = "sim:" + tmp.path() + "/no-such-card";
  auto missing = open_reader(o);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ErrorCode::kNoReader);  // the selector names a reader that is not there
}

TEST_CASE("ATRs are described in one line for listings") {
  // The PC/SC part 3 ATR of an ISO 14443-4 card without historical bytes.
  std::string line = atr_one_line(hex_or_die("3B80800101"));
  CHECK_FALSE(line.empty());
  CHECK(line.find("undecodable") == std::string::npos);
  CHECK(atr_one_line({}).empty());
  CHECK(atr_one_line(hex_or_die("3B8F")).rfind("malformed ATR: ", 0) == 0);  // truncated
}
