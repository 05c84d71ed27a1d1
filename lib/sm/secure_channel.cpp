#include "idtap/sm/secure_channel.h"

#include "idtap/apdu/exchange.h"

namespace idtap::sm {
namespace {

const char* alg_name(crypto::CipherAlg alg) {
  switch (alg) {
    case crypto::CipherAlg::kTdes: return "3DES";
    case crypto::CipherAlg::kAes128: return "AES-128";
    case crypto::CipherAlg::kAes192: return "AES-192";
    case crypto::CipherAlg::kAes256: return "AES-256";
  }
  return "?";
}

}  // namespace

SecureChannel::SecureChannel(apdu::Transport& wrapped, std::unique_ptr<apdu::Transport> owned,
                             TerminalSecureMessaging sm)
    : wrapped_(wrapped), owned_(std::move(owned)), sm_(std::move(sm)) {}

SecureChannel::~SecureChannel() = default;

Result<std::unique_ptr<SecureChannel>> SecureChannel::create(apdu::Transport& wrapped, const SessionKeys& keys) {
  IDTAP_ASSIGN_OR_RETURN(TerminalSecureMessaging sm, TerminalSecureMessaging::create(keys));
  return std::unique_ptr<SecureChannel>(new SecureChannel(wrapped, nullptr, std::move(sm)));
}

Result<std::unique_ptr<SecureChannel>> SecureChannel::create(std::unique_ptr<apdu::Transport> wrapped,
                                                             const SessionKeys& keys) {
  if (!wrapped) return make_error(ErrorCode::kInvalidArgument, "no transport to wrap");
  IDTAP_ASSIGN_OR_RETURN(TerminalSecureMessaging sm, TerminalSecureMessaging::create(keys));
  apdu::Transport& ref = *wrapped;
  return std::unique_ptr<SecureChannel>(new SecureChannel(ref, std::move(wrapped), std::move(sm)));
}

Error SecureChannel::kill(Error error) {
  if (!closed_reason_) closed_reason_ = error.message();
  return error;
}

Result<apdu::ResponseApdu> SecureChannel::transmit(const apdu::CommandApdu& command) {
  if (closed_reason_) return make_error(ErrorCode::kState, "secure channel closed after " + *closed_reason_);
  // PC/SC part 3 pseudo-APDUs (CLA FF) are answered by the reader, never by the card.
  if (command.cla == 0xFF) return wrapped_.transmit(command);
  const apdu::TransportCaps caps = wrapped_.capabilities();
  const WrapOptions options{.extended_length = caps.extended_length, .max_command_data = caps.max_command_data};
  // A command that cannot be protected is refused before the SSC moves (kInvalidArgument): the
  // channel stays open. Any other failure came after the SSC moved.
  auto wrapped_command = sm_.wrap_command(command, options);
  if (!wrapped_command.ok()) {
    if (wrapped_command.error().code == ErrorCode::kInvalidArgument) return std::move(wrapped_command).error();
    return kill(std::move(wrapped_command).error());
  }
  const apdu::CommandApdu& protected_command = *wrapped_command;
  // 61xx is transport-level (T=0): GET RESPONSE goes in plain and the data is concatenated
  // before unwrapping. 6Cxx is not followed: a protected command always says Le = 00.
  auto response = apdu::exchange(wrapped_, protected_command,
                                 apdu::ExchangeOptions{.follow_get_response = true, .resend_on_wrong_le = false});
  if (!response.ok()) return kill(std::move(response).error());
  auto plain = sm_.unwrap_response(*response);
  if (!plain.ok()) return kill(std::move(plain).error());
  return plain;
}

Bytes SecureChannel::atr() const { return wrapped_.atr(); }

apdu::TransportCaps SecureChannel::capabilities() const {
  return plaintext_caps(wrapped_.capabilities(), sm_.suite().alg());
}

Status SecureChannel::reconnect(std::chrono::milliseconds timeout) {
  Status st = wrapped_.reconnect(timeout);
  if (!closed_reason_) closed_reason_ = "the card was reconnected (a fresh card session has no secure messaging)";
  return st;
}

Status SecureChannel::close() {
  if (!closed_reason_) closed_reason_ = "close()";
  if (owned_) return owned_->close();
  return ok_status();
}

std::string SecureChannel::describe() const {
  return std::string("sm(") + alg_name(sm_.suite().alg()) + ") over " + wrapped_.describe();
}

Status SecureChannel::rekey(const SessionKeys& keys) {
  if (closed_reason_) return make_error(ErrorCode::kState, "secure channel closed after " + *closed_reason_);
  IDTAP_ASSIGN_OR_RETURN(TerminalSecureMessaging fresh, TerminalSecureMessaging::create(keys));
  sm_ = std::move(fresh);
  return ok_status();
}

}  // namespace idtap::sm
