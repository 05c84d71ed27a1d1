#include "console_desk.h"

#include <openssl/evp.h>

#include "idtap/base/date.h"
#include "idtap/base/hex.h"
#include "idtap/crypto/random.h"
#include "idtap/provision/date.h"
#include "idtap/provision/holder_from_read.h"
#include "idtap/reader/session.h"
#include "idtap/select/select.h"

namespace idtap::cli {
namespace {

// kRetryProblem: how long the board waits before trying pcscd again.
constexpr auto kRetry = std::chrono::seconds(2);

std::string base64(ByteView data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(), static_cast<int>(data.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

// read_error_kind: what the browser shows for a failed read.
const char* read_error_kind(ErrorCode code) {
  switch (code) {
    case ErrorCode::kAuthFailed:
    case ErrorCode::kPasswordBlocked:
    case ErrorCode::kPasswordSuspended:
      return "wrong_access";
    case ErrorCode::kCardRemoved:
    case ErrorCode::kNoCard:
    case ErrorCode::kCardReset:
      return "card_removed";
    case ErrorCode::kNoReader:
    case ErrorCode::kDeviceGone:
    case ErrorCode::kServiceUnavailable:
      return "reader_gone";
    default:
      return "read_failed";
  }
}

}  // namespace

ReaderBoard::~ReaderBoard() { stop(); }

void ReaderBoard::start() { thread_ = std::thread([this] { run(); }); }

void ReaderBoard::stop() {
  stop_ = true;
  cancel_->cancel();
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

nlohmann::json ReaderBoard::snapshot() {
  std::lock_guard lock(mutex_);
  nlohmann::json readers = nlohmann::json::array();
  for (const auto& [name, card] : readers_) readers.push_back({{"reader", name}, {"card", card}});
  nlohmann::json out = {{"version", version_}, {"readers", readers}};
  if (!problem_.empty()) out["problem"] = problem_;
  return out;
}

uint64_t ReaderBoard::wait_change(uint64_t seen, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return version_ != seen || stop_; });
  return version_;
}

bool ReaderBoard::card_present(const std::string& reader) {
  std::lock_guard lock(mutex_);
  auto it = readers_.find(reader);
  return it != readers_.end() && it->second;
}

void ReaderBoard::run() {
  while (!stop_) {
    select::WatchOptions options;
    options.cancel = cancel_;
    options.nfc = false;  // PC/SC readers (a libnfc reader appears through the pcscd driver)
    auto watcher = select::Watcher::create(options);
    if (!watcher.ok()) {
      {
        std::lock_guard lock(mutex_);
        problem_ = watcher.error().message();
        readers_.clear();
        ++version_;
      }
      changed_.notify_all();
      std::unique_lock lock(mutex_);
      changed_.wait_for(lock, kRetry, [&] { return bool(stop_); });
      continue;
    }
    while (!stop_) {
      auto event = (*watcher)->next(std::chrono::milliseconds(1000));
      if (!event.ok()) {
        if (stop_) return;
        std::lock_guard lock(mutex_);
        problem_ = event.error().message();
        readers_.clear();
        ++version_;
        break;
      }
      if (!*event) continue;
      const select::WatchEvent& e = **event;
      {
        std::lock_guard lock(mutex_);
        problem_.clear();
        switch (e.kind) {
          case select::WatchEvent::Kind::kReaderAdded: readers_.emplace(e.reader, false); break;
          case select::WatchEvent::Kind::kReaderRemoved: readers_.erase(e.reader); break;
          case select::WatchEvent::Kind::kCardInserted: readers_[e.reader] = true; break;
          case select::WatchEvent::Kind::kCardRemoved: readers_[e.reader] = false; break;
        }
        ++version_;
      }
      changed_.notify_all();
    }
    changed_.notify_all();
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, kRetry, [&] { return bool(stop_); });
  }
}

nlohmann::json holder_json(const provision::VerifiedHolder& h) {
  return {{"family_name", h.family_name},
          {"given_name", h.given_name},
          {"family_name_national", h.family_name_national},
          {"given_name_national", h.given_name_national},
          {"birth_date", format_date(h.birth_date)},
          {"resident_number_masked", h.masked_resident_number()},
          {"document_number", h.card.document_number},
          {"issuing_state", h.card.issuing_state},
          {"issue_date", format_date(h.issue_date)},
          {"expiry_date", format_date(h.expiry_date)},
          {"issuing_authority", h.issuing_authority},
          {"address", h.resident_address},
          {"portrait_jpeg_base64", base64(h.portrait_jpeg)}};
}

ReadJobs::~ReadJobs() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

Result<std::string> ReadJobs::start(const std::string& clerk, const std::string& reader_name, const nlohmann::json& access) {
  reader::ReadRequest request;
  request.trust = trust_;
  // A card pulled away: wait a little for it to come back (the page says so), then give up.
  request.reconnect_timeout = std::chrono::milliseconds(4000);
  if (access.contains("can")) {
    if (!access["can"].is_string()) return make_error(ErrorCode::kInvalidArgument, "the CAN is 6 digits");
    IDTAP_ASSIGN_OR_RETURN(auth::Password can, auth::Password::can(access["can"].get<std::string>()));
    request.can = std::move(can);
  } else if (access.contains("mrz")) {
    if (!access["mrz"].is_string()) return make_error(ErrorCode::kInvalidArgument, "the MRZ is text");
    IDTAP_ASSIGN_OR_RETURN(auth::MrzKey mrz, auth::MrzKey::from_mrz(access["mrz"].get<std::string>()));
    request.mrz = std::move(mrz);
  } else if (access.contains("document") && access.contains("birth") && access.contains("expiry")) {
    // A passport's MRZ key typed from its data page: document number, YYMMDD, YYMMDD.
    if (!access["document"].is_string() || !access["birth"].is_string() || !access["expiry"].is_string())
      return make_error(ErrorCode::kInvalidArgument, "document, birth and expiry are text");
    IDTAP_ASSIGN_OR_RETURN(auth::MrzKey mrz, auth::MrzKey::from_fields(access["document"].get<std::string>(),
                                                                       access["birth"].get<std::string>(),
                                                                       access["expiry"].get<std::string>()));
    request.mrz = std::move(mrz);
  } else {
    return make_error(ErrorCode::kInvalidArgument, "give the CAN, the MRZ, or document, birth and expiry");
  }
  IDTAP_ASSIGN_OR_RETURN(Bytes raw_id, crypto::random_bytes(16));
  auto job = std::make_shared<ReadJob>();
  job->id = to_hex(raw_id);
  job->clerk = clerk;
  job->reader = reader_name;
  {
    std::lock_guard lock(mutex_);
    if (busy_readers_.count(reader_name)) return make_error(ErrorCode::kState, "this reader is being read already");
    busy_readers_[reader_name] = job->id;
    jobs_[job->id] = job;
    threads_.emplace_back([this, job, request = std::move(request)]() mutable { run(job, std::move(request)); });
  }
  return job->id;
}

void ReadJobs::run(std::shared_ptr<ReadJob> job, reader::ReadRequest request) {
  request.progress = [this, job](const reader::FileRef& file, size_t done, size_t total) {
    std::lock_guard lock(mutex_);
    if (job->file != file.name && !job->file.empty()) ++job->files_done;
    job->state = "reading";
    job->file = file.name;
    job->done = done;
    job->total = total;
  };
  request.on_card_event = [this, job](reader::CardEvent e) {
    std::lock_guard lock(mutex_);
    job->state = e == reader::CardEvent::kLeft ? "card_left" : "reading";
  };
  auto finish_error = [&](const Error& e) {
    std::string kind = read_error_kind(e.code);
    // A card pulled away in the middle of an exchange can break the link (a transport error)
    // before the reader reports the removal: if the reader shows no card within a second, the
    // clerk is told the card left rather than a transport failure.
    if (kind == "read_failed" && board_ != nullptr && e.code != ErrorCode::kCardStatus) {
      for (int i = 0; i < 20 && board_->card_present(job->reader); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (!board_->card_present(job->reader)) kind = "card_removed";
    }
    std::lock_guard lock(mutex_);
    job->state = "failed";
    job->error = kind;
    job->error_detail = std::string(error_code_name(e.code)) + ": " + e.message();
    busy_readers_.erase(job->reader);
  };
  select::OpenOptions open;
  open.reader = job->reader;
  open.pcsc.reset_on_close = true;
  auto opened = select::open_reader(open);
  if (!opened.ok()) return finish_error(opened.error());
  auto read = reader::read_card(*opened->transport, request);
  if (!read.ok()) return finish_error(read.error());
  const reader::Verification& v = read->verification;
  nlohmann::json result = {{"genuine", v.genuine},
                           {"verdict_reason", v.genuine_reason},
                           {"passive", auth::passive_status_name(v.passive)},
                           {"chip", reader::check_state_name(v.chip.state)},
                           {"active", reader::check_state_name(v.active.state)}};
  std::optional<provision::VerifiedHolder> holder;
  std::string refusal;
  if (auto h = provision::holder_from_read(*read); h.ok()) {
    result["holder"] = holder_json(*h);
    // The name exactly as DG11 holds it ('<' is its separator), beside the split one.
    if (read->dg11 && read->dg11->dg11.full_name) result["holder"]["full_name_card"] = *read->dg11->dg11.full_name;
    if (!v.genuine) {
      refusal = "not_genuine";
    } else if (auto st = provision::check_issuance_policy(*h, date_of(provision::now_seconds())); !st.ok()) {
      refusal = st.error().context;
    } else {
      holder = std::move(h).value();
    }
  } else {
    refusal = v.genuine ? h.error().message() : "not_genuine";
  }
  result["may_issue"] = holder.has_value();
  if (!refusal.empty()) result["refusal"] = refusal;
  std::lock_guard lock(mutex_);
  job->state = "done";
  job->result = std::move(result);
  job->holder = std::move(holder);
  job->refusal = refusal;
  busy_readers_.erase(job->reader);
}

std::optional<nlohmann::json> ReadJobs::status(const std::string& id, const std::string& clerk) {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(id);
  if (it == jobs_.end() || it->second->clerk != clerk) return std::nullopt;
  const ReadJob& j = *it->second;
  nlohmann::json out = {{"id", j.id}, {"reader", j.reader}, {"state", j.state}, {"file", j.file},
                        {"done", j.done}, {"total", j.total}, {"files_done", j.files_done}};
  if (j.state == "failed") {
    out["error"] = j.error;
    out["error_detail"] = j.error_detail;
  }
  if (j.state == "done") out["result"] = j.result;
  return out;
}

Result<provision::VerifiedHolder> ReadJobs::holder(const std::string& id, const std::string& clerk) {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(id);
  if (it == jobs_.end() || it->second->clerk != clerk || it->second->state != "done")
    return make_error(ErrorCode::kNotFound, "no finished read " + id);
  if (!it->second->holder) return make_error(ErrorCode::kRefused, it->second->refusal);
  return *it->second->holder;
}

}  // namespace idtap::cli
