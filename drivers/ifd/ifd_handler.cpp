// drivers/ifd: a pcsc-lite IFD handler (ifdhandler.h, API 3.0) that presents each libnfc device
// as a PC/SC reader with one contactless slot.
//
// - No activation step: the device opens in IFDHCreateChannel(ByName).
// - Card presence by polling (pcscd asks IFDHICCPresence every few hundred milliseconds): the
//   chip's ISO/IEC 14443-4 presence check while a card is selected, one polling round when not.
// - The ATR is synthesized per PC/SC part 3 from the ATS / ATQB; APDUs pass through; the reader
//   answers the GET DATA pseudo-APDU (FF CA) itself.
// - IFD_NO_SUCH_DEVICE once the device is gone (unplugged, port closed); it is opened again when
//   it comes back.
// - Several readers at once: all state is per Lun. The one shared object is the Lun table, which
//   pcsc-lite's flat C model requires; its mutex is held only to find, add or remove an entry,
//   never during I/O. Listing and opening libnfc devices (also the reopen of a device that came
//   back) take one process-wide lock inside drivers/nfc, as libnfc's USB scan is not thread-safe;
//   exchanges do not. Each reader has its own mutex, and every libnfc call is bounded by a
//   timeout, so IFDHCloseChannel always returns (no shutdown deadlock: no thread of ours, no
//   infinite select, no nfc_abort_command).
extern "C" {  // pcsc-lite's driver headers are C without C++ guards
#include <debuglog.h>
#include <ifdhandler.h>
#include <reader.h>
}

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "idtap/nfc/device.h"
#include "idtap/nfc/pcsc_bridge.h"
#include "idtap/nfc/target.h"

// log_msg: pcscd's logger (debuglog.h), present when pcscd loads us; weak so the handler also
// loads elsewhere (the tests dlopen it), where messages go to stderr.
extern "C" void log_msg(const int priority, const char* fmt, ...) __attribute__((weak));

namespace {

using namespace idtap;
using namespace std::chrono_literals;

constexpr DWORD kMaxReaders = 16;
constexpr auto kExchangeTimeout = 10000ms;   // one APDU (slow card operations take seconds)
constexpr auto kReactivateWait = 500ms;      // a reset looks this long for the card again
constexpr auto kReopenInterval = 1000ms;     // how often a gone device is looked for again

void log(int priority, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void log(int priority, const char* fmt, ...) {
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  if (log_msg != nullptr) {
    log_msg(priority, "idtap_ifd: %s", text);
  } else if (priority >= PCSC_LOG_ERROR) {
    std::fprintf(stderr, "idtap_ifd: %s\n", text);
  }
}

// Reader: one libnfc device and the card in its field. `io` serializes every call on it.
struct Reader {
  std::mutex io;
  DWORD lun = 0;
  std::string device_name;  // as pcscd gave it
  std::string connstring;   // libnfc's ("" = default device)
  std::shared_ptr<nfc::NfcContext> context;
  std::unique_ptr<nfc::NfcDevice> device;  // null while gone
  std::optional<nfc::TargetInfo> card;     // the selected card
  Bytes atr;
  bool powered = false;  // IFD_POWER_UP done, no IFD_POWER_DOWN since
  bool fresh = false;    // activated and not used since: a power-up need not activate again
  bool removal_unreported = false;  // a transmit saw the card leave; IFDHICCPresence has not said so
  std::chrono::steady_clock::time_point next_reopen{};

  void forget_card() {
    card.reset();
    atr.clear();
    powered = false;
    fresh = false;
  }
  void mark_gone(const Error& e) {
    if (device) log(PCSC_LOG_ERROR, "reader %s gone: %s", connstring.c_str(), e.message().c_str());
    forget_card();
    device.reset();
    next_reopen = std::chrono::steady_clock::now() + kReopenInterval;
  }
  // alive: the device, opened again if it had gone and is back. false while gone.
  bool alive() {
    if (device) return true;
    if (std::chrono::steady_clock::now() < next_reopen) return false;
    next_reopen = std::chrono::steady_clock::now() + kReopenInterval;
    auto reopened = nfc::NfcDevice::open(context, connstring);
    if (!reopened.ok()) return false;
    device = std::move(*reopened);
    log(PCSC_LOG_INFO, "reader %s is back", connstring.c_str());
    return true;
  }
  // take: adopts the card `found` (selected by a poll).
  bool take(const nfc::TargetInfo& found) {
    auto synthesized = nfc::synthesize_atr(found);
    if (!synthesized.ok()) return false;
    card = found;
    atr = std::move(*synthesized);
    fresh = true;
    return true;
  }
};

// LunTable: the readers by Lun. Never destroyed (pcscd closes every channel before it exits;
// a destructor running at exit must not touch devices).
class LunTable {
 public:
  std::shared_ptr<Reader> find(DWORD lun) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = readers_.find(lun);
    return it == readers_.end() ? nullptr : it->second;
  }
  bool add(DWORD lun, std::shared_ptr<Reader> reader) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (readers_.count(lun) || readers_.size() >= kMaxReaders) return false;
    readers_[lun] = std::move(reader);
    return true;
  }
  std::shared_ptr<Reader> take(DWORD lun) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = readers_.find(lun);
    if (it == readers_.end()) return nullptr;
    auto reader = std::move(it->second);
    readers_.erase(it);
    return reader;
  }

 private:
  std::mutex mutex_;
  std::map<DWORD, std::shared_ptr<Reader>> readers_;
};

LunTable& luns() {
  static LunTable* table = new LunTable;  // see LunTable: deliberately never freed
  return *table;
}

RESPONSECODE put(PUCHAR value, PDWORD length, ByteView bytes) {
  if (length == nullptr || (value == nullptr && !bytes.empty())) return IFD_COMMUNICATION_ERROR;
  if (*length < bytes.size()) return IFD_ERROR_INSUFFICIENT_BUFFER;
  if (!bytes.empty()) std::memcpy(value, bytes.data(), bytes.size());
  *length = static_cast<DWORD>(bytes.size());
  return IFD_SUCCESS;
}

RESPONSECODE put_dword(PUCHAR value, PDWORD length, uint32_t v) {
  if (length == nullptr || value == nullptr) return IFD_COMMUNICATION_ERROR;
  if (*length < sizeof(DWORD)) return IFD_ERROR_INSUFFICIENT_BUFFER;
  const DWORD d = v;
  std::memcpy(value, &d, sizeof d);
  *length = sizeof d;
  return IFD_SUCCESS;
}

RESPONSECODE open_channel(DWORD lun, std::string_view device_name) {
  if (luns().find(lun)) {
    log(PCSC_LOG_ERROR, "Lun %lX is already open", static_cast<unsigned long>(lun));
    return IFD_COMMUNICATION_ERROR;
  }
  auto reader = std::make_shared<Reader>();
  reader->lun = lun;
  reader->device_name = std::string(device_name);
  auto context = nfc::NfcContext::create();
  if (!context.ok()) {
    log(PCSC_LOG_ERROR, "%s", context.error().message().c_str());
    return IFD_COMMUNICATION_ERROR;
  }
  reader->context = *context;
  std::vector<std::string> listed;
  if (device_name.substr(0, 4) == "usb:") listed = reader->context->list_devices();
  auto connstring = nfc::connstring_for_device_name(device_name, listed);
  if (!connstring.ok()) {
    log(PCSC_LOG_ERROR, "%s", connstring.error().message().c_str());
    return IFD_NO_SUCH_DEVICE;
  }
  reader->connstring = *connstring;
  auto device = nfc::NfcDevice::open(reader->context, reader->connstring);
  if (!device.ok()) {
    log(PCSC_LOG_ERROR, "Lun %lX: %s", static_cast<unsigned long>(lun), device.error().message().c_str());
    return device.error().code == ErrorCode::kNoReader ? IFD_NO_SUCH_DEVICE : IFD_COMMUNICATION_ERROR;
  }
  reader->device = std::move(*device);
  reader->connstring = reader->device->connstring();
  if (!luns().add(lun, reader)) {
    log(PCSC_LOG_ERROR, "Lun %lX already open or too many readers", static_cast<unsigned long>(lun));
    return IFD_COMMUNICATION_ERROR;
  }
  log(PCSC_LOG_INFO, "Lun %lX: %s (%s)", static_cast<unsigned long>(lun), reader->device->name().c_str(),
      reader->connstring.c_str());
  return IFD_SUCCESS;
}

// activate: makes sure a card is selected and in a fresh session (a power-up or reset).
RESPONSECODE activate(Reader& r, bool force_new_session) {
  if (!r.alive()) return IFD_NO_SUCH_DEVICE;
  if (r.card && r.fresh && !force_new_session) return IFD_SUCCESS;
  if (r.card) {
    auto deselected = r.device->deselect();
    if (!deselected.ok() && deselected.error().code == ErrorCode::kDeviceGone) {
      r.mark_gone(deselected.error());
      return IFD_NO_SUCH_DEVICE;
    }
  }
  r.forget_card();
  auto found = r.device->poll(kReactivateWait);
  if (!found.ok()) {
    if (found.error().code == ErrorCode::kDeviceGone) {
      r.mark_gone(found.error());
      return IFD_NO_SUCH_DEVICE;
    }
    return IFD_COMMUNICATION_ERROR;
  }
  if (!found->has_value() || !r.take(**found)) return IFD_ERROR_POWER_ACTION;
  return IFD_SUCCESS;
}

}  // namespace

extern "C" {

RESPONSECODE IFDHCreateChannelByName(DWORD Lun, LPSTR DeviceName) {
  return open_channel(Lun, DeviceName != nullptr ? DeviceName : "");
}

RESPONSECODE IFDHCreateChannel(DWORD Lun, DWORD Channel) {
  // A channel number means nothing to libnfc: the reader is libnfc's default device.
  (void)Channel;
  return open_channel(Lun, "");
}

RESPONSECODE IFDHCloseChannel(DWORD Lun) {
  std::shared_ptr<Reader> reader = luns().take(Lun);
  if (!reader) return IFD_SUCCESS;
  std::lock_guard<std::mutex> lock(reader->io);  // waits for a call in flight (bounded)
  if (reader->device) (void)reader->device->close();
  reader->device.reset();
  reader->forget_card();
  return IFD_SUCCESS;
}

RESPONSECODE IFDHGetCapabilities(DWORD Lun, DWORD Tag, PDWORD Length, PUCHAR Value) {
  if (Length == nullptr) return IFD_COMMUNICATION_ERROR;
  switch (Tag) {
    case TAG_IFD_SIMULTANEOUS_ACCESS: return put(Value, Length, Bytes{static_cast<uint8_t>(kMaxReaders)});
    case TAG_IFD_THREAD_SAFE: return put(Value, Length, Bytes{1});       // readers are independent
    case TAG_IFD_SLOTS_NUMBER: return put(Value, Length, Bytes{1});
    case TAG_IFD_SLOT_THREAD_SAFE: return put(Value, Length, Bytes{0});
    case SCARD_ATTR_VENDOR_NAME: return put(Value, Length, bytes_of("idtap"));
    case SCARD_ATTR_VENDOR_IFD_VERSION: return put_dword(Value, Length, 0x00010000);  // 0.1.0: 0xMMmmbbbb
    case SCARD_ATTR_MAXINPUT: return put_dword(Value, Length, static_cast<uint32_t>(nfc::kPn53xMaxFrameData));
    default: break;
  }
  std::shared_ptr<Reader> reader = luns().find(Lun);
  if (!reader) return IFD_COMMUNICATION_ERROR;
  std::lock_guard<std::mutex> lock(reader->io);
  switch (Tag) {
    case TAG_IFD_ATR:
    case SCARD_ATTR_ATR_STRING:
      return put(Value, Length, reader->atr);
    case SCARD_ATTR_ICC_PRESENCE:  // 0 absent, 2 present (as pcscd's CCID driver reports it)
      return put(Value, Length, Bytes{static_cast<uint8_t>(reader->card ? 2 : 0)});
    case SCARD_ATTR_ICC_INTERFACE_STATUS:
      return put(Value, Length, Bytes{static_cast<uint8_t>(reader->powered ? 1 : 0)});
    default:
      return IFD_ERROR_TAG;  // includes the polling-thread tags: pcscd polls IFDHICCPresence instead
  }
}

RESPONSECODE IFDHSetCapabilities(DWORD Lun, DWORD Tag, DWORD Length, PUCHAR Value) {
  (void)Lun, (void)Tag, (void)Length, (void)Value;
  return IFD_ERROR_TAG;
}

RESPONSECODE IFDHSetProtocolParameters(DWORD Lun, DWORD Protocol, UCHAR Flags, UCHAR PTS1, UCHAR PTS2, UCHAR PTS3) {
  (void)Flags, (void)PTS1, (void)PTS2, (void)PTS3;
  std::shared_ptr<Reader> reader = luns().find(Lun);
  if (!reader) return IFD_COMMUNICATION_ERROR;
  std::lock_guard<std::mutex> lock(reader->io);
  if (!reader->device) return IFD_NO_SUCH_DEVICE;
  // PC/SC part 3: an ISO/IEC 14443-4 card is presented as T=1 (its ATR offers T=0 only through
  // the mandatory TD1 = 80); there are no PPS parameters on the contactless link.
  return Protocol == SCARD_PROTOCOL_T1 ? IFD_SUCCESS : IFD_PROTOCOL_NOT_SUPPORTED;
}

RESPONSECODE IFDHPowerICC(DWORD Lun, DWORD Action, PUCHAR Atr, PDWORD AtrLength) {
  std::shared_ptr<Reader> reader = luns().find(Lun);
  if (!reader) return IFD_COMMUNICATION_ERROR;
  std::lock_guard<std::mutex> lock(reader->io);
  Reader& r = *reader;
  if (AtrLength != nullptr && Action != IFD_POWER_DOWN && *AtrLength < MAX_ATR_SIZE) return IFD_ERROR_INSUFFICIENT_BUFFER;
  RESPONSECODE rc = IFD_SUCCESS;
  switch (Action) {
    case IFD_POWER_DOWN:
      // The field stays on and the card selected (so presence checks keep working); the next
      // power-up starts a new card session.
      r.powered = false;
      r.fresh = false;
      if (AtrLength != nullptr) *AtrLength = 0;
      return r.device ? IFD_SUCCESS : IFD_NO_SUCH_DEVICE;
    case IFD_POWER_UP:
      rc = activate(r, /*force_new_session=*/false);
      break;
    case IFD_RESET:
      rc = activate(r, /*force_new_session=*/!r.fresh);
      break;
    default:
      return IFD_NOT_SUPPORTED;
  }
  if (rc != IFD_SUCCESS) {
    if (AtrLength != nullptr) *AtrLength = 0;
    return rc;
  }
  r.powered = true;
  if (Atr != nullptr && AtrLength != nullptr) {
    std::memcpy(Atr, r.atr.data(), r.atr.size());
    *AtrLength = static_cast<DWORD>(r.atr.size());
  }
  return IFD_SUCCESS;
}

RESPONSECODE IFDHTransmitToICC(DWORD Lun, SCARD_IO_HEADER SendPci, PUCHAR TxBuffer, DWORD TxLength, PUCHAR RxBuffer,
                               PDWORD RxLength, PSCARD_IO_HEADER RecvPci) {
  (void)SendPci;
  if (RxLength == nullptr || RxBuffer == nullptr || TxBuffer == nullptr) return IFD_COMMUNICATION_ERROR;
  const DWORD room = *RxLength;
  *RxLength = 0;
  std::shared_ptr<Reader> reader = luns().find(Lun);
  if (!reader) return IFD_COMMUNICATION_ERROR;
  std::lock_guard<std::mutex> lock(reader->io);
  Reader& r = *reader;
  if (!r.device) return IFD_NO_SUCH_DEVICE;
  if (!r.card) return IFD_ICC_NOT_PRESENT;
  const ByteView command(TxBuffer, TxLength);
  Bytes response;
  if (auto local = nfc::answer_pseudo_apdu(command, *r.card)) {
    response = std::move(*local);
  } else {
    // The session is used from here on, even if the exchange fails or times out: the card may
    // have acted on the command, so the next power-up or reset must activate it again.
    r.fresh = false;
    auto rx = r.device->transceive(command, kExchangeTimeout);
    if (!rx.ok()) {
      switch (rx.error().code) {
        case ErrorCode::kCardRemoved:
          // As CCID readers do: the exchange failed; the removal itself is reported by the next
          // IFDHICCPresence, where pcscd and its clients (SCARD_W_REMOVED_CARD) expect it.
          r.forget_card();
          r.removal_unreported = true;
          return IFD_COMMUNICATION_ERROR;
        case ErrorCode::kDeviceGone:
          r.mark_gone(rx.error());
          return IFD_NO_SUCH_DEVICE;
        case ErrorCode::kTimeout:
          return IFD_RESPONSE_TIMEOUT;
        default:
          log(PCSC_LOG_ERROR, "Lun %lX: %s", static_cast<unsigned long>(Lun), rx.error().message().c_str());
          return IFD_COMMUNICATION_ERROR;
      }
    }
    response = std::move(*rx);
  }
  if (response.size() > room) return IFD_ERROR_INSUFFICIENT_BUFFER;
  std::memcpy(RxBuffer, response.data(), response.size());
  *RxLength = static_cast<DWORD>(response.size());
  if (RecvPci != nullptr) {
    RecvPci->Protocol = SCARD_PROTOCOL_T1;
    RecvPci->Length = sizeof(SCARD_IO_HEADER);
  }
  return IFD_SUCCESS;
}

RESPONSECODE IFDHControl(DWORD Lun, DWORD dwControlCode, PUCHAR TxBuffer, DWORD TxLength, PUCHAR RxBuffer,
                         DWORD RxLength, LPDWORD pdwBytesReturned) {
  (void)TxBuffer, (void)TxLength, (void)RxBuffer, (void)RxLength;
  if (pdwBytesReturned != nullptr) *pdwBytesReturned = 0;
  std::shared_ptr<Reader> reader = luns().find(Lun);
  if (!reader) return IFD_COMMUNICATION_ERROR;
  // PC/SC part 10 GET_FEATURE_REQUEST: no features (no PIN pad, no display).
  if (dwControlCode == CM_IOCTL_GET_FEATURE_REQUEST) return IFD_SUCCESS;
  return IFD_ERROR_NOT_SUPPORTED;
}

RESPONSECODE IFDHICCPresence(DWORD Lun) {
  std::shared_ptr<Reader> reader = luns().find(Lun);
  if (!reader) return IFD_COMMUNICATION_ERROR;
  std::lock_guard<std::mutex> lock(reader->io);
  Reader& r = *reader;
  if (!r.alive()) return IFD_NO_SUCH_DEVICE;
  if (r.removal_unreported) {
    // An exchange saw the card leave: pcscd learns it here even if a card is back already, so
    // the removal is never swallowed (its handles to the old card must go stale).
    r.removal_unreported = false;
    return IFD_ICC_NOT_PRESENT;
  }
  if (r.card) {
    auto present = r.device->target_present();
    if (present.ok() && *present) return IFD_ICC_PRESENT;
    if (!present.ok() && present.error().code == ErrorCode::kDeviceGone) {
      r.mark_gone(present.error());
      return IFD_NO_SUCH_DEVICE;
    }
    if (!present.ok()) return IFD_COMMUNICATION_ERROR;
    r.forget_card();  // it left: report it gone now, look for a new one on the next call
    return IFD_ICC_NOT_PRESENT;
  }
  auto found = r.device->poll(0ms);
  if (!found.ok()) {
    if (found.error().code == ErrorCode::kDeviceGone) {
      r.mark_gone(found.error());
      return IFD_NO_SUCH_DEVICE;
    }
    return IFD_COMMUNICATION_ERROR;
  }
  if (found->has_value() && r.take(**found)) return IFD_ICC_PRESENT;
  return IFD_ICC_NOT_PRESENT;
}

}  // extern "C"
