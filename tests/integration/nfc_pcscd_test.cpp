// The whole chain for libnfc readers: the simulated card in the field of an emulated PN532
// board, libnfc's pn532_uart driver inside a private pcscd that loads idtap's IFD handler, and
// PC/SC clients (the winscard API and pcsc_scan) on the other side.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <winscard.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "idtap/apdu/commands.h"
#include "idtap/base/hex.h"
#include "idtap/crypto/hash.h"
#include "idtap/select/select.h"
#include "idtap/sim/sim_transport.h"
#include "support/pcscd_fixture.h"
#include "support/pn532_emulator.h"
#include "support/run_shell.h"
#include "support/scratch_dir.h"
#include "support/sim_images.h"
#include "support/test_card.h"

using namespace idtap;
using namespace std::chrono_literals;
using idtap::testing::Pn532Card;
using idtap::testing::Pn532Emulator;

namespace {

// sanitizer_env: what pcscd (not instrumented) needs to load a handler built with
// AddressSanitizer: the ASan runtime first in its library list.
std::vector<std::string> sanitizer_env() {
#if defined(__SANITIZE_ADDRESS__)
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const size_t at = line.find('/');
    if (at != std::string::npos && line.find("libasan.so") != std::string::npos)
      return {"LD_PRELOAD=" + line.substr(at), "ASAN_OPTIONS=detect_leaks=0"};
  }
#endif
  return {};
}

// Rig: the emulated board with the simulated card (`image`), and pcscd serving it.
struct Rig {
  std::unique_ptr<Pn532Emulator> emu = Pn532Emulator::start().value();
  sim::CardImage image;
  sim::SimTransport* sim = nullptr;  // owned by the card below
  std::unique_ptr<test::PcscdFixture> pcscd;

  explicit Rig(sim::CardImage card_image = test::basic_card_image()) : image(std::move(card_image)) {
    insert_card();
    test::PcscdReader reader;
    reader.friendly_name = "idtap-pn532-" + std::to_string(::getpid());
    reader.device_name = emu->connstring();
    reader.lib_path = IDTAP_BUILD_DIR "/lib/libidtap_ifd.so";
    reader.env = sanitizer_env();
    pcscd = std::make_unique<test::PcscdFixture>(reader);
    REQUIRE_MESSAGE(pcscd->ok(), pcscd->error());
  }
  void insert_card() {
    auto card = sim::open_sim_card_image(image, {}, "nfc-test");
    REQUIRE(card.ok());
    sim = card->get();
    Pn532Card c;
    c.application = std::shared_ptr<apdu::Transport>(std::move(*card));
    emu->place_card(c);
  }
  std::string reader() const { return pcscd->reader_name(0); }
};

// Client: one PC/SC context and card connection.
struct Client {
  SCARDCONTEXT ctx = 0;
  SCARDHANDLE card = 0;
  DWORD protocol = 0;
  Client() { REQUIRE(SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx) == SCARD_S_SUCCESS); }
  ~Client() {
    if (card) SCardDisconnect(card, SCARD_LEAVE_CARD);
    SCardReleaseContext(ctx);
  }
  LONG connect(const std::string& reader) {
    return SCardConnect(ctx, reader.c_str(), SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &protocol);
  }
  // transmit: the response as upper-case hex, or "SCARD 0x..." for an error.
  std::string transmit(const Bytes& apdu) {
    BYTE rx[MAX_BUFFER_SIZE];
    DWORD len = sizeof rx;
    const LONG rv = SCardTransmit(card, SCARD_PCI_T1, apdu.data(), static_cast<DWORD>(apdu.size()), nullptr, rx, &len);
    if (rv != SCARD_S_SUCCESS) return error(rv);
    return to_hex(ByteView(rx, len), true);
  }
  std::string transmit(const apdu::CommandApdu& c) { return transmit(c.encode().value()); }
  static std::string error(LONG rv) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "SCARD 0x%08lX", static_cast<unsigned long>(rv));
    return buf;
  }
  Bytes atr() {
    char name[256];
    DWORD name_len = sizeof name, state = 0, proto = 0;
    BYTE atr[MAX_ATR_SIZE];
    DWORD atr_len = sizeof atr;
    if (SCardStatus(card, name, &name_len, &state, &proto, atr, &atr_len) != SCARD_S_SUCCESS) return {};
    return Bytes(atr, atr + atr_len);
  }
  // reader_state: the reader's event state flags as SCardGetStatusChange reports them.
  DWORD reader_state(const std::string& reader) {
    SCARD_READERSTATE st{};
    st.szReader = reader.c_str();
    st.dwCurrentState = SCARD_STATE_UNAWARE;
    if (SCardGetStatusChange(ctx, 0, &st, 1) != SCARD_S_SUCCESS) return 0;
    return st.dwEventState;
  }
};

// read_card_access: SELECT MF, SELECT EF.CardAccess, READ BINARY: the file, as the card holds it.
std::string read_card_access(Client& c) {
  if (c.transmit(apdu::select_mf()) != "9000") return "SELECT MF failed";
  if (c.transmit(apdu::select_by_fid(0x011C)) != "9000") return "SELECT EF.CardAccess failed";
  return c.transmit(apdu::read_binary(0, 0x16).value());
}

// card_access: EF.CardAccess of the simulated card, and 9000: what READ BINARY must return.
std::string card_access() { return to_hex(test::basic_card_image().files.card_access.value(), true) + "9000"; }

}  // namespace

TEST_CASE("pcscd serves a PN532 board through idtap's IFD handler: SCardTransmit reaches the simulated card") {
  Rig rig;
  REQUIRE_MESSAGE(rig.pcscd->wait_card(true, 10s), rig.pcscd->log());
  Client c;
  REQUIRE_MESSAGE(c.connect(rig.reader()) == SCARD_S_SUCCESS, rig.pcscd->log());
  CHECK(c.protocol == SCARD_PROTOCOL_T1);
  CHECK(to_hex(c.atr(), true) == "3B8780014A434F5076323460");  // PC/SC part 3, from the board's ATS
  CHECK(c.transmit(apdu::select_by_df_name(apdu::kEmrtdAid)) == "9000");
  CHECK(c.transmit(apdu::select_by_fid(0x011E)) == "9000");
  CHECK(c.transmit(apdu::read_binary(0, 4).value()) == "6982");  // EF.COM needs access control
  CHECK(read_card_access(c) == card_access());
  CHECK(c.transmit(hex_or_die("FFCA000000")) == "085A3C119000");  // the UID, from the reader
  CHECK(rig.sim->statistics().apdus >= 6);
}

TEST_CASE("pcsc_scan lists the libnfc reader and the card's ATR") {
  Rig rig;
  REQUIRE_MESSAGE(rig.pcscd->wait_card(true, 10s), rig.pcscd->log());
  test::ChildProcess scan;
  const std::string log = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/idtap-pcsc-scan-" +
                          std::to_string(::getpid()) + ".log";
  REQUIRE(scan.start({"pcsc_scan", "-n"}, log));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  std::string out;
  while (std::chrono::steady_clock::now() < deadline) {
    out = scan.log();
    if (out.find("3B 87 80 01 4A 43 4F 50 76 32 34 60") != std::string::npos) break;
    std::this_thread::sleep_for(100ms);
  }
  scan.stop();
  ::unlink(log.c_str());
  INFO(out);
  CHECK(out.find(rig.reader()) != std::string::npos);
  CHECK(out.find("Card inserted") != std::string::npos);
  CHECK(out.find("3B 87 80 01 4A 43 4F 50 76 32 34 60") != std::string::npos);
}

TEST_CASE("the card leaving the field: PC/SC reports the removal, and a new card is served") {
  Rig rig;
  REQUIRE(rig.pcscd->wait_card(true, 10s));
  Client c;
  REQUIRE(c.connect(rig.reader()) == SCARD_S_SUCCESS);
  REQUIRE(c.transmit(apdu::select_by_df_name(apdu::kEmrtdAid)) == "9000");
  rig.emu->remove_card();
  const std::string failed = c.transmit(apdu::select_by_df_name(apdu::kEmrtdAid));
  // The failed exchange (as with CCID readers: not transacted), or the removal already seen by
  // pcscd's polling.
  CHECK((failed == Client::error(SCARD_E_NOT_TRANSACTED) || failed == Client::error(SCARD_W_REMOVED_CARD)));
  REQUIRE_MESSAGE(rig.pcscd->wait_card(false, 10s), rig.pcscd->log());
  CHECK((c.reader_state(rig.reader()) & SCARD_STATE_EMPTY) != 0);
  CHECK(c.transmit(apdu::select_by_df_name(apdu::kEmrtdAid)) == Client::error(SCARD_W_REMOVED_CARD));  // stale handle

  rig.insert_card();
  REQUIRE_MESSAGE(rig.pcscd->wait_card(true, 10s), rig.pcscd->log());
  Client again;
  REQUIRE(again.connect(rig.reader()) == SCARD_S_SUCCESS);
  CHECK(read_card_access(again) == card_access());
}

TEST_CASE("the board disappearing: PC/SC reports the reader unavailable, and pcscd stops cleanly") {
  Rig rig;
  REQUIRE(rig.pcscd->wait_card(true, 10s));
  Client c;
  REQUIRE(c.connect(rig.reader()) == SCARD_S_SUCCESS);
  REQUIRE(c.transmit(apdu::select_by_df_name(apdu::kEmrtdAid)) == "9000");
  rig.emu->unplug();
  const std::string failed = c.transmit(apdu::select_by_df_name(apdu::kEmrtdAid));
  // IFD_NO_SUCH_DEVICE from the exchange (pcscd: reader unavailable), or the polling saw it first.
  CHECK((failed == Client::error(SCARD_E_READER_UNAVAILABLE) || failed == Client::error(SCARD_W_REMOVED_CARD)));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  DWORD state = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    state = c.reader_state(rig.reader());
    if (state & (SCARD_STATE_UNAVAILABLE | SCARD_STATE_UNKNOWN)) break;
    std::this_thread::sleep_for(100ms);
  }
  CHECK((state & (SCARD_STATE_UNAVAILABLE | SCARD_STATE_UNKNOWN)) != 0);
  // pcscd shuts down without hanging in the handler (SIGTERM, then its exit within the grace).
  const auto stop_start = std::chrono::steady_clock::now();
  rig.pcscd->stop();
  CHECK(std::chrono::steady_clock::now() - stop_start < 3s);
}

TEST_CASE("idtap's PC/SC transport over the libnfc reader: card removed and reader gone are typed errors") {
  Rig rig;
  REQUIRE(rig.pcscd->wait_card(true, 10s));
  select::OpenOptions options;
  options.reader = "pcsc:" + rig.reader();
  auto opened = select::open_reader(options);
  REQUIRE_MESSAGE(opened.ok(), opened.error().message());
  REQUIRE(opened->transport->transmit(apdu::select_by_df_name(apdu::kEmrtdAid))->sw == 0x9000);
  rig.emu->remove_card();
  auto removed = opened->transport->transmit(apdu::select_by_df_name(apdu::kEmrtdAid));
  REQUIRE_FALSE(removed.ok());
  CHECK_MESSAGE(removed.error().code == ErrorCode::kCardRemoved, removed.error().message());

  rig.insert_card();
  REQUIRE(rig.pcscd->wait_card(true, 10s));
  auto again = select::open_reader(options);
  REQUIRE_MESSAGE(again.ok(), again.error().message());
  REQUIRE(again->transport->transmit(apdu::select_by_df_name(apdu::kEmrtdAid))->sw == 0x9000);
  rig.emu->unplug();
  auto gone = again->transport->transmit(apdu::select_by_df_name(apdu::kEmrtdAid));
  REQUIRE_FALSE(gone.ok());
  CHECK_MESSAGE(gone.error().code == ErrorCode::kDeviceGone, gone.error().message());
}

TEST_CASE("idtap read --reader pcsc:... through pcscd and idtap's IFD handler reads and verifies the card") {
  test::ScratchDir dir("nfc-pcscd-read");
  const test::TestCard card = test::make_test_card();
  const std::string csca = dir.path() + "/csca.pem";
  std::ofstream(csca) << card.csca_pem;
  Rig rig(card.image);
  REQUIRE_MESSAGE(rig.pcscd->wait_card(true, 10s), rig.pcscd->log());

  const std::string out_dir = dir.path() + "/out";
  const test::ShellRun r = test::run_shell(test::idtap_binary() + " read --reader 'pcsc:" + rig.reader() + "' --can " +
                                           test::kCardCan + " --trust " + csca + " --json --out " + out_dir);
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("\"genuine\": true") != std::string::npos);
  CHECK(r.out.find("\"access\": \"PACE-CAN") != std::string::npos);
  CHECK(r.out.find("\"passive\": \"valid\"") != std::string::npos);
  CHECK(r.out.find("\"chip\": \"passed\"") != std::string::npos);
  CHECK(r.out.find("\"active\": \"passed\"") != std::string::npos);
  CHECK(r.out.find(std::string("\"document_number\": \"") + test::kCardDocumentNumber + "\"") != std::string::npos);
  CHECK(r.out.find("\"full_name\": \"홍<<길동\"") != std::string::npos);
  CHECK(r.out.find("\"personal_number\": \"900101-1******\"") != std::string::npos);
  for (const auto& [n, raw] : card.image.files.data_groups) {
    CAPTURE(n);
    const std::string sha = to_hex(crypto::digest(crypto::HashAlg::kSha256, raw).value());
    CHECK(r.out.find("\"sha256\": \"" + sha + "\"") != std::string::npos);
    std::ifstream in(out_dir + "/dg" + std::to_string(n) + ".bin", std::ios::binary);
    CHECK(Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()) == raw);
  }
  // The APDUs went through the handler and the emulated chip: the card saw them all.
  CHECK(rig.emu->stats().apdus > 40);
}

// The whole chain for `idtap read --reader pcsc:...` (the CLI, pcsc-lite, pcscd, idtap's IFD
// handler, libnfc's pn532_uart driver, the emulated chip, the card) when the card leaves mid-read
// (and comes back, or not) or the board vanishes mid-read.
namespace {

struct PcscReadRig {
  test::ScratchDir dir{"nfc-pcscd-fault"};
  test::TestCard card = test::make_test_card();
  std::string csca = dir.path() + "/csca.pem";
  std::unique_ptr<Rig> rig;
  PcscReadRig() {
    std::ofstream(csca) << card.csca_pem;
    rig = std::make_unique<Rig>(card.image);
    REQUIRE_MESSAGE(rig->pcscd->wait_card(true, 10s), rig->pcscd->log());
  }
  using Run = test::TimedRun;

  Run read(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {test::idtap_binary(), "read", "--reader", "pcsc:" + rig->reader(), "--can",
                                     test::kCardCan,       "--trust", csca, "--json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return test::run_to_end(argv, dir.path() + "/read.log", {}, 30s);
  }
};

constexpr size_t kPcscMidReadApdu = 30;  // inside DG2, past PACE and Chip Authentication

}  // namespace

TEST_CASE("idtap read over pcscd and the IFD handler: the card leaving mid-read and coming back, the read completes") {
  PcscReadRig r;
  r.rig->emu->remove_card_at_apdu(kPcscMidReadApdu, 1000ms);  // long enough for pcscd's polling to see it gone
  auto run = r.read();
  INFO(run.out);
  INFO(r.rig->pcscd->log().substr(0, 4000));
  REQUIRE(run.status != -1);
  REQUIRE(WIFEXITED(run.status));
  CHECK(WEXITSTATUS(run.status) == 0);
  CHECK(run.out.find("\"genuine\": true") != std::string::npos);
  CHECK(run.out.find("\"chip\": \"passed\"") != std::string::npos);
  CHECK(run.out.find("\"recoveries\": 1") != std::string::npos);
  CHECK(r.rig->emu->stats().activations >= 2);
}

TEST_CASE("idtap read over pcscd and the IFD handler: the card leaving for good is card_removed, exit 4") {
  PcscReadRig r;
  r.rig->emu->remove_card_at_apdu(kPcscMidReadApdu);
  auto run = r.read({"--timeout", "1"});
  INFO(run.out);
  REQUIRE(run.status != -1);
  REQUIRE(WIFEXITED(run.status));
  CHECK(WEXITSTATUS(run.status) == 4);
  CHECK(run.out.find("card_removed") != std::string::npos);
  CHECK(run.out.find("\"genuine\"") == std::string::npos);
  CHECK(run.took < 10s);
}

TEST_CASE("idtap read over pcscd and the IFD handler: the board vanishing mid-read is device_gone, exit 4") {
  PcscReadRig r;
  r.rig->emu->unplug_at_apdu(kPcscMidReadApdu);
  auto run = r.read();
  INFO(run.out);
  REQUIRE(run.status != -1);       // no hang
  REQUIRE(WIFEXITED(run.status));  // no crash
  CHECK(WEXITSTATUS(run.status) == 4);
  CHECK(run.out.find("device_gone") != std::string::npos);  // IFD_NO_SUCH_DEVICE, SCARD_E_READER_UNAVAILABLE
  CHECK(run.out.find("\"genuine\"") == std::string::npos);
  CHECK(run.took < 15s);
  // pcscd itself stays up and stops cleanly (no deadlock in the handler).
  const auto stop_start = std::chrono::steady_clock::now();
  r.rig->pcscd->stop();
  CHECK(std::chrono::steady_clock::now() - stop_start < 3s);
}
