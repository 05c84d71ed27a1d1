#include "idtap/pcsc/pcsc_transport.h"

#include <reader.h>

#include <algorithm>

#include <fmt/format.h>

#include "idtap/apdu/status_words.h"
#include "idtap/base/hex.h"
#include "idtap/pcsc/errors.h"

namespace idtap::pcsc {
namespace {

// A reader that cannot carry an extended APDU answers with one of these (CCID driver and common
// reader firmware); any other failure is not taken for a length problem.
bool is_length_failure(LONG rc) {
  switch (rc) {
    case SCARD_E_NOT_TRANSACTED:
    case SCARD_E_INSUFFICIENT_BUFFER:
    case SCARD_F_COMM_ERROR:
    case SCARD_E_COMM_DATA_LOST:
    case SCARD_E_INVALID_PARAMETER:
    case SCARD_E_INVALID_VALUE:
    case SCARD_E_UNSUPPORTED_FEATURE:
    case SCARD_E_PROTO_MISMATCH:
      return true;
    default:
      return false;
  }
}

// Failures a card leaving the field mid-command produces (besides SCARD_W_REMOVED_CARD).
bool is_link_failure(LONG rc) {
  return is_length_failure(rc) || rc == SCARD_W_UNRESPONSIVE_CARD || rc == SCARD_W_UNPOWERED_CARD;
}

std::string command_summary(const apdu::CommandApdu& c) {
  return fmt::format("{:02X} {:02X} {:02X} {:02X} (Nc={}, Ne={})", c.cla, c.ins, c.p1, c.p2, c.data.size(), c.ne);
}

// The receive buffer: the largest response data the caps allow, SW, and slack for readers that
// return more than asked.
size_t receive_size(const apdu::TransportCaps& caps) { return std::max<size_t>(caps.max_response_data, 256) + 2 + 16; }

}  // namespace

Transaction::~Transaction() { (void)end(); }

Status Transaction::end() {
  if (owner_ == nullptr) return ok_status();
  PcscTransport* owner = owner_;
  owner_ = nullptr;
  if (owner->generation_ != generation_) return ok_status();
  if (--owner->transaction_depth_ > 0) return ok_status();
  return owner->end_raw();
}

Result<std::unique_ptr<PcscTransport>> PcscTransport::connect(std::shared_ptr<Context> context,
                                                              const std::string& reader,
                                                              const ConnectOptions& options) {
  if (context->cancelled()) return make_error(ErrorCode::kCancelled, "connecting to '" + reader + "': cancelled");
  std::unique_ptr<PcscTransport> t(new PcscTransport(std::move(context), reader, options));
  LONG rc = t->context_->api().connect(t->context_->handle(), reader, t->share_flag(), t->protocol_flags(), &t->card_,
                                       &t->protocol_);
  if (rc != SCARD_S_SUCCESS) return pcsc_error(rc, "connecting to the card in '" + reader + "'");
  t->connected_ = true;
  t->probe_lengths();
  IDTAP_TRY(t->after_connect());
  return t;
}

PcscTransport::~PcscTransport() { (void)close(); }

DWORD PcscTransport::share_flag() const {
  return options_.share == ShareMode::kExclusive ? SCARD_SHARE_EXCLUSIVE : SCARD_SHARE_SHARED;
}

DWORD PcscTransport::protocol_flags() const {
  switch (options_.protocol) {
    case Protocol::kT1: return SCARD_PROTOCOL_T1;
    case Protocol::kT0: return SCARD_PROTOCOL_T0;
    case Protocol::kAny: break;
  }
  return SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1;
}

// Records the ATR and the insert/remove counter of the card we are now connected to, and takes
// the session transaction if asked.
Status PcscTransport::after_connect() {
  DWORD state = 0, protocol = 0;
  Bytes atr;
  LONG rc = context_->api().status(card_, &state, &protocol, &atr);
  if (rc != SCARD_S_SUCCESS) return card_error(rc, "reading the card status");
  atr_ = std::move(atr);
  IDTAP_ASSIGN_OR_RETURN(ReaderState st, context_->state(reader_));
  event_count_ = st.event_count;
  if (options_.hold_transaction) {
    IDTAP_ASSIGN_OR_RETURN(Transaction tx, begin_transaction());
    held_.emplace(std::move(tx));
  }
  return ok_status();
}

void PcscTransport::probe_lengths() {
  length_info_ = ReaderLengthInfo{};
  length_info_.reader_name = reader_;
  length_info_.t0 = protocol_ == SCARD_PROTOCOL_T0;
  WinscardApi& api = context_->api();
  // PC/SC part 10: the feature list, then FEATURE_GET_TLV_PROPERTIES' dwMaxAPDUDataSize.
  Bytes features;
  if (api.control(card_, CM_IOCTL_GET_FEATURE_REQUEST, {}, &features) == SCARD_S_SUCCESS) {
    auto list = parse_feature_list(features);
    if (list.ok()) {
      auto it = list->find(kFeatureGetTlvProperties);
      Bytes properties;
      if (it != list->end() && api.control(card_, it->second, {}, &properties) == SCARD_S_SUCCESS) {
        auto props = parse_tlv_properties(properties);
        if (props.ok()) {
          auto p = props->find(kPropertyMaxApduDataSize);
          if (p != props->end()) length_info_.max_apdu_data_size = p->second;
        }
      }
    }
  }
  Bytes max_input;
  if (api.get_attrib(card_, SCARD_ATTR_MAXINPUT, &max_input) == SCARD_S_SUCCESS && max_input.size() == 4) {
    // A DWORD in host order (little-endian on every platform pcsc-lite runs idtap on).
    length_info_.max_input = static_cast<uint32_t>(max_input[0]) | static_cast<uint32_t>(max_input[1]) << 8 |
                             static_cast<uint32_t>(max_input[2]) << 16 | static_cast<uint32_t>(max_input[3]) << 24;
  }
  caps_ = fell_back_ ? short_caps() : length_caps(length_info_, options_.length);
}

// The error for `rc` from an operation on the card; a removal is told apart from a swap.
Error PcscTransport::card_error(LONG rc, std::string_view what) {
  if (rc == SCARD_W_REMOVED_CARD) {
    auto st = context_->state(reader_);
    if (st.ok() && st->card_present() && st->event_count != event_count_)
      return make_error(ErrorCode::kCardRemoved, std::string(what) + ": card was swapped (another card, or the same "
                                                     "one presented again, is now in the reader)");
  }
  return pcsc_error(rc, what);
}

Status PcscTransport::check_same_card(std::string_view what) {
  auto st = context_->state(reader_);
  if (!st.ok()) return st.error().with_context(what);
  if (!st->card_present()) return make_error(ErrorCode::kCardRemoved, std::string(what) + ": the card was removed");
  if (st->event_count != event_count_)
    return make_error(ErrorCode::kCardRemoved,
                      fmt::format("{}: card was swapped (the reader saw {} insert/remove events since connect)", what,
                                  static_cast<uint16_t>(st->event_count - event_count_)));
  return ok_status();
}

Status PcscTransport::begin_raw() {
  LONG rc = context_->api().begin_transaction(card_);
  if (rc != SCARD_S_SUCCESS) return card_error(rc, "beginning a transaction");
  return ok_status();
}

Status PcscTransport::end_raw() {
  if (!connected_) return ok_status();
  LONG rc = context_->api().end_transaction(card_, SCARD_LEAVE_CARD);
  if (rc != SCARD_S_SUCCESS) return card_error(rc, "ending a transaction");
  return ok_status();
}

Result<Transaction> PcscTransport::begin_transaction() {
  if (!connected_) return make_error(ErrorCode::kState, "beginning a transaction: the transport is closed");
  if (context_->cancelled()) return make_error(ErrorCode::kCancelled, "beginning a transaction: cancelled");
  if (transaction_depth_ == 0) {
    IDTAP_TRY(begin_raw());
    Status same = check_same_card("beginning a transaction");
    if (!same.ok()) {
      (void)end_raw();
      return std::move(same).error();
    }
  }
  ++transaction_depth_;
  return Transaction(this, generation_);
}

Result<apdu::ResponseApdu> PcscTransport::transmit(const apdu::CommandApdu& command) {
  if (!connected_) return make_error(ErrorCode::kState, "transmit: the transport is closed");
  if (context_->cancelled()) return make_error(ErrorCode::kCancelled, "transmit: cancelled");
  if (command.needs_extended() && !caps_.extended_length)
    return make_error(ErrorCode::kNotSupported,
                      fmt::format("{}: needs an extended-length APDU, and '{}' takes short APDUs only (Nc <= 255, "
                                  "Ne <= 256)",
                                  command_summary(command), reader_));
  if (command.data.size() > caps_.max_command_data || command.ne > caps_.max_response_data)
    return make_error(ErrorCode::kNotSupported,
                      fmt::format("{}: longer than '{}' carries (Nc <= {}, Ne <= {})", command_summary(command),
                                  reader_, caps_.max_command_data, caps_.max_response_data));
  IDTAP_ASSIGN_OR_RETURN(Bytes wire, command.encode());
  if (transaction_depth_ == 0 && options_.check_swap) IDTAP_TRY(check_same_card("transmit"));
  Bytes response;
  LONG rc = context_->api().transmit(card_, protocol_, wire, receive_size(caps_), &response);
  // vpcd answers a card that died mid-APDU with an empty "successful" response: no card does.
  bool no_status_word = rc == SCARD_S_SUCCESS && response.size() < 2;
  if (rc == SCARD_S_SUCCESS && !no_status_word) return apdu::ResponseApdu::parse(response);
  if (no_status_word || is_link_failure(rc)) {
    // Was it the card leaving? Only a card still there can blame the length or the link.
    if (card_left(options_.removal_settle)) {
      Status same = check_same_card("transmit " + command_summary(command));
      if (!same.ok()) return std::move(same).error();
      return make_error(ErrorCode::kCardRemoved, "transmit " + command_summary(command) + ": the card was removed");
    }
    if (command.needs_extended() && (no_status_word || is_length_failure(rc))) {
      fell_back_ = true;
      caps_ = short_caps();
      fallback_ = command_summary(command);
      return make_error(ErrorCode::kTransport,
                        fmt::format("{}: '{}' failed an extended-length APDU ({}); falling back to short APDUs for "
                                    "this session: resend with Nc <= 255 and Ne <= 256",
                                    *fallback_, reader_, no_status_word ? "no status word" : pcsc_code_name(rc)));
    }
    if (no_status_word)
      return make_error(ErrorCode::kTransport, fmt::format("transmit {}: the reader returned {} byte(s), no status word",
                                                           command_summary(command), response.size()));
  }
  return card_error(rc, "transmit " + command_summary(command));
}

// Whether the card left (or was swapped) since connect, waiting up to `settle` for the reader
// to notice.
bool PcscTransport::card_left(std::chrono::milliseconds settle) {
  SCARD_READERSTATE rs{};
  rs.szReader = reader_.c_str();
  rs.dwCurrentState = SCARD_STATE_PRESENT | (static_cast<DWORD>(event_count_) << 16);
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + settle;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    DWORD wait = static_cast<DWORD>(std::clamp<int64_t>(left.count(), 0, kWaitSlice.count()));
    LONG rc = context_->api().get_status_change(context_->handle(), wait, &rs, 1);
    if (rc == SCARD_S_SUCCESS) {
      ReaderState st = reader_state_from(rs);
      if (!st.card_present() || st.event_count != event_count_ || st.unavailable()) return true;
      rs.dwCurrentState = rs.dwEventState & ~static_cast<DWORD>(SCARD_STATE_CHANGED);
    } else if (rc != SCARD_E_TIMEOUT) {
      return false;  // cannot tell: report the original failure
    }
    if (Clock::now() >= deadline || context_->cancelled()) return false;
  }
}


Result<Bytes> PcscTransport::pseudo_get_data(uint8_t p1, const char* what) {
  // PC/SC part 3 §3.2.2.1.3 GET DATA: FF CA P1 00 Le=00; the reader answers, not the card.
  apdu::CommandApdu get_data{.cla = 0xFF, .ins = 0xCA, .p1 = p1, .p2 = 0x00, .data = {}, .ne = 256};
  IDTAP_ASSIGN_OR_RETURN(apdu::ResponseApdu r, transmit(get_data));
  if (r.sw != apdu::sw::kOk)
    return make_error(ErrorCode::kNotSupported,
                      fmt::format("'{}' does not give the {} (GET DATA FF CA {:02X} 00: SW {:04X}, {})", reader_, what,
                                  p1, r.sw, apdu::sw::describe(r.sw)));
  return std::move(r.data);
}

Result<Bytes> PcscTransport::contactless_uid() { return pseudo_get_data(0x00, "card UID"); }

Result<Bytes> PcscTransport::contactless_historical_bytes() { return pseudo_get_data(0x01, "historical bytes"); }

Status PcscTransport::reconnect(std::chrono::milliseconds timeout) {
  if (!connected_) return make_error(ErrorCode::kState, "reconnect: the transport is closed");
  drop_transactions();
  IDTAP_ASSIGN_OR_RETURN(ReaderState st, context_->wait_for_card(reader_, timeout));
  // A card newly presented is freshly powered; a card that stayed keeps its state unless reset.
  DWORD init = st.event_count != event_count_ ? SCARD_LEAVE_CARD : SCARD_RESET_CARD;
  WinscardApi& api = context_->api();
  LONG rc = api.reconnect(card_, share_flag(), protocol_flags(), init, &protocol_);
  if (rc != SCARD_S_SUCCESS) {
    (void)api.disconnect(card_, SCARD_LEAVE_CARD);
    connected_ = false;
    rc = api.connect(context_->handle(), reader_, share_flag(), protocol_flags(), &card_, &protocol_);
    if (rc != SCARD_S_SUCCESS) return pcsc_error(rc, "reconnecting to the card in '" + reader_ + "'");
    connected_ = true;
  }
  probe_lengths();
  return after_connect();
}

// Ends every open transaction (the held one and any the caller still has: theirs become no-ops).
void PcscTransport::drop_transactions() {
  ++generation_;
  held_.reset();  // a no-op end(): its generation is now stale
  if (transaction_depth_ > 0) (void)end_raw();
  transaction_depth_ = 0;
}

Status PcscTransport::close() {
  if (!connected_) return ok_status();
  drop_transactions();
  connected_ = false;
  LONG rc = context_->api().disconnect(card_, options_.reset_on_close ? SCARD_RESET_CARD : SCARD_LEAVE_CARD);
  if (rc != SCARD_S_SUCCESS && rc != SCARD_W_REMOVED_CARD && rc != SCARD_E_INVALID_HANDLE)
    return pcsc_error(rc, "disconnecting from '" + reader_ + "'");
  return ok_status();
}

}  // namespace idtap::pcsc
