// idtap/nfc/transport.h: a libnfc reader and the card in its field as an apdu::Transport (the
// `nfc:` reader selector).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "idtap/apdu/transport.h"
#include "idtap/base/result.h"
#include "idtap/nfc/device.h"
#include "idtap/nfc/target.h"

namespace idtap::nfc {

// NfcTransportOptions: which device, how long to wait for a card and for each answer.
struct NfcTransportOptions {
  std::string connstring;                         // libnfc connection string; "" = libnfc's default device
  std::chrono::milliseconds card_wait{0};         // open(): how long to wait for a card (0 = one polling round)
  std::chrono::milliseconds exchange_timeout{10000};  // per APDU (slow chip operations such as RSA AA take seconds)
  PollOptions poll;                               // card types and polling interval
};

// NfcTransport: the card selected on one libnfc device. Capabilities are honest: short APDUs
// only, sized by the device's frame limit (kPn53xMaxFrameData); the card's FSC is reported by
// card_frame_size() (the PN53x firmware chains ISO/IEC 14443-4 blocks to it). Not thread-safe.
class NfcTransport final : public apdu::Transport {
 public:
  // NfcTransport::open: opens the device, waits up to `card_wait` for an ISO/IEC 14443-4 card.
  // Errors: those of NfcDevice::open (kNoReader, kSharingViolation with the pn533 hint),
  // kNoCard when no card came, kDeviceGone, kTransport; kMalformed when the card's ATS does not
  // parse.
  static Result<std::unique_ptr<NfcTransport>> open(const NfcTransportOptions& options);
  // NfcTransport::adopt: wraps an open device whose target is selected (kState when none).
  static Result<std::unique_ptr<NfcTransport>> adopt(std::unique_ptr<NfcDevice> device, const NfcTransportOptions& options);

  // transmit: sends `command` to the card, except the PC/SC part 3 GET DATA pseudo-APDU
  // (FF CA: UID, ATS historical bytes), which the reader answers itself as a PC/SC reader does.
  // kInvalidArgument for an APDU that needs extended length or exceeds the capabilities;
  // kCardRemoved, kTimeout, kDeviceGone, kTransport from the device; kState once closed;
  // kCardRemoved again after the card left (until reconnect()).
  Result<apdu::ResponseApdu> transmit(const apdu::CommandApdu& command) override;
  // atr: the PC/SC part 3 ATR synthesized from the ATS / ATQB.
  Bytes atr() const override { return atr_; }
  apdu::TransportCaps capabilities() const override { return caps_; }
  // reconnect: ends the session and polls until `timeout` for a card (a fresh activation:
  // nothing selected, no secure messaging). kTimeout when none came, kDeviceGone.
  Status reconnect(std::chrono::milliseconds timeout) override;
  Status close() override;
  // describe: "nfc:pn532_uart:/dev/ttyUSB0".
  std::string describe() const override;

  // NfcTransport::target: the card as activated (UID/PUPI, ATQA/SAK or ATQB, ATS).
  const TargetInfo& target() const { return target_; }
  // NfcTransport::card_frame_size: the card's FSC in bytes (from its ATS or ATQB).
  size_t card_frame_size() const { return fsc_; }
  // NfcTransport::device: the underlying device (for presence checks).
  NfcDevice& device() { return *device_; }

 private:
  NfcTransport(std::unique_ptr<NfcDevice> device, NfcTransportOptions options);
  Status take_target(const TargetInfo& target);

  std::unique_ptr<NfcDevice> device_;
  NfcTransportOptions options_;
  TargetInfo target_;
  Bytes atr_;
  apdu::TransportCaps caps_;
  size_t fsc_ = 32;
  bool card_lost_ = false;
  bool device_gone_ = false;
  bool closed_ = false;
};

// open_nfc_transport: NfcTransport::open as a plain Transport, for the reader selector.
Result<std::unique_ptr<apdu::Transport>> open_nfc_transport(const NfcTransportOptions& options);

}  // namespace idtap::nfc
