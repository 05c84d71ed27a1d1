// lib/capi/capi_internal.h: the handles behind idtap/idtap.h and the helpers every entry point
// uses: one error record per context, no exception across the boundary, cancellation.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "idtap/base/error.h"
#include "idtap/base/result.h"
#include "idtap/idtap.h"
#include "idtap/lds/dg2.h"
#include "idtap/reader/session.h"
#include "idtap/select/select.h"
#include "idtap/select/watch.h"

namespace idtap::capi {

// ReaderSnapshot: one reader of idtap_list_readers' snapshot.
struct ReaderSnapshot {
  std::string spec;
  bool card_present = false;
};

}  // namespace idtap::capi

// idtap_context: the readers, the event wait, the last error, and what idtap_cancel reaches.
struct idtap_context {
  unsigned flags = 0;
  std::vector<std::string> sim_dirs;
  std::vector<idtap::capi::ReaderSnapshot> snapshot;
  std::unique_ptr<idtap::select::Watcher> watcher;
  std::string error;  // the last failure's detail; "" after a success
  uint16_t sw = 0;

  // Cancellation (idtap_cancel from any thread): under cancel_mutex. `cancel_pending` is set by
  // every idtap_cancel and used up by the call that returns IDTAP_E_CANCELLED; the active_*
  // pointers name what the running call waits on, to wake it.
  std::mutex cancel_mutex;
  bool cancel_pending = false;
  idtap::select::Watcher* active_watcher = nullptr;
  std::atomic<bool>* active_read_flag = nullptr;
  idtap::select::CancelSlot* active_slot = nullptr;
};

// idtap_reader: one open card.
struct idtap_reader {
  idtap_context* ctx = nullptr;
  idtap::select::OpenedReader opened;
  std::shared_ptr<idtap::select::CancelSlot> cancel_slot;
  std::atomic<bool> read_cancel{false};
};

// idtap_result: one read and what is derived from it for the accessors.
struct idtap_result {
  idtap_context* ctx = nullptr;
  idtap::reader::ReadResult read;
  std::vector<std::string> reasons;
  std::map<std::string, std::string> fields;                 // "document" and "verification" strings
  std::vector<std::pair<std::string, const idtap::Bytes*>> files;  // name -> raw bytes in `read`
  std::optional<idtap::lds::FaceImage> face;
  std::optional<idtap::Bytes> png;
  std::optional<std::string> json;
};

namespace idtap::capi {

// status_of: the C status of an ErrorCode (the same value).
idtap_status status_of(ErrorCode code);

// fail: records `error` on `ctx` (detail and status word) and returns its status.
idtap_status fail(idtap_context* ctx, const Error& error);
// fail: records a status and a detail made here.
idtap_status fail(idtap_context* ctx, idtap_status status, std::string detail);
// succeed: clears the context's error record; IDTAP_OK.
idtap_status succeed(idtap_context* ctx);

// guarded: runs `body` (which returns an idtap_status), turning any exception into
// IDTAP_E_INTERNAL recorded on `ctx` (when not null): nothing C++ crosses the boundary.
template <class F>
idtap_status guarded(idtap_context* ctx, F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    if (ctx) { try { return fail(ctx, IDTAP_E_INTERNAL, "out of memory"); } catch (...) {} }
  } catch (const std::exception& e) {
    if (ctx) { try { return fail(ctx, IDTAP_E_INTERNAL, std::string("internal error: ") + e.what()); } catch (...) {} }
  } catch (...) {
  }
  return IDTAP_E_INTERNAL;
}

// CancelScope: registers a blocking call with its context's cancellation for its lifetime.
// begin() is IDTAP_E_CANCELLED when a cancel is pending (used up then); finish(status) uses up
// the pending cancel when the call ends cancelled. idtap_cancel calls into the registered
// objects under cancel_mutex: an object registered with begin() may be destroyed only after
// finish() (or the destructor) has returned, never before.
class CancelScope {
 public:
  explicit CancelScope(idtap_context* ctx) : ctx_(ctx) {}
  ~CancelScope();
  CancelScope(const CancelScope&) = delete;
  CancelScope& operator=(const CancelScope&) = delete;
  // CancelScope::begin: IDTAP_OK, or IDTAP_E_CANCELLED (a cancel was pending: used up).
  idtap_status begin(select::Watcher* watcher, std::atomic<bool>* read_flag, select::CancelSlot* slot);
  // CancelScope::finish: `status`, after using up the pending cancel when it is CANCELLED.
  idtap_status finish(idtap_status status);

 private:
  idtap_context* ctx_;
  bool active_ = false;
};

}  // namespace idtap::capi
