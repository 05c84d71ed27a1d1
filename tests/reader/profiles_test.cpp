// Full reads (reader::read_card on the simulated card) in card profiles session_test.cpp does not
// cover: Chip Authentication with a DH key, RSA Active Authentication with every ISO/IEC 9796-2
// hash, PACE-CAM with the chip's key from DG14, EF.SOD in BER, unsigned data groups, PACE on a
// card with short APDUs and small responses, a JPEG 2000 face.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "idtap/auth/trust_store.h"
#include "idtap/crypto/hash.h"
#include "idtap/lds/dg2.h"
#include "idtap/lds/image_format.h"
#include "idtap/reader/photo.h"
#include "idtap/reader/session.h"
#include "idtap/sim/personalize.h"
#include "idtap/sim/sim_transport.h"
#include "support/run_shell.h"
#include "support/scratch_dir.h"
#include "reader/read_requests.h"
#include "support/test_card.h"

using namespace idtap;
using namespace idtap::reader;
using idtap::test::can_request;
using idtap::test::mrz_request;

namespace {

// Card: a personalized card and a trust store holding its CSCA, read in one session.
struct Card : test::TrustedTestCard {
  using TrustedTestCard::TrustedTestCard;
  Result<ReadResult> read(const ReadRequest& request, const sim::SimOptions& sim = {}) const {
    return read_card(*open(sim), request);
  }
};

sim::PersonalizeOptions options(const test::TestCardOptions& o = {}) { return test::test_card_personalization(o); }

std::string message(const Result<ReadResult>& r) { return r.ok() ? std::string() : r.error().message(); }

// every_group_as_personalized: each data group read is the card's own bytes and matched EF.SOD.
void every_group_as_personalized(const ReadResult& r, const sim::CardImage& image) {
  CHECK_FALSE(r.data_groups.empty());
  for (const auto& [n, rec] : r.data_groups) {
    CAPTURE(n);
    CHECK(rec.raw == image.files.data_groups.at(n));
    CHECK(rec.hash_ok == std::optional<bool>(true));
  }
  REQUIRE(r.dg1.has_value());
  CHECK(r.dg1->mrz.document_number == test::kCardDocumentNumber);
}

}  // namespace

TEST_CASE("Chip Authentication v1 with a DH key (id-CA-DH-*): 3DES and AES reads end genuine, a clone does not") {
  struct Case {
    const char* what;
    bool pace;                 // PACE-CAN (AES session) or BAC (3DES session)
    int ca_parameter_id;       // RFC 5114 group: 0 1024/160, 2 2048/256
    crypto::CipherAlg cipher;
    const char* method;
  } cases[] = {
      {"BAC, DH 2048/256, 3DES", false, 2, crypto::CipherAlg::kTdes, "CA id-CA-DH-3DES-CBC-CBC"},
      {"PACE, DH 2048/256, AES-128", true, 2, crypto::CipherAlg::kAes128, "CA id-CA-DH-AES-CBC-CMAC-128"},
      {"PACE, DH 1024/160, 3DES", true, 0, crypto::CipherAlg::kTdes, "CA id-CA-DH-3DES-CBC-CBC"},
      {"BAC, DH 1024/160, AES-256", false, 0, crypto::CipherAlg::kAes256, "CA id-CA-DH-AES-CBC-CMAC-256"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    // No AA key: Chip Authentication alone decides whether the chip is genuine.
    sim::PersonalizeOptions o = options(test::TestCardOptions{.pace = c.pace, .active_authentication = false});
    o.ca_parameter_id = c.ca_parameter_id;
    o.ca_cipher = c.cipher;
    Card genuine(o);
    auto r = genuine.read(c.pace ? can_request(&genuine.trust) : mrz_request(&genuine.trust));
    REQUIRE_MESSAGE(r.ok(), message(r));
    const Verification& v = r->verification;
    CHECK(v.access.rfind(c.pace ? "PACE-CAN" : "BAC", 0) == 0);
    CHECK(v.passive == auth::PassiveStatus::kValid);
    CHECK(v.chip.state == CheckState::kPassed);
    CHECK(v.chip.method == c.method);
    CHECK(v.active.state == CheckState::kNotSupported);
    CHECK(v.genuine);
    REQUIRE(r->dg14.has_value());
    CHECK(r->dg14->chip_authentication_public_keys.at(0).protocol == lds::oid::kPkDh);
    // EF.COM, DG1.. were read under the keys the DH agreement gave.
    CHECK(r->ef_com.has_value());
    every_group_as_personalized(*r, genuine.card.image);

    o.cloned = true;
    Card clone(o);
    auto cloned = clone.read(c.pace ? can_request(&clone.trust) : mrz_request(&clone.trust));
    REQUIRE_MESSAGE(cloned.ok(), message(cloned));
    CHECK(cloned->verification.passive == auth::PassiveStatus::kValid);  // the files are genuine
    CHECK(cloned->verification.chip.state == CheckState::kFailed);
    CHECK(cloned->verification.chip.detail.find("DG14 key") != std::string::npos);
    CHECK_FALSE(cloned->verification.genuine);
    CHECK(cloned->verification.genuine_reason.find("cloned chip") != std::string::npos);
    every_group_as_personalized(*cloned, clone.card.image);  // read over a fresh session
  }
}

TEST_CASE("a DH-2048 chip key on a card without extended length: Chip Authentication not supported, not a clone") {
  // The 256-byte public value does not fit a short APDU; without command chaining the reader
  // cannot run CA. DH-1024 (128 bytes) still fits.
  struct Case {
    int ca_parameter_id;
    bool aa;
    CheckState chip;
    bool genuine;
  } cases[] = {
      {2, false, CheckState::kNotSupported, false},  // nothing proves the chip
      {2, true, CheckState::kNotSupported, true},    // AA proves it
      {0, false, CheckState::kPassed, true},         // DH-1024 fits
  };
  for (const auto& c : cases) {
    CAPTURE(c.ca_parameter_id);
    CAPTURE(c.aa);
    sim::PersonalizeOptions o = options(test::TestCardOptions{
        .pace = false, .active_authentication = c.aa, .quirks = sim::CardQuirks{.extended_length = false}});
    o.ca_parameter_id = c.ca_parameter_id;
    o.ca_cipher = crypto::CipherAlg::kTdes;
    Card card(o);
    auto r = card.read(mrz_request(&card.trust));
    REQUIRE_MESSAGE(r.ok(), message(r));
    CHECK(r->verification.passive == auth::PassiveStatus::kValid);
    CHECK(r->verification.chip.state == c.chip);
    CHECK(r->verification.genuine == c.genuine);
    CHECK(r->verification.genuine_reason.find("cloned") == std::string::npos);
    if (c.chip == CheckState::kNotSupported) CHECK(r->verification.chip.detail.find("extended length") != std::string::npos);
    every_group_as_personalized(*r, card.card.image);
  }
}

TEST_CASE("RSA Active Authentication through the session: ISO/IEC 9796-2 with SHA-1, -224, -256, -384, -512") {
  // One RSA-2048 card; the chip's hash (card.conf aa.hash) changes between reads: the trailer
  // tells the reader which one was used.
  static Card card(options(test::TestCardOptions{.rsa_aa = true}));
  for (auto hash : {crypto::HashAlg::kSha1, crypto::HashAlg::kSha224, crypto::HashAlg::kSha256, crypto::HashAlg::kSha384,
                    crypto::HashAlg::kSha512}) {
    CAPTURE(crypto::hash_name(hash));
    sim::CardImage image = card.card.image;
    image.config.aa_hash = hash;
    auto t = sim::open_sim_card_image(image);
    REQUIRE(t.ok());
    ReadRequest req = can_request(&card.trust);
    req.chip_authentication = false;  // AA alone proves the chip
    req.aa_challenge = Bytes{1, 2, 3, 4, 5, 6, 7, 8};
    auto r = read_card(**t, req);
    REQUIRE_MESSAGE(r.ok(), message(r));
    const Verification& v = r->verification;
    CHECK(v.active.state == CheckState::kPassed);
    CHECK(v.active.method == std::string("AA RSA-2048 ISO 9796-2 ") + crypto::hash_name(hash));
    CHECK(v.chip.state == CheckState::kNotPerformed);
    CHECK(v.passive == auth::PassiveStatus::kValid);
    CHECK(v.genuine);
    REQUIRE(r->dg15.has_value());
    CHECK(r->dg15->key.type == lds::PublicKeyType::kRsa);
  }
}

TEST_CASE("a card from `idtap sim personalize --aa rsa --aa-hash sha512` reads genuine through RSA AA with SHA-512") {
  test::ScratchDir dir("profiles-aa");
  const std::string out = dir.path() + "/card";
  auto made = test::run_shell(std::string(IDTAP_BUILD_DIR) + "/bin/idtap sim personalize --out " + out +
                              " --aa rsa --aa-hash sha512 --today 2024-03-15");
  REQUIRE_MESSAGE(made.exit_code == 0, made.out);
  auto t = sim::open_sim_card(out);
  REQUIRE(t.ok());
  auth::TrustStore trust;
  REQUIRE(trust.add_path(out + "/pki/csca_cert.pem").ok());
  ReadRequest req = can_request(&trust);
  req.chip_authentication = false;
  auto r = read_card(**t, req);
  REQUIRE_MESSAGE(r.ok(), message(r));
  CHECK(r->verification.active.state == CheckState::kPassed);
  CHECK(r->verification.active.method == "AA RSA-2048 ISO 9796-2 SHA-512");
  CHECK(r->verification.passive == auth::PassiveStatus::kValid);
  CHECK(r->verification.genuine);
}

TEST_CASE("RSA Active Authentication with Chip Authentication too: both pass, the card is genuine") {
  Card card(options(test::TestCardOptions{.pace = false, .rsa_aa = true}));
  auto r = card.read(mrz_request(&card.trust));
  REQUIRE_MESSAGE(r.ok(), message(r));
  CHECK(r->verification.chip.state == CheckState::kPassed);
  CHECK(r->verification.active.state == CheckState::kPassed);
  CHECK(r->verification.active.method.rfind("AA RSA-2048 ISO 9796-2 ", 0) == 0);
  CHECK(r->verification.genuine);
  every_group_as_personalized(*r, card.card.image);
}

TEST_CASE("PACE-CAM on a card without EF.CardSecurity: the chip's key from DG14") {
  sim::PersonalizeOptions o = options(test::TestCardOptions{
      .bac = false, .pace_offer = {sim::PaceMapping::kChipAuthentication, crypto::CipherAlg::kAes128, 13}, .active_authentication = false});
  o.card_security = false;
  Card genuine(o);
  REQUIRE_FALSE(genuine.card.image.files.card_security.has_value());
  auto r = genuine.read(can_request(&genuine.trust));
  REQUIRE_MESSAGE(r.ok(), message(r));
  const Verification& v = r->verification;
  CHECK(v.access.find("ECDH-CAM-AES-CBC-CMAC-128") != std::string::npos);
  CHECK_FALSE(r->card_security.has_value());
  CHECK(v.chip.state == CheckState::kPassed);
  CHECK(v.chip.method == "PACE-CAM, key from DG14");
  CHECK(v.chip.detail.empty());
  CHECK(v.passive == auth::PassiveStatus::kValid);
  CHECK(v.genuine);
  every_group_as_personalized(*r, genuine.card.image);

  SUBCASE("a clone: PACE-CAM runs with the clone's key, which is not DG14's") {
    o.cloned = true;
    Card clone(o);
    auto c = clone.read(can_request(&clone.trust));
    REQUIRE_MESSAGE(c.ok(), message(c));
    CHECK(c->verification.passive == auth::PassiveStatus::kValid);
    CHECK(c->verification.chip.state == CheckState::kFailed);
    CHECK(c->verification.chip.method == "PACE-CAM, key from DG14");
    CHECK(c->verification.chip.detail.find("DG14") != std::string::npos);
    CHECK_FALSE(c->verification.genuine);
  }
  SUBCASE("DG14 altered after signing: its key is not trusted, the chip is not proven") {
    o.tamper = {14};
    Card tampered(o);
    auto c = tampered.read(can_request(&tampered.trust));
    REQUIRE_MESSAGE(c.ok(), message(c));
    CHECK(c->data_groups.at(14).hash_ok == std::optional<bool>(false));
    CHECK_FALSE(c->dg14.has_value());
    CHECK(c->verification.chip.state == CheckState::kFailed);
    CHECK(c->verification.passive == auth::PassiveStatus::kInvalid);
    CHECK_FALSE(c->verification.genuine);
  }
}

TEST_CASE("EF.SOD in BER (indefinite lengths, a chunked eContent) read from the card: passive valid, genuine") {
  struct Case {
    const char* what;
    test::BerSodOptions ber;
  } cases[] = {
      {"SignedData, encapContentInfo indefinite, eContent in 64-byte segments",
       {.signed_data = true, .encap_content_info = true, .econtent_chunk = 64}},
      {"every level indefinite, the outer 77 included (read until the card says it ended)",
       {.outer = true, .content_info = true, .signed_data = true, .encap_content_info = true, .econtent_chunk = 100}},
  };
  Card card(options(test::TestCardOptions{.pace = false}));
  const Bytes der = *card.card.image.files.sod;
  for (const auto& c : cases) {
    CAPTURE(c.what);
    card.card.image.files.sod = test::reencode_sod_ber(der, c.ber);
    REQUIRE(*card.card.image.files.sod != der);
    auto r = card.read(mrz_request(&card.trust));
    REQUIRE_MESSAGE(r.ok(), message(r));
    REQUIRE(r->ef_sod.has_value());
    CHECK(r->ef_sod->raw == *card.card.image.files.sod);  // the file as the card holds it
    CHECK(r->verification.passive == auth::PassiveStatus::kValid);
    CHECK(r->verification.chip.state == CheckState::kPassed);
    CHECK(r->verification.genuine);
    every_group_as_personalized(*r, card.card.image);
  }
}

TEST_CASE("a data group named in EF.COM but not signed in EF.SOD is reported, never read as trusted") {
  sim::PersonalizeOptions o = options(test::TestCardOptions{.pace = false});
  o.unsigned_data_groups = {16};
  Card card(o);
  REQUIRE(card.card.image.files.data_groups.count(16));
  auto r = card.read(mrz_request(&card.trust));
  REQUIRE_MESSAGE(r.ok(), message(r));
  const Verification& v = r->verification;
  CHECK(v.unsigned_data_groups == std::vector<int>{16});
  CHECK_FALSE(r->data_groups.count(16));  // the read takes its list from EF.SOD
  // The rest of the verdict is that of a genuine card.
  CHECK(v.passive == auth::PassiveStatus::kValid);
  CHECK(v.chip.state == CheckState::kPassed);
  CHECK(v.active.state == CheckState::kPassed);
  CHECK(v.genuine);
  for (int n : {1, 2, 11, 12, 14, 15}) CHECK(r->data_groups.count(n) == 1);
  every_group_as_personalized(*r, card.card.image);

  SUBCASE("asking for DG16 by name reads it, and it matches no hash") {
    ReadRequest req = mrz_request(&card.trust);
    req.data_groups = {1, 16};
    auto named = card.read(req);
    REQUIRE_MESSAGE(named.ok(), message(named));
    REQUIRE(named->data_groups.count(16));
    CHECK(named->data_groups.at(16).raw == card.card.image.files.data_groups.at(16));
    CHECK_FALSE(named->data_groups.at(16).hash_ok.has_value());  // EF.SOD gives no hash for it
    CHECK(named->verification.unsigned_data_groups == std::vector<int>{16});
    CHECK(named->verification.genuine);
  }
}

TEST_CASE("PACE (GM) on a card without extended length and with small responses: genuine, chunks sized to fit") {
  for (size_t max : {size_t(223), size_t(160), size_t(112)}) {
    CAPTURE(max);
    Card card(options(test::TestCardOptions{.bac = false, .quirks = sim::CardQuirks{.extended_length = false, .max_response = max}}));
    auto r = card.read(can_request(&card.trust));
    REQUIRE_MESSAGE(r.ok(), message(r));
    CHECK(r->verification.access.find("ECDH-GM-AES-CBC-CMAC-128") != std::string::npos);
    CHECK(r->verification.chip.state == CheckState::kPassed);
    CHECK(r->verification.active.state == CheckState::kPassed);
    CHECK(r->verification.genuine);
    // Short APDUs under AES secure messaging carry at most 223 plaintext bytes; the card refuses a
    // larger Ne than `max` (6700), so the session settles on the card's own size.
    CHECK(r->stats.chunk_size == max);
    // DG2 (about 17 KB) took at least its size over the chunk in APDUs.
    CHECK(r->stats.apdus > card.card.image.files.data_groups.at(2).size() / max);
    every_group_as_personalized(*r, card.card.image);
  }
}

TEST_CASE("a JPEG 2000 face: DG2 decoded, the image format named, the bytes the personalized face") {
  sim::PersonalizeOptions o = options(test::TestCardOptions{.jpeg2000 = true});
  auto made = sim::personalize_card(o);
  REQUIRE(made.ok());
  REQUIRE(made->summary.face_format == lds::ImageFormat::kJpeg2000);
  Card card(o);
  // Personalization is deterministic in the face (seeded by the holder's name): this card's
  // face is the one the summary above describes.
  auto r = card.read(can_request(&card.trust));
  REQUIRE_MESSAGE(r.ok(), message(r));
  CHECK(r->verification.genuine);
  REQUIRE(r->dg2.has_value());
  const auto faces = r->dg2->images();
  REQUIRE(faces.size() == 1);
  CHECK(faces[0].format == lds::ImageFormat::kJpeg2000);
  CHECK(faces[0].declared == lds::ImageFormat::kJpeg2000);
  CHECK(faces[0].width == 240);
  CHECK(faces[0].height == 320);
  // The bytes are the personalized face: its size, and found whole inside the card's DG2 file.
  CHECK(faces[0].data.size() == made->summary.face_bytes);
  const Bytes& dg2 = card.card.image.files.data_groups.at(2);
  CHECK(std::search(dg2.begin(), dg2.end(), faces[0].data.begin(), faces[0].data.end()) != dg2.end());
  CHECK(faces[0].data == lds::parse_dg2(made->image.files.data_groups.at(2)).value().images().at(0).data);
  // And it decodes (OpenJPEG) to the 240 x 320 synthetic face.
  auto raster = decode_face_image(faces[0].data);
  REQUIRE_MESSAGE(raster.ok(), (raster.ok() ? std::string() : raster.error().message()));
  CHECK(raster->width == 240);
  CHECK(raster->height == 320);
}
