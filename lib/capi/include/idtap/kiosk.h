// idtap/kiosk.h: a small C++17 facade over the C API (idtap/idtap.h) for kiosk software written
// in C++: owning handles (move-only, freed by their destructors), std::string in and out, and
// the same idtap_status codes (no exception is thrown by this header). It includes only
// idtap/idtap.h and the standard library: no <winscard.h>, no libnfc header, none of the
// library's C++ layers or test seams, so it builds against libidtap.so alone
// (`pkg-config --cflags --libs idtap`) and keeps the C API's ABI promise.
//
// Thread-safety and ownership are the C API's (idtap/idtap.h): a Context and everything made
// from it are used by one thread at a time; Context::cancel may be called from any thread.
// Objects made from a Context (Reader, Result, Issuer) must be destroyed before it.
//
//   idtap::kiosk::Context ctx;
//   if (!ctx) return 1;                                   // idtap_context_new failed
//   idtap::kiosk::Reader reader;
//   if (ctx.open("", 0, &reader) != IDTAP_OK) { std::puts(ctx.error().c_str()); return 1; }
//   idtap::kiosk::ReadOptions options;
//   options.can = "123456";
//   options.trust_paths = {"/etc/idtap/csca"};
//   idtap::kiosk::Result result;
//   if (reader.read(options, &result) == IDTAP_OK && result.genuine()) std::puts(result.field("full_name").c_str());
#ifndef IDTAP_KIOSK_H
#define IDTAP_KIOSK_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "idtap/idtap.h"

namespace idtap::kiosk {

namespace detail {
// Handle: a move-only owner of one C handle, freed with `Free`.
template <class T, void (*Free)(T*)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(T* raw) : raw_(raw) {}
  Handle(Handle&& other) noexcept : raw_(std::exchange(other.raw_, nullptr)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      raw_ = std::exchange(other.raw_, nullptr);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }
  void reset(T* raw = nullptr) {
    if (raw_ != nullptr) Free(raw_);
    raw_ = raw;
  }
  T* get() const { return raw_; }
  explicit operator bool() const { return raw_ != nullptr; }

 private:
  T* raw_ = nullptr;
};

inline std::string text(const char* s) { return s ? std::string(s) : std::string(); }
}  // namespace detail

// ReadOptions: idtap_read_options with owned strings. An empty string is "not given".
struct ReadOptions {
  std::string can;
  std::string mrz;
  std::vector<std::string> trust_paths;
  std::vector<int> data_groups;    // empty: every one EF.SOD lists but DG3, DG4
  bool chip_authentication = true;
  bool active_authentication = true;
  int reconnect_timeout_ms = 20000;
};

// Result: one read (idtap_result); empty until Reader::read fills it.
class Result {
 public:
  bool genuine() const { return idtap_result_genuine(handle_.get()) == 1; }
  // Result::field: a text field by its JSON key (idtap_result_field); "" when absent.
  std::string field(const char* name) const { return detail::text(idtap_result_field(handle_.get(), name)); }
  std::vector<std::string> reasons() const {
    std::vector<std::string> out;
    for (size_t i = 0; i < idtap_result_reason_count(handle_.get()); ++i)
      out.push_back(detail::text(idtap_result_reason(handle_.get(), i)));
    return out;
  }
  // Result::json: the result as `idtap read --json` prints it (resident number masked).
  std::string json() const { return detail::text(idtap_result_json(handle_.get())); }
  idtap_result* get() const { return handle_.get(); }
  explicit operator bool() const { return static_cast<bool>(handle_); }

 private:
  friend class Reader;
  detail::Handle<idtap_result, idtap_result_free> handle_;
};

// Reader: one open card (idtap_reader).
class Reader {
 public:
  // Reader::read: idtap_read with `options`; its status, the result in *out on IDTAP_OK.
  idtap_status read(const ReadOptions& options, Result* out) const {
    idtap_read_options o;
    idtap_read_options_init(&o);
    if (!options.can.empty()) o.can = options.can.c_str();
    if (!options.mrz.empty()) o.mrz = options.mrz.c_str();
    std::vector<const char*> paths;
    for (const auto& p : options.trust_paths) paths.push_back(p.c_str());
    o.trust_paths = paths.data();
    o.trust_path_count = paths.size();
    o.data_groups = options.data_groups.data();
    o.data_group_count = options.data_groups.size();
    o.chip_authentication = options.chip_authentication ? 1 : 0;
    o.active_authentication = options.active_authentication ? 1 : 0;
    o.reconnect_timeout_ms = options.reconnect_timeout_ms;
    idtap_result* raw = nullptr;
    const idtap_status st = idtap_read(handle_.get(), &o, &raw);
    if (st == IDTAP_OK && out != nullptr) out->handle_.reset(raw);
    else idtap_result_free(raw);
    return st;
  }
  std::string description() const { return detail::text(idtap_reader_description(handle_.get())); }
  explicit operator bool() const { return static_cast<bool>(handle_); }

 private:
  friend class Context;
  detail::Handle<idtap_reader, idtap_reader_free> handle_;
};

// Context: idtap_context; check it with operator bool (false when idtap_context_new failed).
class Context {
 public:
  explicit Context(unsigned flags = 0) {
    idtap_context* raw = nullptr;
    if (idtap_context_new(flags, &raw) == IDTAP_OK) handle_.reset(raw);
  }
  explicit operator bool() const { return static_cast<bool>(handle_); }
  idtap_context* get() const { return handle_.get(); }
  // Context::error / sw: the detail and status word of the last failure on this context.
  std::string error() const { return detail::text(idtap_context_error(handle_.get())); }
  uint16_t sw() const { return idtap_context_sw(handle_.get()); }
  // Context::cancel: idtap_cancel; any thread.
  idtap_status cancel() const { return idtap_cancel(handle_.get()); }
  idtap_status add_sim_reader(const std::string& dir) const { return idtap_add_sim_reader(handle_.get(), dir.c_str()); }
  // Context::readers: the specs of every reader now (idtap_list_readers); empty on failure.
  std::vector<std::string> readers() const {
    std::vector<std::string> out;
    size_t n = 0;
    if (idtap_list_readers(handle_.get(), &n) != IDTAP_OK) return out;
    for (size_t i = 0; i < n; ++i) out.push_back(detail::text(idtap_reader_spec(handle_.get(), i)));
    return out;
  }
  // Context::wait_event: idtap_wait_event; the event's kind and reader in *kind and *reader.
  idtap_status wait_event(int timeout_ms, idtap_event_kind* kind, std::string* reader) const {
    char buf[512];
    const idtap_status st = idtap_wait_event(handle_.get(), timeout_ms, kind, buf, sizeof buf);
    if (reader != nullptr) *reader = st == IDTAP_OK ? std::string(buf) : std::string();
    return st;
  }
  // Context::open: idtap_open of `spec` ("" for the only reader holding a card).
  idtap_status open(const std::string& spec, int card_wait_ms, Reader* out) const {
    idtap_reader* raw = nullptr;
    const idtap_status st = idtap_open(handle_.get(), spec.c_str(), card_wait_ms, &raw);
    if (st == IDTAP_OK && out != nullptr) out->handle_.reset(raw);
    else idtap_reader_free(raw);
    return st;
  }

 private:
  detail::Handle<idtap_context, idtap_context_free> handle_;
};

}  // namespace idtap::kiosk

#endif  // IDTAP_KIOSK_H
