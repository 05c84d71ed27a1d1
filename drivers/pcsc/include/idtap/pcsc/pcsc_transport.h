// idtap/pcsc/pcsc_transport.h: an apdu::Transport over one card in one PC/SC reader.
#pragma once

#include <winscard.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "idtap/apdu/transport.h"
#include "idtap/base/result.h"
#include "idtap/pcsc/caps.h"
#include "idtap/pcsc/context.h"

namespace idtap::pcsc {

// ShareMode: SCARD_SHARE_SHARED (other programs may use the card between our transactions) or
// SCARD_SHARE_EXCLUSIVE (nobody else may connect while we hold it).
enum class ShareMode { kShared, kExclusive };
// Protocol: which protocol to accept. Contactless cards behind CCID readers run T=1.
enum class Protocol { kAny, kT1, kT0 };

// ConnectOptions: how to connect.
struct ConnectOptions {
  ShareMode share = ShareMode::kShared;
  Protocol protocol = Protocol::kAny;
  LengthPolicy length = LengthPolicy::kAuto;
  // hold_transaction: hold one PC/SC transaction from connect to close (re-taken after a
  // reconnect), so no other program interleaves APDUs with ours during a whole session.
  bool hold_transaction = false;
  // check_swap: outside a transaction, compare the reader's insert/remove counter before every
  // transmit, so a card swapped between two operations is reported (kCardRemoved "card was
  // swapped"), never taken for the same card. Costs one pcscd round trip per APDU.
  bool check_swap = true;
  // removal_settle: after a failed exchange that a card leaving mid-command would explain
  // (SCARD_E_NOT_TRANSACTED, a communication error, an answer without status word), how long
  // to wait for the reader to report the removal before calling it a link error. Readers poll
  // card presence (vpcd at its next poll, CCID readers on their interrupt endpoint).
  std::chrono::milliseconds removal_settle{1500};
  // reset_on_close: disconnect with SCARD_RESET_CARD instead of SCARD_LEAVE_CARD, so the card
  // is left as found (nothing selected, no session) for the next program: for probes.
  bool reset_on_close = false;
};

class PcscTransport;

// Transaction: an open SCardBeginTransaction on a PcscTransport, ended (SCARD_LEAVE_CARD) by
// end() or the destructor. Transactions nest: only the outermost one talks to pcscd. Move-only;
// must not outlive its transport.
class [[nodiscard]] Transaction {
 public:
  Transaction(Transaction&& other) noexcept : owner_(other.owner_), generation_(other.generation_) {
    other.owner_ = nullptr;
  }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();
  // Transaction::end: ends it now; the error of SCardEndTransaction (kCardRemoved when the card
  // left meanwhile). Idempotent; a no-op after the transport reconnected or closed (which ended
  // every transaction).
  Status end();

 private:
  friend class PcscTransport;
  Transaction(PcscTransport* owner, uint64_t generation) : owner_(owner), generation_(generation) {}
  PcscTransport* owner_;
  uint64_t generation_;
};

// PcscTransport: one connected card. Keeps its Context alive. Not thread-safe (one session at a
// time) except cancel().
class PcscTransport : public apdu::Transport {
 public:
  // PcscTransport::connect: connects to `reader` (an exact pcscd reader name) on `context`,
  // records the reader's insert/remove counter, and asks the reader which APDU lengths it
  // carries. kNoCard (no card), kSharingViolation (another program holds it exclusively),
  // kDeviceGone (unknown reader), kServiceUnavailable, kCancelled.
  static Result<std::unique_ptr<PcscTransport>> connect(std::shared_ptr<Context> context,
                                                        const std::string& reader,
                                                        const ConnectOptions& options = {});
  ~PcscTransport() override;

  // PcscTransport::transmit: SCardTransmit. A command too long for the current capabilities
  // fails with kNotSupported before anything is sent. If the reader fails an extended-length
  // APDU (SCARD_E_NOT_TRANSACTED, SCARD_F_COMM_ERROR, SCARD_E_INSUFFICIENT_BUFFER, ...) while
  // the card is still there, the transport falls back to short APDUs for the rest of the
  // session: capabilities() shrink, last_length_fallback() names the command, and this transmit
  // fails with kTransport so the caller can resize and resend. kCardRemoved (with "card was
  // swapped" when another card is now present), kCardReset, kDeviceGone, kCancelled, kState
  // after close().
  Result<apdu::ResponseApdu> transmit(const apdu::CommandApdu& command) override;
  Bytes atr() const override { return atr_; }
  apdu::TransportCaps capabilities() const override { return caps_; }
  // PcscTransport::reconnect: waits up to `timeout` for a card in the reader, then reconnects:
  // with SCARD_LEAVE_CARD when a card was newly presented (it is freshly powered), with
  // SCARD_RESET_CARD when the same card stayed (to drop its state: secure messaging, selected
  // files); if the handle is no longer usable, disconnects and connects again. The insert/remove
  // counter and the ATR are taken anew (a different card is the caller's to detect), a held
  // transaction is taken again. A length fallback stays (it is the reader's limit). kTimeout,
  // kCancelled, kDeviceGone, kSharingViolation.
  Status reconnect(std::chrono::milliseconds timeout) override;
  // PcscTransport::close: ends any transaction and disconnects (SCARD_LEAVE_CARD, or
  // SCARD_RESET_CARD with reset_on_close). Idempotent.
  Status close() override;
  // PcscTransport::describe: "pcsc:READER NAME".
  std::string describe() const override { return "pcsc:" + reader_; }

  // PcscTransport::begin_transaction: SCardBeginTransaction (waits while another program holds
  // one), then checks that the card was not swapped since connect. Errors as transmit().
  Result<Transaction> begin_transaction();

  // PcscTransport::contactless_uid: the card's UID (or PUPI / random ID) through the PC/SC
  // part 3 pseudo-APDU GET DATA FF CA 00 00 00, answered by the reader. kNotSupported when the
  // reader does not offer it (contact readers, SW 6A81 / 6D00 / 6E00 ...).
  Result<Bytes> contactless_uid();
  // PcscTransport::contactless_historical_bytes: the ATS historical bytes (Type A) or the
  // ATQB application data (Type B) through FF CA 01 00 00 (PC/SC part 3). Errors as above.
  Result<Bytes> contactless_historical_bytes();

  // PcscTransport::reader: the pcscd reader name.
  const std::string& reader() const { return reader_; }
  // PcscTransport::protocol: SCARD_PROTOCOL_T0 or SCARD_PROTOCOL_T1.
  DWORD protocol() const { return protocol_; }
  // PcscTransport::length_info: what the reader said about APDU lengths.
  const ReaderLengthInfo& length_info() const { return length_info_; }
  // PcscTransport::last_length_fallback: the command (hex header and lengths) after which the
  // transport fell back to short APDUs, if it did.
  const std::optional<std::string>& last_length_fallback() const { return fallback_; }
  // PcscTransport::cancel: Context::cancel() on this transport's context (any thread).
  void cancel() noexcept { context_->cancel(); }
  // PcscTransport::context: the context this transport lives in.
  const std::shared_ptr<Context>& context() const { return context_; }

 private:
  friend class Transaction;
  PcscTransport(std::shared_ptr<Context> context, std::string reader, ConnectOptions options)
      : context_(std::move(context)), reader_(std::move(reader)), options_(options) {}
  Status after_connect();
  void probe_lengths();
  Status check_same_card(std::string_view what);
  bool card_left(std::chrono::milliseconds settle);
  Error card_error(LONG rc, std::string_view what);
  Status begin_raw();
  Status end_raw();
  void drop_transactions();
  Result<Bytes> pseudo_get_data(uint8_t p1, const char* what);
  DWORD share_flag() const;
  DWORD protocol_flags() const;

  std::shared_ptr<Context> context_;
  std::string reader_;
  ConnectOptions options_;
  SCARDHANDLE card_ = 0;
  bool connected_ = false;
  DWORD protocol_ = 0;
  Bytes atr_;
  uint16_t event_count_ = 0;
  ReaderLengthInfo length_info_;
  apdu::TransportCaps caps_;
  bool fell_back_ = false;
  std::optional<std::string> fallback_;
  int transaction_depth_ = 0;
  uint64_t generation_ = 0;  // bumped when reconnect / close end every transaction
  std::optional<Transaction> held_;
};

}  // namespace idtap::pcsc
