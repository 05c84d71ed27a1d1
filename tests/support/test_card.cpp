#include "support/test_card.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <algorithm>
#include <cstdlib>

#include "idtap/lds/dg1.h"
#include "idtap/lds/dg11.h"
#include "idtap/lds/dg12.h"
#include "idtap/lds/dg14.h"
#include "idtap/lds/dg15.h"
#include "idtap/lds/dg2.h"
#include "idtap/lds/ef_com.h"
#include "idtap/lds/ef_sod.h"
#include "idtap/lds/files.h"
#include "idtap/lds/mrz.h"
#include "idtap/lds/oid.h"
#include "idtap/lds/security_infos.h"
#include "support/test_images.h"

namespace idtap::test {
namespace {

template <class T>
T must(Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "make_test_card: %s: %s\n", what, r.error().message().c_str());
    std::abort();
  }
  return std::move(r).value();
}

using testing::spki_der;


SecureBytes pkcs8_der(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int n = i2d_PrivateKey(key, &der);
  SecureBytes out(der, der + n);
  OPENSSL_clear_free(der, static_cast<size_t>(n));
  return out;
}

SecureBytes pem_secure(EVP_PKEY* key) {
  std::string pem = testing::key_pem(key);
  return SecureBytes(pem.begin(), pem.end());
}

Bytes oid_bytes(const char* dotted) { return must(lds::oid_from_string(dotted), "oid"); }

}  // namespace

TestCard make_test_card(const TestCardOptions& o) {
  TestCard card;
  sim::CardImage& img = card.image;
  testing::EvpKey csca_key = testing::make_ec_key("P-256");
  testing::Cert csca = testing::make_cert(
      testing::CertSpec{.common_name = "Test CSCA KR", .ca = true, .serial = 1, .not_before = -1000L * 86400, .not_after = 3650L * 86400},
      csca_key.get(), nullptr, csca_key.get());
  testing::EvpKey ds_key = testing::make_ec_key("P-256");
  testing::Cert ds = testing::make_cert(testing::CertSpec{.common_name = "Test DS KR", .serial = 2}, ds_key.get(), csca.get(), csca_key.get());
  card.csca_pem = testing::cert_pem(csca.get());
  card.ds_der = testing::cert_der(ds.get());

  // DG1: a TD1 MRZ.
  lds::MrzFields mrz;
  mrz.format = lds::MrzFormat::kTd1;
  mrz.document_code = "ID";
  mrz.issuing_state = "KOR";
  mrz.document_number = kCardDocumentNumber;
  mrz.date_of_birth = lds::Date{1990, 1, 1};
  mrz.sex = 'M';
  mrz.date_of_expiry = lds::Date{2030, 12, 31};
  mrz.nationality = "KOR";
  mrz.primary_identifier = "HONG";
  mrz.secondary_identifier = "GILDONG";
  std::string mrz_text = must(lds::compose_mrz(mrz), "compose_mrz");
  std::map<int, Bytes>& dgs = img.files.data_groups;
  dgs[1] = must(lds::encode_dg1(mrz_text), "DG1");

  // DG2: one face image.
  lds::Iso19794FaceImage face;
  face.width = static_cast<uint16_t>(o.face_width);
  face.height = static_cast<uint16_t>(o.face_height);
  face.image_data_type = o.jpeg2000 ? 1 : 0;
  face.image = o.jpeg2000 ? make_test_jpeg2000(o.face_width, o.face_height) : make_test_jpeg(o.face_width, o.face_height, 95);
  if (!o.jpeg2000 && face.image.size() < o.face_min_bytes) {
    // An APP15 comment-like segment after SOI keeps the JPEG valid and reaches the typical
    // 15-30 KB of a real face image (the synthetic gradient compresses far better than a face).
    size_t pad = std::min<size_t>(o.face_min_bytes - face.image.size(), 65533);
    Bytes segment = {0xFF, 0xEF, static_cast<uint8_t>((pad + 2) >> 8), static_cast<uint8_t>(pad + 2)};
    segment.resize(4 + pad, 0x5A);
    face.image.insert(face.image.begin() + 2, segment.begin(), segment.end());
  }
  lds::BiometricInfo info;
  info.header.biometric_type = Bytes{0x02};
  info.iso19794 = lds::Iso19794FacialRecord{{face}};
  lds::Dg2 dg2;
  dg2.infos.push_back(info);
  dgs[2] = must(lds::encode_dg2(dg2), "DG2");

  lds::Dg11 dg11;
  dg11.full_name = "홍<<길동";
  dg11.personal_number = lds::PersonalNumber(kCardResidentNumber);
  dg11.full_date_of_birth = lds::LdsDate{"19900101", lds::Date{1990, 1, 1}, false};
  dg11.address = "서울특별시 종로구 세종대로 209";
  dgs[11] = must(lds::encode_dg11(dg11), "DG11");
  lds::Dg12 dg12;
  dg12.issuing_authority = "종로구청장";
  dg12.date_of_issue = lds::LdsDate{"20250102", lds::Date{2025, 1, 2}, false};
  dgs[12] = must(lds::encode_dg12(dg12), "DG12");

  // DG14 / DG15 and the chip's private keys.
  lds::SecurityInfos dg14;
  if (o.chip_authentication) {
    testing::EvpKey ca_key = testing::make_ec_key("brainpoolP256r1");
    dg14.chip_authentication.push_back(lds::ChipAuthenticationInfo{oid_bytes("0.4.0.127.0.7.2.2.3.2.2"), 1, std::nullopt});
    dg14.chip_authentication_public_keys.push_back(
        lds::ChipAuthenticationPublicKeyInfo{lds::oid::kPkEcdh, spki_der(ca_key.get()), std::nullopt});
    img.chip.ca_key_pem = pem_secure(ca_key.get());
    img.config.ca_ciphers = {crypto::CipherAlg::kAes128, crypto::CipherAlg::kTdes};
  }
  if (o.active_authentication) {
    testing::EvpKey aa_key = o.rsa_aa ? testing::make_rsa_key(2048) : testing::make_ec_key("brainpoolP256r1");
    if (!o.rsa_aa) dg14.active_authentication.push_back(lds::ActiveAuthenticationInfo{lds::oid::kAa, 1, oid_bytes("1.2.840.10045.4.3.2")});
    dgs[15] = must(lds::encode_dg15(spki_der(aa_key.get())), "DG15");
    img.chip.aa_key_pem = pem_secure(aa_key.get());
  }
  if (o.chip_authentication || (o.active_authentication && !o.rsa_aa)) dgs[14] = must(lds::encode_dg14(dg14), "DG14");

  // EF.COM and EF.SOD over every data group.
  lds::EfCom com;
  lds::LdsSecurityObject lso;
  lso.hash_algorithm.algorithm = lds::digest_oid(o.hash);
  for (const auto& [n, raw] : dgs) {
    com.tags.push_back(lds::data_group(n)->tag);
    lso.hashes.push_back(lds::DataGroupHash{n, must(crypto::digest(o.hash, raw), "digest")});
  }
  img.files.com = must(lds::encode_ef_com(com), "EF.COM");
  lds::CmsSigner signer;
  signer.private_key_pkcs8 = pkcs8_der(ds_key.get());
  signer.certificate = card.ds_der;
  signer.hash = o.hash;
  img.files.sod = must(lds::create_ef_sod(lso, signer), "EF.SOD");
  if (o.tamper_dg) {
    Bytes& raw = dgs.at(*o.tamper_dg);
    raw[raw.size() - 1] ^= 0x01;  // after signing: the hash no longer matches
  }

  // Access control.
  img.config.bac = o.bac;
  img.config.pace = o.pace;
  img.config.mrz.document_number = SecureBytes(kCardDocumentNumber, kCardDocumentNumber + 9);
  img.config.mrz.date_of_birth = SecureBytes(kCardDateOfBirth, kCardDateOfBirth + 6);
  img.config.mrz.date_of_expiry = SecureBytes(kCardDateOfExpiry, kCardDateOfExpiry + 6);
  if (o.pace) {
    img.config.can = SecureBytes(kCardCan, kCardCan + 6);
    img.config.pace_offers = o.pace_offers;
    lds::SecurityInfos access;
    for (const auto& offer : o.pace_offers) {
      std::string oid = "0.4.0.127.0.7.2.2.4.";
      oid += offer.mapping == sim::PaceMapping::kGeneric ? "2." : offer.mapping == sim::PaceMapping::kIntegrated ? "4." : "6.";
      oid += offer.cipher == crypto::CipherAlg::kAes128 ? "2" : offer.cipher == crypto::CipherAlg::kAes192 ? "3" : offer.cipher == crypto::CipherAlg::kAes256 ? "4" : "1";
      access.pace.push_back(lds::PaceInfo{oid_bytes(oid.c_str()), 2, offer.parameter_id});
    }
    img.files.card_access = must(lds::encode_security_infos(access), "EF.CardAccess");
  }
  img.config.quirks = o.quirks;
  img.pki["csca.pem"] = bytes_of(card.csca_pem);
  return card;
}

}  // namespace idtap::test
