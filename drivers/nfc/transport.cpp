#include "idtap/nfc/transport.h"

#include "idtap/base/hex.h"
#include "idtap/nfc/pcsc_bridge.h"

namespace idtap::nfc {

NfcTransport::NfcTransport(std::unique_ptr<NfcDevice> device, NfcTransportOptions options)
    : device_(std::move(device)), options_(std::move(options)) {}

Status NfcTransport::take_target(const TargetInfo& target) {
  IDTAP_ASSIGN_OR_RETURN(Bytes atr, synthesize_atr(target));
  IDTAP_ASSIGN_OR_RETURN(size_t fsc, nfc::card_frame_size(target));
  target_ = target;
  atr_ = std::move(atr);
  fsc_ = fsc;
  caps_ = transport_caps_for(device_->max_frame_data());
  card_lost_ = false;
  return ok_status();
}

Result<std::unique_ptr<NfcTransport>> NfcTransport::adopt(std::unique_ptr<NfcDevice> device,
                                                          const NfcTransportOptions& options) {
  if (!device || !device->target()) return make_error(ErrorCode::kState, "NfcTransport::adopt: no card selected");
  const TargetInfo target = *device->target();
  std::unique_ptr<NfcTransport> t(new NfcTransport(std::move(device), options));
  IDTAP_TRY(t->take_target(target));
  return t;
}

Result<std::unique_ptr<NfcTransport>> NfcTransport::open(const NfcTransportOptions& options) {
  IDTAP_ASSIGN_OR_RETURN(std::shared_ptr<NfcContext> context, NfcContext::create());
  IDTAP_ASSIGN_OR_RETURN(std::unique_ptr<NfcDevice> device, NfcDevice::open(context, options.connstring));
  IDTAP_ASSIGN_OR_RETURN(std::optional<TargetInfo> target, device->poll(options.card_wait, options.poll));
  if (!target) return make_error(ErrorCode::kNoCard, "no ISO/IEC 14443-4 card on " + device->connstring());
  return adopt(std::move(device), options);
}

Result<apdu::ResponseApdu> NfcTransport::transmit(const apdu::CommandApdu& command) {
  if (closed_) return make_error(ErrorCode::kState, describe() + " is closed");
  if (device_gone_) return make_error(ErrorCode::kDeviceGone, "the reader behind " + describe() + " is gone");
  if (card_lost_) return make_error(ErrorCode::kCardRemoved, "the card left " + describe() + " (reconnect first)");
  if (command.needs_extended())
    return make_error(ErrorCode::kInvalidArgument, "libnfc readers carry short APDUs only (Nc " +
                                                       std::to_string(command.data.size()) + ", Ne " +
                                                       std::to_string(command.ne) + ")");
  if (command.data.size() > caps_.max_command_data || command.ne > caps_.max_response_data)
    return make_error(ErrorCode::kInvalidArgument, "APDU exceeds what " + describe() + " carries");
  IDTAP_ASSIGN_OR_RETURN(Bytes wire, command.encode());
  // CLA FF is the reader's, never the card's (PC/SC part 3 pseudo-APDUs): GET DATA answers the
  // UID and the ATS historical bytes from what the activation told us.
  if (auto local = answer_pseudo_apdu(wire, target_)) return apdu::ResponseApdu::parse(*local);
  auto rx = device_->transceive(wire, options_.exchange_timeout);
  if (!rx.ok()) {
    const ErrorCode code = rx.error().code;
    if (code == ErrorCode::kCardRemoved) card_lost_ = true;
    if (code == ErrorCode::kDeviceGone) device_gone_ = true;
    return std::move(rx).error();
  }
  auto response = apdu::ResponseApdu::parse(*rx);
  if (!response.ok()) return response.error().with_context("card answer on " + describe());
  return response;
}

Status NfcTransport::reconnect(std::chrono::milliseconds timeout) {
  if (closed_) return make_error(ErrorCode::kState, describe() + " is closed");
  auto deselected = device_->deselect();
  if (!deselected.ok() && deselected.error().code == ErrorCode::kDeviceGone) return deselected;
  IDTAP_ASSIGN_OR_RETURN(std::optional<TargetInfo> target, device_->poll(timeout, options_.poll));
  if (!target) return make_error(ErrorCode::kTimeout, "no card came back to " + describe());
  return take_target(*target);
}

Status NfcTransport::close() {
  if (closed_) return ok_status();
  closed_ = true;
  (void)device_->close();
  return ok_status();
}

std::string NfcTransport::describe() const { return "nfc:" + device_->connstring(); }

Result<std::unique_ptr<apdu::Transport>> open_nfc_transport(const NfcTransportOptions& options) {
  IDTAP_ASSIGN_OR_RETURN(std::unique_ptr<NfcTransport> t, NfcTransport::open(options));
  return std::unique_ptr<apdu::Transport>(std::move(t));
}

}  // namespace idtap::nfc
