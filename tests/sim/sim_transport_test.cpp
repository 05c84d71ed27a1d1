// The simulated card behind apdu::Transport: opening, capabilities, leaving the field and
// coming back, statistics and the link model.
#include "idtap/sim/sim_transport.h"

#include <doctest/doctest.h>

#include "idtap/apdu/commands.h"
#include "idtap/base/hex.h"
#include "support/scratch_dir.h"
#include "support/sim_images.h"

using namespace idtap;
using namespace idtap::sim;

namespace {

std::unique_ptr<SimTransport> open_basic(const SimOptions& options = {}) {
  auto t = open_sim_card_image(test::basic_card_image(), options, "test");
  REQUIRE(t.ok());
  return std::move(*t);
}

uint16_t sw_of(apdu::Transport& t, const apdu::CommandApdu& c) {
  auto r = t.transmit(c);
  REQUIRE(r.ok());
  return r->sw;
}

}  // namespace

TEST_CASE("sim:DIR opens a card image from disk as a Transport") {
  test::ScratchDir tmp("sim");
  const std::string dir = tmp.path() + "/card";
  REQUIRE(write_card_image(dir, test::basic_card_image()).ok());
  auto t = open_sim_transport(dir);
  REQUIRE(t.ok());
  CHECK((*t)->describe() == "sim:" + dir);
  CHECK(to_hex((*t)->atr(), true) == "3B80800101");
  CHECK(sw_of(**t, apdu::select_by_df_name(apdu::kEmrtdAid)) == 0x9000);
  auto stats = sim_statistics(**t);
  REQUIRE(stats.has_value());
  CHECK(stats->apdus == 1);

  // A missing image is kNotFound, a bad link model kInvalidArgument.
  CHECK(open_sim_transport(tmp.path() + "/none").error().code == ErrorCode::kNotFound);
  SimOptions bad;
  bad.link.bit_rate_kbps = 300;
  CHECK(open_sim_transport(dir, bad).error().code == ErrorCode::kInvalidArgument);
  bad.link = {};
  bad.link.frame_size = 8;
  CHECK(open_sim_transport(dir, bad).error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("capabilities follow the card's extended-length support") {
  auto ext = open_basic();
  CHECK(ext->capabilities().extended_length);
  CHECK(ext->capabilities().max_response_data == 65536);
  CHECK(ext->capabilities().max_command_data == 65535);

  SimOptions o;
  o.quirks = CardQuirks{};
  o.quirks->extended_length = false;
  auto short_only = open_basic(o);
  CHECK_FALSE(short_only->capabilities().extended_length);
  CHECK(short_only->capabilities().max_response_data == 256);
  CHECK(short_only->capabilities().max_command_data == 255);
}

TEST_CASE("the card leaves the field after N APDUs and comes back on reconnect") {
  SimOptions o;
  o.quirks = CardQuirks{};
  o.quirks->leave_after = 3;
  auto t = open_basic(o);
  CHECK(sw_of(*t, apdu::select_by_df_name(apdu::kEmrtdAid)) == 0x9000);
  CHECK(sw_of(*t, apdu::select_by_fid(0x011E)) == 0x9000);
  CHECK(sw_of(*t, apdu::select_by_fid(0x0101)) == 0x9000);
  // The fourth APDU finds no card, and so does every one after it.
  auto gone = t->transmit(apdu::select_by_fid(0x011E));
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().code == ErrorCode::kCardRemoved);
  CHECK(t->transmit(apdu::select_mf()).error().code == ErrorCode::kCardRemoved);
  CHECK(t->statistics().removals == 1);
  CHECK(t->statistics().apdus == 3);

  // Back in the field: a fresh session (MF current, so EF.COM is not found), and it stays.
  REQUIRE(t->reconnect(std::chrono::milliseconds(100)).ok());
  CHECK(sw_of(*t, apdu::select_by_fid(0x011E)) == 0x6A82);
  for (int i = 0; i < 5; ++i) CHECK(sw_of(*t, apdu::select_mf()) == 0x9000);
  CHECK(t->statistics().removals == 1);
}

TEST_CASE("close makes the transport unusable; reconnect after close is a state error") {
  auto t = open_basic();
  REQUIRE(t->close().ok());
  REQUIRE(t->close().ok());  // idempotent
  CHECK(t->transmit(apdu::select_mf()).error().code == ErrorCode::kState);
  CHECK(t->reconnect(std::chrono::milliseconds(0)).error().code == ErrorCode::kState);
}

TEST_CASE("statistics count APDUs and bytes each way") {
  auto t = open_basic();
  // 00 A4 02 0C 02 01 1C = 7 bytes out, 2 back.
  REQUIRE(sw_of(*t, apdu::select_by_fid(0x011C)) == 0x9000);
  // 00 B0 00 00 00 = 5 bytes out; 22 bytes of EF.CardAccess + 2 back.
  REQUIRE(sw_of(*t, apdu::read_binary(0, 256).value()) == 0x6282);
  const LinkStatistics& s = t->statistics();
  CHECK(s.apdus == 2);
  CHECK(s.bytes_to_card == 12);
  CHECK(s.bytes_from_card == 26);
  CHECK(s.frames == 4);
  CHECK(s.modeled_us > 0);
  t->reset_statistics();
  CHECK(t->statistics().apdus == 0);
  CHECK(t->statistics().modeled_us == 0);
}

TEST_CASE("the link model: frames, chaining, bit rates, card time") {
  LinkModel m;  // 106 kbit/s, 256-byte frames, 86 us frame delay
  const double bit_ns = 128 * 1e9 / 13.56e6;
  // 5 bytes out (one 8-byte frame), 2 back (one 5-byte frame).
  ModeledExchange one = model_exchange(m, 5, 2);
  CHECK(one.frames == 2);
  const double expect_ns = (9 * 8 + 2) * bit_ns + (9 * 5 + 2) * bit_ns + 2 * 86000.0;
  CHECK(static_cast<double>(one.nanoseconds) == doctest::Approx(expect_ns).epsilon(1e-6));

  // A 300-byte response in 64-byte frames: 61 bytes of INF per block = 5 I-blocks and 4 R(ACK)s,
  // plus the single command frame.
  LinkModel small = m;
  small.frame_size = 64;
  CHECK(model_exchange(small, 5, 300).frames == 10);
  // A 256-byte frame carries 253 bytes: 253 fits one block, 254 needs two (and an R(ACK)).
  CHECK(model_exchange(m, 253, 2).frames == 2);
  CHECK(model_exchange(m, 254, 2).frames == 4);

  // Doubling the bit rate halves the bit time but not the frame delays.
  LinkModel fast = m;
  fast.bit_rate_kbps = 212;
  fast.frame_delay_us = 0;
  LinkModel slow = m;
  slow.frame_delay_us = 0;
  CHECK(static_cast<double>(model_exchange(fast, 1000, 1000).nanoseconds) ==
        doctest::Approx(model_exchange(slow, 1000, 1000).nanoseconds / 2.0).epsilon(1e-6));

  // The card's per-APDU time is added once per exchange.
  LinkModel busy = m;
  busy.card_time_us = 5000;
  CHECK(model_exchange(busy, 5, 2).nanoseconds - model_exchange(m, 5, 2).nanoseconds == 5000000);

  // Through the transport: modeled time accumulates without sleeping.
  SimOptions o;
  o.link.card_time_us = 1000000;  // one modeled second per APDU
  auto t = open_basic(o);
  for (int i = 0; i < 100; ++i) REQUIRE(sw_of(*t, apdu::select_mf()) == 0x9000);
  CHECK(t->statistics().modeled_us >= 100000000);
}
