// card.conf's grammar (drivers/sim/card_conf.cpp): text in, config out and back, and every kind
// of malformed input refused with the file, the line and the problem named.
#include "idtap/sim/card_conf.h"

#include <doctest/doctest.h>

#include <string>

#include "idtap/base/hex.h"

using namespace idtap;
using namespace idtap::sim;

namespace {

SecureBytes sb(std::string_view s) { return secure_copy(bytes_of(s)); }

CardConfig sample_config() {
  CardConfig c;
  c.can = sb("123456");
  c.mrz.document_number = sb("L898902C<");
  c.mrz.date_of_birth = sb("690806");
  c.mrz.date_of_expiry = sb("940623");
  c.pace_offers = {{PaceMapping::kGeneric, crypto::CipherAlg::kAes128, 13},
                   {PaceMapping::kChipAuthentication, crypto::CipherAlg::kAes256, 12}};
  c.ca_ciphers = {crypto::CipherAlg::kTdes, crypto::CipherAlg::kAes128};
  c.quirks.max_response = 223;
  c.quirks.leave_after = 7;
  c.quirks.no_sfi = true;
  return c;
}

std::string text_of(const SecureBytes& s) { return std::string(s.begin(), s.end()); }

}  // namespace

TEST_CASE("the written card.conf is documented text that parses back") {
  CardConfig c = sample_config();
  SecureBytes text = format_card_conf(c);
  std::string s(text.begin(), text.end());
  CHECK(s.find("format = 1\n") != std::string::npos);
  CHECK(s.find("pace = gm-aes128-brainpoolP256r1, cam-aes256-secp256r1\n") != std::string::npos);
  CHECK(s.find("quirk.max_response = 223\n") != std::string::npos);
  CHECK(s.find("quirk.no_sfi = yes\n") != std::string::npos);
  auto back = parse_card_conf(s);
  REQUIRE(back.ok());
  CHECK(back->pace_offers == c.pace_offers);
}

TEST_CASE("card.conf: comments, blank lines, defaults") {
  auto c = parse_card_conf("# a card\n\nformat = 1   # trailing comment\naccess = pace\npace = im-aes256-13\n");
  REQUIRE(c.ok());
  CHECK_FALSE(c->bac);
  CHECK(c->pace);
  REQUIRE(c->pace_offers.size() == 1);
  CHECK(c->pace_offers[0] == PaceOffer{PaceMapping::kIntegrated, crypto::CipherAlg::kAes256, 13});
  CHECK(c->pace_retries == 3);
  CHECK(c->quirks == CardQuirks{});
  CHECK(to_hex(c->atr, true) == "3B80800101");
}

TEST_CASE("every field survives format and parse") {
  CardConfig c = sample_config();
  c.atr = hex_or_die("3B8880014241544F524D6F646519");
  c.uid = hex_or_die("04A1B2C3D4E5F6");
  c.bac = false;
  c.pace_retries = 15;
  c.aa_hash = crypto::HashAlg::kSha384;
  c.quirks.extended_length = false;
  c.quirks.mse_rejects_le = true;
  c.quirks.cloned_chip = true;
  auto back = parse_card_conf(text_of(format_card_conf(c)));
  REQUIRE(back.ok());
  CHECK(back->atr == c.atr);
  CHECK(back->uid == c.uid);
  CHECK(back->bac == c.bac);
  CHECK(back->pace == c.pace);
  CHECK(text_of(back->can) == "123456");
  CHECK(text_of(back->mrz.document_number) == "L898902C<");
  CHECK(text_of(back->mrz.date_of_birth) == "690806");
  CHECK(text_of(back->mrz.date_of_expiry) == "940623");
  CHECK(back->pace_offers == c.pace_offers);
  CHECK(back->pace_retries == 15);
  CHECK(back->ca_ciphers == c.ca_ciphers);
  CHECK(back->aa_hash == crypto::HashAlg::kSha384);
  CHECK(back->quirks == c.quirks);
}

TEST_CASE("a config with no CAN, no MRZ and nothing offered is written as `none` and read back so") {
  CardConfig c;
  c.bac = c.pace = false;
  const std::string text = text_of(format_card_conf(c));
  CHECK(text.find("access = none\n") != std::string::npos);
  CHECK(text.find("pace = none\n") != std::string::npos);
  CHECK(text.find("ca = none\n") != std::string::npos);
  CHECK(text.find("can =") == std::string::npos);
  CHECK(text.find("mrz.") == std::string::npos);
  auto back = parse_card_conf(text);
  REQUIRE(back.ok());
  CHECK_FALSE(back->bac);
  CHECK_FALSE(back->pace);
  CHECK(back->can.empty());
  CHECK(back->mrz.empty());
  CHECK(back->pace_offers.empty());
  CHECK(back->ca_ciphers.empty());
}

TEST_CASE("card.conf: CRLF line ends, tabs, a last line without a newline, comma or space lists") {
  auto c = parse_card_conf("format = 1\r\n\tcan\t=\t654321\r\nca = aes128 aes256,3des\naccess=bac");
  REQUIRE(c.ok());
  CHECK(text_of(c->can) == "654321");
  CHECK(c->ca_ciphers == std::vector<crypto::CipherAlg>{crypto::CipherAlg::kAes128, crypto::CipherAlg::kAes256,
                                                         crypto::CipherAlg::kTdes});
  CHECK(c->bac);
  CHECK_FALSE(c->pace);
}

TEST_CASE("card.conf errors name the file, the line and the problem") {
  struct Case {
    std::string text;
    const char* expect;  // a fragment of the error context
  };
  const Case cases[] = {
      // no format line at all
      {"can = 123456\n", "missing `format = 1`"},
      // a newer format this build cannot read
      {"format = 2\n", "unsupported format"},
      // a line without '='
      {"format = 1\nbac\n", "card.conf:2: expected `key = value`"},
      // a typo in a key is an error, not silently ignored
      {"format = 1\nquirk.extended_lenght = no\n", "unknown key 'quirk.extended_lenght'"},
      // the same key twice
      {"format = 1\ncan = 1\ncan = 2\n", "given twice (first on line 2)"},
      // a CAN with letters
      {"format = 1\ncan = 12a456\n", "a CAN is 1..16 digits"},
      // a date that is not YYMMDD
      {"format = 1\nmrz.document_number = X\nmrz.date_of_birth = 6908\nmrz.date_of_expiry = 940623\n", "expected YYMMDD"},
      // MRZ fields given in part
      {"format = 1\nmrz.document_number = L898902C<\n", "go together"},
      // lower-case document number (the MRZ has upper case only)
      {"format = 1\nmrz.document_number = l898\n", "A-Z 0-9 <"},
      // an unknown mapping
      {"format = 1\npace = xm-aes128-brainpoolP256r1\n", "mapping must be gm, im or cam"},
      // an unknown curve
      {"format = 1\npace = gm-aes128-curve25519\n", "curve must be"},
      // a parameter ID that is DH, not ECDH
      {"format = 1\npace = gm-aes128-2\n", "curve must be"},
      // CAM with 3DES does not exist
      {"format = 1\npace = cam-3des-13\n", "needs AES"},
      // the retry counter has to fit 63Cx
      {"format = 1\npace.retries = 16\n", "1..15"},
      // bad hex ATR
      {"format = 1\natr = 3B8G\n", "expected hex bytes"},
      // an ATR must start with TS = 3B
      {"format = 1\natr = 3F00\n", "starting 3B"},
      // UID of a length ISO 14443-3 does not have
      {"format = 1\nuid = 0102030405\n", "4, 7 or 10 bytes"},
      // booleans are yes/no
      {"format = 1\nquirk.cloned_chip = maybe\n", "expected yes or no"},
      {"format = 1\nquirk.no_sfi = sometimes\n", "expected yes or no"},
      // a response limit beyond the extended maximum
      {"format = 1\nquirk.max_response = 70000\n", "0..65536"},
      // an unknown access protocol
      {"format = 1\naccess = bac, eac\n", "unknown protocol 'eac'"},
      // an unknown AA hash
      {"format = 1\naa.hash = md5\n", "expected sha1"},
      // nothing at all: the format line is missing
      {"", "missing `format = 1`"},
      // only comments
      {"# format = 1\n", "missing `format = 1`"},
      // a line with no key before '='
      {"format = 1\n= 5\n", "card.conf:2: empty key"},
      // the format given twice
      {"format = 1\nformat = 1\n", "key 'format' given twice"},
      // a number with a sign or too many digits
      {"format = 1\nquirk.leave_after = -1\n", "expected a number"},
      {"format = 1\nquirk.leave_after = 1000000000\n", "expected a number"},
      // a retry counter of zero would lock the card at power-up
      {"format = 1\npace.retries = 0\n", "1..15"},
      // an offer without its three parts
      {"format = 1\npace = gm-aes128\n", "expected MAPPING-CIPHER-CURVE"},
      // an unknown CA cipher
      {"format = 1\nca = aes512\n", "unknown cipher 'aes512'"},
      // a CAN longer than any card prints
      {"format = 1\ncan = 12345678901234567\n", "1..16 digits"},
      // an ATR longer than ISO 7816-3 allows (33 bytes)
      {"format = 1\natr = 3B" + std::string(66, '0') + "\n", "2..33 bytes"},
      // a document number longer than TD3's field and its extension
      {"format = 1\nmrz.document_number = " + std::string(23, 'A') + "\n", "A-Z 0-9 <"},
  };
  for (const auto& tc : cases) {
    CAPTURE(tc.text);
    auto r = parse_card_conf(tc.text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
    CHECK(r.error().context.find(tc.expect) != std::string::npos);
  }
}

TEST_CASE("PACE offer names round-trip") {
  for (const char* name : {"gm-aes128-brainpoolP256r1", "gm-aes256-secp256r1", "im-aes128-brainpoolP256r1",
                           "cam-aes128-brainpoolP256r1", "gm-3des-brainpoolP256r1", "gm-aes192-secp384r1"}) {
    CAPTURE(name);
    auto offer = parse_pace_offer(name);
    REQUIRE(offer.ok());
    CHECK(pace_offer_name(*offer) == name);
  }
  CHECK(parse_pace_offer("gm-aes128-12")->parameter_id == 12);
  CHECK(curve_name_for_parameter_id(13) == std::optional<std::string>("brainpoolP256r1"));
  CHECK_FALSE(curve_name_for_parameter_id(2).has_value());
}

TEST_CASE("card.conf errors carry the origin they were given") {
  auto r = parse_card_conf("format = 1\nbogus = 1\n", "/srv/cards/a/card.conf");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().context == "/srv/cards/a/card.conf:2: unknown key 'bogus'");
}
