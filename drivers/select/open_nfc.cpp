// The nfc: branch of the selector: libnfc devices (drivers/nfc).
#include <atomic>
#include <memory>

#include <fmt/format.h>

#include "idtap/nfc/device.h"
#include "idtap/nfc/transport.h"
#include "idtap/select/drivers.h"

namespace idtap::select {

Result<OpenedReader> open_nfc(const std::string& connstring, const OpenOptions& options) {
  nfc::NfcTransportOptions nfc_options;
  nfc_options.connstring = connstring;
  nfc_options.card_wait = options.wait_for_card;
  if (options.cancel) {
    // The polling loop asks between rounds; the cancel function only sets the flag, so it is
    // safe from the SIGINT watcher's thread.
    auto flag = std::make_shared<std::atomic<bool>>(false);
    options.cancel->set([flag] { flag->store(true); });
    nfc_options.poll.cancelled = [flag] { return flag->load(); };
  }
  IDTAP_ASSIGN_OR_RETURN(auto transport, nfc::NfcTransport::open(nfc_options));
  OpenedReader out;
  const auto caps = transport->capabilities();
  out.description = fmt::format("{} ({}, {}, short APDUs: {} / {} bytes)", transport->describe(),
                                transport->device().name(), nfc::target_type_name(transport->target().type),
                                caps.max_command_data, caps.max_response_data);
  out.transport = std::move(transport);
  return out;
}

void list_nfc_readers(Inventory& inventory) {
  auto context = nfc::NfcContext::create();
  if (!context.ok()) {
    inventory.problems.push_back(context.error().with_context("nfc"));
    return;
  }
  const std::vector<std::string> connstrings = (*context)->list_devices();
  if (connstrings.empty()) {
    // Nothing found: if the kernel's NFC driver is why, say so (it hides USB readers).
    Error why = nfc::diagnose_open_failure(nfc::gather_open_failure_facts(**context, ""));
    if (why.code == ErrorCode::kSharingViolation) inventory.problems.push_back(why.with_context("nfc"));
    return;
  }
  for (size_t i = 0; i < connstrings.size(); ++i) {
    ReaderInfo info;
    info.spec = "nfc:" + connstrings[i];
    info.driver = "nfc";
    info.index = i;
    info.name = connstrings[i];
    auto device = nfc::NfcDevice::open(*context, connstrings[i]);
    if (!device.ok()) {
      // Held by another program (pcscd's idtap driver, another idtap) or not answering.
      info.in_use = device.error().code == ErrorCode::kSharingViolation;
      info.state = info.in_use ? "in use" : "not answering: " + device.error().context;
      inventory.readers.push_back(std::move(info));
      continue;
    }
    info.name = (*device)->name();
    auto found = (*device)->poll(std::chrono::milliseconds(0));
    if (!found.ok()) {
      info.state = "error: " + found.error().message();
    } else if (*found) {
      info.card_present = true;
      info.state = "card present";
      info.atr = nfc::synthesize_atr(**found).value_or(Bytes{});
    } else {
      info.state = "empty";
    }
    (void)(*device)->close();
    inventory.readers.push_back(std::move(info));
  }
}

}  // namespace idtap::select
