// BAC and 3DES secure messaging on the card's side: ICAO 9303-11 Appendix D replayed against the
// simulated card byte for byte, and the error paths.
#include <doctest/doctest.h>

#include "idtap/base/hex.h"
#include "idtap/sim/card.h"
#include "idtap/sm/terminal_sm.h"
#include "support/sim_images.h"
#include "vectors/appendix_d.h"
#include "vectors/vector_file.h"

using namespace idtap;
using namespace idtap::sim;

namespace {

std::string run(SimCard& card, std::string_view command_hex) { return to_hex(card.process(hex_or_die(command_hex)), true); }
std::string hex_of(const test::VectorFile& v, const char* section, const char* key) { return to_hex(v.hex(section, key), true); }

std::unique_ptr<SimCard> appendix_d_card(RandomSource random) {
  CardImage image = test::basic_card_image();
  image.files.com = hex_or_die(test::kAppendixDEfCom);
  auto card = SimCard::create(std::move(image));
  REQUIRE(card.ok());
  (*card)->set_random_source(std::move(random));
  (*card)->power_on();
  return std::move(*card);
}

}  // namespace

TEST_CASE("ICAO 9303-11 Appendix D: BAC and secure messaging, replayed against the card") {
  const auto v = test::VectorFile::load("icao9303_11_appendix_d.txt");
  auto card = appendix_d_card(test::scripted_random({v.hex("d3_bac", "rnd_icc"), v.hex("d3_bac", "k_icc")}));
  REQUIRE(run(*card, "00A4040C07A0000002471001") == "9000");
  // D.3: GET CHALLENGE gives RND.ICC; EXTERNAL AUTHENTICATE gives E.ICC || M.ICC.
  CHECK(run(*card, v.text("d3_bac", "get_challenge")) == hex_of(v, "d3_bac", "rnd_icc") + "9000");
  CHECK(run(*card, v.text("d3_bac", "external_authenticate")) == hex_of(v, "d3_bac", "response"));
  CHECK(card->security_state() == SecurityState::kBac);
  // D.4: the protected SELECT and the two READ BINARYs get exactly the published responses.
  for (const char* step : {"d4_select_ef_com", "d4_read_binary_4", "d4_read_binary_18"}) {
    CAPTURE(step);
    CHECK(run(*card, v.text(step, "protected")) == hex_of(v, step, "response"));
  }
  CHECK(card->security_state() == SecurityState::kBac);
}

TEST_CASE("BAC error paths") {
  const auto v = test::VectorFile::load("icao9303_11_appendix_d.txt");
  const std::string ext_auth = v.text("d3_bac", "external_authenticate");
  struct Case {
    const char* what;
    std::vector<std::string> setup;  // run first (answers not checked)
    std::string command;
    std::string expect;
  };
  const std::string challenge = "0084000008";
  const Case cases[] = {
      // EXTERNAL AUTHENTICATE with no challenge outstanding.
      {"no GET CHALLENGE", {}, ext_auth, "6985"},
      // A challenge is good for one attempt only.
      {"challenge reused", {challenge, ext_auth}, ext_auth, "6985"},
      // A wrong MRZ shows as a MAC that does not verify (here: a zeroed cryptogram).
      {"wrong MAC", {challenge}, "0082000028" + std::string(64, '0') + "5F1448EEA8AD90A7" + "28", "6300"},
      // 39 bytes of data.
      {"short data", {challenge}, "0082000027" + std::string(78, '0') + "28", "6700"},
      // Le other than 28 or 00.
      {"wrong Le", {challenge}, ext_auth.substr(0, ext_auth.size() - 2) + "10", "6700"},
      // No Le at all.
      {"no Le", {challenge}, ext_auth.substr(0, ext_auth.size() - 2), "6700"},
      // P1/P2 must be 00.
      {"bad P1", {challenge}, "0082010028" + ext_auth.substr(10), "6A86"},
      // GET CHALLENGE for other than 8 bytes.
      {"challenge of 16", {}, "0084000010", "6700"},
      // GET CHALLENGE without Le.
      {"challenge without Le", {}, "00840000", "6700"},
      // GET CHALLENGE with P1.
      {"challenge P1", {}, "0084010008", "6A86"},
  };
  for (const auto& tc : cases) {
    std::string what = tc.what;
    CAPTURE(what);
    // The scripted RNG gives Appendix D's RND.ICC (and K.ICC) so the published command is right.
    auto card = appendix_d_card(test::scripted_random({v.hex("d3_bac", "rnd_icc"), v.hex("d3_bac", "k_icc"),
                                                      v.hex("d3_bac", "rnd_icc")}));
    for (const auto& s : tc.setup) (void)run(*card, s);
    CHECK(run(*card, tc.command) == tc.expect);
  }

  SUBCASE("a PACE-only card has no BAC") {
    CardImage image = test::basic_card_image();
    image.config.bac = false;
    auto card = SimCard::create(std::move(image));
    REQUIRE(card.ok());
    (*card)->set_random_source(test::scripted_random({v.hex("d3_bac", "rnd_icc")}));
    (*card)->power_on();
    CHECK(run(**card, challenge).ends_with("9000"));
    CHECK(run(**card, ext_auth) == "6D00");
  }
}

TEST_CASE("after BAC: protected reads work, plain ones end the session, a bad MAC gets 6988") {
  const auto v = test::VectorFile::load("icao9303_11_appendix_d.txt");
  auto card = appendix_d_card(test::scripted_random({v.hex("d3_bac", "rnd_icc"), v.hex("d3_bac", "k_icc")}));
  REQUIRE(run(*card, "00A4040C07A0000002471001") == "9000");
  REQUIRE(run(*card, "0084000008").ends_with("9000"));
  REQUIRE(run(*card, v.text("d3_bac", "external_authenticate")).ends_with("9000"));

  sm::SessionKeys keys = test::appendix_d_session_keys(v);
  auto terminal = sm::TerminalSecureMessaging::create(keys);
  REQUIRE(terminal.ok());
  auto exchange = [&](std::string_view plain_hex) -> Result<apdu::ResponseApdu> {
    IDTAP_ASSIGN_OR_RETURN(auto plain, apdu::CommandApdu::parse(hex_or_die(plain_hex)));
    IDTAP_ASSIGN_OR_RETURN(auto wrapped, terminal->wrap_command(plain));
    IDTAP_ASSIGN_OR_RETURN(Bytes wire, wrapped.encode());
    IDTAP_ASSIGN_OR_RETURN(auto response, apdu::ResponseApdu::parse(card->process(wire)));
    return terminal->unwrap_response(response);
  };
  const CardImage image = test::basic_card_image();
  // DG1 by SFI, whole (95 bytes, Le 00: 6282 at the end), protected.
  auto dg1 = exchange("00B0810000");
  REQUIRE(dg1.ok());
  CHECK(dg1->sw == 0x6282);
  CHECK(dg1->data == image.files.data_groups.at(1));
  // DG3 needs Terminal Authentication, which this card does not do: 6982 even under SM.
  auto dg3 = exchange("00B0830004");
  REQUIRE(dg3.ok());
  CHECK(dg3->sw == 0x6982);
  // An unknown instruction is answered under SM too.
  auto unknown = exchange("0000000000");
  REQUIRE(unknown.ok());
  CHECK(unknown->sw == 0x6D00);
  // A protected command whose MAC is wrong: 6988 in plain, and secure messaging ends.
  auto plain = apdu::CommandApdu::parse(hex_or_die("00B0810004"));
  REQUIRE(plain.ok());
  auto wrapped = terminal->wrap_command(*plain);
  REQUIRE(wrapped.ok());
  Bytes wire = wrapped->encode().value();
  wire[wire.size() - 2] ^= 0x01;  // last MAC byte (before Le)
  CHECK(to_hex(card->process(wire), true) == "6988");
  CHECK(card->security_state() == SecurityState::kNone);
  // The session is gone: a correctly protected command cannot be verified any more.
  CHECK(run(*card, "0CB081000D9701048E08ED6705417E96BA5500") == "6988");
  // And plain access to the protected file is refused.
  CHECK(run(*card, "00B0810004") == "6982");
}

TEST_CASE("card quirk no_sfi under secure messaging: READ BINARY by SFI gets a plain 6A82 that ends the session") {
  const auto v = test::VectorFile::load("icao9303_11_appendix_d.txt");
  CardImage image = test::basic_card_image();
  image.config.quirks.no_sfi = true;
  auto made = SimCard::create(std::move(image));
  REQUIRE(made.ok());
  auto card = std::move(*made);
  card->set_random_source(test::scripted_random({v.hex("d3_bac", "rnd_icc"), v.hex("d3_bac", "k_icc")}));
  card->power_on();
  REQUIRE(run(*card, "00A4040C07A0000002471001") == "9000");
  REQUIRE(run(*card, "0084000008").ends_with("9000"));
  REQUIRE(run(*card, v.text("d3_bac", "external_authenticate")).ends_with("9000"));
  REQUIRE(card->security_state() == SecurityState::kBac);
  // A protected READ BINARY by SFI (DG1, 81): 6A82 without SM objects (a wrong MAC would get
  // 6988), and the session is gone.
  sm::SessionKeys keys = test::appendix_d_session_keys(v);
  auto terminal = sm::TerminalSecureMessaging::create(keys);
  REQUIRE(terminal.ok());
  auto wrap = [&](std::string_view plain_hex) {
    auto plain = apdu::CommandApdu::parse(hex_or_die(plain_hex));
    REQUIRE(plain.ok());
    auto wrapped = terminal->wrap_command(*plain);
    REQUIRE(wrapped.ok());
    return to_hex(wrapped->encode().value(), true);
  };
  CHECK(run(*card, wrap("00B0810004")) == "6A82");
  CHECK(card->security_state() == SecurityState::kNone);
  // A card that does read by SFI answers the same command under SM (the MAC was right).
  auto fine = appendix_d_card(test::scripted_random({v.hex("d3_bac", "rnd_icc"), v.hex("d3_bac", "k_icc")}));
  REQUIRE(run(*fine, "00A4040C07A0000002471001") == "9000");
  REQUIRE(run(*fine, "0084000008").ends_with("9000"));
  REQUIRE(run(*fine, v.text("d3_bac", "external_authenticate")).ends_with("9000"));
  auto again = sm::TerminalSecureMessaging::create(keys);
  REQUIRE(again.ok());
  auto cmd = apdu::CommandApdu::parse(hex_or_die("00B0810004"));
  REQUIRE(cmd.ok());
  auto response = apdu::ResponseApdu::parse(fine->process(again->wrap_command(*cmd).value().encode().value()));
  REQUIRE(response.ok());
  auto unwrapped = again->unwrap_response(*response);
  REQUIRE(unwrapped.ok());
  CHECK(unwrapped->sw == 0x9000);
  CHECK(fine->security_state() == SecurityState::kBac);
}

TEST_CASE("a plain command during secure messaging ends it") {
  const auto v = test::VectorFile::load("icao9303_11_appendix_d.txt");
  auto card = appendix_d_card(test::scripted_random({v.hex("d3_bac", "rnd_icc"), v.hex("d3_bac", "k_icc")}));
  REQUIRE(run(*card, "00A4040C07A0000002471001") == "9000");
  REQUIRE(run(*card, "0084000008").ends_with("9000"));
  REQUIRE(run(*card, v.text("d3_bac", "external_authenticate")).ends_with("9000"));
  REQUIRE(card->security_state() == SecurityState::kBac);
  // ICAO 9303-11 §9.8.1: the plain SELECT is processed, but the session keys are gone.
  CHECK(run(*card, "00A4020C02011E") == "9000");
  CHECK(card->security_state() == SecurityState::kNone);
  CHECK(run(*card, "00B0000004") == "6982");
  CHECK(run(*card, v.text("d4_read_binary_4", "protected")) == "6988");
}
