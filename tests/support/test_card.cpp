#include "support/test_card.h"

#include <cstdio>
#include <cstdlib>

#include "idtap/sim/personalize.h"

namespace idtap::test {

TestCard make_test_card(const TestCardOptions& o) {
  sim::PersonalizeOptions p;
  p.profile = !o.pace ? sim::CardProfile::kPassport : o.bac ? sim::CardProfile::kBoth : sim::CardProfile::kResident;
  p.holder.primary_identifier = "HONG";
  p.holder.secondary_identifier = "GILDONG";
  p.holder.personal_number = lds::PersonalNumber(kCardResidentNumber);
  p.holder.date_of_birth = lds::Date{1990, 1, 1};
  p.document.document_number = kCardDocumentNumber;
  p.document.date_of_issue = lds::Date{2020, 12, 31};
  p.document.date_of_expiry = lds::Date{2030, 12, 31};
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
  auto made = sim::personalize_card(p);
  if (!made.ok()) {
    std::fprintf(stderr, "make_test_card: %s\n", made.error().message().c_str());
    std::abort();
  }
  TestCard card;
  card.image = std::move(made->image);
  const Bytes& csca = card.image.pki.at("csca_cert.pem");
  card.csca_pem.assign(csca.begin(), csca.end());
  return card;
}

}  // namespace idtap::test
