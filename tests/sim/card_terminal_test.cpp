// The simulated card against the terminal side of the stack (lib/sm's SecureChannel, lib/auth's
// Chip and Active Authentication, lib/reader's FileReader) over the in-process SimTransport.
#include <doctest/doctest.h>
#include <openssl/x509.h>

#include "idtap/apdu/commands.h"
#include "idtap/auth/active_auth.h"
#include "idtap/auth/bac.h"
#include "idtap/auth/chip_auth.h"
#include "idtap/base/hex.h"
#include "idtap/lds/security_infos.h"
#include "idtap/reader/file_reader.h"
#include "idtap/sim/sim_transport.h"
#include "idtap/sm/secure_channel.h"
#include "support/sim_images.h"
#include "support/test_pki.h"
#include "vectors/appendix_d.h"
#include "vectors/vector_file.h"

using namespace idtap;
using namespace idtap::sim;

namespace {

SecureBytes sb(const std::string& s) { return secure_copy(bytes_of(s)); }

struct Keys {
  testing::EvpKey ca = testing::make_ec_key("brainpoolP256r1");
  testing::EvpKey aa = testing::make_rsa_key(1024);
};
const Keys& keys() {
  static const Keys k;
  return k;
}

// dg14_infos: what DG14 would say about the CA key (ICAO 9303-11 §9.2.5, §9.2.6).
lds::SecurityInfos dg14_infos(uint8_t ca_cipher) {
  lds::SecurityInfos infos;
  infos.chip_authentication.push_back({{0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, ca_cipher}, 1, std::nullopt});
  infos.chip_authentication_public_keys.push_back({lds::oid::kPkEcdh, testing::spki_der(keys().ca.get()), std::nullopt});
  return infos;
}

// Terminal: a SimTransport after BAC (Appendix D, replayed) and a SecureChannel over it.
struct Terminal {
  std::unique_ptr<SimTransport> transport;
  std::unique_ptr<sm::SecureChannel> channel;
};

Terminal after_bac(bool cloned, std::optional<CardQuirks> quirks = std::nullopt) {
  const auto v = test::VectorFile::load("icao9303_11_appendix_d.txt");
  CardImage image = test::basic_card_image();
  image.chip.ca_key_pem = sb(testing::key_pem(keys().ca.get()));
  image.chip.aa_key_pem = sb(testing::key_pem(keys().aa.get()));
  image.config.ca_ciphers = {crypto::CipherAlg::kTdes, crypto::CipherAlg::kAes128, crypto::CipherAlg::kAes256};
  image.config.aa_hash = crypto::HashAlg::kSha1;
  image.config.quirks.cloned_chip = cloned;
  SimOptions o;
  if (quirks) {
    o.quirks = *quirks;
    o.quirks->cloned_chip = cloned;
  }
  auto t = open_sim_card_image(std::move(image), o, "terminal-test");
  REQUIRE(t.ok());
  Terminal out;
  out.transport = std::move(*t);
  out.transport->card().set_random_source(test::scripted_random({v.hex("d3_bac", "rnd_icc"), v.hex("d3_bac", "k_icc")}));
  auto send = [&](const std::string& hex) {
    auto r = out.transport->transmit(apdu::CommandApdu::parse(hex_or_die(hex)).value());
    REQUIRE(r.ok());
    return r->encode();
  };
  REQUIRE(to_hex(send("00A4040C07A0000002471001")) == "9000");
  REQUIRE(to_hex(send("0084000008")).ends_with("9000"));
  REQUIRE(to_hex(send(v.text("d3_bac", "external_authenticate")), true) == to_hex(v.hex("d3_bac", "response"), true));
  out.transport->card().set_random_source(nullptr);
  sm::SessionKeys k = test::appendix_d_session_keys(v);
  auto ch = sm::SecureChannel::create(*out.transport, k);
  REQUIRE(ch.ok());
  out.channel = std::move(*ch);
  return out;
}

reader::FileRef dg(int n, uint16_t fid) { return reader::FileRef{fid, static_cast<uint8_t>(n), "DG" + std::to_string(n)}; }

}  // namespace

TEST_CASE("FileReader over SecureChannel reads the card's files with whole-file extended reads") {
  Terminal t = after_bac(false);
  reader::FileReader files(*t.channel, {});
  const CardImage image = test::basic_card_image();
  auto dg1 = files.read_file(dg(1, 0x0101));
  REQUIRE(dg1.ok());
  CHECK(*dg1 == image.files.data_groups.at(1));
  auto dg2 = files.read_file(dg(2, 0x0102));
  REQUIRE_MESSAGE(dg2.ok(), (dg2.ok() ? "" : dg2.error().message()));
  CHECK(*dg2 == image.files.data_groups.at(2));
  auto sod = files.read_file({0x011D, 0x1D, "EF.SOD"});
  REQUIRE(sod.ok());
  CHECK(*sod == *image.files.sod);
  // DG3 needs Terminal Authentication.
  auto dg3 = files.read_file(dg(3, 0x0103));
  REQUIRE_FALSE(dg3.ok());
  CHECK(dg3.error().sw == 0x6982);
  // Extended length: each file in one READ BINARY (plus the header read), so few APDUs.
  CHECK(t.transport->statistics().apdus <= 12);
  CHECK(t.transport->statistics().bytes_from_card > 40000);
}

TEST_CASE("FileReader steps down on a card with a small response buffer and no extended length") {
  CardQuirks q;
  q.extended_length = false;
  q.max_response = 160;
  Terminal t = after_bac(false, q);
  reader::FileReader files(*t.channel, {});
  auto dg2 = files.read_file(dg(2, 0x0102));
  REQUIRE_MESSAGE(dg2.ok(), (dg2.ok() ? "" : dg2.error().message()));
  CHECK(*dg2 == test::basic_card_image().files.data_groups.at(2));
  CHECK(files.chunk_size() <= 160);
  // 40000 bytes in chunks of at most 160: past offset 32767 the odd INS carried the reads.
  CHECK(t.transport->statistics().apdus >= 40000 / 160);
}

TEST_CASE("lib/auth Chip Authentication against the card: 3DES, AES-128, AES-256; a clone fails") {
  for (uint8_t cipher : {uint8_t{1}, uint8_t{2}, uint8_t{4}}) {
    CAPTURE(cipher);
    Terminal t = after_bac(false);
    auto ca = auth::chip_authenticate(*t.channel, dg14_infos(cipher));
    REQUIRE_MESSAGE(ca.ok(), (ca.ok() ? "" : ca.error().message()));
    CHECK(t.transport->card().security_state() == SecurityState::kChipAuthenticated);
    reader::FileReader files(*t.channel, {});
    auto dg1 = files.read_file(dg(1, 0x0101));
    REQUIRE(dg1.ok());
    CHECK(*dg1 == test::basic_card_image().files.data_groups.at(1));
  }
  Terminal clone = after_bac(true);
  auto ca = auth::chip_authenticate(*clone.channel, dg14_infos(2));
  REQUIRE(ca.ok());  // the chip answered; the proof is the next response
  reader::FileReader files(*clone.channel, {});
  auto dg1 = files.read_file(dg(1, 0x0101));
  REQUIRE_FALSE(dg1.ok());
  CHECK(dg1.error().code == ErrorCode::kSecureMessaging);
}

TEST_CASE("lib/auth Active Authentication against the card (RSA, ISO 9796-2, SHA-1); a clone fails") {
  Terminal t = after_bac(false);
  auto aa = auth::active_authenticate(*t.channel, testing::spki_der(keys().aa.get()));
  REQUIRE_MESSAGE(aa.ok(), (aa.ok() ? "" : aa.error().message()));
  CHECK(aa->signature.size() == 128);

  Terminal clone = after_bac(true);
  auto bad = auth::active_authenticate(*clone.channel, testing::spki_der(keys().aa.get()));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::kVerificationFailed);
}

TEST_CASE("lib/auth BAC against the card: the right MRZ opens it, a wrong one gets 6300") {
  auto t = open_sim_card_image(test::basic_card_image());
  REQUIRE(t.ok());
  SimTransport& card = **t;
  REQUIRE(card.transmit(apdu::select_by_df_name(apdu::kEmrtdAid)).value().sw == 0x9000);
  auto wrong = auth::MrzKey::from_fields("L898902C<", test::kTestDateOfBirth, "940624");
  REQUIRE(wrong.ok());
  auto refused = auth::run_bac(card, *wrong);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kAuthFailed);
  CHECK(refused.error().sw == 0x6300);
  CHECK(card.card().security_state() == SecurityState::kNone);

  auto right = auth::MrzKey::from_fields(test::kTestDocumentNumber, test::kTestDateOfBirth, test::kTestDateOfExpiry);
  REQUIRE(right.ok());
  auto channel = auth::run_bac(card, *right);
  REQUIRE_MESSAGE(channel.ok(), (channel.ok() ? "" : channel.error().message()));
  CHECK(card.card().security_state() == SecurityState::kBac);
  reader::FileReader files(**channel, {});
  auto dg11 = files.read_file(dg(11, 0x010B));
  REQUIRE(dg11.ok());
  CHECK(*dg11 == test::basic_card_image().files.data_groups.at(11));
}
