#include "idtap/nfc/pcsc_bridge.h"

#include <cctype>

namespace idtap::nfc {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    const size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

// libnfc_usb_location: "BBB:DDD" as libnfc's USB drivers spell a device: libusb-0.1 (libusb-compat)
// names buses and devices "%03d", and libnfc compares connection strings as text, so the numbers
// are zero-padded to three digits whatever width pcscd wrote. nullopt when not numbers (or > 999).
std::optional<std::string> libnfc_usb_location(std::string_view bus, std::string_view device) {
  auto three_digits = [](std::string_view s) -> std::optional<std::string> {
    if (!all_digits(s)) return std::nullopt;
    while (s.size() > 3 && s.front() == '0') s.remove_prefix(1);  // a wider padding than libnfc's
    if (s.size() > 3) return std::nullopt;
    return std::string(3 - s.size(), '0') + std::string(s);
  };
  const auto b = three_digits(bus), d = three_digits(device);
  if (!b || !d) return std::nullopt;
  return *b + ":" + *d;
}

// usb_location: "BBB:DDD" (libnfc's form) from pcscd's USB device names (libudev and libusb-1.0 forms).
std::optional<std::string> usb_location(std::string_view name) {
  const auto parts = split(name, ':');
  if (parts.size() >= 5 && parts[2] == "libudev") {
    // usb:VVVV/PPPP:libudev:INTERFACE:/dev/bus/usb/BBB/DDD
    const auto path = split(parts[4], '/');
    if (path.size() >= 2) return libnfc_usb_location(path[path.size() - 2], path.back());
    return std::nullopt;
  }
  if (parts.size() >= 5 && parts[2] == "libusb-1.0") {
    // usb:VVVV/PPPP:libusb-1.0:BUS:DEVICE:INTERFACE, written by pcsc-lite's hotplug_libusb.c
    // with "%d" (unpadded: "usb:072f/2200:libusb-1.0:7:99:0").
    return libnfc_usb_location(parts[3], parts[4]);
  }
  return std::nullopt;
}

}  // namespace

Result<std::string> connstring_for_device_name(std::string_view name, const std::vector<std::string>& listed) {
  if (name.empty() || name == "nfc:" || name == "nfc:default") return std::string();
  if (starts_with(name, "nfc:")) return std::string(name.substr(4));
  if (!starts_with(name, "usb:")) return std::string(name);
  const auto location = usb_location(name);
  if (!location) return make_error(ErrorCode::kInvalidArgument, "cannot find the USB bus and device in \"" + std::string(name) + "\"");
  const std::string suffix = ":" + *location;
  for (const std::string& cs : listed)
    if (cs.size() > suffix.size() && cs.compare(cs.size() - suffix.size(), suffix.size(), suffix) == 0) return cs;
  // Not listed (yet): name it the way libnfc's USB drivers do.
  const bool acs = starts_with(name.substr(4), "072f/") || starts_with(name.substr(4), "072F/");
  return std::string(acs ? "acr122_usb" : "pn53x_usb") + suffix;
}

std::optional<Bytes> answer_pseudo_apdu(ByteView command, const TargetInfo& target) {
  if (command.empty() || command[0] != 0xFF) return std::nullopt;
  auto sw = [](uint16_t s, Bytes data = {}) {
    data.push_back(static_cast<uint8_t>(s >> 8));
    data.push_back(static_cast<uint8_t>(s));
    return data;
  };
  if (command.size() < 4 || command[1] != 0xCA) return sw(0x6A81);
  if (command[3] != 0x00) return sw(0x6A86);
  Bytes data;
  if (command[2] == 0x00) {
    data = target.uid;  // PC/SC part 3 Table 3-5: UID (Type A) or PUPI (Type B)
  } else if (command[2] == 0x01 && target.type == TargetType::kIso14443A) {
    auto ats = parse_ats(target.ats);
    if (!ats.ok()) return sw(0x6A81);
    data = ats->historical;
  } else {
    return sw(0x6A81);
  }
  // Le: absent or 00 asks for everything (Ne 256 in short form).
  const size_t le = command.size() >= 5 ? command[4] : 0;
  if (le == 0 || le == data.size()) return sw(0x9000, data);
  if (le < data.size()) return sw(static_cast<uint16_t>(0x6C00 | data.size()));
  return sw(0x6282, data);  // end of data reached before Le bytes
}

}  // namespace idtap::nfc
