#include "idtap/provision/holder_from_read.h"

#include "idtap/provision/national_name.h"
#include "idtap/reader/photo.h"

namespace idtap::provision {
Result<VerifiedHolder> holder_from_read(const reader::ReadResult& read) {
  if (!read.dg1) return make_error(ErrorCode::kMalformed, "the read produced no verified DG1: nothing identifies the card");
  const lds::Mrz& mrz = read.dg1->mrz;
  VerifiedHolder h;
  h.genuine = read.verification.genuine;
  h.verdict_reason = read.verification.genuine_reason;
  h.card = CardIdentity{mrz.document_number, mrz.issuing_state};
  h.family_name = mrz.primary_identifier;
  h.given_name = mrz.secondary_identifier;
  if (mrz.date_of_birth.date) h.birth_date = *mrz.date_of_birth.date;
  if (mrz.date_of_expiry.date) h.expiry_date = *mrz.date_of_expiry.date;
  if (read.dg11) {
    const lds::Dg11& d = read.dg11->dg11;
    if (d.full_name) {
      NationalName name = split_national_name(*d.full_name, mrz.primary_identifier, mrz.secondary_identifier);
      h.family_name_national = std::move(name.family);
      h.given_name_national = std::move(name.given);
    }
    if (d.full_date_of_birth && d.full_date_of_birth->date) h.birth_date = *d.full_date_of_birth->date;
    if (d.personal_number) {
      std::string_view clear = d.personal_number->reveal();
      h.resident_registration_number = SecureBytes(clear.begin(), clear.end());
    }
    if (d.address) h.resident_address = *d.address;
  }
  if (read.dg12) {
    if (read.dg12->dg12.issuing_authority) h.issuing_authority = *read.dg12->dg12.issuing_authority;
    if (read.dg12->dg12.date_of_issue && read.dg12->dg12.date_of_issue->date)
      h.issue_date = *read.dg12->dg12.date_of_issue->date;
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
