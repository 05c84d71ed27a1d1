// Reading: idtap_read_options_init, idtap_read, and the result's accessors.
#include <cstring>

#include <nlohmann/json.hpp>

#include "capi_internal.h"
#include "idtap/base/secure_bytes.h"
#include "idtap/image/codec.h"
#include "idtap/reader/photo.h"
#include "idtap/reader/report_json.h"

using namespace idtap;
using idtap::capi::fail;
using idtap::capi::guarded;
using idtap::capi::succeed;

namespace {

// The first struct_size this library knows: the idtap_read_options of IDTAP_1.
constexpr size_t kReadOptionsV1Size = sizeof(idtap_read_options);

// wipe: zeroises the characters of `s` (read results hold personal data).
void wipe(std::string& s) { secure_zero(s.data(), s.size()); }
void wipe(Bytes& b) { secure_zero(b.data(), b.size()); }

// derive: what the accessors serve, made once after the read: the reasons, the text fields of
// the JSON's "document" and "verification" (the JSON is the one schema: the fields are taken
// from it, not built a second way), the files by name and the face.
void derive(idtap_result& r) {
  r.reasons = reader::verdict_reasons(r.read.verification);
  {
    std::string json = reader::read_result_json(r.read, reader::ReadJsonOptions{});
    const nlohmann::json doc = nlohmann::json::parse(json);
    for (const char* section : {"document", "verification"})
      for (const auto& [key, value] : doc.at(section).items())
        if (value.is_string()) r.fields[key] = value.get<std::string>();
    r.json = std::move(json);
  }
  if (r.read.card_access) r.files.emplace_back("EF.CardAccess", &*r.read.card_access);
  if (r.read.ef_com) r.files.emplace_back(r.read.ef_com->name, &r.read.ef_com->raw);
  if (r.read.ef_sod) r.files.emplace_back(r.read.ef_sod->name, &r.read.ef_sod->raw);
  if (r.read.card_security) r.files.emplace_back(r.read.card_security->name, &r.read.card_security->raw);
  for (const auto& [n, rec] : r.read.data_groups)
    if (!rec.raw.empty()) r.files.emplace_back(rec.name, &rec.raw);
  if (r.read.dg2) {
    std::vector<lds::FaceImage> faces = r.read.dg2->images();
    if (!faces.empty()) r.face = std::move(faces.front());
  }
}

}  // namespace

extern "C" {

IDTAP_API void idtap_read_options_init(idtap_read_options* options) {
  if (options == nullptr) return;
  std::memset(options, 0, sizeof *options);
  options->struct_size = sizeof *options;
  options->chip_authentication = 1;
  options->active_authentication = 1;
  options->reconnect_timeout_ms = 20000;
}

IDTAP_API idtap_status idtap_read(idtap_reader* handle, const idtap_read_options* options, idtap_result** out) {
  if (handle == nullptr) return IDTAP_E_INVALID_ARGUMENT;
  idtap_context* ctx = handle->ctx;
  return guarded(ctx, [&]() -> idtap_status {
    if (options == nullptr || out == nullptr) return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "options or out is NULL");
    *out = nullptr;
    if (options->struct_size != kReadOptionsV1Size)
      return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "idtap_read_options.struct_size " + std::to_string(options->struct_size) +
                                                     " is not this library's (call idtap_read_options_init)");
    reader::ReadRequest request;
    if (options->can != nullptr) {
      auto can = auth::Password::can(options->can);
      if (!can.ok()) return fail(ctx, can.error());
      request.can = std::move(can).value();
    }
    if (options->mrz != nullptr) {
      auto key = auth::MrzKey::from_mrz(options->mrz);
      if (!key.ok()) return fail(ctx, key.error());
      request.mrz = std::move(key).value();
    } else if (options->document_number != nullptr || options->date_of_birth != nullptr || options->date_of_expiry != nullptr) {
      if (!options->document_number || !options->date_of_birth || !options->date_of_expiry)
        return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "the MRZ key needs document_number, date_of_birth and date_of_expiry");
      auto key = auth::MrzKey::from_fields(options->document_number, options->date_of_birth, options->date_of_expiry);
      if (!key.ok()) return fail(ctx, key.error());
      request.mrz = std::move(key).value();
    }
    if (!request.can && !request.mrz) return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "give the CAN or the MRZ");
    if (options->trust_path_count > 0 && options->trust_paths == nullptr)
      return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "trust_paths is NULL");
    auth::TrustStore trust;
    for (size_t i = 0; i < options->trust_path_count; ++i) {
      if (options->trust_paths[i] == nullptr) return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "a trust path is NULL");
      if (auto st = trust.add_path(options->trust_paths[i]); !st.ok()) return fail(ctx, st.error());
    }
    if (options->trust_path_count > 0) request.trust = &trust;
    if (options->data_group_count > 0) {
      if (options->data_groups == nullptr) return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "data_groups is NULL");
      for (size_t i = 0; i < options->data_group_count; ++i) {
        const int dg = options->data_groups[i];
        if (dg < 1 || dg > 16) return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "data group " + std::to_string(dg) + " is not 1..16");
        request.data_groups.push_back(dg);
      }
    }
    if (options->aa_challenge != nullptr || options->aa_challenge_len != 0) {
      if (options->aa_challenge == nullptr || options->aa_challenge_len != 8)
        return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "the Active Authentication challenge must be 8 bytes");
      request.aa_challenge = Bytes(options->aa_challenge, options->aa_challenge + 8);
    }
    request.chip_authentication = options->chip_authentication != 0;
    request.active_authentication = options->active_authentication != 0;
    if (options->reconnect_timeout_ms < 0) return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "reconnect_timeout_ms is negative");
    request.reconnect_timeout = std::chrono::milliseconds(options->reconnect_timeout_ms);
    if (options->progress != nullptr) {
      idtap_progress_fn fn = options->progress;
      void* user = options->progress_user_data;
      request.progress = [fn, user](const reader::FileRef& file, size_t done, size_t total) {
        fn(user, file.name.c_str(), done, total);
      };
    }
    handle->read_cancel.store(false);
    request.cancel = &handle->read_cancel;

    capi::CancelScope scope(ctx);
    if (idtap_status st = scope.begin(nullptr, &handle->read_cancel, handle->cancel_slot.get()); st != IDTAP_OK)
      return fail(ctx, st, "the read was cancelled");
    auto read = reader::read_card(*handle->opened.transport, request);
    if (!read.ok()) return scope.finish(fail(ctx, read.error()));
    scope.finish(IDTAP_OK);

    auto result = std::make_unique<idtap_result>();
    result->ctx = ctx;
    result->read = std::move(read).value();
    derive(*result);
    *out = result.release();
    return succeed(ctx);
  });
}

IDTAP_API void idtap_result_free(idtap_result* r) {
  if (r == nullptr) return;
  for (auto& [name, bytes] : r->files) wipe(*const_cast<Bytes*>(bytes));
  for (auto& [key, value] : r->fields) wipe(value);
  for (auto& reason : r->reasons) wipe(reason);
  if (r->json) wipe(*r->json);
  if (r->face) wipe(r->face->data);
  if (r->png) wipe(*r->png);
  if (r->read.dg11) {
    lds::Dg11& d = r->read.dg11->dg11;
    for (std::optional<std::string>* s : {&d.full_name, &d.place_of_birth, &d.address, &d.telephone, &d.profession,
                                          &d.title, &d.personal_summary, &d.other_td_numbers, &d.custody_information})
      if (*s) wipe(**s);
  }
  delete r;
}

IDTAP_API int idtap_result_genuine(const idtap_result* r) { return r && r->read.verification.genuine ? 1 : 0; }

IDTAP_API size_t idtap_result_reason_count(const idtap_result* r) { return r ? r->reasons.size() : 0; }

IDTAP_API const char* idtap_result_reason(const idtap_result* r, size_t index) {
  if (r == nullptr || index >= r->reasons.size()) return nullptr;
  return r->reasons[index].c_str();
}

IDTAP_API const char* idtap_result_field(const idtap_result* r, const char* name) {
  if (r == nullptr || name == nullptr) return nullptr;
  auto it = r->fields.find(name);
  return it == r->fields.end() ? nullptr : it->second.c_str();
}

IDTAP_API idtap_status idtap_result_reveal_personal_number(const idtap_result* r, char* buf, size_t* len) {
  if (r == nullptr) return IDTAP_E_INVALID_ARGUMENT;
  return guarded(r->ctx, [&]() -> idtap_status {
    if (len == nullptr || (buf == nullptr && *len > 0)) return fail(r->ctx, IDTAP_E_INVALID_ARGUMENT, "len is NULL, or buf is NULL with a length");
    if (!r->read.dg11 || !r->read.dg11->dg11.personal_number)
      return fail(r->ctx, IDTAP_E_NOT_FOUND, "the card gave no resident registration number");
    const std::string_view whole = r->read.dg11->dg11.personal_number->reveal();
    const size_t need = whole.size() + 1;
    const size_t capacity = *len;
    *len = need;
    if (capacity < need) return fail(r->ctx, IDTAP_E_BUFFER_TOO_SMALL, "the buffer needs " + std::to_string(need) + " bytes");
    std::memcpy(buf, whole.data(), whole.size());
    buf[whole.size()] = '\0';
    return succeed(r->ctx);
  });
}

IDTAP_API idtap_status idtap_result_face(const idtap_result* r, const uint8_t** data, size_t* len, const char** format) {
  if (r == nullptr) return IDTAP_E_INVALID_ARGUMENT;
  return guarded(r->ctx, [&]() -> idtap_status {
    if (data == nullptr || len == nullptr) return fail(r->ctx, IDTAP_E_INVALID_ARGUMENT, "data or len is NULL");
    if (!r->face) return fail(r->ctx, IDTAP_E_NOT_FOUND, "no face image (DG2 not read, not signed, or holding none)");
    *data = r->face->data.data();
    *len = r->face->data.size();
    if (format) *format = lds::image_format_name(r->face->format);
    return succeed(r->ctx);
  });
}

IDTAP_API idtap_status idtap_result_face_png(idtap_result* r, const uint8_t** data, size_t* len) {
  if (r == nullptr) return IDTAP_E_INVALID_ARGUMENT;
  return guarded(r->ctx, [&]() -> idtap_status {
    if (data == nullptr || len == nullptr) return fail(r->ctx, IDTAP_E_INVALID_ARGUMENT, "data or len is NULL");
    if (!r->face) return fail(r->ctx, IDTAP_E_NOT_FOUND, "no face image (DG2 not read, not signed, or holding none)");
    if (!r->png) {
      auto raster = reader::decode_face_image(r->face->data);
      if (!raster.ok()) return fail(r->ctx, raster.error());
      auto png = reader::encode_png(*raster);
      secure_zero(raster->pixels.data(), raster->pixels.size());
      if (!png.ok()) return fail(r->ctx, png.error());
      r->png = std::move(png).value();
    }
    *data = r->png->data();
    *len = r->png->size();
    return succeed(r->ctx);
  });
}

IDTAP_API size_t idtap_result_file_count(const idtap_result* r) { return r ? r->files.size() : 0; }

IDTAP_API const char* idtap_result_file_name(const idtap_result* r, size_t index) {
  if (r == nullptr || index >= r->files.size()) return nullptr;
  return r->files[index].first.c_str();
}

IDTAP_API idtap_status idtap_result_file(const idtap_result* r, const char* name, const uint8_t** data, size_t* len) {
  if (r == nullptr) return IDTAP_E_INVALID_ARGUMENT;
  return guarded(r->ctx, [&]() -> idtap_status {
    if (name == nullptr || data == nullptr || len == nullptr) return fail(r->ctx, IDTAP_E_INVALID_ARGUMENT, "name, data or len is NULL");
    for (const auto& [file, bytes] : r->files) {
      if (file != name) continue;
      *data = bytes->data();
      *len = bytes->size();
      return succeed(r->ctx);
    }
    return fail(r->ctx, IDTAP_E_NOT_FOUND, std::string(name) + " was not read");
  });
}

IDTAP_API const char* idtap_result_json(idtap_result* r) {
  if (r == nullptr || !r->json) return nullptr;
  return r->json->c_str();
}

}  // extern "C"
