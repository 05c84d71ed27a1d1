// tools/console_desk.h: what `idtap console` knows about the desk: the readers and their cards
// (a select::Watcher on its own thread, each change counted so the browser's event stream can
// wait for the next one), and card reads run in the background (one at a time per reader),
// whose progress the browser polls.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "idtap/auth/trust_store.h"
#include "idtap/provision/holder.h"
#include "idtap/reader/session.h"
#include "idtap/select/watch.h"

namespace idtap::cli {

// ReaderBoard: the readers and cards, live.
class ReaderBoard {
 public:
  ReaderBoard() = default;
  ~ReaderBoard();
  // ReaderBoard::start: the watcher's thread (select::Watcher::create's errors; a missing
  // pcscd is not one: the board then says so in its snapshot and retries every few seconds).
  void start();
  // ReaderBoard::stop: ends the thread (idempotent).
  void stop();
  // ReaderBoard::snapshot: {"version":N,"readers":[{"reader":"pcsc:...","card":true}],
  // "problem":"..."}.
  nlohmann::json snapshot();
  // ReaderBoard::wait_change: waits until the version passes `seen` or `timeout` passes, or
  // the board stops; the current version.
  uint64_t wait_change(uint64_t seen, std::chrono::milliseconds timeout);
  // ReaderBoard::card_present: whether `reader` holds a card now (false for an unknown reader).
  bool card_present(const std::string& reader);
  bool stopped() const { return stop_; }

 private:
  void run();
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, bool> readers_;  // reader -> card present
  std::string problem_;
  uint64_t version_ = 1;
  std::atomic<bool> stop_{false};
  std::shared_ptr<select::CancelSlot> cancel_ = std::make_shared<select::CancelSlot>();
  std::thread thread_;
};

// ReadJob: one read of a card, as the browser follows it.
struct ReadJob {
  std::string id;
  std::string clerk;               // who started it (only that session's clerk may see it)
  std::string reader;
  std::string state = "reading";   // reading, card_left, done, failed
  std::string file;                // the file being read ("DG2")
  size_t done = 0, total = 0;      // of that file
  int files_done = 0;
  std::string error;               // failed: wrong_can, card_removed, reader_gone, ...
  std::string error_detail;
  nlohmann::json result;           // done: the verdict and the holder's fields (masked)
  std::optional<provision::VerifiedHolder> holder;  // genuine: for the offer
  std::string refusal;             // the rules' reason when the holder may not get a credential
};

// ReadJobs: the reads, each on its own thread. Thread-safe.
class ReadJobs {
 public:
  // `board` (borrowed, may be null) tells a card taken away from a broken link.
  ReadJobs(const auth::TrustStore* trust, ReaderBoard* board) : trust_(trust), board_(board) {}
  ~ReadJobs();
  // ReadJobs::start: a read of `reader` with the CAN or MRZ key in `access` ("can", "mrz", or
  // "document" + "birth" + "expiry" as YYMMDD). The job's id; kState when that reader is being read already,
  // kInvalidArgument for a malformed CAN or MRZ.
  Result<std::string> start(const std::string& clerk, const std::string& reader, const nlohmann::json& access);
  // ReadJobs::status: the job as JSON for its clerk, or nullopt (unknown, or another clerk's).
  std::optional<nlohmann::json> status(const std::string& id, const std::string& clerk);
  // ReadJobs::holder: a finished genuine read's holder for its clerk (kNotFound otherwise; kRefused
  // with the rule's reason when the holder may not get a credential).
  Result<provision::VerifiedHolder> holder(const std::string& id, const std::string& clerk);

 private:
  void run(std::shared_ptr<ReadJob> job, reader::ReadRequest request);
  const auth::TrustStore* trust_;
  ReaderBoard* board_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<ReadJob>> jobs_;
  std::map<std::string, std::string> busy_readers_;  // reader -> job id
  std::vector<std::thread> threads_;
};

// card_date / masked fields: see console_desk.cpp.
nlohmann::json holder_json(const provision::VerifiedHolder& holder);

}  // namespace idtap::cli
