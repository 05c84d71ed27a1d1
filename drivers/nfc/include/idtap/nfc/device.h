// idtap/nfc/device.h: libnfc readers (PN53x boards and USB sticks, ACR122U in direct mode) as
// objects: a context owning nfc_context, a device owning nfc_device in initiator mode, polling
// for ISO/IEC 14443-4 cards and raw APDU exchange. The libnfc headers stay in the .cpp files.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/nfc/target.h"

struct nfc_context;  // libnfc's opaque types (nfc/nfc-types.h)
struct nfc_device;

namespace idtap::nfc {

// NfcContext: a handle on the process's libnfc context (nfc_init .. nfc_exit). libnfc keeps its
// driver registry process-wide and any nfc_exit empties it for every context, so there is one
// libnfc context per process: the first live handle sets it up, the last one tears it down.
// Devices keep their handle alive through a shared_ptr. Use one handle from one thread at a
// time. Handles in different threads may list and open devices at once: those calls (and
// nfc_init / nfc_exit) are serialized process-wide, because libnfc's USB scan works on
// libusb-0.1's global state.
class NfcContext {
 public:
  // NfcContext::create: a new handle; nfc_init when no other handle is alive. kInternal when
  // libnfc cannot set up (bad configuration file, out of memory). libnfc reads its
  // configuration (/etc/nfc/libnfc.conf, LIBNFC_* variables) in that nfc_init: while a handle
  // is alive, later changes to them are not seen.
  static Result<std::shared_ptr<NfcContext>> create();
  ~NfcContext();
  NfcContext(const NfcContext&) = delete;
  NfcContext& operator=(const NfcContext&) = delete;

  // NfcContext::list_devices: the connection strings libnfc finds, at most `max`: configured
  // devices first (LIBNFC_DEVICE, LIBNFC_DEFAULT_DEVICE, libnfc.conf), then auto-detected USB
  // readers; serial boards only when allow_intrusive_scan is set. Empty when there are none.
  // A USB reader the kernel's pn533 driver holds is not listed.
  std::vector<std::string> list_devices(size_t max = 16);

  // NfcContext::get: the raw context, shared by every handle, valid while this one lives.
  nfc_context* get() const { return context_; }

 private:
  explicit NfcContext(nfc_context* context) : context_(context) {}
  nfc_context* context_;
};

// OpenFailureFacts: what the system says about a device nfc_open() refused; gathered by
// gather_open_failure_facts(), judged by diagnose_open_failure() (separate so it can be tested).
struct OpenFailureFacts {
  std::string connstring;          // as asked ("" for the default device)
  size_t devices_listed = 0;       // how many devices libnfc lists
  bool kernel_pn533_bound = false;  // the kernel's pn533_usb driver holds a USB reader (see pn533_holds_a_reader)
  bool serial_path_exists = false;   // for serial connstrings: the port exists
  bool serial_claimed = false;       // another idtap program holds the port (its flock)
};

// gather_open_failure_facts: reads /sys/bus/usb/drivers and the serial port (without claiming it).
OpenFailureFacts gather_open_failure_facts(NfcContext& context, std::string_view connstring);

// pn533_holds_a_reader: whether the kernel's pn533_usb driver has a USB interface bound, i.e.
// SYSFS_ROOT/bus/usb/drivers/pn533_usb/ holds an interface entry ("1-1.2:1.0"). The module being
// loaded with nothing bound takes no reader from libnfc. `sysfs_root` is "/sys" (a test passes a
// fake tree). false when the directory is missing or unreadable.
bool pn533_holds_a_reader(const std::string& sysfs_root);

// diagnose_open_failure: the typed error for a failed open: kNoReader (nothing there, or nothing
// answered), kSharingViolation (the kernel's pn533 module or another program holds the device:
// the context says how to free it, pointing at udev/idtap-blacklist-pn533.conf).
Error diagnose_open_failure(const OpenFailureFacts& facts);

// connstring_bus: "usb", "serial", "spi", "i2c" or "" from a libnfc connection string's driver
// name ("pn532_uart:/dev/ttyUSB0" -> "serial").
std::string connstring_bus(std::string_view connstring);

// PollOptions: which card types poll() looks for, and how often it asks the chip.
struct PollOptions {
  bool type_a = true;
  bool type_b = true;
  std::chrono::milliseconds interval{100};  // pause between polling rounds
  // cancelled: asked between polling rounds (from the polling thread); true ends poll() with
  // kCancelled. It must only read state another thread sets (an atomic flag).
  std::function<bool()> cancelled;
};

// NfcDevice: one open libnfc device in initiator (reader) mode, owning its nfc_device; keeps its
// context alive. Not thread-safe. Once the device has gone (unplugged, port closed) every call
// fails fast with kDeviceGone.
class NfcDevice {
 public:
  // NfcDevice::open: nfc_open (the default device when `connstring` is empty), then initiator
  // mode with the RF field on, bounded (not infinite) selection, automatic ISO/IEC 14443-4
  // activation. Errors: see diagnose_open_failure(); kTransport when initiator set-up fails.
  static Result<std::unique_ptr<NfcDevice>> open(std::shared_ptr<NfcContext> context, std::string_view connstring);
  ~NfcDevice();
  NfcDevice(const NfcDevice&) = delete;
  NfcDevice& operator=(const NfcDevice&) = delete;

  // NfcDevice::connstring / name: libnfc's connection string and device name ("pn532_uart:/dev/pts/3").
  const std::string& connstring() const;
  const std::string& name() const;
  // NfcDevice::max_frame_data: the most APDU bytes one exchange carries each way
  // (kPn53xMaxFrameData for libnfc's PN53x drivers).
  size_t max_frame_data() const;

  // NfcDevice::poll: looks for an ISO/IEC 14443-4 card (Type A then Type B, as `options` say)
  // until `timeout` has passed (at least one round); the card found becomes the selected target.
  // nullopt when none came (a card without ISO/IEC 14443-4 is ignored). Errors: kDeviceGone,
  // kTransport, kCancelled (options.cancelled said so).
  Result<std::optional<TargetInfo>> poll(std::chrono::milliseconds timeout, const PollOptions& options = {});
  // NfcDevice::target: the selected card, if any.
  const std::optional<TargetInfo>& target() const;
  // NfcDevice::target_present: whether the selected card still answers (the chip's ISO/IEC
  // 14443-4 presence check). false (and the target dropped) when it left. kState without a
  // target; kDeviceGone.
  Result<bool> target_present();
  // NfcDevice::transceive: sends one command APDU (wire bytes) to the selected card and returns
  // its response (data || SW). kInvalidArgument when `command` exceeds max_frame_data(); kState
  // without a target; kCardRemoved when the card left (the target is dropped); kTimeout when no
  // answer came in `timeout`; kDeviceGone; kTransport for other link errors.
  Result<Bytes> transceive(ByteView command, std::chrono::milliseconds timeout);
  // NfcDevice::deselect: ends the card session (ISO/IEC 14443-4 DESELECT) and drops the target;
  // the card stays in the field and poll() finds it again. Succeeds when there is no target.
  Status deselect();
  // NfcDevice::close: releases the target, idles the chip (RF off) and closes the device.
  // Idempotent; later calls fail with kState.
  Status close();

 private:
  struct Impl;
  explicit NfcDevice(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace idtap::nfc
