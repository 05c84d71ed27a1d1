// ICAO 9303-11 Appendix D.4, byte for byte, from both sides: the terminal protecting the
// commands and unwrapping the responses (through SecureChannel over a ScriptedTransport), and
// the card side unwrapping the same commands and producing the same responses.
#include <doctest/doctest.h>

#include "idtap/apdu/command.h"
#include "idtap/apdu/scripted_transport.h"
#include "idtap/base/hex.h"
#include "idtap/sm/card_sm.h"
#include "idtap/sm/secure_channel.h"
#include "idtap/sm/terminal_sm.h"
#include "vectors/appendix_d.h"
#include "vectors/vector_file.h"

using namespace idtap;
using namespace idtap::sm;

namespace {

const test::VectorFile& vectors() {
  static const test::VectorFile f = test::VectorFile::load("icao9303_11_appendix_d.txt");
  return f;
}

SessionKeys appendix_d_keys() { return test::appendix_d_session_keys(vectors()); }

constexpr const char* kSteps[] = {"d4_select_ef_com", "d4_read_binary_4", "d4_read_binary_18"};

std::string hex_of(const apdu::CommandApdu& c) { return to_hex(c.encode().value(), true); }

}  // namespace

TEST_CASE("the terminal side wraps and unwraps Appendix D.4 exactly, SSC step by step") {
  auto sm = TerminalSecureMessaging::create(appendix_d_keys());
  REQUIRE(sm.ok());
  for (const char* step : kSteps) {
    CAPTURE(step);
    const auto& v = vectors();
    auto plain = apdu::CommandApdu::parse(v.hex(step, "plain"));
    REQUIRE(plain.ok());
    auto wrapped = sm->wrap_command(*plain);
    REQUIRE(wrapped.ok());
    CHECK(to_hex(sm->ssc(), true) == v.text(step, "ssc_command"));
    CHECK(hex_of(*wrapped) == to_hex(v.hex(step, "protected"), true));
    auto response = apdu::ResponseApdu::parse(v.hex(step, "response"));
    REQUIRE(response.ok());
    auto unwrapped = sm->unwrap_response(*response);
    REQUIRE(unwrapped.ok());
    CHECK(to_hex(sm->ssc(), true) == v.text(step, "ssc_response"));
    CHECK(to_hex(unwrapped->encode(), true) == v.text(step, "plain_response"));
  }
}

TEST_CASE("SecureChannel replays Appendix D.4 over a scripted card") {
  apdu::ScriptedTransport card;
  for (const char* step : kSteps)
    card.expect_bytes(vectors().hex(step, "protected"), vectors().hex(step, "response"));
  auto channel = SecureChannel::create(card, appendix_d_keys());
  REQUIRE(channel.ok());
  Bytes ef_com;
  for (const char* step : kSteps) {
    CAPTURE(step);
    auto r = (*channel)->transmit(apdu::CommandApdu::parse(vectors().hex(step, "plain")).value());
    REQUIRE(r.ok());
    CHECK(r->sw == 0x9000);
    append(ef_com, r->data);
  }
  CHECK(card.done());
  CHECK(to_hex(ef_com, true) == "60145F0104303130365F36063034303030305C026175");
  CHECK((*channel)->is_open());
  CHECK(to_hex((*channel)->ssc(), true) == "887022120C06C22C");
}

TEST_CASE("the card side unwraps the Appendix D.4 commands and produces its responses") {
  auto card = CardSecureMessaging::create(appendix_d_keys());
  REQUIRE(card.ok());
  for (const char* step : kSteps) {
    CAPTURE(step);
    const auto& v = vectors();
    auto command = apdu::CommandApdu::parse(v.hex(step, "protected"));
    REQUIRE(command.ok());
    auto plain = card->unwrap_command(*command);
    REQUIRE(plain.ok());
    CHECK(hex_of(*plain) == to_hex(v.hex(step, "plain"), true));
    auto plain_response = apdu::ResponseApdu::parse(v.hex(step, "plain_response"));
    REQUIRE(plain_response.ok());
    auto wrapped = card->wrap_response(*plain_response);
    REQUIRE(wrapped.ok());
    CHECK(to_hex(wrapped->encode(), true) == to_hex(v.hex(step, "response"), true));
  }
  CHECK(to_hex(card->ssc(), true) == "887022120C06C22C");
}
