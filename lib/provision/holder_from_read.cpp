#include "idtap/provision/holder_from_read.h"

#include "idtap/reader/photo.h"

namespace idtap::provision {
namespace {

Date to_date(const lds::Date& d) { return Date{d.year, d.month, d.day}; }

// split_national_name: "홍<<길동", "홍 길동" or "홍길동" -> {"홍", "길동"}.
std::pair<std::string, std::string> split_national_name(const std::string& full) {
  if (auto p = full.find("<<"); p != std::string::npos) {
    std::string given = full.substr(p + 2);
    for (auto& c : given)
      if (c == '<') c = ' ';
    return {full.substr(0, p), given};
  }
  if (auto p = full.find(' '); p != std::string::npos) return {full.substr(0, p), full.substr(p + 1)};
  // One UTF-8 code point: the lead byte says how many bytes it takes.
  size_t n = 1;
  if (!full.empty()) {
    const auto lead = static_cast<unsigned char>(full[0]);
    n = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  }
  if (full.size() <= n) return {full, ""};
  return {full.substr(0, n), full.substr(n)};
}

}  // namespace

Result<VerifiedHolder> holder_from_read(const reader::ReadResult& read) {
  if (!read.dg1) return make_error(ErrorCode::kMalformed, "the read produced no verified DG1: nothing identifies the card");
  const lds::Mrz& mrz = read.dg1->mrz;
  VerifiedHolder h;
  h.genuine = read.verification.genuine;
  h.verdict_reason = read.verification.genuine_reason;
  h.card = CardIdentity{mrz.document_number, mrz.issuing_state};
  h.family_name = mrz.primary_identifier;
  h.given_name = mrz.secondary_identifier;
  if (mrz.date_of_birth.date) h.birth_date = to_date(*mrz.date_of_birth.date);
  if (mrz.date_of_expiry.date) h.expiry_date = to_date(*mrz.date_of_expiry.date);
  if (read.dg11) {
    const lds::Dg11& d = read.dg11->dg11;
    if (d.full_name) std::tie(h.family_name_national, h.given_name_national) = split_national_name(*d.full_name);
    if (d.full_date_of_birth && d.full_date_of_birth->date) h.birth_date = to_date(*d.full_date_of_birth->date);
    if (d.personal_number) {
      std::string_view clear = d.personal_number->reveal();
      h.resident_registration_number = SecureBytes(clear.begin(), clear.end());
    }
    if (d.address) h.resident_address = *d.address;
  }
  if (read.dg12) {
    if (read.dg12->dg12.issuing_authority) h.issuing_authority = *read.dg12->dg12.issuing_authority;
    if (read.dg12->dg12.date_of_issue && read.dg12->dg12.date_of_issue->date)
      h.issue_date = to_date(*read.dg12->dg12.date_of_issue->date);
  }
  if (read.dg2) {
    auto images = read.dg2->images();
    if (!images.empty()) {
      const lds::FaceImage& face = images.front();
      if (face.format == lds::ImageFormat::kJpeg) {
        h.portrait_jpeg = face.data;
      } else {
        // ISO 18013-5 §7.2.1: the portrait is JPEG (or JPEG 2000, which few verifiers show).
        IDTAP_ASSIGN_OR_RETURN(reader::Raster raster, reader::decode_face_image(face.data));
        IDTAP_ASSIGN_OR_RETURN(h.portrait_jpeg, reader::encode_jpeg(raster, 90));
      }
    }
  }
  return h;
}

}  // namespace idtap::provision
