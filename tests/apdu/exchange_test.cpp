#include "idtap/apdu/exchange.h"

#include <doctest/doctest.h>

#include "idtap/apdu/commands.h"
#include "idtap/apdu/scripted_transport.h"
#include "idtap/apdu/status_words.h"
#include "idtap/base/hex.h"

using namespace idtap;
using namespace idtap::apdu;

TEST_CASE("61xx is followed with GET RESPONSE and the data concatenated") {
  ScriptedTransport t;
  t.expect("0084000008", "6104").expect("00C0000004", "01020304 6102").expect("00C0000002", "0506 9000");
  auto r = exchange(t, get_challenge());
  REQUIRE(r.ok());
  CHECK(to_hex(r->data) == "010203040506");
  CHECK(r->sw == 0x9000);
  CHECK(t.done());
}

TEST_CASE("GET RESPONSE goes out on the logical channel of the command it continues") {
  struct Case {
    const char* command;
    const char* get_response;
    const char* why;
  } cases[] = {
      {"0084000008", "00C0000004", "basic channel"},
      {"0384000008", "03C0000004", "channel 3 (first interindustry CLA)"},
      {"0F84000008", "03C0000004", "channel 3 with secure messaging bits: GET RESPONSE carries no SM"},
      {"4584000008", "45C0000004", "channel 9 (further interindustry CLA)"},
      {"6584000008", "45C0000004", "channel 9 with SM bit b6: dropped"},
  };
  for (const Case& c : cases) {
    INFO(std::string(c.why));
    ScriptedTransport t;
    t.expect(c.command, "6104").expect(c.get_response, "01020304 9000");
    auto cmd = CommandApdu::parse(hex_or_die(c.command));
    REQUIRE(cmd.ok());
    auto r = exchange(t, *cmd);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message()));
    CHECK(to_hex(r->data) == "01020304");
    CHECK(t.done());
  }
}

TEST_CASE("6Cxx resends once with the right Le") {
  ScriptedTransport t;
  t.expect("00B0000010", "6C08").expect("00B0000008", "1122334455667788 9000");
  auto r = exchange(t, read_binary(0, 16).value());
  REQUIRE(r.ok());
  CHECK(r->data.size() == 8);
  CHECK(t.done());
}

TEST_CASE("exchange can be told to show the raw conversation") {
  ScriptedTransport t;
  t.expect("0084000008", "6108");
  auto r = exchange(t, get_challenge(), ExchangeOptions{.follow_get_response = false, .resend_on_wrong_le = false});
  REQUIRE(r.ok());
  CHECK(r->sw == 0x6108);
  CHECK(t.done());
}

TEST_CASE("a card looping on 61xx or 6Cxx is an error, not a hang") {
  ScriptedTransport loop;
  loop.expect_any("6101");
  for (int i = 0; i < 5; ++i) loop.expect_any("AA6101");
  auto r = exchange(loop, get_challenge(), ExchangeOptions{.max_get_response = 4});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kMalformed);

  ScriptedTransport twice;
  twice.expect_any("6C08").expect_any("6C04");
  CHECK(exchange(twice, get_challenge()).error().code == ErrorCode::kMalformed);
}

TEST_CASE("the scripted transport reports a departure from the script") {
  ScriptedTransport t;
  t.expect("0084000008", "9000");
  auto r = t.transmit(get_response(4));
  REQUIRE_FALSE(r.ok());
  REQUIRE(t.mismatch().has_value());
  CHECK(t.mismatch()->find("expected command 0084000008, got 00C0000004") != std::string::npos);
  CHECK_FALSE(t.done());
  CHECK_FALSE(t.transmit(get_response(4)).ok());  // past the end of the script

  ScriptedTransport gone;
  gone.fail_next(make_error(ErrorCode::kCardRemoved, "card left the field"));
  CHECK(gone.transmit(get_challenge()).error().code == ErrorCode::kCardRemoved);
}

TEST_CASE("status words explain themselves") {
  CHECK(sw::describe(0x6982) == "security status not satisfied");
  CHECK(sw::describe(0x63C2) == "verification failed, 2 tries left");
  CHECK(sw::describe(0x6110) == "16 more bytes available (GET RESPONSE)");
  CHECK(sw::describe(0x6C00) == "wrong Le: exact length is 256");
  CHECK(sw::describe(0x6A82) == "file or application not found");
  CHECK(sw::describe(0x6999).find("command not allowed") != std::string::npos);
  CHECK(sw::is_retry_counter(0x63C0));
  CHECK_FALSE(sw::is_retry_counter(0x6300));
  ResponseApdu resp{{}, 0x6A82};
  auto st = resp.status("SELECT DG1");
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().sw == 0x6A82);
  CHECK(ResponseApdu::parse(hex_or_die("90")).error().code == ErrorCode::kMalformed);
}
