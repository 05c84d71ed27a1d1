#include "idtap/lds/ef_sod.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "idtap/base/hex.h"
#include "idtap/lds/card_security.h"
#include "lds/pki_fixture.h"
#include "lds/tlv_build.h"
#include "support/test_card.h"

using namespace idtap;
using namespace idtap::lds;

namespace {

Bytes sha(const EVP_MD* md, ByteView data) {
  Bytes out(static_cast<size_t>(EVP_MD_get_size(md)));
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr);
  return out;
}

LdsSecurityObject sample_lso(crypto::HashAlg alg, const EVP_MD* md) {
  LdsSecurityObject lso;
  lso.hash_algorithm.algorithm = digest_oid(alg);
  lso.hashes.push_back({1, sha(md, bytes_of("DG1"))});
  lso.hashes.push_back({2, sha(md, bytes_of("DG2"))});
  lso.hashes.push_back({14, sha(md, bytes_of("DG14"))});
  return lso;
}

struct Signer {
  lds_test::PkeyPtr key;
  CmsSigner cms;
};

Signer make_signer(lds_test::PkeyPtr key, crypto::HashAlg hash, SignatureScheme scheme) {
  Signer s;
  s.cms.private_key_pkcs8 = lds_test::pkcs8_der(key.get());
  s.cms.certificate = lds_test::self_signed_der(key.get(), "Document Signer");
  s.cms.hash = hash;
  s.cms.scheme = scheme;
  s.key = std::move(key);
  return s;
}

// verify: the exposed signed-attribute bytes, signature and certificate verify with plain
// OpenSSL: what Passive Authentication will do.
bool verify(const SignerInfoData& si, const Bytes& cert_der, const EVP_MD* md, bool pss) {
  const unsigned char* p = cert_der.data();
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(cert_der.size()));
  EVP_PKEY* pub = X509_get0_pubkey(cert);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, pub) == 1;
  if (ok && pss) ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0;
  ok = ok && EVP_DigestVerify(ctx, si.signature.data(), si.signature.size(), si.signed_attributes->data(),
                              si.signed_attributes->size()) == 1;
  EVP_MD_CTX_free(ctx);
  X509_free(cert);
  return ok;
}

// to_indefinite: a constructed DER object rewritten with the BER indefinite length.
Bytes to_indefinite(const Bytes& der) {
  apdu::TlvReader r(der);
  auto t = r.next().value();
  Bytes out = apdu::encode_tag(t.tag);
  out.push_back(0x80);
  append(out, t.value);
  out.push_back(0);
  out.push_back(0);
  return out;
}

}  // namespace

TEST_CASE("LDSSecurityObject: fixed bytes of a v0 object") {
  LdsSecurityObject lso;
  lso.hash_algorithm.algorithm = digest_oid(crypto::HashAlg::kSha1);
  lso.hashes = {{1, Bytes(20, 0x11)}, {2, Bytes(20, 0x22)}};
  auto der = encode_lds_security_object(lso);
  REQUIRE(der.ok());
  // 30 44 { 02 01 00, 30 07 { 06 05 2B0E03021A }, 30 36 { 30 19 { 02 01 01, 04 14 11.. },
  //   30 19 { 02 01 02, 04 14 22.. } } }  (ICAO 9303-10 §4.6.2.2)
  std::string expect = "3044020100300706052b0e03021a3036" "3019020101" "0414" + std::string(40, '1') + "3019020102" "0414" + std::string(40, '2');
  CHECK(to_hex(*der) == expect);
  auto back = parse_lds_security_object(*der);
  REQUIRE(back.ok());
  CHECK(back->version == 0);
  CHECK(back->hash_alg() == crypto::HashAlg::kSha1);
  CHECK(*back->hash_of(2) == Bytes(20, 0x22));
  CHECK(back->hash_of(3) == nullptr);
}

TEST_CASE("EF.SOD signed with ECDSA P-256 / SHA-256 parses with what verification needs") {
  Signer s = make_signer(lds_test::make_ec_key("prime256v1"), crypto::HashAlg::kSha256, SignatureScheme::kEcdsa);
  LdsSecurityObject lso = sample_lso(crypto::HashAlg::kSha256, EVP_sha256());
  auto file = create_ef_sod(lso, s.cms);
  REQUIRE(file.ok());
  CHECK((*file)[0] == 0x77);
  auto sod = parse_ef_sod(*file);
  REQUIRE(sod.ok());
  CHECK_FALSE(sod->signed_data.used_ber);
  CHECK(sod->signed_data.econtent_type == oid::kLdsSecurityObject);
  CHECK(sod->security_object.version == 0);
  CHECK(sod->security_object.hashes.size() == 3);
  CHECK(*sod->security_object.hash_of(14) == sha(EVP_sha256(), bytes_of("DG14")));
  REQUIRE(sod->document_signer_certificates().size() == 1);
  CHECK(sod->document_signer_certificates()[0] == s.cms.certificate);
  REQUIRE(sod->signed_data.signer_infos.size() == 1);
  const auto& si = sod->signed_data.signer_infos[0];
  CHECK(si.version == 1);
  CHECK(si.issuer.has_value());
  CHECK(to_hex(*si.serial_number) == "1092");  // 4242
  CHECK(si.digest_algorithm.algorithm == digest_oid(crypto::HashAlg::kSha256));
  CHECK(oid_to_string(si.signature_algorithm.algorithm).value() == "1.2.840.10045.4.3.2");  // ecdsa-with-SHA256
  CHECK(si.content_type == oid::kLdsSecurityObject);
  CHECK(si.message_digest == sha(EVP_sha256(), sod->signed_data.econtent));
  REQUIRE(si.signed_attributes.has_value());
  CHECK((*si.signed_attributes)[0] == 0x31);
  CHECK(verify(si, s.cms.certificate, EVP_sha256(), false));
  // The LDSSecurityObject inside is exactly what was signed.
  CHECK(sod->signed_data.econtent == encode_lds_security_object(lso).value());
}

TEST_CASE("EF.SOD with RSA-PSS / SHA-384 and an LDSSecurityObject v1") {
  Signer s = make_signer(lds_test::make_rsa_key(2048), crypto::HashAlg::kSha384, SignatureScheme::kRsaPss);
  LdsSecurityObject lso = sample_lso(crypto::HashAlg::kSha384, EVP_sha384());
  lso.version_info = LdsVersionInfo{"0108", "040000"};
  auto file = create_ef_sod(lso, s.cms);
  REQUIRE(file.ok());
  auto sod = parse_ef_sod(*file);
  REQUIRE(sod.ok());
  CHECK(sod->security_object.version == 1);
  REQUIRE(sod->security_object.version_info.has_value());
  CHECK(sod->security_object.version_info->lds_version == "0108");
  const auto& si = sod->signed_data.signer_infos[0];
  CHECK(oid_to_string(si.signature_algorithm.algorithm).value() == "1.2.840.113549.1.1.10");  // id-RSASSA-PSS
  CHECK_FALSE(si.signature_algorithm.parameters.empty());
  CHECK(verify(si, s.cms.certificate, EVP_sha384(), true));
}

TEST_CASE("EF.SOD with every hash algorithm (ECDSA), and RSA PKCS#1 v1.5") {
  struct Case {
    crypto::HashAlg alg;
    const EVP_MD* md;
  } cases[] = {{crypto::HashAlg::kSha1, EVP_sha1()},
               {crypto::HashAlg::kSha224, EVP_sha224()},
               {crypto::HashAlg::kSha256, EVP_sha256()},
               {crypto::HashAlg::kSha384, EVP_sha384()},
               {crypto::HashAlg::kSha512, EVP_sha512()}};
  for (const auto& c : cases) {
    CAPTURE(digest_length(c.alg));
    Signer s = make_signer(lds_test::make_ec_key("brainpoolP256r1"), c.alg, SignatureScheme::kEcdsa);
    auto file = create_ef_sod(sample_lso(c.alg, c.md), s.cms);
    REQUIRE(file.ok());
    auto sod = parse_ef_sod(*file);
    REQUIRE(sod.ok());
    CHECK(sod->security_object.hash_alg() == c.alg);
    CHECK(sod->signed_data.signer_infos[0].digest_algorithm.algorithm == digest_oid(c.alg));
    CHECK(verify(sod->signed_data.signer_infos[0], s.cms.certificate, c.md, false));
  }
  Signer rsa = make_signer(lds_test::make_rsa_key(2048), crypto::HashAlg::kSha256, SignatureScheme::kRsaPkcs1);
  auto file = create_ef_sod(sample_lso(crypto::HashAlg::kSha256, EVP_sha256()), rsa.cms);
  REQUIRE(file.ok());
  auto sod = parse_ef_sod(*file);
  REQUIRE(sod.ok());
  CHECK(verify(sod->signed_data.signer_infos[0], rsa.cms.certificate, EVP_sha256(), false));
}

TEST_CASE("BER indefinite lengths in EF.SOD: a named leniency") {
  Signer s = make_signer(lds_test::make_ec_key("prime256v1"), crypto::HashAlg::kSha256, SignatureScheme::kEcdsa);
  auto der_file = create_ef_sod(sample_lso(crypto::HashAlg::kSha256, EVP_sha256()), s.cms);
  REQUIRE(der_file.ok());
  // 77 80 { 30 80 { ContentInfo content } 00 00 } 00 00
  const Bytes content_info = to_bytes(apdu::parse_single(*der_file, 0x77).value().value);
  Bytes ber = to_indefinite(apdu::encode_tlv(0x77, to_indefinite(content_info)));
  auto strict = parse_ef_sod(ber);
  REQUIRE_FALSE(strict.ok());
  CHECK(strict.error().code == ErrorCode::kMalformed);
  auto lenient = parse_ef_sod(ber, EfSodOptions{true});
  REQUIRE(lenient.ok());
  CHECK(lenient->signed_data.used_ber);
  CHECK(lenient->security_object.hashes.size() == 3);
  CHECK(verify(lenient->signed_data.signer_infos[0], s.cms.certificate, EVP_sha256(), false));
  // A DER file parsed with the leniency allowed does not report it used.
  CHECK_FALSE(parse_ef_sod(*der_file, EfSodOptions{true})->signed_data.used_ber);
}

TEST_CASE("BER indefinite lengths inside EF.SOD: SignedData, encapContentInfo, a chunked eContent") {
  Signer s = make_signer(lds_test::make_ec_key("prime256v1"), crypto::HashAlg::kSha256, SignatureScheme::kEcdsa);
  const Bytes der_file = create_ef_sod(sample_lso(crypto::HashAlg::kSha256, EVP_sha256()), s.cms).value();
  const EfSod der = parse_ef_sod(der_file).value();
  REQUIRE(der.signed_data.econtent.size() > 100);
  struct Case {
    const char* what;
    test::BerSodOptions ber;
  } cases[] = {
      {"SignedData 30 80 (and ContentInfo's [0] A0 80)", {.signed_data = true}},
      {"EncapsulatedContentInfo 30 80 (and its eContent [0] A0 80)", {.encap_content_info = true}},
      {"eContent as a constructed OCTET STRING 24 80 of 16-byte segments", {.econtent_chunk = 16}},
      {"eContent in 100-byte segments, the last one short", {.econtent_chunk = 100}},
      {"eContent as one segment in a constructed OCTET STRING", {.econtent_chunk = 4096}},
      {"every level indefinite, the eContent chunked",
       {.outer = true, .content_info = true, .signed_data = true, .encap_content_info = true, .econtent_chunk = 32}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    const Bytes ber = test::reencode_sod_ber(der_file, c.ber);
    REQUIRE(ber != der_file);
    // Strict DER refuses it; the EF.SOD leniency reads it and says so.
    auto strict = parse_ef_sod(ber);
    REQUIRE_FALSE(strict.ok());
    CHECK(strict.error().code == ErrorCode::kMalformed);
    auto lenient = parse_ef_sod(ber, EfSodOptions{true});
    REQUIRE_MESSAGE(lenient.ok(), (lenient.ok() ? std::string() : lenient.error().message()));
    CHECK(lenient->signed_data.used_ber);
    // The same content: eContent (the segments joined), the hashes, the signed attributes whose
    // messageDigest covers eContent, and a signature that still verifies.
    CHECK(lenient->signed_data.econtent == der.signed_data.econtent);
    REQUIRE(lenient->security_object.hashes.size() == 3);
    for (int n : {1, 2, 14}) CHECK(*lenient->security_object.hash_of(n) == *der.security_object.hash_of(n));
    const auto& si = lenient->signed_data.signer_infos.at(0);
    CHECK(*si.signed_attributes == *der.signed_data.signer_infos.at(0).signed_attributes);
    CHECK(si.message_digest == sha(EVP_sha256(), lenient->signed_data.econtent));
    CHECK(verify(si, s.cms.certificate, EVP_sha256(), false));
    REQUIRE(lenient->document_signer_certificates().size() == 1);
    CHECK(lenient->document_signer_certificates()[0] == s.cms.certificate);
  }

  // Broken BER is still refused, with the leniency on.
  const Bytes chunked = test::reencode_sod_ber(der_file, {.econtent_chunk = 16});
  Bytes not_octets = chunked;  // the first segment's tag 04 -> 05: not an OCTET STRING segment
  const Bytes start = {0x24, 0x80, 0x04};
  const auto first = std::search(not_octets.begin(), not_octets.end(), start.begin(), start.end());
  REQUIRE(first != not_octets.end());
  first[2] = 0x05;
  Bytes trailing = test::reencode_sod_ber(der_file, {.outer = true, .content_info = true});
  trailing.push_back(0x00);
  struct Bad {
    Bytes file;
    const char* why;
  } bad[] = {
      {not_octets, "a segment of the constructed eContent that is not an OCTET STRING"},
      {Bytes(chunked.begin(), chunked.end() - 1), "the last byte missing"},
      {trailing, "a byte after the end-of-contents"},
  };
  for (const auto& b : bad) {
    const std::string why = b.why;
    CAPTURE(why);
    auto r = parse_ef_sod(b.file, EfSodOptions{true});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
  }
}

TEST_CASE("malformed EF.SOD and LDSSecurityObject") {
  using lds_test::H;
  using lds_test::T;
  Signer s = make_signer(lds_test::make_ec_key("prime256v1"), crypto::HashAlg::kSha256, SignatureScheme::kEcdsa);
  auto signed_content = [&s](const Oid& type, const Bytes& content) {
    return apdu::encode_tlv(0x77, create_signed_data(type, content, s.cms).value());
  };
  const Bytes sha256_alg = T(0x30, {H("0609608648016503040201")});
  const Bytes h1 = T(0x30, {H("020101"), T(0x04, {Bytes(32, 1)})});
  const Bytes h2 = T(0x30, {H("020102"), T(0x04, {Bytes(32, 2)})});
  auto good = create_ef_sod(sample_lso(crypto::HashAlg::kSha256, EVP_sha256()), s.cms).value();
  Bytes truncated(good.begin(), good.end() - 1);
  Bytes trailing = good;
  trailing.push_back(0);
  Bytes wrong_tag = good;
  wrong_tag[0] = 0x76;
  struct Case {
    Bytes file;
    const char* why;
  } cases[] = {
      {H(""), "empty"},
      {wrong_tag, "outer tag 76 instead of 77"},
      {truncated, "last byte missing"},
      {trailing, "trailing byte"},
      {T(0x77, {T(0x30, {H("06092A864886F70D010702")})}), "ContentInfo id-signedData without content"},
      {T(0x77, {T(0x30, {H("06092A864886F70D010701"), T(0xA0, {H("0400")})})}), "id-data instead of id-signedData"},
      {signed_content(oid::kSecurityObject, H("3100")), "eContentType id-SecurityObject"},
      {signed_content(oid::kLdsSecurityObject, T(0x30, {H("020101"), sha256_alg, T(0x30, {h1, h2})})),
       "LDSSecurityObject v1 without LDSVersionInfo"},
      {signed_content(oid::kLdsSecurityObject, T(0x30, {H("020100"), sha256_alg, T(0x30, {h1})})), "a single data group hash"},
      {signed_content(oid::kLdsSecurityObject, T(0x30, {H("020100"), sha256_alg, T(0x30, {h1, h1})})), "DG1 hashed twice"},
      {signed_content(oid::kLdsSecurityObject,
                      T(0x30, {H("020100"), sha256_alg, T(0x30, {h1, T(0x30, {H("020102"), T(0x04, {Bytes(20, 2)})})})})),
       "a 20-byte hash under SHA-256"},
      {signed_content(oid::kLdsSecurityObject,
                      T(0x30, {H("020100"), sha256_alg, T(0x30, {h1, T(0x30, {H("020111"), T(0x04, {Bytes(32, 2)})})})})),
       "data group number 17"},
      {signed_content(oid::kLdsSecurityObject, T(0x30, {H("020102"), sha256_alg, T(0x30, {h1, h2})})), "version 2"},
      {signed_content(oid::kLdsSecurityObject, lds_test::C({T(0x30, {H("020100"), sha256_alg, T(0x30, {h1, h2})}), H("00")})),
       "trailing byte after the LDSSecurityObject"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto r = parse_ef_sod(c.file);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
  }
  // The content of the cases above is otherwise sound: v0 with two hashes parses.
  CHECK(parse_ef_sod(signed_content(oid::kLdsSecurityObject, T(0x30, {H("020100"), sha256_alg, T(0x30, {h1, h2})}))).ok());
}

TEST_CASE("EF.SOD labelled id-data: malformed unless the named leniency is asked for, then reported") {
  using lds_test::H;
  using lds_test::T;
  Signer s = make_signer(lds_test::make_ec_key("prime256v1"), crypto::HashAlg::kSha256, SignatureScheme::kEcdsa);
  auto signed_content = [&s](const Oid& type, const Bytes& content) {
    return apdu::encode_tlv(0x77, create_signed_data(type, content, s.cms).value());
  };
  const Bytes lso = encode_lds_security_object(sample_lso(crypto::HashAlg::kSha256, EVP_sha256())).value();
  const EfSodOptions lenient{.allow_id_data_content_type = true};
  struct Case {
    Bytes file;
    EfSodOptions options;
    bool ok;
    bool id_data;
    const char* why;
  } cases[] = {
      // ICAO 9303-10 §4.6.2.2 content type: fine either way, never reported.
      {signed_content(oid::kLdsSecurityObject, lso), {}, true, false, "ICAO type, strict"},
      {signed_content(oid::kLdsSecurityObject, lso), lenient, true, false, "ICAO type, lenient"},
      // id-data over an LDSSecurityObject: refused strictly, accepted and reported when allowed.
      {signed_content(oid::kData, lso), {}, false, false, "id-data, strict"},
      {signed_content(oid::kData, lso), lenient, true, true, "id-data, lenient"},
      // id-data over something else: still malformed.
      {signed_content(oid::kData, H("0400")), lenient, false, false, "id-data over an OCTET STRING"},
      // Another type (id-SecurityObject) is not covered by the leniency.
      {signed_content(oid::kSecurityObject, lso), lenient, false, false, "id-SecurityObject, lenient"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto r = parse_ef_sod(c.file, c.options);
    REQUIRE(r.ok() == c.ok);
    if (r.ok()) {
      CHECK(r->id_data_content_type == c.id_data);
      CHECK(r->security_object.hashes.size() == 3);
    } else {
      CHECK(r.error().code == ErrorCode::kMalformed);
    }
  }
}

TEST_CASE("create_signed_data refuses keys that do not fit") {
  Signer ec = make_signer(lds_test::make_ec_key("prime256v1"), crypto::HashAlg::kSha256, SignatureScheme::kEcdsa);
  CmsSigner wrong_scheme = ec.cms;
  wrong_scheme.scheme = SignatureScheme::kRsaPss;
  CHECK(create_signed_data(oid::kLdsSecurityObject, bytes_of("x"), wrong_scheme).error().code == ErrorCode::kInvalidArgument);
  CmsSigner other_cert = ec.cms;
  other_cert.certificate = lds_test::self_signed_der(lds_test::make_ec_key("prime256v1").get(), "other");
  CHECK(create_signed_data(oid::kLdsSecurityObject, bytes_of("x"), other_cert).error().code == ErrorCode::kInvalidArgument);
  CmsSigner no_key = ec.cms;
  no_key.private_key_pkcs8 = SecureBytes{1, 2, 3};
  CHECK(create_signed_data(oid::kLdsSecurityObject, bytes_of("x"), no_key).error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("EF.CardSecurity: SecurityInfos signed, parsed back") {
  Signer s = make_signer(lds_test::make_ec_key("prime256v1"), crypto::HashAlg::kSha256, SignatureScheme::kEcdsa);
  auto chip = lds_test::make_ec_key("brainpoolP256r1");
  SecurityInfos infos;
  infos.pace.push_back({oid::kPaceEcdhCamAes128, 2, kParamBrainpoolP256r1});
  infos.chip_authentication_public_keys.push_back({oid::kPkEcdh, lds_test::spki_der(chip.get()), std::nullopt});
  auto file = create_card_security(infos, s.cms);
  REQUIRE(file.ok());
  auto cs = parse_card_security(*file);
  REQUIRE(cs.ok());
  CHECK(cs->signed_data.econtent_type == oid::kSecurityObject);
  REQUIRE(cs->infos.chip_authentication_public_keys.size() == 1);
  CHECK(cs->infos.chip_authentication_public_keys[0].subject_public_key_info == lds_test::spki_der(chip.get()));
  CHECK(verify(cs->signed_data.signer_infos[0], s.cms.certificate, EVP_sha256(), false));
  // EF.SOD's parser refuses it (wrong content type), and it is not wrapped in 77.
  CHECK_FALSE(parse_ef_sod(apdu::encode_tlv(0x77, *file)).ok());
}
