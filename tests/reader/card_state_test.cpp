// Read sessions against cards that do not read by short file identifier (issue 13, part 2), and
// against cards left in another session's state (part 3): the simulated card's no_sfi quirk in
// every profile, access control and chunk size; SFI as the fast default on a normal card; reads
// back to back on one card (a kiosk loop), with and without a transport that can reset.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "idtap/apdu/commands.h"
#include "idtap/auth/trust_store.h"
#include "idtap/reader/session.h"
#include "idtap/sim/personalize.h"
#include "idtap/sim/sim_transport.h"
#include "reader/read_requests.h"
#include "support/test_card.h"

using namespace idtap;
using namespace idtap::reader;
using idtap::test::can_request;
using idtap::test::mrz_request;

namespace {

// Probe: a transport over the simulated card that records every command below secure messaging
// (the header of a protected command is in the clear: CLA 0C, INS, P1, P2) and can play three
// parts: a reader that cannot reset the card, a card that refuses SELECT MF, and a card that
// stops reading by SFI from its n-th protected READ BINARY on (a card that refuses the SFI form
// under secure messaging only).
class Probe final : public apdu::Transport {
 public:
  explicit Probe(sim::SimTransport& card) : card_(card) {}

  bool can_reset = true;
  bool refuses_select_mf = false;
  size_t no_sfi_from_protected_read = 0;  // 0: never
  std::vector<apdu::CommandApdu> sent;
  std::vector<uint16_t> sw;  // the status word of each command in `sent` (0: no answer)
  size_t resets = 0;

  Result<apdu::ResponseApdu> transmit(const apdu::CommandApdu& c) override {
    sent.push_back(c);
    sw.push_back(0);
    const bool plain = (c.cla & 0x0C) == 0;
    if (refuses_select_mf && plain && c.ins == 0xA4 && c.p1 == 0x00) {
      sw.back() = 0x6A82;
      return apdu::ResponseApdu{{}, 0x6A82};
    }
    if (!plain && (c.ins == 0xB0 || c.ins == 0xB1) && ++protected_reads_ == no_sfi_from_protected_read) {
      sim::CardQuirks q = card_.card().config().quirks;
      q.no_sfi = true;
      card_.card().set_quirks(q);
    }
    auto r = card_.transmit(c);
    if (r.ok()) sw.back() = r->sw;
    return r;
  }
  Bytes atr() const override { return card_.atr(); }
  apdu::TransportCaps capabilities() const override { return card_.capabilities(); }
  Status reconnect(std::chrono::milliseconds timeout) override {
    if (!can_reset) return make_error(ErrorCode::kNotSupported, "this transport cannot reconnect");
    ++resets;
    return card_.reconnect(timeout);
  }
  Status close() override { return card_.close(); }
  std::string describe() const override { return "probe"; }

 private:
  sim::SimTransport& card_;
  size_t protected_reads_ = 0;
};

bool is_sfi_read(const apdu::CommandApdu& c) {
  return (c.ins == 0xB0 && (c.p1 & 0x80)) || (c.ins == 0xB1 && (c.p1 & 0xE0) == 0x80 && c.p2 == 0x00);
}
bool is_fid_select(const apdu::CommandApdu& c) { return c.ins == 0xA4 && c.p1 == 0x02; }
bool is_select_mf(const apdu::CommandApdu& c) { return c.ins == 0xA4 && c.p1 == 0x00; }
size_t count(const std::vector<apdu::CommandApdu>& sent, bool (*what)(const apdu::CommandApdu&)) {
  return static_cast<size_t>(std::count_if(sent.begin(), sent.end(), what));
}

// refused_sfi_reads: the positions of the READ BINARY by SFI the card answered 6A82 (below
// secure messaging: in plain).
std::vector<size_t> refused_sfi_reads(const Probe& probe) {
  std::vector<size_t> out;
  for (size_t i = 0; i < probe.sent.size(); ++i)
    if (is_sfi_read(probe.sent[i]) && probe.sw[i] == 0x6A82) out.push_back(i);
  return out;
}

// last_sfi_read: the position of the last READ BINARY by SFI (sent.size() when none).
size_t last_sfi_read(const Probe& probe) {
  size_t last = probe.sent.size();
  for (size_t i = 0; i < probe.sent.size(); ++i)
    if (is_sfi_read(probe.sent[i])) last = i;
  return last;
}

// Card: a personalized card and a trust store holding its CSCA.
struct Card {
  test::TestCard card;
  auth::TrustStore trust;
  explicit Card(const sim::PersonalizeOptions& options) : card(test::personalize_test_card(options)) {
    REQUIRE(trust.add_certificates(bytes_of(card.csca_pem), "test csca").ok());
  }
  std::unique_ptr<sim::SimTransport> open(const sim::CardQuirks& quirks) const {
    auto t = sim::open_sim_card_image(card.image, sim::SimOptions{.quirks = quirks});
    REQUIRE(t.ok());
    return std::move(t).value();
  }
};

std::string message(const Result<ReadResult>& r) { return r.ok() ? std::string() : r.error().message(); }

// read_in_full: everything a genuine read of `image` has: every data group as personalized and
// matching EF.SOD, EF.SOD and EF.COM as on the card, both chip checks passed.
void read_in_full(const ReadResult& r, const sim::CardImage& image) {
  CHECK(r.verification.genuine);
  CHECK(r.verification.passive == auth::PassiveStatus::kValid);
  CHECK(r.verification.chip.state == CheckState::kPassed);
  CHECK(r.verification.active.state == CheckState::kPassed);
  REQUIRE(r.ef_sod.has_value());
  CHECK(r.ef_sod->raw == *image.files.sod);
  REQUIRE(r.ef_com.has_value());
  CHECK(r.ef_com->raw == *image.files.com);
  CHECK(r.data_groups.size() == image.files.data_groups.size());
  for (const auto& [n, raw] : image.files.data_groups) {
    CAPTURE(n);
    REQUIRE(r.data_groups.count(n));
    CHECK(r.data_groups.at(n).raw == raw);
    CHECK(r.data_groups.at(n).hash_ok == std::optional<bool>(true));
  }
  REQUIRE(r.dg1.has_value());
  CHECK(r.dg1->mrz.document_number == test::kCardDocumentNumber);
  CHECK(r.card_access == image.files.card_access);
}

// The chunk sizes a read can settle on: whole files in extended APDUs, short APDUs (256), and
// cards with the small response buffers the reader's ladder steps down to.
struct Chunking {
  const char* what;
  bool extended;
  size_t max_response;
};
const Chunking kChunkings[] = {
    {"extended", true, 0}, {"short", false, 0}, {"short, 223", false, 223}, {"extended APDUs, 160", true, 160}, {"short, 112", false, 112},
};

}  // namespace

TEST_CASE("a normal card is read by SFI: SELECT MF, EF.CardAccess by SFI, and no file selected by FID") {
  struct Case {
    const char* what;
    test::TestCardOptions card;
    bool can;
    size_t before_access;  // SELECT MF, EF.CardAccess, access control, SELECT of the application
  } cases[] = {
      // SELECT MF, READ 1C, MSE:Set AT, 4 GENERAL AUTHENTICATE, SELECT application.
      {"resident card, PACE-CAN", test::TestCardOptions{.pace = true, .bac = false}, true, 2 + 5 + 1},
      // SELECT MF, READ 1C (6A82), SELECT 011C (6A82: no EF.CardAccess), SELECT application,
      // GET CHALLENGE, EXTERNAL AUTHENTICATE.
      {"passport, BAC", test::TestCardOptions{.pace = false}, false, 3 + 3},
  };
  for (const Case& c : cases) {
    const std::string what = c.what;
    INFO(what);
    Card card(test::test_card_personalization(c.card));
    auto sim = card.open({});
    Probe probe(*sim);
    auto r = read_card(probe, c.can ? can_request(&card.trust) : mrz_request(&card.trust));
    REQUIRE_MESSAGE(r.ok(), message(r));
    read_in_full(*r, card.card.image);
    REQUIRE(probe.sent.size() >= 2);
    CHECK(probe.sent[0].encode().value() == apdu::select_mf().encode().value());  // 00A4000C 3F00
    CHECK(is_sfi_read(probe.sent[1]));
    CHECK(probe.sent[1].p1 == 0x9C);
    // Every file under secure messaging by SFI, none selected by FID (BAC: only EF.CardAccess's
    // FID was tried, to tell "no such file" from "no SFI").
    CHECK(count(probe.sent, is_fid_select) == (c.can ? 0u : 1u));
    CHECK(count(probe.sent, is_select_mf) == 1);
    // After access control, with extended length: EF.SOD, DG14, CA (MSE:Set AT, GENERAL
    // AUTHENTICATE), EF.COM, DG1, DG2, DG11, DG12, DG15 and INTERNAL AUTHENTICATE: one APDU each.
    CHECK(r->stats.apdus_after_access == 11);
    CHECK(r->stats.apdus == c.before_access + 11);
    CHECK(r->stats.apdus == probe.sent.size());
    CHECK(probe.resets == 0);
  }
}

TEST_CASE("a card that does not read by SFI (plain 6A82) is read in full: every profile, access control and chunk size") {
  struct Profile {
    const char* what;
    test::TestCardOptions card;
    sim::PaceMapping mapping;
    bool can;               // the CAN, else the MRZ
    AccessMethod access;
    const char* access_prefix;
    size_t sfi_refusals;    // READ BINARY by SFI answered 6A82
  } profiles[] = {
      // EF.CardAccess's refused SFI read, then its FID: the card refuses SFI, nothing else tries it.
      {"resident card, PACE-CAN", test::TestCardOptions{.pace = true, .bac = false}, sim::PaceMapping::kGeneric, true,
       AccessMethod::kAuto, "PACE-CAN", 1},
      {"resident card, PACE-CAM", test::TestCardOptions{.pace = true, .bac = false}, sim::PaceMapping::kChipAuthentication,
       true, AccessMethod::kAuto, "PACE-CAN", 1},
      {"passport and PACE, PACE-MRZ", test::TestCardOptions{.pace = true, .bac = true}, sim::PaceMapping::kGeneric, false,
       AccessMethod::kAuto, "PACE-MRZ", 1},
      {"passport and PACE, BAC asked for", test::TestCardOptions{.pace = true, .bac = true}, sim::PaceMapping::kGeneric, false,
       AccessMethod::kBac, "BAC", 1},
      // No EF.CardAccess: neither form finds it, so nothing is learnt; EF.SOD's SFI read under
      // BAC is refused in plain (ending secure messaging, as in the field trace), BAC runs again
      // and every file is read by FID.
      {"passport, BAC only", test::TestCardOptions{.pace = false}, sim::PaceMapping::kGeneric, false, AccessMethod::kAuto, "BAC", 2},
  };
  for (const Profile& p : profiles) {
    sim::PersonalizeOptions o = test::test_card_personalization(p.card);
    o.pace_mapping = p.mapping;
    Card card(o);
    for (const Chunking& ch : kChunkings) {
      const std::string what = std::string(p.what) + ", " + ch.what;
      INFO(what);
      sim::CardQuirks quirks{.extended_length = ch.extended, .max_response = ch.max_response, .no_sfi = true};
      auto sim = card.open(quirks);
      Probe probe(*sim);
      ReadRequest req = p.can ? can_request(&card.trust) : mrz_request(&card.trust);
      req.access = p.access;
      auto r = read_card(probe, req);
      REQUIRE_MESSAGE(r.ok(), message(r));
      read_in_full(*r, card.card.image);
      CHECK(r->verification.access.rfind(p.access_prefix, 0) == 0);
      if (p.mapping == sim::PaceMapping::kChipAuthentication) {
        CHECK(r->verification.chip.method == "PACE-CAM, key from EF.CardSecurity");
        REQUIRE(r->card_security.has_value());
        CHECK(r->card_security->raw == *card.card.image.files.card_security);
      }
      if (ch.max_response != 0) CHECK(r->stats.chunk_size <= ch.max_response);
      if (!ch.extended) CHECK(r->stats.chunk_size <= 256);
      // The refused SFI reads, and none after the last of them (the card may first have refused
      // the size of an SFI read: it checks Ne before the file reference).
      const std::vector<size_t> refused = refused_sfi_reads(probe);
      CHECK(refused.size() == p.sfi_refusals);
      REQUIRE_FALSE(refused.empty());
      CHECK(last_sfi_read(probe) == refused.back());
      // The card session opened again only when a refusal under secure messaging ended it (and
      // when a chunk size had to step down under secure messaging).
      if (ch.max_response == 0) CHECK(probe.resets == p.sfi_refusals - 1);
    }
  }
}

TEST_CASE("a card that refuses SFI under secure messaging only: the channel is opened again (PACE, PACE-CAM, BAC then CA)") {
  struct Case {
    const char* what;
    test::TestCardOptions card;
    sim::PaceMapping mapping;
    bool can;
    size_t from_protected_read;  // the first protected READ BINARY the card refuses by SFI
    const char* chip_method;
  } cases[] = {
      // EF.SOD, the first file after PACE: PACE runs again.
      {"PACE-CAN, at EF.SOD", test::TestCardOptions{.pace = true, .bac = false}, sim::PaceMapping::kGeneric, true, 1,
       "CA id-CA-ECDH-AES-CBC-CMAC-128"},
      // EF.CardSecurity, read in the MF right after PACE-CAM: PACE-CAM runs again.
      {"PACE-CAM, at EF.CardSecurity", test::TestCardOptions{.pace = true, .bac = false}, sim::PaceMapping::kChipAuthentication,
       true, 1, "PACE-CAM, key from EF.CardSecurity"},
      // EF.COM, the first file after Chip Authentication: BAC and CA run again, and CA is
      // confirmed by the next protected response of the new session.
      {"BAC, at EF.COM after CA", test::TestCardOptions{.pace = false}, sim::PaceMapping::kGeneric, false, 3,
       "CA id-CA-ECDH-AES-CBC-CMAC-128"},
  };
  for (const Case& c : cases) {
    const std::string what = c.what;
    INFO(what);
    sim::PersonalizeOptions o = test::test_card_personalization(c.card);
    o.pace_mapping = c.mapping;
    Card card(o);
    auto sim = card.open({});
    Probe probe(*sim);
    probe.no_sfi_from_protected_read = c.from_protected_read;
    auto r = read_card(probe, c.can ? can_request(&card.trust) : mrz_request(&card.trust));
    REQUIRE_MESSAGE(r.ok(), message(r));
    read_in_full(*r, card.card.image);
    CHECK(r->verification.chip.method == c.chip_method);
    CHECK(probe.resets == 1);
    // One refusal in plain under secure messaging (the BAC passport's plain EF.CardAccess read
    // is answered 6A82 too: it has none), and no SFI read after it.
    std::vector<size_t> refused = refused_sfi_reads(probe);
    std::erase_if(refused, [&](size_t i) { return probe.sent[i].cla != 0x0C; });
    REQUIRE(refused.size() == 1);
    CHECK(last_sfi_read(probe) == refused[0]);
    if (!c.can) {
      // Chip Authentication ran in both sessions (MSE:Set AT under SM: 0C 22 41 A4).
      CHECK(std::count_if(probe.sent.begin(), probe.sent.end(), [](const apdu::CommandApdu& a) {
              return a.cla == 0x0C && a.ins == 0x22 && a.p1 == 0x41 && a.p2 == 0xA4;
            }) == 2);
    }
  }
  SUBCASE("a cloned chip is still caught when the refusal comes right after CA") {
    sim::PersonalizeOptions o = test::test_card_personalization(test::TestCardOptions{.pace = false});
    o.cloned = true;
    Card card(o);
    auto sim = card.open({});
    Probe probe(*sim);
    probe.no_sfi_from_protected_read = 3;
    auto r = read_card(probe, mrz_request(&card.trust));
    REQUIRE_MESSAGE(r.ok(), message(r));
    CHECK(r->verification.passive == auth::PassiveStatus::kValid);
    CHECK(r->verification.chip.state == CheckState::kFailed);
    CHECK_FALSE(r->verification.genuine);
  }
}

TEST_CASE("a kiosk loop: 20 reads of one card in a row, each starting where the last left it, every one genuine") {
  struct Case {
    const char* what;
    test::TestCardOptions card;
    bool can;
    bool can_reset;
    bool no_sfi;
  } cases[] = {
      {"resident card, PACE-CAN", test::TestCardOptions{.pace = true, .bac = false}, true, true, false},
      {"resident card, PACE-CAN, a reader that cannot reset", test::TestCardOptions{.pace = true, .bac = false}, true, false, false},
      {"passport, BAC", test::TestCardOptions{.pace = false}, false, true, false},
      {"passport and PACE, PACE-MRZ, no SFI, a reader that cannot reset", test::TestCardOptions{.pace = true, .bac = true}, false,
       false, true},
  };
  for (const Case& c : cases) {
    const std::string what = c.what;
    INFO(what);
    Card card(test::test_card_personalization(c.card));
    auto sim = card.open(sim::CardQuirks{.no_sfi = c.no_sfi});
    Probe probe(*sim);
    probe.can_reset = c.can_reset;
    for (int i = 0; i < 20; ++i) {
      CAPTURE(i);
      // From the second read on the card is as the last one left it: the application selected,
      // secure messaging open.
      if (i > 0) REQUIRE(sim->card().security_state() != sim::SecurityState::kNone);
      auto r = read_card(probe, c.can ? can_request(&card.trust) : mrz_request(&card.trust));
      REQUIRE_MESSAGE(r.ok(), message(r));
      read_in_full(*r, card.card.image);
    }
    CHECK(probe.resets == 0);  // SELECT MF was enough
  }
}

TEST_CASE("a card that refuses SELECT MF: reset before EF.CardAccess is taken as absent, never concluded from the current DF") {
  Card card(test::test_card_personalization(test::TestCardOptions{.pace = true, .bac = false}));
  auto sim = card.open({});
  Probe probe(*sim);
  probe.refuses_select_mf = true;
  // Fresh from power-up the card is in the MF: EF.CardAccess reads without a reset.
  auto first = read_card(probe, can_request(&card.trust));
  REQUIRE_MESSAGE(first.ok(), message(first));
  read_in_full(*first, card.card.image);
  CHECK(probe.resets == 0);
  // Now the application is selected: the SFI read misses EF.CardAccess, the card is reset (the
  // MF is current after a reset, ISO 7816-4 §7.1.1) and it is read from there.
  auto second = read_card(probe, can_request(&card.trust));
  REQUIRE_MESSAGE(second.ok(), message(second));
  read_in_full(*second, card.card.image);
  CHECK(probe.resets == 1);
  // A reader that cannot reset either: the card looks BAC-only, and the error says why that is
  // not certain instead of claiming the card has no EF.CardAccess.
  probe.can_reset = false;
  auto third = read_card(probe, can_request(&card.trust));
  REQUIRE_FALSE(third.ok());
  CHECK(third.error().code == ErrorCode::kInvalidArgument);
  CHECK(third.error().message().find("refused SELECT MF") != std::string::npos);
}
