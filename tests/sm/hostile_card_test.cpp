// The hostile-card table: every way a response can break secure messaging gives its own clear
// kSecureMessaging error, and afterwards the channel is dead (kState on every transmit).
#include <doctest/doctest.h>

#include <string>

#include "idtap/apdu/commands.h"
#include "idtap/base/hex.h"
#include "idtap/sm/secure_channel.h"
#include "sm/loopback_card.h"

using namespace idtap;
using namespace idtap::sm;
using test::Forger;
using test::LoopbackCard;

namespace {

// The honest card: READ BINARY returns 20 bytes of a file, anything else 9000.
apdu::ResponseApdu file_app(const apdu::CommandApdu& c) {
  if (c.ins == 0xB0) {
    Bytes data(20);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(0x60 + i);
    return {data, 0x9000};
  }
  return {{}, 0x9000};
}

struct HostileCase {
  const char* name;
  LoopbackCard::Tamper tamper;
  const char* expect;  // a fragment of the error context
  ErrorCode code = ErrorCode::kSecureMessaging;
};

}  // namespace

TEST_CASE("hostile card responses: each its own error, each kills the channel") {
  const HostileCase cases[] = {
      // A flipped bit in the MAC: tampering or wrong keys.
      {"bad MAC",
       [](const Bytes& honest, const Forger&) {
         Bytes b = honest;
         b[b.size() - 3] ^= 0x01;  // last MAC byte (before SW1 SW2)
         return b;
       },
       "MAC does not verify"},
      // A response without DO99, correctly MACed: the status word would be unauthenticated.
      {"missing DO99",
       [](const Bytes& honest, const Forger& f) {
         (void)honest;
         Bytes padded(f.block_size() * 2, 0);
         padded[0] = 0x41;
         padded[1] = 0x80;
         Bytes do87 = {0x87, static_cast<uint8_t>(padded.size() + 1), 0x01};
         append(do87, f.encrypt(padded));
         return f.seal(do87, 0x9000);
       },
       "without DO99"},
      // DO99 protects 9000 but the plain SW says 6A82 (an attacker rewriting the status).
      {"DO99 disagrees with the SW",
       [](const Bytes& honest, const Forger&) {
         Bytes b = honest;
         b[b.size() - 2] = 0x6A;
         b[b.size() - 1] = 0x82;
         return b;
       },
       "DO99 says SW 9000 but the response carries SW 6A82"},
      // A cryptogram whose plaintext has no method-2 padding, correctly MACed.
      {"bad padding",
       [](const Bytes&, const Forger& f) {
         const Bytes unpadded(f.block_size() * 2, 0x41);
         Bytes objects = {0x87, static_cast<uint8_t>(unpadded.size() + 1), 0x01};
         append(objects, f.encrypt(unpadded));
         append(objects, hex_or_die("99029000"));
         return f.seal(objects, 0x9000);
       },
       "bad padding"},
      // The card drops SM and answers a plain 6982 (e.g. it lost the session).
      {"plain 6982 during SM", [](const Bytes&, const Forger&) { return hex_or_die("6982"); },
       "answered SW 6982 without secure messaging objects"},
      // The card answers plain 6988: it says our MAC was wrong and has ended SM.
      {"plain 6988 during SM", [](const Bytes&, const Forger&) { return hex_or_die("6988"); },
       "incorrect secure messaging data objects"},
      // Plain file data while SM is active (a card or relay ignoring SM).
      {"plain data during SM",
       [](const Bytes&, const Forger&) { return hex_or_die("60145F0104303130365F3606 9000"); },
       "plain (unprotected) data"},
      // Objects cut short: DO87 announces more bytes than follow.
      {"truncated objects",
       [](const Bytes& honest, const Forger&) {
         Bytes b(honest.begin(), honest.begin() + 12);
         b.push_back(0x90);
         b.push_back(0x00);
         return b;
       },
       "truncated or malformed SM data objects"},
      // DO87 whose padding-content indicator is 02 instead of 01, correctly MACed.
      {"DO87 without the 01 indicator",
       [](const Bytes&, const Forger& f) {
         Bytes padded(f.block_size(), 0);
         padded[0] = 0x80;
         Bytes objects = {0x87, static_cast<uint8_t>(padded.size() + 1), 0x02};
         append(objects, f.encrypt(padded));
         append(objects, hex_or_die("99029000"));
         return f.seal(objects, 0x9000);
       },
       "padding-content indicator 02"},
      // A cryptogram that is not a whole number of blocks, correctly MACed.
      {"cryptogram not whole blocks",
       [](const Bytes&, const Forger& f) { return f.seal(hex_or_die("8704 01 AABBCC 99029000"), 0x9000); },
       "not a whole number of"},
      // DO8E with a 4-byte MAC.
      {"short DO8E",
       [](const Bytes&, const Forger&) { return hex_or_die("99029000 8E04 01020304 9000"); },
       "not an 8-byte MAC"},
      // DO87 and DO99 but no DO8E at all.
      {"missing DO8E", [](const Bytes&, const Forger&) { return hex_or_die("99029000 9000"); },
       "without DO8E"},
      // Bytes after DO8E (an attacker appending unauthenticated data).
      {"data after DO8E",
       [](const Bytes& honest, const Forger&) {
         Bytes b(honest.begin(), honest.end() - 2);
         append(b, hex_or_die("990290009000"));
         return b;
       },
       "data after DO8E"},
      // An object SM responses never carry (53: plain data) among the SM objects, correctly MACed.
      {"foreign data object", [](const Bytes&, const Forger& f) { return f.seal(hex_or_die("99029000 5302AABB"), 0x9000); },
       "unexpected data object 53"},
      // Objects out of the ICAO order (DO99 before DO87), correctly MACed.
      {"objects out of order",
       [](const Bytes&, const Forger& f) {
         Bytes padded(f.block_size(), 0);
         padded[0] = 0x80;
         Bytes objects = hex_or_die("99029000");
         append(objects, Bytes{0x87, static_cast<uint8_t>(padded.size() + 1), 0x01});
         append(objects, f.encrypt(padded));
         return f.seal(objects, 0x9000);
       },
       "out of order"},
      // A DO97 in a response (only commands carry Le), correctly MACed.
      {"DO97 in a response", [](const Bytes&, const Forger& f) { return f.seal(hex_or_die("970100 99029000"), 0x9000); },
       "DO97"},
  };
  for (crypto::CipherAlg alg : {crypto::CipherAlg::kTdes, crypto::CipherAlg::kAes128, crypto::CipherAlg::kAes256}) {
    for (const auto& c : cases) {
      CAPTURE(std::string(c.name));
      CAPTURE(static_cast<int>(alg));
      LoopbackCard card(test::test_keys(alg), file_app);
      auto channel = SecureChannel::create(card, test::test_keys(alg));
      REQUIRE(channel.ok());
      // One honest exchange first: the session works until the card turns hostile.
      auto first = (*channel)->transmit(apdu::read_binary(0, 20).value());
      REQUIRE(first.ok());
      CHECK(first->data.size() == 20);
      card.tamper_next(c.tamper);
      auto r = (*channel)->transmit(apdu::read_binary(20, 20).value());
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == c.code);
      CHECK_MESSAGE(r.error().context.find(c.expect) != std::string::npos, r.error().context);
      CHECK_FALSE((*channel)->is_open());
      // Dead: nothing more reaches the card, and the reason is kept.
      const size_t sent = card.wire_commands().size();
      auto after = (*channel)->transmit(apdu::select_by_fid(0x011E));
      REQUIRE_FALSE(after.ok());
      CHECK(after.error().code == ErrorCode::kState);
      CHECK(after.error().context.rfind("secure channel closed after ", 0) == 0);
      CHECK(after.error().context.find(c.expect) != std::string::npos);
      CHECK(card.wire_commands().size() == sent);
      CHECK((*channel)->rekey(test::test_keys(alg)).error().code == ErrorCode::kState);
    }
  }
}

TEST_CASE("a replayed response (SSC out of step) fails the MAC and kills the channel") {
  LoopbackCard card(test::test_keys(crypto::CipherAlg::kAes128), file_app);
  auto channel = SecureChannel::create(card, test::test_keys(crypto::CipherAlg::kAes128));
  REQUIRE(channel.ok());
  REQUIRE((*channel)->transmit(apdu::read_binary(0, 20).value()).ok());
  const Bytes recorded = card.wire_responses().back();
  // The card (or a relay) answers the second READ BINARY with the first one's response: same
  // keys, same objects, but MACed under an older SSC.
  card.tamper_next([recorded](const Bytes&, const Forger&) { return recorded; });
  auto r = (*channel)->transmit(apdu::read_binary(0, 20).value());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kSecureMessaging);
  CHECK(r.error().context.find("MAC does not verify") != std::string::npos);
  CHECK((*channel)->transmit(apdu::read_binary(0, 20).value()).error().code == ErrorCode::kState);
}

TEST_CASE("a transport failure also closes the channel, keeping its own code") {
  LoopbackCard card(test::test_keys(crypto::CipherAlg::kTdes, hex_or_die("887022120C06C226")), file_app);
  auto channel = SecureChannel::create(card, test::test_keys(crypto::CipherAlg::kTdes, hex_or_die("887022120C06C226")));
  REQUIRE(channel.ok());
  card.fail_next(make_error(ErrorCode::kCardRemoved, "card left the field"));
  auto r = (*channel)->transmit(apdu::read_binary(0, 20).value());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kCardRemoved);
  auto after = (*channel)->transmit(apdu::read_binary(0, 20).value());
  CHECK(after.error().code == ErrorCode::kState);
  CHECK(after.error().context.find("card left the field") != std::string::npos);
}

TEST_CASE("the card side refuses bad protected commands with 6987 / 6988") {
  const auto keys = test::test_keys(crypto::CipherAlg::kAes128);
  auto terminal = TerminalSecureMessaging::create(keys);
  REQUIRE(terminal.ok());
  auto good = terminal->wrap_command(apdu::select_by_fid(0x011E));
  REQUIRE(good.ok());
  const struct {
    const char* name;
    std::function<apdu::CommandApdu(apdu::CommandApdu)> mutate;
    uint16_t sw;
  } cases[] = {
      // A plain command while SM is active.
      {"plain command", [](apdu::CommandApdu c) { c.cla = 0x00; return c; }, 0x6987},
      // The MAC object removed.
      {"no DO8E", [](apdu::CommandApdu c) { c.data.erase(c.data.end() - 10, c.data.end()); return c; }, 0x6987},
      // The header changed after MACing (P1 is authenticated).
      {"header tampered", [](apdu::CommandApdu c) { c.p1 ^= 0x01; return c; }, 0x6988},
      // A cryptogram bit flipped.
      {"cryptogram tampered", [](apdu::CommandApdu c) { c.data[4] ^= 0x80; return c; }, 0x6988},
      // Garbage instead of objects.
      {"truncated objects", [](apdu::CommandApdu c) { c.data.resize(5); return c; }, 0x6988},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.name));
    auto card = CardSecureMessaging::create(keys);
    REQUIRE(card.ok());
    auto r = card->unwrap_command(c.mutate(*good));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kSecureMessaging);
    CHECK(r.error().sw == c.sw);
  }
}
