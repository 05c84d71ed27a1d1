// tests/pcsc/fake_winscard.h: an in-memory PC/SC stack for the driver's unit tests. Readers and
// cards are plain data the test edits; get_status_change() applies the next scripted change when
// it would otherwise block, so event sequences are deterministic.
#pragma once

#include <reader.h>
#include <winscard.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/pcsc/winscard_api.h"

namespace idtap::pcsc::testing {

class FakeWinscard : public WinscardApi {
 public:
  struct Reader {
    std::string name;
    bool present = false;
    Bytes atr;
    uint16_t counter = 0;   // pcsc-lite's insert/remove counter
    DWORD extra_state = 0;  // e.g. SCARD_STATE_INUSE
    DWORD protocol = SCARD_PROTOCOL_T1;
    std::optional<uint32_t> max_apdu_data_size;  // answered through FEATURE_GET_TLV_PROPERTIES
    std::optional<uint32_t> max_input;           // answered as SCARD_ATTR_MAXINPUT
    LONG connect_rc = SCARD_S_SUCCESS;
  };
  struct Handle {
    std::string reader;
    uint16_t counter_at_connect = 0;
    bool open = true;
  };

  // Knobs.
  LONG establish_rc = SCARD_S_SUCCESS;
  std::vector<Reader> readers;
  // card: answers a command (wire bytes) with a response (data and SW).
  std::function<Bytes(ByteView)> card = [](ByteView) { return Bytes{0x90, 0x00}; };
  // transmit_rc: fails the next transmits with these codes, in order.
  std::deque<LONG> transmit_rc;
  // during_transmit: run inside the next transmit, after the handle checks (a card leaving the
  // field mid-command).
  std::function<void(FakeWinscard&)> during_transmit;
  // handles_survive_swap: a stack that does not invalidate handles when the card changes (only
  // the counter tells): to test the driver's own swap check.
  bool handles_survive_swap = false;
  // on_wait: applied one per blocking get_status_change that finds nothing new.
  std::deque<std::function<void(FakeWinscard&)>> on_wait;

  // Records.
  std::vector<Bytes> sent;
  int begins = 0, ends = 0, cancels = 0;  // cancels: read only after the cancelling thread joined
  int connects = 0, reconnects = 0, disconnects = 0;
  std::vector<DWORD> reconnect_inits;
  std::vector<DWORD> dispositions;  // of every disconnect

  Reader* find(const std::string& name) {
    for (auto& r : readers)
      if (r.name == name) return &r;
    return nullptr;
  }
  void insert(const std::string& name, Bytes atr) {
    Reader* r = find(name);
    r->present = true;
    r->atr = std::move(atr);
    ++r->counter;
  }
  void remove(const std::string& name) {
    Reader* r = find(name);
    r->present = false;
    r->atr.clear();
    ++r->counter;
  }

  LONG establish_context(SCARDCONTEXT* context) override {
    if (establish_rc != SCARD_S_SUCCESS) return establish_rc;
    *context = 0x1000 + next_context_++;
    return SCARD_S_SUCCESS;
  }
  LONG release_context(SCARDCONTEXT) override { return SCARD_S_SUCCESS; }
  LONG list_readers(SCARDCONTEXT, std::vector<std::string>* names) override {
    if (readers.empty()) return SCARD_E_NO_READERS_AVAILABLE;
    names->clear();
    for (const auto& r : readers) names->push_back(r.name);
    return SCARD_S_SUCCESS;
  }

  DWORD state_of(const std::string& name) const {
    for (const auto& r : readers)
      if (r.name == name)
        return (r.present ? SCARD_STATE_PRESENT : SCARD_STATE_EMPTY) | r.extra_state | (static_cast<DWORD>(r.counter) << 16);
    return SCARD_STATE_UNKNOWN;
  }

  LONG get_status_change(SCARDCONTEXT, DWORD timeout_ms, SCARD_READERSTATE* states, DWORD count) override {
    for (;;) {
      bool changed = false;
      for (DWORD i = 0; i < count; ++i) {
        SCARD_READERSTATE& s = states[i];
        if (std::strcmp(s.szReader, kPnpReaderName) == 0) {
          DWORD n = static_cast<DWORD>(readers.size()) << 16;
          s.dwEventState = n;
          if ((s.dwCurrentState & 0xFFFF0000u) != n) {
            s.dwEventState |= SCARD_STATE_CHANGED;
            changed = true;
          }
          continue;
        }
        DWORD now = state_of(s.szReader);
        s.dwEventState = now;
        s.cbAtr = 0;
        if (const Reader* r = find_const(s.szReader); r && r->present) {
          std::memcpy(s.rgbAtr, r->atr.data(), r->atr.size());
          s.cbAtr = static_cast<DWORD>(r->atr.size());
        }
        if (s.dwCurrentState == SCARD_STATE_UNAWARE || (s.dwCurrentState & ~SCARD_STATE_CHANGED) != now) {
          s.dwEventState |= SCARD_STATE_CHANGED;
          changed = true;
        }
      }
      if (changed) return SCARD_S_SUCCESS;
      if (timeout_ms == 0) return SCARD_E_TIMEOUT;
      if (on_wait.empty()) {
        // Block like pcscd: until cancel() or the timeout.
        std::unique_lock<std::mutex> lock(mutex_);
        bool woken = cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return cancel_pending_; });
        if (woken) {
          cancel_pending_ = false;
          return SCARD_E_CANCELLED;
        }
        return SCARD_E_TIMEOUT;
      }
      auto change = std::move(on_wait.front());
      on_wait.pop_front();
      change(*this);
    }
  }
  // cancel: thread-safe, as SCardCancel.
  LONG cancel(SCARDCONTEXT) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++cancels;
    cancel_pending_ = true;
    cv_.notify_all();
    return SCARD_S_SUCCESS;
  }

  LONG connect(SCARDCONTEXT, const std::string& reader, DWORD, DWORD, SCARDHANDLE* card_out, DWORD* active) override {
    Reader* r = find(reader);
    if (!r) return SCARD_E_UNKNOWN_READER;
    if (r->connect_rc != SCARD_S_SUCCESS) return r->connect_rc;
    if (!r->present) return SCARD_E_NO_SMARTCARD;
    ++connects;
    handles_.push_back({reader, r->counter, true});
    *card_out = static_cast<SCARDHANDLE>(handles_.size());
    *active = r->protocol;
    return SCARD_S_SUCCESS;
  }
  LONG reconnect(SCARDHANDLE h, DWORD, DWORD, DWORD init, DWORD* active) override {
    ++reconnects;
    reconnect_inits.push_back(init);
    Handle* handle = get(h);
    if (!handle) return SCARD_E_INVALID_HANDLE;
    Reader* r = find(handle->reader);
    if (!r) return SCARD_E_READER_UNAVAILABLE;
    if (!r->present) return SCARD_E_NO_SMARTCARD;
    handle->counter_at_connect = r->counter;
    *active = r->protocol;
    return SCARD_S_SUCCESS;
  }
  LONG disconnect(SCARDHANDLE h, DWORD disposition) override {
    ++disconnects;
    dispositions.push_back(disposition);
    if (Handle* handle = get(h)) handle->open = false;
    return SCARD_S_SUCCESS;
  }
  LONG begin_transaction(SCARDHANDLE h) override {
    LONG rc = check(h);
    if (rc == SCARD_S_SUCCESS) ++begins;
    return rc;
  }
  LONG end_transaction(SCARDHANDLE, DWORD) override {
    ++ends;
    return SCARD_S_SUCCESS;
  }
  LONG transmit(SCARDHANDLE h, DWORD, ByteView command, size_t max_response, Bytes* response) override {
    LONG rc = check(h);
    if (rc != SCARD_S_SUCCESS) return rc;
    if (during_transmit) {
      auto hook = std::move(during_transmit);
      during_transmit = nullptr;
      hook(*this);
    }
    if (!transmit_rc.empty()) {
      rc = transmit_rc.front();
      transmit_rc.pop_front();
      return rc;
    }
    sent.push_back(to_bytes(command));
    Bytes r = card(command);
    if (r.size() > max_response) return SCARD_E_INSUFFICIENT_BUFFER;
    *response = std::move(r);
    return SCARD_S_SUCCESS;
  }
  LONG control(SCARDHANDLE h, DWORD code, ByteView, Bytes* output) override {
    Handle* handle = get(h);
    if (!handle) return SCARD_E_INVALID_HANDLE;
    const Reader* r = find_const(handle->reader);
    constexpr DWORD kTlvCode = SCARD_CTL_CODE(3600);
    if (!r || !r->max_apdu_data_size) return SCARD_E_UNSUPPORTED_FEATURE;
    if (code == CM_IOCTL_GET_FEATURE_REQUEST) {
      // One feature (PC/SC part 10: tag, length 4, big-endian code).
      *output = {0x12, 0x04, static_cast<uint8_t>(kTlvCode >> 24), static_cast<uint8_t>(kTlvCode >> 16),
                 static_cast<uint8_t>(kTlvCode >> 8), static_cast<uint8_t>(kTlvCode)};
      return SCARD_S_SUCCESS;
    }
    if (code == kTlvCode) {
      uint32_t v = *r->max_apdu_data_size;  // little-endian property values
      *output = {0x01, 0x02, 0x00, 0x00,  // wLcdLayout (ignored)
                 0x0A, 0x04, static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v >> 16),
                 static_cast<uint8_t>(v >> 24)};
      return SCARD_S_SUCCESS;
    }
    return SCARD_E_UNSUPPORTED_FEATURE;
  }
  LONG get_attrib(SCARDHANDLE h, DWORD attribute, Bytes* value) override {
    Handle* handle = get(h);
    if (!handle) return SCARD_E_INVALID_HANDLE;
    const Reader* r = find_const(handle->reader);
    if (attribute != SCARD_ATTR_MAXINPUT || !r || !r->max_input) return SCARD_E_UNSUPPORTED_FEATURE;
    uint32_t v = *r->max_input;
    *value = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v >> 16),
              static_cast<uint8_t>(v >> 24)};
    return SCARD_S_SUCCESS;
  }
  LONG status(SCARDHANDLE h, DWORD* state, DWORD* protocol, Bytes* atr) override {
    LONG rc = check(h);
    if (rc != SCARD_S_SUCCESS) return rc;
    const Reader* r = find_const(get(h)->reader);
    *state = SCARD_PRESENT;
    *protocol = r->protocol;
    *atr = r->atr;
    return SCARD_S_SUCCESS;
  }

 private:
  const Reader* find_const(const std::string& name) const {
    for (const auto& r : readers)
      if (r.name == name) return &r;
    return nullptr;
  }
  Handle* get(SCARDHANDLE h) {
    if (h <= 0 || static_cast<size_t>(h) > handles_.size() || !handles_[h - 1].open) return nullptr;
    return &handles_[h - 1];
  }
  // What pcsc-lite answers on a handle: the reader gone, the card gone or changed.
  LONG check(SCARDHANDLE h) {
    Handle* handle = get(h);
    if (!handle) return SCARD_E_INVALID_HANDLE;
    const Reader* r = find_const(handle->reader);
    if (!r) return SCARD_E_READER_UNAVAILABLE;
    if (!r->present) return SCARD_W_REMOVED_CARD;
    if (r->counter != handle->counter_at_connect && !handles_survive_swap) return SCARD_W_REMOVED_CARD;
    return SCARD_S_SUCCESS;
  }
  std::vector<Handle> handles_;
  int next_context_ = 0;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool cancel_pending_ = false;
};

}  // namespace idtap::pcsc::testing
