// `idtap read --reader nfc:pn532_uart:PORT` end to end: the real command line, libnfc's own
// pn532_uart driver, the PN532 emulator on a pseudo-terminal (PORT, the emulator's private name for
// it) and a complete, correctly signed simulated card in its field. The read must verify the card
// (PACE with the CAN, Chip and Active Authentication, Passive Authentication against the card's
// test CSCA), survive the card leaving the field mid-read, and end with a typed error (never a
// crash or a hang) when the card stays away or the board disappears.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include "idtap/base/hex.h"
#include "idtap/crypto/hash.h"
#include "idtap/sim/sim_transport.h"
#include "support/pcscd_fixture.h"
#include "support/pn532_emulator.h"
#include "support/scratch_dir.h"
#include "support/test_card.h"

using namespace idtap;
using namespace std::chrono_literals;
using idtap::testing::Pn532Card;
using idtap::testing::Pn532Emulator;

namespace {

// ReadRig: the emulated board holding the test card (PACE, CA, AA, signed EF.SOD), its CSCA on
// disk, and `idtap read` run against it as a user would.
struct ReadRig {
  test::ScratchDir dir{"nfc-read"};
  test::TestCard card = test::make_test_card();
  std::unique_ptr<Pn532Emulator> emu = Pn532Emulator::start().value();
  std::string csca = dir.path() + "/csca.pem";

  ReadRig() {
    std::ofstream(csca) << card.csca_pem;
    auto sim = sim::open_sim_card_image(card.image, {}, "nfc-read");
    REQUIRE(sim.ok());
    Pn532Card c;
    c.application = std::shared_ptr<apdu::Transport>(std::move(*sim));
    emu->place_card(c);
  }

  using Run = test::TimedRun;

  // read: `idtap read --reader nfc:CONNSTRING --can ... --trust CSCA --json EXTRA...`.
  Run read(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {test::idtap_binary(), "read", "--reader", "nfc:" + emu->connstring(),
                                     "--can",              test::kCardCan, "--trust", csca, "--json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return test::run_to_end(argv, dir.path() + "/read.log", {"LIBNFC_AUTO_SCAN=false", "LIBNFC_LOG_LEVEL=0"}, 30s);
  }
};

bool contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// check_genuine_report: the JSON report of a complete, verified read of the test card.
void check_genuine_report(const std::string& out, const test::TestCard& card) {
  CHECK(contains(out, "\"genuine\": true"));
  CHECK(contains(out, "\"access\": \"PACE-CAN"));
  CHECK(contains(out, "\"passive\": \"valid\""));
  CHECK(contains(out, "\"chip\": \"passed\""));
  CHECK(contains(out, "\"active\": \"passed\""));
  CHECK(contains(out, std::string("\"document_number\": \"") + test::kCardDocumentNumber + "\""));
  CHECK(contains(out, "\"primary_identifier\": \"HONG\""));
  CHECK(contains(out, "\"full_name\": \"홍<<길동\""));
  CHECK(contains(out, "\"personal_number\": \"900101-1******\""));
  CHECK_FALSE(contains(out, test::kCardResidentNumber));  // never whole without --reveal
  for (const auto& [n, raw] : card.image.files.data_groups) {
    CAPTURE(n);
    const std::string sha = to_hex(crypto::digest(crypto::HashAlg::kSha256, raw).value());
    CHECK(contains(out, "\"sha256\": \"" + sha + "\""));
  }
}

// FaultPoint: where a fault strikes, as an APDU index counted from 0 over what the card sees of
// one read.
struct FaultPoint {
  size_t apdu;
  std::string what;
};

// fault_points: the places worth hitting, found in the APDU trace of a clean `idtap read -v` of
// the same card (lines "#N > CLAINSP1P2 ..."), so they follow the card's layout: the first APDU,
// PACE's key agreement, the first READ BINARY under secure messaging (EF.SOD), Chip
// Authentication's General Authenticate, the middle of the read (inside DG2, the face), and Active
// Authentication.
std::vector<FaultPoint> fault_points() {
  ReadRig clean;
  const auto r = clean.read({"-v"});
  REQUIRE(r.status != -1);
  REQUIRE(WIFEXITED(r.status));
  REQUIRE(WEXITSTATUS(r.status) == 0);
  std::vector<std::string> headers;  // headers[i]: "CLAINSP1P2" of APDU i
  // The trace prints the header as spaced bytes ("#3 > 00 A4 04 0C ..."); kept here compact.
  const std::regex line(R"(#(\d+) > ([0-9A-F]{2}) ([0-9A-F]{2}) ([0-9A-F]{2}) ([0-9A-F]{2}))");
  for (auto it = std::sregex_iterator(r.out.begin(), r.out.end(), line); it != std::sregex_iterator(); ++it) {
    const size_t n = std::stoul((*it)[1]);
    if (n == headers.size() + 1) headers.push_back((*it)[2].str() + (*it)[3].str() + (*it)[4].str() + (*it)[5].str());
  }
  const size_t total = clean.emu->stats().apdus;
  REQUIRE(headers.size() == total);  // the trace shows every APDU the card answered
  auto first = [&](const std::string& prefix, size_t nth = 1) {
    for (size_t i = 0; i < headers.size(); ++i)
      if (headers[i].rfind(prefix, 0) == 0 && --nth == 0) return i;
    FAIL("no APDU " << prefix << " in the trace");
    return size_t{0};
  };
  std::vector<FaultPoint> points = {
      {0, "EF.CardAccess, the first APDU"},
      {first("1086", 2), "PACE key agreement (General Authenticate, chained)"},
      {first("0CB0"), "EF.SOD, the first READ BINARY under secure messaging"},
      {first("0C86"), "Chip Authentication's General Authenticate"},
      {total / 2, "the middle of the read (DG2, the face)"},
      {first("0C88"), "Active Authentication (INTERNAL AUTHENTICATE)"},
  };
  for (size_t i = 1; i < points.size(); ++i) CHECK(points[i - 1].apdu < points[i].apdu);  // in the order of a read
  return points;
}

}  // namespace

TEST_CASE("idtap read --reader nfc:pn532_uart:... reads and verifies the card through libnfc's driver") {
  ReadRig rig;
  const std::string out_dir = rig.dir.path() + "/out";
  auto r = rig.read({"--out", out_dir});
  INFO(r.out);
  REQUIRE(r.status != -1);
  REQUIRE(WIFEXITED(r.status));
  CHECK(WEXITSTATUS(r.status) == 0);
  check_genuine_report(r.out, rig.card);
  CHECK(contains(r.out, "\"recoveries\": 0"));
  // What went over the wire is what the card holds.
  for (const auto& [n, raw] : rig.card.image.files.data_groups) {
    CAPTURE(n);
    CHECK(read_file(out_dir + "/dg" + std::to_string(n) + ".bin") == raw);
  }
  CHECK(read_file(out_dir + "/ef_sod.bin") == *rig.card.image.files.sod);
  // It did travel through the emulated chip: one activation, every APDU an InDataExchange.
  const auto stats = rig.emu->stats();
  CHECK(stats.activations == 1);
  CHECK(stats.apdus > 50);
  CHECK(stats.sam_configured);
}

TEST_CASE("idtap read over nfc: the card leaving mid-read and coming back, the read completes") {
  for (const FaultPoint& at : fault_points()) {
    CAPTURE(at.what);
    ReadRig rig;
    rig.emu->remove_card_at_apdu(at.apdu, 200ms);
    auto r = rig.read();
    INFO(r.out);
    REQUIRE(r.status != -1);
    REQUIRE(WIFEXITED(r.status));
    CHECK(WEXITSTATUS(r.status) == 0);
    check_genuine_report(r.out, rig.card);
    CHECK(contains(r.out, "\"recoveries\": 1"));  // lib/reader reconnected and repeated access control
    CHECK(rig.emu->stats().activations == 2);
  }
}

TEST_CASE("idtap read over nfc: the card leaving mid-read for good is card_removed, exit 4") {
  for (const FaultPoint& at : fault_points()) {
    CAPTURE(at.what);
    ReadRig rig;
    rig.emu->remove_card_at_apdu(at.apdu);
    auto r = rig.read({"--timeout", "0.3"});
    INFO(r.out);
    REQUIRE(r.status != -1);
    REQUIRE(WIFEXITED(r.status));
    CHECK(WEXITSTATUS(r.status) == 4);  // README: reader or card error
    CHECK(contains(r.out, "card_removed"));
    CHECK(contains(r.out, "did not return in time (waited 300 ms)"));
    CHECK(contains(r.out, "left the field of nfc:pn532_uart:"));  // names the reader
    CHECK_FALSE(contains(r.out, "\"genuine\""));  // no report for a read that did not finish
    CHECK(r.took < 10s);                            // --timeout 0.3: polled a moment, then gave up
  }
}

TEST_CASE("idtap read over nfc: the board disappearing mid-read is device_gone, exit 4, at once") {
  for (const FaultPoint& at : fault_points()) {
    CAPTURE(at.what);
    ReadRig rig;
    rig.emu->unplug_at_apdu(at.apdu);
    auto r = rig.read();
    INFO(r.out);
    REQUIRE(r.status != -1);       // no hang
    REQUIRE(WIFEXITED(r.status));  // no crash
    CHECK(WEXITSTATUS(r.status) == 4);
    CHECK(contains(r.out, "device_gone"));
    CHECK(contains(r.out, "reader disappeared"));
    CHECK(contains(r.out, rig.emu->connstring()));  // says which reader
    CHECK_FALSE(contains(r.out, "\"genuine\""));
    CHECK(r.took < 10s);  // not the 20 s a missing card may be waited for
  }
}
