#include "idtap/reader/report_json.h"

#include "idtap/base/date.h"
#include "idtap/base/hex.h"

namespace idtap::reader {
namespace {

std::string date_text(const lds::MrzDate& d) { return d.date ? format_date(*d.date) : d.raw; }

std::string lds_date_text(const lds::LdsDate& d) { return d.date ? format_date(*d.date) : d.raw; }

const lds::FaceImage* first_face(const ReadResult& r, std::vector<lds::FaceImage>& storage) {
  if (!r.dg2) return nullptr;
  storage = r.dg2->images();
  return storage.empty() ? nullptr : &storage.front();
}

}  // namespace

std::string masked_personal_number(const ReadResult& r, bool reveal) {
  if (!r.dg11 || !r.dg11->dg11.personal_number) return "";
  const auto& pn = *r.dg11->dg11.personal_number;
  return reveal ? std::string(pn.reveal()) : pn.masked();
}

std::vector<std::string> verdict_reasons(const Verification& v) {
  std::vector<std::string> out;
  if (v.genuine) return out;
  if (v.passive != auth::PassiveStatus::kValid) {
    std::string line = std::string("passive: ") + auth::passive_status_name(v.passive);
    if (!v.passive_reason.empty()) line += ": " + v.passive_reason;
    out.push_back(line);
  }
  for (const auto& [name, check] : {std::pair{"chip", &v.chip}, std::pair{"active", &v.active}}) {
    if (check->state == CheckState::kPassed) continue;
    std::string line = std::string(name) + ": " + check_state_name(check->state);
    if (!check->detail.empty()) line += ": " + check->detail;
    out.push_back(line);
  }
  out.push_back("genuine: " + (v.genuine_reason.empty() ? std::string("not genuine") : v.genuine_reason));
  return out;
}

void write_read_json_members(JsonWriter& j, const ReadResult& r, const ReadJsonOptions& options) {
  j.key("document").begin_object();
  if (r.dg1) {
    const lds::Mrz& m = r.dg1->mrz;
    j.field("format", lds::mrz_format_name(m.format));
    j.field("document_code", m.document_code);
    j.field("issuing_state", m.issuing_state);
    j.field("document_number", m.document_number);
    j.field("primary_identifier", m.primary_identifier);
    j.field("secondary_identifier", m.secondary_identifier);
    j.field("nationality", m.nationality);
    j.field("sex", std::string(1, m.sex));
    j.field("date_of_birth", date_text(m.date_of_birth));
    j.field("date_of_expiry", date_text(m.date_of_expiry));
    j.field("optional_data", m.optional_data);
    j.key("mrz_checks_valid").value(m.checks_valid());
    j.key("mrz_invalid_checks").begin_array();
    for (const auto& c : m.invalid_checks()) j.value(c);
    j.end_array();
  }
  if (r.dg11) {
    const lds::Dg11& d = r.dg11->dg11;
    if (d.full_name) j.field("full_name", *d.full_name);
    if (d.personal_number) j.field("personal_number", masked_personal_number(r, options.reveal));
    if (d.full_date_of_birth) j.field("full_date_of_birth", lds_date_text(*d.full_date_of_birth));
    if (d.place_of_birth) j.field("place_of_birth", *d.place_of_birth);
    if (d.address) j.field("address", *d.address);
  }
  if (r.dg12) {
    const lds::Dg12& d = r.dg12->dg12;
    if (d.issuing_authority) j.field("issuing_authority", *d.issuing_authority);
    if (d.date_of_issue) j.field("date_of_issue", lds_date_text(*d.date_of_issue));
  }
  std::vector<lds::FaceImage> faces;
  if (const lds::FaceImage* face = first_face(r, faces)) {
    j.key("face_image").begin_object();
    j.field("format", lds::image_format_name(face->format));
    j.field("width", static_cast<unsigned>(face->width));
    j.field("height", static_cast<unsigned>(face->height));
    j.field("bytes", static_cast<uint64_t>(face->data.size()));
    j.end_object();
  }
  j.end_object();

  j.key("data_groups").begin_object();
  for (const auto& [n, rec] : r.data_groups) {
    j.key(std::to_string(n)).begin_object();
    j.field("bytes", static_cast<uint64_t>(rec.raw.size()));
    j.field("sha256", to_hex(rec.sha256));
    if (rec.hash_ok) j.field("hash_ok", *rec.hash_ok); else j.key("hash_ok").null();
    if (!rec.decode_error.empty()) j.field("error", rec.decode_error);
    j.end_object();
  }
  j.end_object();

  const Verification& v = r.verification;
  j.key("verification").begin_object();
  j.field("access", v.access);
  if (!v.access_warning.empty()) j.field("access_warning", v.access_warning);
  j.field("passive", auth::passive_status_name(v.passive));
  j.field("passive_reason", v.passive_reason);
  j.key("passive_leniencies").begin_array();  // the named leniencies EF.SOD needed
  for (const auto& name : v.passive_leniencies) j.value(name);
  j.end_array();
  if (v.chain) {
    j.field("document_signer", v.chain->signer_subject);
    j.field("csca", v.chain->anchor_subject);
    j.field("crl_checked", v.chain->crl_checked);
  }
  j.field("chip", check_state_name(v.chip.state));
  j.field("chip_method", v.chip.method);
  j.field("chip_reason", v.chip.detail);
  j.field("active", check_state_name(v.active.state));
  j.field("active_method", v.active.method);
  j.field("active_reason", v.active.detail);
  if (!v.active_challenge.empty()) {  // AA passed: what the chip signed, for a server to verify itself
    j.field("active_challenge", to_hex(v.active_challenge, true));
    j.field("active_signature", to_hex(v.active_signature, true));
  }
  j.key("unsigned_data_groups").begin_array();
  for (int n : v.unsigned_data_groups) j.value(n);
  j.end_array();
  j.key("withheld_data_groups").begin_array();
  for (int n : v.withheld_data_groups) j.value(n);
  j.end_array();
  j.field("genuine", v.genuine);
  j.field("genuine_reason", v.genuine_reason);
  j.key("reasons").begin_array();
  for (const auto& reason : verdict_reasons(v)) j.value(reason);
  j.end_array();
  j.end_object();

  j.key("stats").begin_object();
  j.field("apdus", static_cast<uint64_t>(r.stats.apdus));
  j.field("apdus_after_access", static_cast<uint64_t>(r.stats.apdus_after_access));
  j.field("bytes_sent", static_cast<uint64_t>(r.stats.bytes_sent));
  j.field("bytes_received", static_cast<uint64_t>(r.stats.bytes_received));
  j.field("ms", r.stats.ms);
  j.field("recoveries", static_cast<uint64_t>(r.stats.recoveries));
  j.field("chunk_size", static_cast<uint64_t>(r.stats.chunk_size));
  if (options.modeled_link_us) j.field("modeled_link_us", *options.modeled_link_us);
  j.end_object();
}

std::string read_result_json(const ReadResult& result, const ReadJsonOptions& options) {
  JsonWriter json;
  json.begin_object();
  write_read_json_members(json, result, options);
  json.end_object();
  return json.str();
}

}  // namespace idtap::reader
