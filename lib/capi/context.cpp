// Contexts, readers and events: idtap_context_*, idtap_cancel, idtap_list_readers,
// idtap_wait_event, idtap_open.
#include <cstring>

#include "capi_internal.h"

using namespace idtap;
using idtap::capi::fail;
using idtap::capi::guarded;
using idtap::capi::succeed;

namespace idtap::capi {

CancelScope::~CancelScope() {
  if (!active_) return;
  std::lock_guard<std::mutex> lock(ctx_->cancel_mutex);
  ctx_->active_watcher = nullptr;
  ctx_->active_read_flag = nullptr;
  ctx_->active_slot = nullptr;
}

idtap_status CancelScope::begin(select::Watcher* watcher, std::atomic<bool>* read_flag, select::CancelSlot* slot) {
  std::lock_guard<std::mutex> lock(ctx_->cancel_mutex);
  if (ctx_->cancel_pending) {
    ctx_->cancel_pending = false;
    return IDTAP_E_CANCELLED;
  }
  ctx_->active_watcher = watcher;
  ctx_->active_read_flag = read_flag;
  ctx_->active_slot = slot;
  active_ = true;
  return IDTAP_OK;
}

idtap_status CancelScope::finish(idtap_status status) {
  std::lock_guard<std::mutex> lock(ctx_->cancel_mutex);
  if (status == IDTAP_E_CANCELLED) ctx_->cancel_pending = false;
  ctx_->active_watcher = nullptr;
  ctx_->active_read_flag = nullptr;
  ctx_->active_slot = nullptr;
  active_ = false;
  return status;
}

}  // namespace idtap::capi

namespace {

idtap_event_kind event_kind(select::WatchEvent::Kind kind) {
  switch (kind) {
    case select::WatchEvent::Kind::kReaderAdded: return IDTAP_EVENT_READER_ADDED;
    case select::WatchEvent::Kind::kReaderRemoved: return IDTAP_EVENT_READER_REMOVED;
    case select::WatchEvent::Kind::kCardInserted: return IDTAP_EVENT_CARD_INSERTED;
    case select::WatchEvent::Kind::kCardRemoved: return IDTAP_EVENT_CARD_REMOVED;
  }
  return IDTAP_EVENT_NONE;
}

// copy_out: `text` into the caller's buffer of `size` bytes, NUL-terminated, truncated to fit.
void copy_out(const std::string& text, char* buf, size_t size) {
  if (buf == nullptr || size == 0) return;
  const size_t n = std::min(text.size(), size - 1);
  std::memcpy(buf, text.data(), n);
  buf[n] = '\0';
}

}  // namespace

extern "C" {

IDTAP_API idtap_status idtap_context_new(unsigned flags, idtap_context** out) {
  return guarded(nullptr, [&]() -> idtap_status {
    if (out == nullptr || (flags & ~IDTAP_CONTEXT_NO_NFC) != 0) return IDTAP_E_INVALID_ARGUMENT;
    auto* ctx = new idtap_context;
    ctx->flags = flags;
    *out = ctx;
    return IDTAP_OK;
  });
}

IDTAP_API void idtap_context_free(idtap_context* ctx) { delete ctx; }

IDTAP_API const char* idtap_context_error(const idtap_context* ctx) { return ctx ? ctx->error.c_str() : ""; }

IDTAP_API uint16_t idtap_context_sw(const idtap_context* ctx) { return ctx ? ctx->sw : 0; }

IDTAP_API idtap_status idtap_cancel(idtap_context* ctx) {
  if (ctx == nullptr) return IDTAP_E_INVALID_ARGUMENT;
  return guarded(nullptr, [&]() -> idtap_status {
    std::lock_guard<std::mutex> lock(ctx->cancel_mutex);
    ctx->cancel_pending = true;
    if (ctx->active_watcher) ctx->active_watcher->cancel();
    if (ctx->active_read_flag) ctx->active_read_flag->store(true);
    if (ctx->active_slot) ctx->active_slot->cancel();
    return IDTAP_OK;
  });
}

IDTAP_API idtap_status idtap_add_sim_reader(idtap_context* ctx, const char* dir) {
  if (ctx == nullptr) return IDTAP_E_INVALID_ARGUMENT;
  return guarded(ctx, [&]() -> idtap_status {
    if (dir == nullptr || *dir == '\0') return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "the simulated card's directory is empty");
    ctx->sim_dirs.emplace_back(dir);
    return succeed(ctx);
  });
}

IDTAP_API idtap_status idtap_list_readers(idtap_context* ctx, size_t* count) {
  if (ctx == nullptr) return IDTAP_E_INVALID_ARGUMENT;
  return guarded(ctx, [&]() -> idtap_status {
    if (count == nullptr) return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "count is NULL");
    select::ListOptions options;
    options.nfc = (ctx->flags & IDTAP_CONTEXT_NO_NFC) == 0;
    select::Inventory inventory = select::list_readers(options);
    std::vector<capi::ReaderSnapshot> snapshot;
    for (const auto& r : inventory.readers) snapshot.push_back({r.spec, r.card_present});
    for (const auto& dir : ctx->sim_dirs) snapshot.push_back({"sim:" + dir, true});
    ctx->snapshot = std::move(snapshot);
    *count = ctx->snapshot.size();
    return succeed(ctx);
  });
}

IDTAP_API const char* idtap_reader_spec(const idtap_context* ctx, size_t index) {
  if (ctx == nullptr || index >= ctx->snapshot.size()) return nullptr;
  return ctx->snapshot[index].spec.c_str();
}

IDTAP_API int idtap_reader_has_card(const idtap_context* ctx, size_t index) {
  if (ctx == nullptr || index >= ctx->snapshot.size()) return 0;
  return ctx->snapshot[index].card_present ? 1 : 0;
}

IDTAP_API idtap_status idtap_wait_event(idtap_context* ctx, int timeout_ms, idtap_event_kind* kind, char* reader,
                                        size_t reader_size) {
  if (ctx == nullptr) return IDTAP_E_INVALID_ARGUMENT;
  return guarded(ctx, [&]() -> idtap_status {
    if (kind == nullptr || (reader == nullptr && reader_size != 0))
      return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "kind is NULL, or reader is NULL with a size");
    *kind = IDTAP_EVENT_NONE;
    copy_out("", reader, reader_size);
    if (!ctx->watcher) {
      select::WatchOptions options;
      options.nfc = (ctx->flags & IDTAP_CONTEXT_NO_NFC) == 0;
      auto made = select::Watcher::create(options);
      if (!made.ok()) return fail(ctx, made.error());
      ctx->watcher = std::move(made).value();
    }
    capi::CancelScope scope(ctx);
    if (idtap_status st = scope.begin(ctx->watcher.get(), nullptr, nullptr); st != IDTAP_OK) {
      ctx->watcher.reset();  // a cancelled watcher stays cancelled: the next wait makes a new one
      return fail(ctx, st, "the wait was cancelled");
    }
    // negative: forever, in slices of a day (Watcher::next takes a finite duration).
    const std::chrono::milliseconds timeout(timeout_ms < 0 ? 86400000 : timeout_ms);
    Result<std::optional<select::WatchEvent>> next = ctx->watcher->next(timeout);
    while (timeout_ms < 0 && next.ok() && !next->has_value()) next = ctx->watcher->next(timeout);
    if (!next.ok()) {
      // Cancelled, or a source failed: a new wait starts afresh with a new watcher. The scope
      // ends first: idtap_cancel calls into the active watcher under cancel_mutex (its sources,
      // SCardCancel on its PC/SC context), and the cancel that woke this wait may still be in
      // there; finish() takes that mutex, so once it returns no idtap_cancel holds the watcher,
      // and it can be destroyed.
      const idtap_status st = scope.finish(fail(ctx, next.error()));
      ctx->watcher.reset();
      return st;
    }
    scope.finish(IDTAP_OK);
    if (!next->has_value()) return fail(ctx, IDTAP_E_TIMEOUT, "no event in " + std::to_string(timeout_ms) + " ms");
    const select::WatchEvent& event = **next;
    *kind = event_kind(event.kind);
    copy_out(event.reader, reader, reader_size);
    return succeed(ctx);
  });
}

IDTAP_API idtap_status idtap_events_reset(idtap_context* ctx) {
  if (ctx == nullptr) return IDTAP_E_INVALID_ARGUMENT;
  return guarded(ctx, [&]() -> idtap_status {
    ctx->watcher.reset();
    select::WatchOptions options;
    options.nfc = (ctx->flags & IDTAP_CONTEXT_NO_NFC) == 0;
    options.report_initial = false;
    auto made = select::Watcher::create(options);
    if (!made.ok()) return fail(ctx, made.error());
    ctx->watcher = std::move(made).value();
    return succeed(ctx);
  });
}

IDTAP_API idtap_status idtap_open(idtap_context* ctx, const char* spec, int card_wait_ms, idtap_reader** out) {
  if (ctx == nullptr) return IDTAP_E_INVALID_ARGUMENT;
  return guarded(ctx, [&]() -> idtap_status {
    if (out == nullptr) return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "out is NULL");
    *out = nullptr;
    if (card_wait_ms < 0) return fail(ctx, IDTAP_E_INVALID_ARGUMENT, "card_wait_ms is negative");
    auto handle = std::make_unique<idtap_reader>();
    handle->ctx = ctx;
    handle->cancel_slot = std::make_shared<select::CancelSlot>();
    select::OpenOptions options;
    if (spec != nullptr && *spec != '\0') options.reader = spec;
    options.wait_for_card = std::chrono::milliseconds(card_wait_ms);
    options.cancel = handle->cancel_slot;
    capi::CancelScope scope(ctx);
    if (idtap_status st = scope.begin(nullptr, nullptr, handle->cancel_slot.get()); st != IDTAP_OK)
      return fail(ctx, st, "the open was cancelled");
    auto opened = select::open_reader(options);
    if (!opened.ok()) return scope.finish(fail(ctx, opened.error()));
    scope.finish(IDTAP_OK);
    handle->opened = std::move(opened).value();
    *out = handle.release();
    return succeed(ctx);
  });
}

IDTAP_API void idtap_reader_free(idtap_reader* reader) { delete reader; }

IDTAP_API const char* idtap_reader_description(const idtap_reader* reader) {
  return reader ? reader->opened.description.c_str() : "";
}

}  // extern "C"
