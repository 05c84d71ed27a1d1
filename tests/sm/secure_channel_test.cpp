// SecureChannel as a Transport: ownership, rekeying (Chip Authentication), pass-through of
// reader pseudo-APDUs, extended length, GET RESPONSE, and the errors that leave it open.
#include "idtap/sm/secure_channel.h"

#include <doctest/doctest.h>

#include "idtap/apdu/commands.h"
#include "idtap/apdu/scripted_transport.h"
#include "idtap/base/hex.h"
#include "sm/loopback_card.h"

using namespace idtap;
using namespace idtap::sm;

namespace {

apdu::ResponseApdu echo_app(const apdu::CommandApdu& c) {
  return {c.data.empty() ? Bytes(c.ne == 0 ? 0 : std::min<size_t>(c.ne, 4000), 0x33) : c.data, 0x9000};
}

}  // namespace

TEST_CASE("Chip Authentication restarts SM with new keys and SSC 0 on the same channel") {
  const auto bac_keys = test::test_keys(crypto::CipherAlg::kTdes, hex_or_die("887022120C06C226"));
  auto ca_keys = test::test_keys(crypto::CipherAlg::kAes256);
  ca_keys.ks_enc[0] ^= 0xFF;  // different keys from the first session
  test::LoopbackCard card(bac_keys, echo_app);
  auto channel = SecureChannel::create(card, bac_keys);
  REQUIRE(channel.ok());
  REQUIRE((*channel)->transmit(apdu::select_by_fid(0x011E)).ok());
  CHECK((*channel)->alg() == crypto::CipherAlg::kTdes);

  // Bad new keys are refused and the old session continues.
  SessionKeys bad = ca_keys;
  bad.ssc.resize(8);
  CHECK((*channel)->rekey(bad).error().code == ErrorCode::kInvalidArgument);
  REQUIRE((*channel)->transmit(apdu::select_by_fid(0x011E)).ok());

  REQUIRE((*channel)->rekey(ca_keys).ok());
  CHECK((*channel)->alg() == crypto::CipherAlg::kAes256);
  CHECK(to_hex((*channel)->ssc()) == to_hex(zero_ssc(crypto::CipherAlg::kAes256)));
  // The old card session's keys no longer verify: the card (still on 3DES) rejects the command
  // with a plain 6988, and the channel dies with that reason.
  auto r = (*channel)->transmit(apdu::read_binary(0, 8).value());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kSecureMessaging);
  CHECK(r.error().sw == 0x6988);

  // A card that switched too works with the new keys.
  test::LoopbackCard ca_card(ca_keys, echo_app);
  auto fresh = SecureChannel::create(ca_card, bac_keys);
  REQUIRE(fresh.ok());
  REQUIRE((*fresh)->rekey(ca_keys).ok());
  auto ok = (*fresh)->transmit(apdu::read_binary(0, 8).value());
  REQUIRE(ok.ok());
  CHECK(ok->data.size() == 8);
}

TEST_CASE("reader pseudo-APDUs pass through unprotected; commands that cannot be protected leave it open") {
  test::LoopbackCard card(test::test_keys(crypto::CipherAlg::kAes128), echo_app);
  auto channel = SecureChannel::create(card, test::test_keys(crypto::CipherAlg::kAes128));
  REQUIRE(channel.ok());
  // PC/SC part 3 GET DATA (UID): answered by the reader, never protected, no SSC step.
  auto uid = (*channel)->transmit(apdu::CommandApdu{0xFF, 0xCA, 0x00, 0x00, {}, 256});
  REQUIRE(uid.ok());
  CHECK(to_hex(uid->data) == "04a1b2c3");
  CHECK(to_hex(card.wire_commands().back()) == "ffca000000");
  CHECK(to_hex((*channel)->ssc()) == to_hex(zero_ssc(crypto::CipherAlg::kAes128)));

  const struct {
    apdu::CommandApdu command;
    const char* why;
  } refused[] = {
      {apdu::CommandApdu{0x0C, 0xB0, 0, 0, {}, 16}, "already marked as SM"},
      {apdu::CommandApdu{0x80, 0xCA, 0, 0, {}, 16}, "a proprietary class"},
      {apdu::CommandApdu{0x00, 0xD6, 0, 0, Bytes(300, 1), 0}, "needs extended length the reader lacks"},
      {apdu::CommandApdu{0x00, 0xD6, 0, 0, Bytes(240, 1), 0}, "fits short plain but not short protected"},
      {apdu::CommandApdu{0x00, 0xB0, 0, 0, {}, 1000}, "Ne beyond short length"},
  };
  for (const auto& c : refused) {
    CAPTURE(std::string(c.why));
    auto r = (*channel)->transmit(c.command);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
    CHECK((*channel)->is_open());
  }
  CHECK(to_hex((*channel)->ssc()) == to_hex(zero_ssc(crypto::CipherAlg::kAes128)));
  CHECK((*channel)->transmit(apdu::select_by_fid(0x011E)).ok());
}

TEST_CASE("extended-length protected APDUs when the reader supports them and the plaintext needs it") {
  test::LoopbackCard card(test::test_keys(crypto::CipherAlg::kAes128), echo_app);
  card.set_caps(apdu::TransportCaps{.max_command_data = 65535, .max_response_data = 65536, .extended_length = true});
  auto channel = SecureChannel::create(card, test::test_keys(crypto::CipherAlg::kAes128));
  REQUIRE(channel.ok());
  CHECK((*channel)->capabilities().extended_length);
  CHECK((*channel)->capabilities().max_response_data == 65503);

  // A short READ stays short.
  REQUIRE((*channel)->transmit(apdu::read_binary(0, 100).value()).ok());
  CHECK(card.wire_commands().back().size() == 5 + 3 + 10 + 1);
  // A 4000-byte READ: extended, DO97 = 0FA0, Le = 0000.
  auto big = (*channel)->transmit(apdu::read_binary(0, 4000).value());
  REQUIRE(big.ok());
  CHECK(big->data.size() == 4000);
  const Bytes& wire = card.wire_commands().back();
  CHECK(to_hex(ByteView(wire).first(7)) == "0cb0000000000e");  // 00 Lc1 Lc2: extended Lc = 14
  CHECK(to_hex(ByteView(wire).subspan(7, 4)) == "97020fa0");
  CHECK(to_hex(ByteView(wire).last(2)) == "0000");
  // 240 bytes of data fit short plain but not short protected: extended.
  auto write = (*channel)->transmit(apdu::CommandApdu{0x00, 0xD6, 0, 0, Bytes(240, 1), 0});
  REQUIRE(write.ok());
  CHECK(card.wire_commands().back()[4] == 0x00);
  // Ne 256 (Le 00): more than a short protected response carries, so extended too.
  REQUIRE((*channel)->transmit(apdu::read_binary(0, 256).value()).ok());
  CHECK(to_hex(ByteView(card.wire_commands().back()).last(2)) == "0000");
  CHECK(card.plain_commands().back().ne == 256);

  // A reader with extended length but a smaller buffer: a command that would not fit once
  // protected is refused before the SSC moves, and the channel stays open.
  test::LoopbackCard small(test::test_keys(crypto::CipherAlg::kAes128), echo_app);
  small.set_caps(apdu::TransportCaps{.max_command_data = 300, .max_response_data = 1024, .extended_length = true});
  auto limited = SecureChannel::create(small, test::test_keys(crypto::CipherAlg::kAes128));
  REQUIRE(limited.ok());
  // 300 - 14 (DO97 in extended form, DO8E) leaves 286 for DO87: a 272-byte cryptogram takes
  // 87 82 0111 01 + 272 = 277, a 288-byte one would take 293.
  CHECK((*limited)->capabilities().max_command_data == 271);
  auto too_big = (*limited)->transmit(apdu::CommandApdu{0x00, 0xD6, 0, 0, Bytes(400, 1), 0});
  REQUIRE_FALSE(too_big.ok());
  CHECK(too_big.error().code == ErrorCode::kInvalidArgument);
  CHECK((*limited)->is_open());
  REQUIRE((*limited)->transmit(apdu::CommandApdu{0x00, 0xD6, 0, 0, Bytes(271, 1), 0}).ok());
  CHECK(small.wire_commands().back().size() <= 7 + 300);
}

TEST_CASE("61xx on a protected command is followed with a plain GET RESPONSE before unwrapping") {
  // Appendix D.4 SELECT EF.COM, with the card answering 61 10 and the protected response in
  // GET RESPONSE.
  SessionKeys keys{crypto::CipherAlg::kTdes, secure_copy(hex_or_die("979EC13B1CBFE9DCD01AB0FED307EAE5")),
                   secure_copy(hex_or_die("F1CB1F1FB5ADF208806B89DC579DC1F8")), hex_or_die("887022120C06C226")};
  apdu::ScriptedTransport t;
  t.expect("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800", "610E")
      .expect("00C000000E", "990290008E08FA855A5D4C50A8ED9000");
  auto channel = SecureChannel::create(t, keys);
  REQUIRE(channel.ok());
  auto r = (*channel)->transmit(apdu::select_by_fid(0x011E));
  REQUIRE_MESSAGE(r.ok(), r.error().message());
  CHECK(r->sw == 0x9000);
  CHECK(t.done());
}

TEST_CASE("owning and borrowing forms, close, reconnect and describe") {
  const auto keys = test::test_keys(crypto::CipherAlg::kAes128);
  {
    auto owned_card = std::make_unique<test::LoopbackCard>(keys, echo_app);
    test::LoopbackCard* raw = owned_card.get();
    auto channel = SecureChannel::create(std::unique_ptr<apdu::Transport>(std::move(owned_card)), keys);
    REQUIRE(channel.ok());
    CHECK((*channel)->describe() == "sm(AES-128) over loopback");
    CHECK(to_hex((*channel)->atr()) == "3b8080010101");
    REQUIRE((*channel)->close().ok());
    CHECK(raw->closed());  // the owning form closes what it owns
    CHECK((*channel)->transmit(apdu::select_by_fid(0x011E)).error().code == ErrorCode::kState);
    CHECK((*channel)->close().ok());  // idempotent
  }
  {
    test::LoopbackCard card(keys, echo_app);
    auto channel = SecureChannel::create(card, keys);
    REQUIRE(channel.ok());
    REQUIRE((*channel)->close().ok());
    CHECK_FALSE(card.closed());  // the borrowing form leaves the transport to its owner
    CHECK((*channel)->closed_reason() == "close()");
  }
  {
    test::LoopbackCard card(keys, echo_app);
    auto channel = SecureChannel::create(card, keys);
    REQUIRE(channel.ok());
    // LoopbackCard cannot reconnect; the channel closes anyway (a new card session has no SM).
    CHECK((*channel)->reconnect(std::chrono::milliseconds(10)).error().code == ErrorCode::kNotSupported);
    CHECK_FALSE((*channel)->is_open());
    CHECK((*channel)->closed_reason().find("reconnected") != std::string::npos);
  }
  // Bad keys are refused at creation.
  SessionKeys bad = keys;
  bad.ks_mac.pop_back();
  test::LoopbackCard card(keys, echo_app);
  CHECK(SecureChannel::create(card, bad).error().code == ErrorCode::kInvalidArgument);
  CHECK(SecureChannel::create(std::unique_ptr<apdu::Transport>(), keys).error().code == ErrorCode::kInvalidArgument);
}
