#include "support/test_card.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "idtap/apdu/tlv.h"
#include "idtap/sim/personalize.h"

namespace idtap::test {
namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "test_card: %s\n", what.c_str());
  std::abort();
}

template <class T>
T must(Result<T> r, const char* what) {
  if (!r.ok()) die(std::string(what) + ": " + r.error().message());
  return std::move(r).value();
}

// wrap: tag || (80 content 00 00 when `indefinite`, else the DER length and content).
Bytes wrap(uint32_t tag, ByteView content, bool indefinite) {
  if (!indefinite) return apdu::encode_tlv(tag, content);
  Bytes out = apdu::encode_tag(tag);
  out.push_back(0x80);
  append(out, content);
  out.push_back(0x00);
  out.push_back(0x00);
  return out;
}

}  // namespace

sim::PersonalizeOptions test_card_personalization(const TestCardOptions& o) {
  sim::PersonalizeOptions p;
  p.profile = !o.pace ? sim::CardProfile::kPassport : o.bac ? sim::CardProfile::kBoth : sim::CardProfile::kResident;
  p.holder.primary_identifier = "HONG";
  p.holder.secondary_identifier = "GILDONG";
  p.holder.personal_number = lds::PersonalNumber(kCardResidentNumber);
  p.holder.date_of_birth = Date{1990, 1, 1};
  p.document.document_number = kCardDocumentNumber;
  p.document.date_of_issue = Date{2020, 12, 31};
  p.document.date_of_expiry = Date{2030, 12, 31};
  p.can = SecureBytes(kCardCan, kCardCan + 6);
  p.pace_mapping = o.pace_offer.mapping;
  p.pace_cipher = o.pace_offer.cipher;
  p.pace_parameter_id = o.pace_offer.parameter_id;
  p.aa_key = !o.active_authentication ? sim::AaKeyType::kNone : o.rsa_aa ? sim::AaKeyType::kRsa2048 : sim::AaKeyType::kEcdsa;
  p.face_format = o.jpeg2000 ? sim::FaceFormat::kJpeg2000 : sim::FaceFormat::kJpeg;
  p.face_bytes = o.face_bytes;
  p.sod_hash = o.hash;
  if (o.tamper_dg) p.tamper = {*o.tamper_dg};
  p.quirks = o.quirks;
  return p;
}

TestCard personalize_test_card(const sim::PersonalizeOptions& options) {
  sim::PersonalizedCard made = must(sim::personalize_card(options), "personalize_card");
  TestCard card;
  card.image = std::move(made.image);
  const Bytes& csca = card.image.pki.at("csca_cert.pem");
  card.csca_pem.assign(csca.begin(), csca.end());
  return card;
}

TestCard make_test_card(const TestCardOptions& o) { return personalize_test_card(test_card_personalization(o)); }

TrustedTestCard::TrustedTestCard(const sim::PersonalizeOptions& options) : card(personalize_test_card(options)) {
  if (auto added = trust.add_certificates(bytes_of(card.csca_pem), "test csca"); !added.ok())
    die("the test CSCA: " + added.error().message());
}

std::unique_ptr<sim::SimTransport> TrustedTestCard::open(const sim::SimOptions& sim) const {
  return must(sim::open_sim_card_image(card.image, sim), "opening the simulated card");
}

Bytes reencode_sod_ber(ByteView der_sod, const BerSodOptions& o) {
  // 77 { ContentInfo 30 { 06 id-signedData, A0 { SignedData 30 { 02 version, 31 digestAlgorithms,
  //   EncapsulatedContentInfo 30 { 06 eContentType, A0 { 04 eContent } }, A0 certificates,
  //   [A1 crls], 31 signerInfos } } } }  (ICAO 9303-10 §4.6.2, RFC 5652 §5)
  const apdu::Tlv outer = must(apdu::parse_single(der_sod, 0x77), "EF.SOD 77");
  const apdu::Tlv ci = must(apdu::parse_single(outer.value, 0x30), "ContentInfo");
  apdu::TlvReader ci_items(ci.value);
  const apdu::Tlv type = must(ci_items.read(0x06), "contentType");
  const apdu::Tlv explicit_sd = must(ci_items.read(0xA0), "ContentInfo [0]");
  const apdu::Tlv sd = must(apdu::parse_single(explicit_sd.value, 0x30), "SignedData");

  Bytes sd_content;
  apdu::TlvReader sd_items(sd.value);
  bool encap_done = false;
  while (!sd_items.empty()) {
    const apdu::Tlv item = must(sd_items.next(), "SignedData item");
    if (item.tag != 0x30 || encap_done) {
      append(sd_content, item.raw);
      continue;
    }
    encap_done = true;  // the first SEQUENCE in SignedData: EncapsulatedContentInfo
    apdu::TlvReader encap(item.value);
    const apdu::Tlv econtent_type = must(encap.read(0x06), "eContentType");
    const apdu::Tlv explicit_content = must(encap.read(0xA0), "eContent [0]");
    const apdu::Tlv octets = must(apdu::parse_single(explicit_content.value, 0x04), "eContent OCTET STRING");
    Bytes econtent = to_bytes(octets.raw);
    if (o.econtent_chunk > 0) {
      // X.690 §8.7.3: a constructed OCTET STRING whose value is the concatenation of its
      // primitive segments.
      Bytes segments;
      for (size_t at = 0; at < octets.value.size(); at += o.econtent_chunk)
        append(segments, apdu::encode_tlv(0x04, octets.value.subspan(at, std::min(o.econtent_chunk, octets.value.size() - at))));
      econtent = wrap(0x24, segments, true);
    }
    Bytes encap_content = to_bytes(econtent_type.raw);
    append(encap_content, wrap(0xA0, econtent, o.encap_content_info));
    append(sd_content, wrap(0x30, encap_content, o.encap_content_info));
  }
  if (!encap_done) die("SignedData without EncapsulatedContentInfo");
  Bytes ci_content = to_bytes(type.raw);
  append(ci_content, wrap(0xA0, wrap(0x30, sd_content, o.signed_data), o.signed_data));
  return wrap(0x77, wrap(0x30, ci_content, o.content_info), o.outer);
}

}  // namespace idtap::test
