// AES secure messaging: recorded vectors from real chips (independent of idtap), round trips
// through the card side for every cipher, and the plaintext-size arithmetic.
#include <doctest/doctest.h>

#include "idtap/apdu/commands.h"
#include "idtap/base/hex.h"
#include "idtap/sm/card_sm.h"
#include "idtap/sm/secure_channel.h"
#include "idtap/sm/terminal_sm.h"
#include "sm/loopback_card.h"
#include "vectors/vector_file.h"

using namespace idtap;
using namespace idtap::sm;

namespace {

const test::VectorFile& recorded() {
  static const test::VectorFile f = test::VectorFile::load("sm_aes_recorded.txt");
  return f;
}

SessionKeys keys_of(const char* section) {
  const auto& v = recorded();
  return SessionKeys{crypto::CipherAlg::kAes128, secure_copy(v.hex(section, "ks_enc")),
                     secure_copy(v.hex(section, "ks_mac")), v.hex(section, "ssc")};
}

}  // namespace

TEST_CASE("AES-128: a recorded protected MSE:Set AT is reproduced byte for byte") {
  const char* s = "mse_set_at_command";
  auto sm = TerminalSecureMessaging::create(keys_of(s));
  REQUIRE(sm.ok());
  auto wrapped = sm->wrap_command(apdu::CommandApdu::parse(recorded().hex(s, "plain")).value());
  REQUIRE(wrapped.ok());
  CHECK(to_hex(wrapped->encode().value()) == recorded().text(s, "protected"));
  CHECK(to_hex(sm->ssc()) == recorded().text(s, "ssc_after"));
  // And the card side reads it back.
  auto card = CardSecureMessaging::create(keys_of(s));
  REQUIRE(card.ok());
  auto plain = card->unwrap_command(*wrapped);
  REQUIRE(plain.ok());
  CHECK(to_hex(plain->encode().value()) == recorded().text(s, "plain"));
}

TEST_CASE("AES-128: a recorded 223-byte protected response unwraps") {
  const char* s = "read_binary_223_response";
  auto sm = TerminalSecureMessaging::create(keys_of(s));
  REQUIRE(sm.ok());
  auto r = sm->unwrap_response(apdu::ResponseApdu::parse(recorded().hex(s, "response")).value());
  REQUIRE(r.ok());
  CHECK(r->sw == 0x9000);
  CHECK(r->data.size() == 223);
  CHECK(to_hex(r->data) == recorded().text(s, "plain_data"));
  CHECK(to_hex(sm->ssc()) == recorded().text(s, "ssc_after"));
  // The card side, from the same SSC, produces the same bytes (the IV is E(KSenc, SSC)).
  auto card = CardSecureMessaging::create(keys_of(s));
  REQUIRE(card.ok());
  auto again = card->wrap_response({r->data, 0x9000});
  REQUIRE(again.ok());
  CHECK(to_hex(again->encode()) == recorded().text(s, "response"));
}

TEST_CASE("round trips through the card side for every cipher and every APDU case") {
  const apdu::CommandApdu commands[] = {
      apdu::select_by_fid(0x011E),                                           // case 3
      apdu::read_binary(0, 223).value(),                                     // case 2
      apdu::get_challenge(8),                                                // case 2, short Ne
      apdu::CommandApdu{0x00, 0x70, 0x00, 0x00, {}, 0},                      // case 1
      apdu::internal_authenticate(hex_or_die("0102030405060708"), 256),      // case 4, Le 00
      apdu::read_binary_odd(40000, 100).value(),                             // odd INS: DO85
      apdu::general_authenticate(hex_or_die("800101"), /*chained=*/true),    // CLA 10: chaining kept
      apdu::CommandApdu{0x00, 0xDA, 0x01, 0x02, Bytes(16, 0x55), 0},         // data exactly 1 AES block
  };
  for (crypto::CipherAlg alg : {crypto::CipherAlg::kTdes, crypto::CipherAlg::kAes128, crypto::CipherAlg::kAes192,
                                crypto::CipherAlg::kAes256}) {
    CAPTURE(static_cast<int>(alg));
    test::LoopbackCard card(test::test_keys(alg), [](const apdu::CommandApdu& c) {
      // Echo the command's data (or 5 bytes), then a warning SW: SWs other than 9000 go through.
      Bytes data = c.data.empty() ? hex_or_die("0102030405") : c.data;
      return apdu::ResponseApdu{data, c.ins == 0x70 ? uint16_t{0x6282} : uint16_t{0x9000}};
    });
    auto channel = SecureChannel::create(card, test::test_keys(alg));
    REQUIRE(channel.ok());
    for (const auto& cmd : commands) {
      CAPTURE(to_hex(cmd.encode().value()));
      auto r = (*channel)->transmit(cmd);
      REQUIRE_MESSAGE(r.ok(), r.error().message());
      const apdu::CommandApdu& seen = card.plain_commands().back();
      CHECK(to_hex(seen.encode().value()) == to_hex(cmd.encode().value()));
      CHECK(to_hex(r->data) == to_hex(cmd.data.empty() ? hex_or_die("0102030405") : cmd.data));
      CHECK(r->sw == (cmd.ins == 0x70 ? 0x6282 : 0x9000));
      const Bytes& wire = card.wire_commands().back();
      CHECK((wire[0] & 0x0C) == 0x0C);                      // SM with authenticated header
      CHECK((wire[0] & 0x10) == (cmd.cla & 0x10));          // chaining bit preserved
      CHECK(wire[5] == ((cmd.ins & 1) ? 0x85 : cmd.data.empty() ? (cmd.ne ? 0x97 : 0x8E) : 0x87));
      CHECK(wire.back() == 0x00);                           // Le = 00
    }
    // Two counter values per exchange.
    Bytes expected_ssc = zero_ssc(alg);
    for (size_t i = 0; i < 2 * std::size(commands); ++i) increment_ssc(expected_ssc);
    CHECK(to_hex((*channel)->ssc()) == to_hex(expected_ssc));
  }
}

TEST_CASE("plaintext capacity: 223 with AES and 231 with 3DES on short APDUs") {
  const apdu::TransportCaps short_caps;  // 255 / 256, no extended length
  auto aes = plaintext_caps(short_caps, crypto::CipherAlg::kAes128);
  CHECK(aes.max_response_data == 223);
  CHECK(aes.max_command_data == 223);
  CHECK_FALSE(aes.extended_length);
  auto tdes = plaintext_caps(short_caps, crypto::CipherAlg::kTdes);
  CHECK(tdes.max_response_data == 231);
  CHECK(tdes.max_command_data == 231);
  // A reader limited below the short maximum.
  auto small = plaintext_caps(apdu::TransportCaps{.max_command_data = 64, .max_response_data = 64}, crypto::CipherAlg::kAes128);
  // 64 - 14 (DO99, DO8E) = 50 for DO87: a 48-byte cryptogram needs 51, a 32-byte one 35.
  CHECK(small.max_response_data == 31);
  // Extended length: the reader's own limits, minus the SM overhead.
  auto ext = plaintext_caps(apdu::TransportCaps{.max_command_data = 65535, .max_response_data = 65536,
                                                .extended_length = true},
                            crypto::CipherAlg::kAes128);
  CHECK(ext.extended_length);
  CHECK(ext.max_response_data == 65503);  // 65536 - 14 - 4 (87 82 xx xx) - 1 (01) = 65517 -> 65504 cryptogram
  CHECK(ext.max_command_data == 65503);   // 65535 - 14 - 4 - 1 = 65516 -> 65504
  // Whatever the caps say must actually fit: the largest command and response go through.
  for (crypto::CipherAlg alg : {crypto::CipherAlg::kTdes, crypto::CipherAlg::kAes256}) {
    const auto caps = plaintext_caps(short_caps, alg);
    test::LoopbackCard card(test::test_keys(alg), [&](const apdu::CommandApdu& c) {
      return apdu::ResponseApdu{Bytes(c.ne, 0x77), 0x9000};
    });
    auto channel = SecureChannel::create(card, test::test_keys(alg));
    REQUIRE(channel.ok());
    CHECK((*channel)->capabilities().max_response_data == caps.max_response_data);
    auto r = (*channel)->transmit(apdu::CommandApdu{0x00, 0xB0, 0, 0, Bytes(caps.max_command_data, 1), caps.max_response_data});
    REQUIRE_MESSAGE(r.ok(), r.error().message());
    CHECK(r->data.size() == caps.max_response_data);
    CHECK(card.wire_commands().back().size() <= 5 + 255 + 1);   // still a short APDU
    CHECK(card.wire_responses().back().size() <= 256 + 2);      // and a short response
  }
}
