#include "idtap/nfc/device.h"

#include <fcntl.h>
#include <nfc/nfc.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>

#include "idtap/base/hex.h"

namespace idtap::nfc {
namespace {

using Clock = std::chrono::steady_clock;

std::string driver_of(std::string_view connstring) {
  const size_t colon = connstring.find(':');
  return std::string(connstring.substr(0, colon));
}

// serial_port_of: "/dev/ttyUSB0" from "pn532_uart:/dev/ttyUSB0:115200".
std::string serial_port_of(std::string_view connstring) {
  const size_t first = connstring.find(':');
  if (first == std::string_view::npos) return {};
  std::string_view rest = connstring.substr(first + 1);
  const size_t second = rest.find(':');
  return std::string(rest.substr(0, second));
}

// PortLock: an exclusive advisory lock (flock) on a serial port, held while idtap uses it.
// libnfc's own claim marker (a termios flag) does not survive on Linux, so two programs could
// otherwise drive one PN532 at once; every idtap user of the port (CLI, pcscd driver) takes this.
class PortLock {
 public:
  static Result<PortLock> take(const std::string& port) {
    const int fd = ::open(port.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return make_error(ErrorCode::kNoReader, "no serial port " + port);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      return make_error(ErrorCode::kSharingViolation,
                        "serial port " + port + " is in use by another idtap program (pcscd's idtap driver?)");
    }
    return PortLock(fd);
  }
  PortLock() = default;
  PortLock(PortLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  PortLock& operator=(PortLock&& o) noexcept {
    release();
    fd_ = std::exchange(o.fd_, -1);
    return *this;
  }
  ~PortLock() { release(); }
  void release() {
    if (fd_ >= 0) ::close(fd_);  // closing drops the lock
    fd_ = -1;
  }

 private:
  explicit PortLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// libnfc_global_mutex: serializes what touches libnfc's process-wide state: device listing and
// opening (libnfc's USB drivers scan with libusb-0.1, whose usb_find_busses / usb_find_devices
// and libnfc's usbbus_prepare work on global bus lists and are not thread-safe), and nfc_init /
// nfc_exit (libnfc's driver registry and its log set-up are globals). The pcscd IFD handler
// declares itself thread-safe, so pcscd opens readers on several Luns at once: this is the one
// lock they share. Exchanges on open devices do not take it and stay concurrent.
std::mutex& libnfc_global_mutex() {
  static std::mutex mutex;
  return mutex;
}

// LibnfcSetup: the process's one libnfc context and how many NfcContext handles use it (guarded
// by libnfc_global_mutex). libnfc 1.8 keeps its driver registry in one process-wide list
// (libnfc/nfc.c): nfc_init fills it only when it is empty, and nfc_exit, whatever context it is
// given, empties it. With two contexts, the first nfc_exit would leave the other without a single
// driver: its nfc_open and nfc_list_devices then fail without a word, before the port is even
// opened ("no PN53x answered" for a board that is there). So libnfc is set up once: the first
// handle runs nfc_init, the last one to go runs nfc_exit, each under the lock, so that no handle
// can be created between the count reaching zero and nfc_exit emptying the registry.
struct LibnfcSetup {
  nfc_context* context = nullptr;
  size_t handles = 0;
};

LibnfcSetup& libnfc_setup() {
  static LibnfcSetup setup;  // trivially destructible: nothing runs at exit
  return setup;
}

int milliseconds_of(std::chrono::milliseconds d) {
  // libnfc takes an int; 0 means "wait forever", which we never want: at least 1 ms.
  return static_cast<int>(std::clamp<long long>(d.count(), 1, 24LL * 3600 * 1000));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// NfcContext

Result<std::shared_ptr<NfcContext>> NfcContext::create() {
  std::lock_guard<std::mutex> lock(libnfc_global_mutex());
  LibnfcSetup& setup = libnfc_setup();
  if (setup.handles == 0) {
    nfc_context* raw = nullptr;
    nfc_init(&raw);
    if (raw == nullptr) return make_error(ErrorCode::kInternal, "libnfc: nfc_init failed");
    setup.context = raw;
  }
  ++setup.handles;
  return std::shared_ptr<NfcContext>(new NfcContext(setup.context));
}

NfcContext::~NfcContext() {
  std::lock_guard<std::mutex> lock(libnfc_global_mutex());
  LibnfcSetup& setup = libnfc_setup();
  if (--setup.handles > 0) return;
  nfc_exit(setup.context);
  setup.context = nullptr;
}

std::vector<std::string> NfcContext::list_devices(size_t max) {
  std::vector<nfc_connstring> found(std::max<size_t>(max, 1));
  size_t n = 0;
  {
    std::lock_guard<std::mutex> lock(libnfc_global_mutex());
    n = nfc_list_devices(context_, found.data(), found.size());
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < n && i < found.size(); ++i) out.emplace_back(found[i]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Open failures

std::string connstring_bus(std::string_view connstring) {
  const std::string driver = driver_of(connstring);
  if (driver == "pn53x_usb" || driver == "acr122_usb" || driver == "pn533_usb" || driver == "pn531_usb") return "usb";
  if (driver == "pn532_uart" || driver == "acr122s" || driver == "arygon" || driver == "rc522_uart") return "serial";
  if (driver == "pn532_spi") return "spi";
  if (driver == "pn532_i2c") return "i2c";
  return "";
}

bool pn533_holds_a_reader(const std::string& sysfs_root) {
  // The driver's directory holds its control files (bind, unbind, new_id, remove_id, uevent,
  // module) and one symlink per bound interface, named BUS-PORT[.PORT...]:CONFIG.INTERFACE.
  std::error_code ec;
  std::filesystem::directory_iterator it(std::filesystem::path(sysfs_root) / "bus/usb/drivers/pn533_usb", ec);
  if (ec) return false;
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (!name.empty() && std::isdigit(static_cast<unsigned char>(name[0])) && name.find(':') != std::string::npos)
      return true;
  }
  return false;
}

OpenFailureFacts gather_open_failure_facts(NfcContext& context, std::string_view connstring) {
  OpenFailureFacts facts;
  facts.connstring = std::string(connstring);
  facts.devices_listed = context.list_devices(4).size();
  struct stat st{};
  facts.kernel_pn533_bound = pn533_holds_a_reader("/sys");
  if (connstring_bus(connstring) == "serial") {
    const std::string port = serial_port_of(connstring);
    facts.serial_path_exists = !port.empty() && ::stat(port.c_str(), &st) == 0;
    if (facts.serial_path_exists) {
      auto lock = PortLock::take(port);  // released at once: only asks whether someone holds it
      facts.serial_claimed = !lock.ok() && lock.error().code == ErrorCode::kSharingViolation;
    }
  }
  return facts;
}

Error diagnose_open_failure(const OpenFailureFacts& facts) {
  static constexpr const char* kBlacklistHint =
      "the Linux kernel's pn533 NFC driver holds the reader: unload it (`sudo modprobe -r pn533_usb pn533`) and "
      "keep it off with udev/idtap-blacklist-pn533.conf (`make install` puts it in /etc/modprobe.d)";
  const std::string bus = connstring_bus(facts.connstring);
  if (facts.connstring.empty()) {
    if (facts.devices_listed == 0) {
      std::string context = "no libnfc device found";
      if (facts.kernel_pn533_bound) return make_error(ErrorCode::kSharingViolation, context + ": " + kBlacklistHint);
      context += " (USB PN53x and ACR122U readers are found automatically; name a PN532 board on a serial port, "
                 "e.g. nfc:pn532_uart:/dev/ttyUSB0)";
      return make_error(ErrorCode::kNoReader, context);
    }
    return make_error(ErrorCode::kNoReader, "libnfc's default device did not open (is another program using it?)");
  }
  if (bus == "serial") {
    if (!facts.serial_path_exists)
      return make_error(ErrorCode::kNoReader, "no serial port for " + facts.connstring);
    if (facts.serial_claimed)
      return make_error(ErrorCode::kSharingViolation,
                        "serial port of " + facts.connstring + " is in use by another idtap program (pcscd's idtap driver?)");
    return make_error(ErrorCode::kNoReader, "no PN53x answered on " + facts.connstring + " (wrong port or speed?)");
  }
  if (bus == "usb" && facts.kernel_pn533_bound)
    return make_error(ErrorCode::kSharingViolation, "cannot open " + facts.connstring + ": " + kBlacklistHint);
  if (bus.empty())
    return make_error(ErrorCode::kNoReader, "libnfc has no driver for \"" + facts.connstring + "\"");
  return make_error(ErrorCode::kNoReader, "cannot open libnfc device " + facts.connstring);
}

// ---------------------------------------------------------------------------------------------
// NfcDevice

struct NfcDevice::Impl {
  std::shared_ptr<NfcContext> context;
  nfc_device* device = nullptr;
  std::string connstring;
  std::string name;
  std::optional<TargetInfo> target;
  nfc_target raw_target{};
  bool gone = false;
  PortLock port_lock;  // serial devices only

  ~Impl() {
    if (device != nullptr) nfc_close(device);
  }

  std::string libnfc_message() const { return device != nullptr ? nfc_strerror(device) : "no device"; }

  Status check_open() const {
    if (device == nullptr) return make_error(ErrorCode::kState, "libnfc device " + connstring + " is closed");
    if (gone) return make_error(ErrorCode::kDeviceGone, "libnfc device " + connstring + " is gone");
    return ok_status();
  }

  // device_answers: a harmless command (RF field on) to tell a dead link from a one-off error.
  bool device_answers() {
    const int res = nfc_device_set_property_bool(device, NP_ACTIVATE_FIELD, true);
    return res != NFC_EIO && res != NFC_ENOTSUCHDEV;
  }

  // error_for: the typed error for libnfc's `code` after `what`. Link errors are confirmed with a
  // second command before the device is declared gone.
  Error error_for(int code, const std::string& what) {
    const std::string context = what + " on " + connstring + ": " + libnfc_message();
    switch (code) {
      case NFC_ETIMEOUT:
        return make_error(ErrorCode::kTimeout, context);
      case NFC_ETGRELEASED:
        target.reset();
        return make_error(ErrorCode::kCardRemoved, "card left the field (" + context + ")");
      case NFC_EOPABORTED:
        return make_error(ErrorCode::kCancelled, context);
      case NFC_EDEVNOTSUPP:
      case NFC_ENOTIMPL:
        return make_error(ErrorCode::kNotSupported, context);
      case NFC_EIO:
      case NFC_ENOTSUCHDEV:
        if (!device_answers()) {
          gone = true;
          target.reset();
          return make_error(ErrorCode::kDeviceGone, "reader disappeared (" + context + ")");
        }
        return make_error(ErrorCode::kTransport, context);
      default:
        return make_error(ErrorCode::kTransport, context);
    }
  }
};

NfcDevice::NfcDevice(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

NfcDevice::~NfcDevice() { (void)close(); }

Result<std::unique_ptr<NfcDevice>> NfcDevice::open(std::shared_ptr<NfcContext> context, std::string_view connstring) {
  if (!context) return make_error(ErrorCode::kInvalidArgument, "NfcDevice::open: no context");
  if (connstring.size() >= NFC_BUFSIZE_CONNSTRING)
    return make_error(ErrorCode::kInvalidArgument, "libnfc connection string too long");
  // The default device is the first one libnfc lists (what nfc_open(NULL) would take): named
  // here so that a serial board gets its lock before anything talks to it.
  std::string resolved;
  if (connstring.empty()) {
    const auto listed = context->list_devices(1);
    if (listed.empty()) return diagnose_open_failure(gather_open_failure_facts(*context, connstring));
    resolved = listed.front();
    connstring = resolved;
  }
  PortLock port_lock;
  if (connstring_bus(connstring) == "serial") {
    auto lock = PortLock::take(serial_port_of(connstring));
    if (!lock.ok()) return std::move(lock).error();
    port_lock = std::move(*lock);
  }
  nfc_connstring cs{};
  std::memcpy(cs, connstring.data(), connstring.size());
  nfc_device* raw = nullptr;
  {
    std::lock_guard<std::mutex> lock(libnfc_global_mutex());
    raw = nfc_open(context->get(), cs);
  }
  if (raw == nullptr) {
    // Our own lock goes first: flock locks taken through two opens of one file conflict even in
    // one process, so the facts would otherwise always find the port "claimed" by us.
    port_lock.release();
    return diagnose_open_failure(gather_open_failure_facts(*context, connstring));
  }

  auto impl = std::make_unique<Impl>();
  impl->context = std::move(context);
  impl->device = raw;
  impl->port_lock = std::move(port_lock);
  impl->connstring = nfc_device_get_connstring(raw);
  impl->name = nfc_device_get_name(raw);
  std::unique_ptr<NfcDevice> device(new NfcDevice(std::move(impl)));
  Impl& d = *device->impl_;

  if (int res = nfc_initiator_init(d.device); res < 0) return d.error_for(res, "initiator mode");
  // Bounded selection: the chip gives up after a few activation attempts instead of waiting for
  // a card forever (NP_INFINITE_SELECT is on after nfc_initiator_init).
  if (int res = nfc_device_set_property_bool(d.device, NP_INFINITE_SELECT, false); res < 0)
    return d.error_for(res, "bounded selection");
  if (int res = nfc_device_set_property_bool(d.device, NP_AUTO_ISO14443_4, true); res < 0)
    return d.error_for(res, "ISO/IEC 14443-4 activation");
  return device;
}

const std::string& NfcDevice::connstring() const { return impl_->connstring; }
const std::string& NfcDevice::name() const { return impl_->name; }
size_t NfcDevice::max_frame_data() const { return kPn53xMaxFrameData; }
const std::optional<TargetInfo>& NfcDevice::target() const { return impl_->target; }

namespace {

// target_from: our TargetInfo from libnfc's nfc_target.
std::optional<TargetInfo> target_from(const nfc_target& nt) {
  TargetInfo t;
  if (nt.nm.nmt == NMT_ISO14443A) {
    // libnfc's target structs are packed: copy the size_t fields out before using them.
    const nfc_iso14443a_info& a = nt.nti.nai;
    const size_t uid_len = a.szUidLen, ats_len = a.szAtsLen;
    t.type = TargetType::kIso14443A;
    t.atqa.assign(a.abtAtqa, a.abtAtqa + 2);
    t.sak = a.btSak;
    t.uid.assign(a.abtUid, a.abtUid + std::min(uid_len, sizeof a.abtUid));
    t.ats.assign(a.abtAts, a.abtAts + std::min(ats_len, sizeof a.abtAts));
    return t;
  }
  if (nt.nm.nmt == NMT_ISO14443B) {
    const nfc_iso14443b_info& b = nt.nti.nbi;
    t.type = TargetType::kIso14443B;
    t.uid.assign(b.abtPupi, b.abtPupi + 4);
    t.application_data.assign(b.abtApplicationData, b.abtApplicationData + 4);
    t.protocol_info.assign(b.abtProtocolInfo, b.abtProtocolInfo + 3);
    t.attrib_res = b.ui8CardIdentifier;
    return t;
  }
  return std::nullopt;
}

}  // namespace

Result<std::optional<TargetInfo>> NfcDevice::poll(std::chrono::milliseconds timeout, const PollOptions& options) {
  IDTAP_TRY(impl_->check_open());
  Impl& d = *impl_;
  d.target.reset();
  std::vector<nfc_modulation> modulations;
  if (options.type_a) modulations.push_back(nfc_modulation{NMT_ISO14443A, NBR_106});
  if (options.type_b) modulations.push_back(nfc_modulation{NMT_ISO14443B, NBR_106});
  if (modulations.empty()) return make_error(ErrorCode::kInvalidArgument, "poll: no card type enabled");

  const auto deadline = Clock::now() + timeout;
  for (;;) {
    for (const nfc_modulation& nm : modulations) {
      nfc_target nt{};
      const int res = nfc_initiator_select_passive_target(d.device, nm, nullptr, 0, &nt);
      if (res < 0) {
        if (res == NFC_ETIMEOUT || res == NFC_ERFTRANS) continue;  // nothing (complete) answered
        return d.error_for(res, "polling");
      }
      if (res == 0) continue;
      std::optional<TargetInfo> found = target_from(nt);
      if (found && found->iso_dep()) {
        d.raw_target = nt;
        d.target = std::move(found);
        return d.target;
      }
      // A card without ISO/IEC 14443-4 (a memory card): not ours; let it go and keep looking.
      (void)nfc_initiator_deselect_target(d.device);
    }
    if (options.cancelled && options.cancelled())
      return make_error(ErrorCode::kCancelled, "waiting for a card on " + d.connstring + ": cancelled");
    const auto now = Clock::now();
    if (now >= deadline) return std::optional<TargetInfo>();
    // Sleep in short slices so a cancel is seen quickly.
    const auto until = std::min<Clock::time_point>(now + options.interval, deadline);
    while (Clock::now() < until) {
      if (options.cancelled && options.cancelled())
        return make_error(ErrorCode::kCancelled, "waiting for a card on " + d.connstring + ": cancelled");
      std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(20), until - Clock::now()));
    }
  }
}

Result<bool> NfcDevice::target_present() {
  IDTAP_TRY(impl_->check_open());
  Impl& d = *impl_;
  if (!d.target) return make_error(ErrorCode::kState, "no card selected on " + d.connstring);
  const int res = nfc_initiator_target_is_present(d.device, &d.raw_target);
  if (res == NFC_SUCCESS) return true;
  if (res == NFC_ETGRELEASED || res == NFC_ERFTRANS || res == NFC_ETIMEOUT) {
    d.target.reset();
    return false;
  }
  return d.error_for(res, "card presence check");
}

Result<Bytes> NfcDevice::transceive(ByteView command, std::chrono::milliseconds timeout) {
  IDTAP_TRY(impl_->check_open());
  Impl& d = *impl_;
  if (!d.target) return make_error(ErrorCode::kState, "no card selected on " + d.connstring);
  if (command.empty() || command.size() > max_frame_data())
    return make_error(ErrorCode::kInvalidArgument, "APDU of " + std::to_string(command.size()) +
                                                       " bytes does not fit one libnfc exchange (at most " +
                                                       std::to_string(max_frame_data()) + ")");
  Bytes rx(kPn53xMaxFrameData + 2);
  const int res = nfc_initiator_transceive_bytes(d.device, command.data(), command.size(), rx.data(), rx.size(),
                                                 milliseconds_of(timeout));
  if (res >= 0) {
    rx.resize(static_cast<size_t>(res));
    return rx;
  }
  if (res == NFC_ERFTRANS) {
    // The chip reports an RF error (the card did not answer): tell "left the field" from noise.
    const int present = nfc_initiator_target_is_present(d.device, &d.raw_target);
    if (present != NFC_SUCCESS && present != NFC_EIO && present != NFC_ENOTSUCHDEV) {
      d.target.reset();
      return make_error(ErrorCode::kCardRemoved, "card left the field during an exchange on " + d.connstring);
    }
    if (present != NFC_SUCCESS) return d.error_for(present, "card presence check");
  }
  return d.error_for(res, "APDU exchange");
}

Status NfcDevice::deselect() {
  IDTAP_TRY(impl_->check_open());
  Impl& d = *impl_;
  if (!d.target) return ok_status();
  d.target.reset();
  const int res = nfc_initiator_deselect_target(d.device);
  if (res < 0) return d.error_for(res, "deselect");
  return ok_status();
}

Status NfcDevice::close() {
  if (!impl_ || impl_->device == nullptr) return make_error(ErrorCode::kState, "libnfc device already closed");
  Impl& d = *impl_;
  if (!d.gone && d.target) (void)nfc_initiator_deselect_target(d.device);
  d.target.reset();
  nfc_close(d.device);  // idles the chip first: InRelease, RF field off, PowerDown
  d.device = nullptr;
  d.port_lock.release();
  return ok_status();
}

}  // namespace idtap::nfc
