#include "idtap/sim/personalize.h"

#include <doctest/doctest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "idtap/crypto/hash.h"
#include "idtap/crypto/pkey.h"
#include "idtap/image/codec.h"
#include "idtap/lds/card_security.h"
#include "idtap/lds/dg1.h"
#include "idtap/lds/dg11.h"
#include "idtap/lds/dg12.h"
#include "idtap/lds/dg14.h"
#include "idtap/lds/dg15.h"
#include "idtap/lds/dg2.h"
#include "idtap/lds/ef_com.h"
#include "idtap/lds/ef_sod.h"
#include "idtap/lds/public_key_info.h"
#include "idtap/sim/card.h"
#include "support/scratch_dir.h"
#include "support/test_pki.h"
#include "idtap/crypto/ossl_ptr.h"

using namespace idtap;
using namespace idtap::sim;
namespace fs = std::filesystem;

namespace {

const Date kToday{2024, 3, 15};

PersonalizeOptions base_options() {
  PersonalizeOptions o;
  o.today = kToday;
  return o;
}

using X509Ptr = crypto::X509Ptr;

X509Ptr load_cert(ByteView der) {
  const unsigned char* p = der.data();
  return X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

Bytes spki_of(X509* cert) { return testing::spki_der(X509_get0_pubkey(cert)); }

// spki_of_pem: the public half of a private key PEM (chip/*.pem).
Bytes spki_of_pem(const SecureBytes& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  REQUIRE(key != nullptr);
  Bytes out = testing::spki_der(key);
  EVP_PKEY_free(key);
  return out;
}

// jpeg_size / jp2_size: the dimensions the image layer decodes ({0, 0} when it cannot), and that
// the data is that format.
std::pair<int, int> decoded_size(const Result<image::Raster>& r) {
  if (!r.ok()) return {0, 0};
  return {static_cast<int>(r->width), static_cast<int>(r->height)};
}
std::pair<int, int> jpeg_size(const Bytes& jpeg) { return decoded_size(image::decode_jpeg(jpeg)); }
std::pair<int, int> jp2_size(const Bytes& jp2) { return decoded_size(image::decode_jpeg2000(jp2, false)); }

// check_sod: EF.SOD parses, carries the Document Signer of pki/, its signature verifies, the DS
// certificate chains to the CSCA, and the hashes match the data groups except `tampered`.
void check_sod(const PersonalizedCard& card, crypto::HashAlg hash, crypto::SignatureScheme scheme,
               const std::vector<int>& tampered = {}) {
  REQUIRE(card.image.files.sod.has_value());
  auto sod = lds::parse_ef_sod(*card.image.files.sod);
  REQUIRE(sod.ok());
  CHECK(sod->security_object.version == 1);
  CHECK(sod->security_object.version_info->lds_version == "0108");
  CHECK(sod->security_object.hash_alg() == hash);
  CHECK(sod->security_object.hashes.size() == card.image.files.data_groups.size());
  for (const auto& [n, bytes] : card.image.files.data_groups) {
    CAPTURE(n);
    const Bytes* stored = sod->security_object.hash_of(n);
    REQUIRE(stored != nullptr);
    const bool tamper = std::find(tampered.begin(), tampered.end(), n) != tampered.end();
    CHECK((*stored == crypto::digest(hash, bytes).value()) != tamper);
  }
  // The signature over the signed attributes, with the DS certificate's key.
  REQUIRE(sod->document_signer_certificates().size() == 1);
  auto ds = load_cert(sod->document_signer_certificates()[0]);
  REQUIRE(ds);
  auto ds_key = crypto::PublicKey::from_spki(spki_of(ds.get()));
  REQUIRE(ds_key.ok());
  const auto& si = sod->signed_data.signer_infos[0];
  CHECK(si.message_digest == crypto::digest(hash, sod->signed_data.econtent).value());
  crypto::SignatureParams params{scheme, hash, std::nullopt};
  CHECK(ds_key->verify(params, *si.signed_attributes, si.signature).ok());
  // The chain: DS issued by the CSCA of pki/.
  const Bytes& csca_pem = card.image.pki.at("csca_cert.pem");
  BIO* bio = BIO_new_mem_buf(csca_pem.data(), static_cast<int>(csca_pem.size()));
  X509Ptr csca(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  REQUIRE(csca);
  CHECK(X509_verify(ds.get(), X509_get0_pubkey(csca.get())) == 1);
  CHECK(X509_verify(csca.get(), X509_get0_pubkey(csca.get())) == 1);
}

}  // namespace

TEST_CASE("the default resident card: every file parses, EF.SOD covers every data group") {
  auto card = personalize_card(base_options());
  REQUIRE(card.ok());
  const CardImage& img = card->image;
  // card.conf: PACE with the CAN (and the MRZ), no BAC, CA AES-128.
  CHECK(img.config.pace);
  CHECK_FALSE(img.config.bac);
  CHECK(string_of(img.config.can) == "123456");
  REQUIRE(img.config.pace_offers.size() == 1);
  CHECK(pace_offer_name(img.config.pace_offers[0]) == "gm-aes128-brainpoolP256r1");
  CHECK(string_of(img.config.mrz.document_number) == "KR1234567");
  CHECK(string_of(img.config.mrz.date_of_birth) == "900101");
  CHECK(string_of(img.config.mrz.date_of_expiry) == "340315");
  CHECK(img.config.ca_ciphers == std::vector<crypto::CipherAlg>{crypto::CipherAlg::kAes128});

  // EF.CardAccess: PACEInfo ECDH-GM AES-128 brainpoolP256r1.
  auto access = lds::parse_card_access(*img.files.card_access);
  REQUIRE(access.ok());
  REQUIRE(access->pace.size() == 1);
  CHECK(access->pace[0].protocol == lds::oid::kPaceEcdhGmAes128);
  CHECK(access->pace[0].parameter_id == 13);
  CHECK_FALSE(img.files.card_security.has_value());

  // EF.COM lists exactly the data groups present.
  auto com = lds::parse_ef_com(*img.files.com);
  REQUIRE(com.ok());
  CHECK(com->data_groups() == std::vector<int>{1, 2, 11, 12, 14, 15});
  CHECK(img.files.data_groups.size() == 6);

  // DG1: a TD1 MRZ with every check digit right.
  auto dg1 = lds::parse_dg1(img.files.data_groups.at(1), lds::MrzOptions{kToday});
  REQUIRE(dg1.ok());
  CHECK(dg1->mrz.format == lds::MrzFormat::kTd1);
  CHECK(dg1->mrz.checks_valid());
  CHECK(dg1->mrz.document_code == "ID");
  CHECK(dg1->mrz.primary_identifier == "HONG");
  CHECK(dg1->mrz.secondary_identifier == "GILDONG");
  CHECK(format_date(*dg1->mrz.date_of_birth.date) == "1990-01-01");
  CHECK(format_date(*dg1->mrz.date_of_expiry.date) == "2034-03-15");

  // DG2: one JPEG face of 240 x 320, 15-20 KB, that libjpeg decodes.
  auto dg2 = lds::parse_dg2(img.files.data_groups.at(2));
  REQUIRE(dg2.ok());
  auto faces = dg2->images();
  REQUIRE(faces.size() == 1);
  CHECK(faces[0].format == lds::ImageFormat::kJpeg);
  CHECK(faces[0].declared == lds::ImageFormat::kJpeg);
  CHECK(faces[0].data.size() >= 15000);
  CHECK(faces[0].data.size() <= 20000);
  CHECK(faces[0].width == 240);
  CHECK(jpeg_size(faces[0].data) == std::pair<int, int>{240, 320});
  CHECK(card->summary.face_bytes == faces[0].data.size());

  // DG11: Hangul name, the resident registration number (masked when printed), address.
  auto dg11 = lds::parse_dg11(img.files.data_groups.at(11));
  REQUIRE(dg11.ok());
  CHECK(dg11->tag_list_consistent);
  CHECK(dg11->dg11.full_name == "홍<<길동");
  CHECK(dg11->dg11.other_names == std::vector<std::string>{"HONG<<GILDONG"});
  CHECK(dg11->dg11.personal_number->masked() == "900101-1******");
  CHECK(dg11->dg11.personal_number->reveal() == "900101-1234567");
  CHECK(format_date(*dg11->dg11.full_date_of_birth->date) == "1990-01-01");
  CHECK(dg11->dg11.address == "서울특별시 종로구 세종대로 209");

  // DG12: authority and date of issue.
  auto dg12 = lds::parse_dg12(img.files.data_groups.at(12));
  REQUIRE(dg12.ok());
  CHECK(dg12->dg12.issuing_authority == "서울특별시 종로구청");
  CHECK(format_date(*dg12->dg12.date_of_issue->date) == "2024-03-15");

  // DG14: PACEInfo, CA info and key (brainpoolP256r1, the key of chip/ca_key.pem), AA info.
  auto dg14 = lds::parse_dg14(img.files.data_groups.at(14));
  REQUIRE(dg14.ok());
  CHECK(dg14->pace.size() == 1);
  REQUIRE(dg14->chip_authentication.size() == 1);
  CHECK(dg14->chip_authentication[0].protocol == lds::oid::kCaEcdhAes128);
  REQUIRE(dg14->chip_authentication_public_keys.size() == 1);
  const Bytes& ca_spki = dg14->chip_authentication_public_keys[0].subject_public_key_info;
  auto ca_key = crypto::PublicKey::from_spki(ca_spki);
  REQUIRE(ca_key.ok());
  CHECK(ca_key->bits() == 256);
  CHECK(lds::parse_subject_public_key_info(ca_spki)->curve_name() == "brainpoolP256r1");
  CHECK(spki_of_pem(img.chip.ca_key_pem) == ca_spki);
  REQUIRE(dg14->active_authentication.size() == 1);
  CHECK(dg14->active_authentication[0].signature_algorithm == lds::oid::kEcdsaPlainSha256);

  // DG15: the ECDSA AA key of chip/aa_key.pem.
  auto dg15 = lds::parse_dg15(img.files.data_groups.at(15));
  REQUIRE(dg15.ok());
  CHECK(dg15->key.type == lds::PublicKeyType::kEc);
  CHECK(spki_of_pem(img.chip.aa_key_pem) == dg15->key.der);

  check_sod(*card, crypto::HashAlg::kSha256, crypto::SignatureScheme::kEcdsaDer);

  // The simulated card accepts the image (chip keys and EF.CardAccess parse).
  CHECK(SimCard::create(card->image).ok());
}

TEST_CASE("passport and both profiles: TD3, BAC, and PACE where asked") {
  PersonalizeOptions o = base_options();
  o.profile = CardProfile::kPassport;
  auto passport = personalize_card(o);
  REQUIRE(passport.ok());
  CHECK(passport->image.config.bac);
  CHECK_FALSE(passport->image.config.pace);
  CHECK(passport->image.config.can.empty());
  CHECK_FALSE(passport->image.files.card_access.has_value());
  auto dg1 = lds::parse_dg1(passport->image.files.data_groups.at(1), lds::MrzOptions{kToday});
  REQUIRE(dg1.ok());
  CHECK(dg1->mrz.format == lds::MrzFormat::kTd3);
  CHECK(dg1->mrz.document_code == "P");
  CHECK(dg1->mrz.checks_valid());
  CHECK(lds::parse_dg14(passport->image.files.data_groups.at(14))->pace.empty());

  o.profile = CardProfile::kBoth;
  auto both = personalize_card(o);
  REQUIRE(both.ok());
  CHECK(both->image.config.bac);
  CHECK(both->image.config.pace);
  CHECK(both->image.files.card_access.has_value());
  CHECK(SimCard::create(both->image).ok());
}

TEST_CASE("a given MRZ is used as it is, and a wrong one is refused naming the field") {
  PersonalizeOptions o = base_options();
  o.profile = CardProfile::kPassport;
  o.mrz = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10";
  auto card = personalize_card(o);
  REQUIRE(card.ok());
  auto dg1 = lds::parse_dg1(card->image.files.data_groups.at(1));
  REQUIRE(dg1.ok());
  CHECK(dg1->mrz.document_number == "L898902C3");
  CHECK(string_of(card->image.config.mrz.document_number) == "L898902C3");
  CHECK(string_of(card->image.config.mrz.date_of_birth) == "740812");
  CHECK(string_of(card->image.config.mrz.date_of_expiry) == "120415");
  auto dg11 = lds::parse_dg11(card->image.files.data_groups.at(11));
  CHECK(format_date(*dg11->dg11.full_date_of_birth->date) == "1974-08-12");  // DG11 follows the MRZ

  struct Case {
    std::string mrz;
    const char* names;
    const char* why;
  } cases[] = {
      {"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408123F1204159ZE184226B<<<<<10", "date of birth",
       "date of birth check digit 3 instead of 2"},
      {"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C37UTO7408122F1204159ZE184226B<<<<<10", "document number",
       "document number check digit 7 instead of 6"},
      {"I<UTOD231458907<<<<<<<<<<<<<<<7408122F1204159UTO<<<<<<<<<<<5ERIKSSON<<ANNA<MARIA<<<<<<<<<<", "composite",
       "TD1 composite 5 instead of 6"},
      {"I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<D231458907UTO7408122F1204159<<<<<<<6", "TD2", "a TD2 MRZ"},
      {"P<UTOERIKSSON<<ANNA<MARIA", "characters", "too short"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    o.mrz = c.mrz;
    auto r = personalize_card(o);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
    CHECK(r.error().context.find("--mrz") != std::string::npos);
    CHECK(r.error().context.find(c.names) != std::string::npos);
  }
}

TEST_CASE("tampered data groups still parse but no longer match EF.SOD") {
  PersonalizeOptions o = base_options();
  o.tamper = {1, 2, 11, 12, 14, 15};
  auto card = personalize_card(o);
  REQUIRE(card.ok());
  check_sod(*card, crypto::HashAlg::kSha256, crypto::SignatureScheme::kEcdsaDer, o.tamper);
  const auto& g = card->image.files.data_groups;
  auto dg1 = lds::parse_dg1(g.at(1), lds::MrzOptions{kToday});
  REQUIRE(dg1.ok());
  CHECK(dg1->mrz.primary_identifier == "IONG");  // the name changed, its check digits still hold
  CHECK(dg1->mrz.checks_valid());
  CHECK(lds::parse_dg2(g.at(2)).ok());
  CHECK(format_date(*lds::parse_dg11(g.at(11))->dg11.full_date_of_birth->date) == "1990-01-02");
  CHECK(format_date(*lds::parse_dg12(g.at(12))->dg12.date_of_issue->date) == "2024-03-16");
  // DG14 / DG15 carry another key than the chip's.
  CHECK(lds::parse_dg14(g.at(14))->chip_authentication_public_keys[0].subject_public_key_info != spki_of_pem(card->image.chip.ca_key_pem));
  CHECK(lds::parse_dg15(g.at(15))->key.der != spki_of_pem(card->image.chip.aa_key_pem));
  CHECK(card->summary.tampered == o.tamper);

  o.tamper = {3};
  auto bad = personalize_card(o);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().context.find("dg3") != std::string::npos);
  o.tamper = {15};
  o.aa_key = AaKeyType::kNone;
  CHECK(personalize_card(o).error().code == ErrorCode::kInvalidArgument);  // no DG15 to tamper with
}

TEST_CASE("a cloned card's chip keys do not match DG14 / DG15") {
  PersonalizeOptions o = base_options();
  o.cloned = true;
  auto card = personalize_card(o);
  REQUIRE(card.ok());
  CHECK(card->image.config.quirks.cloned_chip);
  const auto& g = card->image.files.data_groups;
  CHECK(lds::parse_dg14(g.at(14))->chip_authentication_public_keys[0].subject_public_key_info != spki_of_pem(card->image.chip.ca_key_pem));
  CHECK(lds::parse_dg15(g.at(15))->key.der != spki_of_pem(card->image.chip.aa_key_pem));
  check_sod(*card, crypto::HashAlg::kSha256, crypto::SignatureScheme::kEcdsaDer);  // the files are genuine
}

TEST_CASE("variants: JPEG 2000 face, PACE-CAM on P-256 with AES-256, RSA AA, RSA-PSS / SHA-384 signer") {
  PersonalizeOptions o = base_options();
  o.face_format = FaceFormat::kJpeg2000;
  o.pace_mapping = PaceMapping::kChipAuthentication;
  o.pace_cipher = crypto::CipherAlg::kAes256;
  o.pace_parameter_id = 12;
  o.aa_key = AaKeyType::kRsa2048;
  o.aa_hash = crypto::HashAlg::kSha1;
  o.ds_key = DsKeyType::kRsaPss;
  o.sod_hash = crypto::HashAlg::kSha384;
  auto card = personalize_card(o);
  REQUIRE(card.ok());
  const CardImage& img = card->image;
  // DG2: a JP2 file OpenJPEG decodes.
  auto faces = lds::parse_dg2(img.files.data_groups.at(2))->images();
  REQUIRE(faces.size() == 1);
  CHECK(faces[0].format == lds::ImageFormat::kJpeg2000);
  CHECK(faces[0].declared == lds::ImageFormat::kJpeg2000);
  CHECK(jp2_size(faces[0].data) == std::pair<int, int>{240, 320});
  // PACE-CAM: EF.CardAccess advertises it; EF.CardSecurity carries DG14's CA key, signed.
  CHECK(pace_offer_name(img.config.pace_offers[0]) == "cam-aes256-secp256r1");
  auto access = lds::parse_card_access(*img.files.card_access);
  CHECK(access->pace[0].protocol == lds::oid::kPaceEcdhCamAes256);
  REQUIRE(img.files.card_security.has_value());
  auto security = lds::parse_card_security(*img.files.card_security);
  REQUIRE(security.ok());
  auto dg14 = lds::parse_dg14(img.files.data_groups.at(14));
  REQUIRE(security->infos.chip_authentication_public_keys.size() == 1);
  CHECK(security->infos.chip_authentication_public_keys[0].subject_public_key_info ==
        dg14->chip_authentication_public_keys[0].subject_public_key_info);
  CHECK(lds::parse_subject_public_key_info(dg14->chip_authentication_public_keys[0].subject_public_key_info)->curve_name() == "P-256");
  // RSA AA: DG15 RSA 2048, and no ActiveAuthenticationInfo (ICAO 9303-11 §9.2.5: ECDSA only).
  auto dg15 = lds::parse_dg15(img.files.data_groups.at(15));
  CHECK(dg15->key.type == lds::PublicKeyType::kRsa);
  CHECK(dg15->key.key_bits == 2048);
  CHECK(dg14->active_authentication.empty());
  check_sod(*card, crypto::HashAlg::kSha384, crypto::SignatureScheme::kRsaPss);
  CHECK(SimCard::create(card->image).ok());
}

TEST_CASE("a DH Chip Authentication key: id-PK-DH in DG14 (dhpublicnumber), id-CA-DH-* with the chosen cipher") {
  struct Case {
    int parameter_id;
    crypto::CipherAlg cipher;
    crypto::DhGroupId group;
    uint8_t cipher_arc;  // the last arc of id-CA-DH-* (ICAO 9303-11 §9.2.6)
    const char* conf_cipher;
  } cases[] = {
      {2, crypto::CipherAlg::kTdes, crypto::DhGroupId::kModp2048_256, 1, "3des"},
      {2, crypto::CipherAlg::kAes128, crypto::DhGroupId::kModp2048_256, 2, "aes128"},
      {0, crypto::CipherAlg::kAes256, crypto::DhGroupId::kModp1024_160, 4, "aes256"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.parameter_id);
    CAPTURE(c.conf_cipher);
    PersonalizeOptions o = base_options();
    o.ca_parameter_id = c.parameter_id;
    o.ca_cipher = c.cipher;
    auto card = personalize_card(o);
    REQUIRE_MESSAGE(card.ok(), (card.ok() ? std::string() : card.error().message()));
    auto dg14 = lds::parse_dg14(card->image.files.data_groups.at(14));
    REQUIRE(dg14.ok());
    REQUIRE(dg14->chip_authentication.size() == 1);
    lds::Oid ca = lds::oid::kCa;
    ca.push_back(1);  // id-CA-DH
    ca.push_back(c.cipher_arc);
    CHECK(dg14->chip_authentication[0].protocol == ca);
    CHECK(dg14->chip_authentication[0].version == 1);
    REQUIRE(dg14->chip_authentication_public_keys.size() == 1);
    const auto& key = dg14->chip_authentication_public_keys[0];
    CHECK(key.protocol == lds::oid::kPkDh);
    CHECK(lds::parse_subject_public_key_info(key.subject_public_key_info)->algorithm == lds::oid::kDhPublicNumber);
    auto pk = crypto::PublicKey::from_spki(key.subject_public_key_info);
    REQUIRE(pk.ok());
    CHECK(pk->type() == crypto::PublicKeyType::kDh);
    CHECK(pk->dh_group()->id() == c.group);
    // The chip's key (chip/ca_key.pem) is the private half of DG14's key.
    CHECK(spki_of_pem(card->image.chip.ca_key_pem) == key.subject_public_key_info);
    CHECK(card->image.config.ca_ciphers == std::vector<crypto::CipherAlg>{c.cipher});
    CHECK(card->summary.ca_curve.find("dh_") != std::string::npos);
    CHECK(card->summary.ca_cipher == c.conf_cipher);
    check_sod(*card, crypto::HashAlg::kSha256, crypto::SignatureScheme::kEcdsaDer);
    CHECK(SimCard::create(card->image).ok());  // the card loads its DH key
    // A clone gets another DH key in the same group.
    o.cloned = true;
    auto clone = personalize_card(o);
    REQUIRE(clone.ok());
    CHECK(spki_of_pem(clone->image.chip.ca_key_pem) != lds::parse_dg14(clone->image.files.data_groups.at(14))->chip_authentication_public_keys[0].subject_public_key_info);
  }
}

TEST_CASE("PACE-CAM without EF.CardSecurity: the chip's key only in DG14") {
  PersonalizeOptions o = base_options();
  o.pace_mapping = PaceMapping::kChipAuthentication;
  o.card_security = false;
  auto card = personalize_card(o);
  REQUIRE(card.ok());
  CHECK_FALSE(card->image.files.card_security.has_value());
  CHECK(lds::parse_card_access(*card->image.files.card_access)->pace[0].protocol == lds::oid::kPaceEcdhCamAes128);
  auto dg14 = lds::parse_dg14(card->image.files.data_groups.at(14));
  REQUIRE(dg14->chip_authentication_public_keys.size() == 1);
  CHECK(dg14->chip_authentication_public_keys[0].subject_public_key_info == spki_of_pem(card->image.chip.ca_key_pem));
  for (const auto& [name, size] : card->summary.files) CHECK(name != "ef_cardsecurity.bin");
}

TEST_CASE("unsigned data groups: on the card and in EF.COM, not in EF.SOD") {
  PersonalizeOptions o = base_options();
  o.unsigned_data_groups = {16, 13, 16};
  auto card = personalize_card(o);
  REQUIRE(card.ok());
  const auto& g = card->image.files.data_groups;
  REQUIRE(g.count(13));
  REQUIRE(g.count(16));
  CHECK(g.at(16)[0] == 0x70);  // DG16's tag (ICAO 9303-10 §4.7.16)
  CHECK(g.at(13)[0] == 0x6D);
  CHECK(apdu::parse_single(g.at(16), 0x70).ok());
  auto com = lds::parse_ef_com(*card->image.files.com);
  REQUIRE(com.ok());
  const auto listed = com->data_groups();
  CHECK(std::find(listed.begin(), listed.end(), 16) != listed.end());
  CHECK(std::find(listed.begin(), listed.end(), 13) != listed.end());
  auto sod = lds::parse_ef_sod(*card->image.files.sod);
  REQUIRE(sod.ok());
  CHECK(sod->security_object.hash_of(13) == nullptr);
  CHECK(sod->security_object.hash_of(16) == nullptr);
  CHECK(sod->security_object.hashes.size() == 6);  // 1, 2, 11, 12, 14, 15
  CHECK(card->summary.unsigned_data_groups == std::vector<int>{13, 16});
}

TEST_CASE("option errors name the option") {
  struct Case {
    void (*set)(PersonalizeOptions&);
    const char* names;
    const char* why;
  } cases[] = {
      {[](PersonalizeOptions& o) { o.can = secure_copy(bytes_of("12345")); }, "--can", "CAN of 5 digits"},
      {[](PersonalizeOptions& o) { o.can = secure_copy(bytes_of("12345a")); }, "--can", "CAN with a letter"},
      {[](PersonalizeOptions& o) { o.pace_parameter_id = 3; }, "PACE", "a DH parameter ID for ECDH PACE"},
      {[](PersonalizeOptions& o) {
         o.pace_mapping = PaceMapping::kChipAuthentication;
         o.pace_cipher = crypto::CipherAlg::kTdes;
       },
       "CAM", "PACE-CAM with 3DES"},
      {[](PersonalizeOptions& o) { o.holder.primary_identifier = "O'BRIEN"; }, "name", "apostrophe in the MRZ name"},
      {[](PersonalizeOptions& o) { o.ca_parameter_id = 3; }, "CA", "a CA parameter ID that is neither DH (0-2) nor ECDH (8-18)"},
      {[](PersonalizeOptions& o) {
         o.pace_mapping = PaceMapping::kChipAuthentication;
         o.ca_cipher = crypto::CipherAlg::kTdes;
       },
       "--ca-cipher", "PACE-CAM with a 3DES CA cipher"},
      {[](PersonalizeOptions& o) { o.card_security = false; }, "--no-card-security", "no EF.CardSecurity on a GM card"},
      {[](PersonalizeOptions& o) { o.unsigned_data_groups = {3}; }, "--unsigned-dg", "an unsigned DG3"},
      {[](PersonalizeOptions& o) { o.document.document_number = "KR12345678901234567890123456"; }, "optional data",
       "a document number too long even for the TD1 continuation"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    PersonalizeOptions o = base_options();
    c.set(o);
    auto r = personalize_card(o);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
    CHECK(r.error().context.find(c.names) != std::string::npos);
  }
}

TEST_CASE("personalize writes a card image that loads back, and refuses to replace other directories") {
  test::ScratchDir dir("personalize");
  const std::string out = dir.path() + "/card";
  PersonalizeOptions o = base_options();
  o.out_dir = out;
  PersonalizeSummary summary;
  REQUIRE(personalize(o, &summary).ok());
  CHECK(summary.out_dir == out);
  auto loaded = load_card_image(out, LoadOptions{true});
  REQUIRE(loaded.ok());
  CHECK(loaded->files.data_groups.size() == 6);
  CHECK(loaded->files.sod.has_value());
  for (const char* f : {"csca_cert.pem", "csca_key.pem", "ds_cert.pem", "ds_key.pem", "csca_crl.pem"}) {
    CAPTURE(f);
    CHECK(loaded->pki.count(f) == 1);
  }
  CHECK(fs::exists(out + "/chip/ca_key.pem"));
  // The CRL is the CSCA's.
  const Bytes& crl_pem = loaded->pki.at("csca_crl.pem");
  BIO* bio = BIO_new_mem_buf(crl_pem.data(), static_cast<int>(crl_pem.size()));
  X509_CRL* crl = PEM_read_bio_X509_CRL(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  const Bytes& csca_pem = loaded->pki.at("csca_cert.pem");
  bio = BIO_new_mem_buf(csca_pem.data(), static_cast<int>(csca_pem.size()));
  X509* csca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  REQUIRE(crl != nullptr);
  REQUIRE(csca != nullptr);
  CHECK(X509_CRL_verify(crl, X509_get0_pubkey(csca)) == 1);
  X509_CRL_free(crl);
  X509_free(csca);

  // Personalizing again replaces the card (a fresh SOD, fresh keys).
  const Bytes first_sod = *loaded->files.sod;
  REQUIRE(personalize(o).ok());
  CHECK(*load_card_image(out)->files.sod != first_sod);

  // A directory that is not a card image is left alone.
  const std::string other = dir.path() + "/photos";
  fs::create_directories(other);
  std::ofstream(other + "/keep.txt") << "mine";
  o.out_dir = other;
  auto refused = personalize(o);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kInvalidArgument);
  CHECK(fs::exists(other + "/keep.txt"));
  o.out_dir = "";
  CHECK(personalize(o).error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("--face-bytes sizes the face: JPEG at the lowest quality reaching it, JPEG 2000 rate-controlled") {
  const struct {
    FaceFormat format;
    size_t target;
    size_t at_most;  // JPEG steps in quality, JPEG 2000 hits its rate
  } cases[] = {{FaceFormat::kJpeg, 20000, 30000}, {FaceFormat::kJpeg, 30000, 45000}, {FaceFormat::kJpeg2000, 20000, 21000}};
  for (const auto& c : cases) {
    CAPTURE(c.target);
    PersonalizeOptions o;
    o.face_format = c.format;
    o.face_bytes = c.target;
    auto card = personalize_card(o);
    REQUIRE(card.ok());
    auto dg2 = lds::parse_dg2(card->image.files.data_groups.at(2));
    REQUIRE(dg2.ok());
    auto faces = dg2->images();
    REQUIRE(faces.size() == 1);
    if (c.format == FaceFormat::kJpeg) CHECK(faces[0].data.size() >= c.target);
    else CHECK(faces[0].data.size() >= c.target * 9 / 10);
    CHECK(faces[0].data.size() <= c.at_most);
  }
  // A JPEG size no quality reaches: the quality-100 image, as large as the face gets.
  PersonalizeOptions o;
  o.face_bytes = 200000;
  auto card = personalize_card(o);
  REQUIRE(card.ok());
  CHECK(card->summary.face_bytes < 200000);
  CHECK(card->summary.face_bytes > 45000);
}
