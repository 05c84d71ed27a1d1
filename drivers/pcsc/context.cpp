#include "idtap/pcsc/context.h"

#include <algorithm>

#include "idtap/pcsc/errors.h"

namespace idtap::pcsc {

std::string ReaderState::summary() const {
  if (unavailable()) return "unavailable";
  if (!card_present()) return "empty";
  if (mute()) return "mute card";
  if (exclusive()) return "in use (exclusive)";
  if (in_use()) return "in use";
  return "card present";
}

ReaderState reader_state_from(const SCARD_READERSTATE& s) {
  ReaderState out;
  out.name = s.szReader ? s.szReader : "";
  out.raw_state = s.dwEventState & ~static_cast<DWORD>(SCARD_STATE_CHANGED) & 0xFFFFu;
  out.event_count = static_cast<uint16_t>((s.dwEventState >> 16) & 0xFFFFu);
  if (out.card_present()) {
    size_t n = std::min<size_t>(s.cbAtr, sizeof(s.rgbAtr));
    out.atr.assign(s.rgbAtr, s.rgbAtr + n);
  }
  return out;
}

Result<std::shared_ptr<Context>> Context::establish(std::shared_ptr<WinscardApi> api) {
  SCARDCONTEXT handle = 0;
  LONG rc = api->establish_context(&handle);
  if (rc != SCARD_S_SUCCESS) return pcsc_error(rc, "connecting to pcscd");
  return std::shared_ptr<Context>(new Context(std::move(api), handle));
}

Context::~Context() { (void)api_->release_context(handle_); }

void Context::cancel() noexcept {
  cancelled_.store(true, std::memory_order_release);
  (void)api_->cancel(handle_);
}

Result<std::vector<std::string>> Context::list_readers() {
  std::vector<std::string> names;
  LONG rc = api_->list_readers(handle_, &names);
  if (rc == SCARD_E_NO_READERS_AVAILABLE) return std::vector<std::string>{};
  if (rc != SCARD_S_SUCCESS) return pcsc_error(rc, "listing readers");
  return names;
}

Result<std::vector<ReaderState>> Context::states(const std::vector<std::string>& readers) {
  std::vector<SCARD_READERSTATE> rs(readers.size());
  for (size_t i = 0; i < readers.size(); ++i) {
    rs[i] = SCARD_READERSTATE{};
    rs[i].szReader = readers[i].c_str();
    rs[i].dwCurrentState = SCARD_STATE_UNAWARE;
  }
  std::vector<ReaderState> out;
  if (readers.empty()) return out;
  LONG rc = api_->get_status_change(handle_, 0, rs.data(), static_cast<DWORD>(rs.size()));
  if (rc == SCARD_E_UNKNOWN_READER || rc == SCARD_E_READER_UNAVAILABLE) {
    // One reader went away between listing and asking: ask one by one.
    for (size_t i = 0; i < readers.size(); ++i) {
      LONG one = api_->get_status_change(handle_, 0, &rs[i], 1);
      if (one != SCARD_S_SUCCESS && one != SCARD_E_TIMEOUT) rs[i].dwEventState = SCARD_STATE_UNKNOWN;
    }
  } else if (rc != SCARD_S_SUCCESS && rc != SCARD_E_TIMEOUT) {
    return pcsc_error(rc, "reading reader states");
  }
  for (const auto& s : rs) out.push_back(reader_state_from(s));
  return out;
}

Result<ReaderState> Context::state(const std::string& reader) {
  IDTAP_ASSIGN_OR_RETURN(auto all, states({reader}));
  // UNKNOWN: pcscd no longer lists it; UNAVAILABLE: its driver lost the device (IFD_NO_SUCH_DEVICE,
  // e.g. an unplugged serial board): gone either way.
  if (all.front().unavailable())
    return make_error(ErrorCode::kDeviceGone, "reader '" + reader + "' is gone or unavailable");
  return all.front();
}

Result<ReaderState> Context::wait_for_card(const std::string& reader, std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  SCARD_READERSTATE rs{};
  rs.szReader = reader.c_str();
  rs.dwCurrentState = SCARD_STATE_UNAWARE;
  for (;;) {
    if (cancelled()) return make_error(ErrorCode::kCancelled, "waiting for a card on '" + reader + "': cancelled");
    auto now = Clock::now();
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    DWORD slice = static_cast<DWORD>(std::clamp<int64_t>(left.count(), 0, kWaitSlice.count()));
    LONG rc = api_->get_status_change(handle_, rs.dwCurrentState == SCARD_STATE_UNAWARE ? 0 : slice, &rs, 1);
    if (rc == SCARD_S_SUCCESS) {
      ReaderState st = reader_state_from(rs);
      if (st.unavailable()) return make_error(ErrorCode::kDeviceGone, "reader '" + reader + "' is gone or unavailable");
      if (st.card_present() && !st.mute()) return st;
      rs.dwCurrentState = rs.dwEventState & ~static_cast<DWORD>(SCARD_STATE_CHANGED);
    } else if (rc == SCARD_E_CANCELLED) {
      if (cancelled()) return make_error(ErrorCode::kCancelled, "waiting for a card on '" + reader + "': cancelled");
    } else if (rc != SCARD_E_TIMEOUT) {
      return pcsc_error(rc, "waiting for a card on '" + reader + "'");
    }
    if (Clock::now() >= deadline)
      return make_error(ErrorCode::kTimeout, "no card on '" + reader + "' within " + std::to_string(timeout.count()) + " ms");
  }
}

}  // namespace idtap::pcsc
