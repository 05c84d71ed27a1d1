// The PN532 emulator's chip: the state a test arranges (the card in the field, faults armed for
// a chosen APDU) and the answer to each command (UM0701-02 §7). The serial port and the host-link
// protocol around the commands are in pn532_port.cpp.
#include "support/pn532_emulator.h"

#include <cstdlib>

#include "idtap/apdu/command.h"

namespace idtap::testing {
namespace {

// Every test binary that links tests/support sees only the libnfc devices a test names or
// configures (LIBNFC_DEVICE): no USB scan of the host's readers, and libnfc's error log off
// (tests provoke errors on purpose). Set before main(), hence before any nfc_init.
[[maybe_unused]] const bool kLibnfcQuiet = [] {
  ::setenv("LIBNFC_AUTO_SCAN", "false", 0);
  ::setenv("LIBNFC_LOG_LEVEL", "0", 0);
  return true;
}();

// PN532 command codes (UM0701-02 §7).
constexpr uint8_t kDiagnose = 0x00;
constexpr uint8_t kGetFirmwareVersion = 0x02;
constexpr uint8_t kGetGeneralStatus = 0x04;
constexpr uint8_t kReadRegister = 0x06;
constexpr uint8_t kWriteRegister = 0x08;
constexpr uint8_t kSetParameters = 0x12;
constexpr uint8_t kSamConfiguration = 0x14;
constexpr uint8_t kPowerDown = 0x16;
constexpr uint8_t kRfConfiguration = 0x32;
constexpr uint8_t kInDataExchange = 0x40;
constexpr uint8_t kInCommunicateThru = 0x42;
constexpr uint8_t kInDeselect = 0x44;
constexpr uint8_t kInListPassiveTarget = 0x4A;
constexpr uint8_t kInRelease = 0x52;
constexpr uint8_t kInSelect = 0x54;
constexpr uint8_t kInAutoPoll = 0x60;

// Status byte values (UM0701-02 §7.1, Table 15).
constexpr uint8_t kStatusOk = 0x00;
constexpr uint8_t kStatusTimeout = 0x01;       // the target has not answered
constexpr uint8_t kStatusWrongContext = 0x27;  // not acceptable in the current context

constexpr uint8_t kParamAutoRats = 0x10;  // SetParameters fAutomaticRATS

}  // namespace

Pn532Emulator::Pn532Emulator(Options options) : options_(options) {
  // Reset values of the registers libnfc reads back before masking writes.
  registers_[0x6302] = 0x80;  // CIU_TxMode: CRC on
  registers_[0x6303] = 0x80;  // CIU_RxMode: CRC on
}

void Pn532Emulator::place_card(Pn532Card card) {
  std::lock_guard<std::mutex> lock(mutex_);
  card_ = std::move(card);
  remove_countdown_.reset();
  returning_card_.reset();
  card_was_activated_ = false;
  target_active_ = false;
}

void Pn532Emulator::remove_card() {
  std::lock_guard<std::mutex> lock(mutex_);
  card_.reset();  // the chip still holds its target: exchanges now time out, as on the air
  returning_card_.reset();
}

void Pn532Emulator::remove_card_at_apdu(size_t index, std::optional<std::chrono::milliseconds> back_after) {
  std::lock_guard<std::mutex> lock(mutex_);
  remove_countdown_ = index;
  remove_back_after_ = back_after;
}

void Pn532Emulator::unplug_at_apdu(size_t index) {
  std::lock_guard<std::mutex> lock(mutex_);
  unplug_countdown_ = index;
}

void Pn532Emulator::return_card_if_due() {
  if (!returning_card_ || card_ || std::chrono::steady_clock::now() < return_at_) return;
  card_ = std::move(*returning_card_);  // back in the field, idle until the next activation
  returning_card_.reset();
  card_was_activated_ = false;
  target_active_ = false;
}


void Pn532Emulator::set_response_delay(std::chrono::milliseconds delay) {
  std::lock_guard<std::mutex> lock(mutex_);
  delay_ = delay;
}

Pn532Stats Pn532Emulator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

bool Pn532Emulator::target_active() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return target_active_;
}


std::optional<Bytes> Pn532Emulator::handle_command(ByteView payload) {
  const uint8_t cmd = payload[0];
  const ByteView data = payload.subspan(1);
  Bytes out = {static_cast<uint8_t>(cmd + 1)};
  std::unique_lock<std::mutex> lock(mutex_);
  return_card_if_due();
  switch (cmd) {
    case kDiagnose: {
      if (data.empty()) return std::nullopt;
      if (data[0] == 0x00) {  // communication line test: echo NumTst and InParam
        append(out, data);
        return out;
      }
      if (data[0] == 0x06) {  // card presence detection (ISO/IEC 14443-4 presence check)
        out.push_back(target_active_ && card_ ? kStatusOk : kStatusTimeout);
        if (!card_) target_active_ = false;
        return out;
      }
      return std::nullopt;
    }
    case kGetFirmwareVersion:
      append(out, Bytes{0x32, 0x01, 0x06, 0x07});  // IC PN532, v1.6, ISO 14443-A, -B, 18092
      return out;
    case kGetGeneralStatus: {
      out.push_back(0x00);                      // last error
      out.push_back(field_on_ ? 0x01 : 0x00);   // external field? (our own here)
      out.push_back(target_active_ ? 1 : 0);
      if (target_active_) append(out, Bytes{0x01, 0x00, 0x00, static_cast<uint8_t>(card_ && card_->type == Pn532Card::Type::kB ? 0x03 : 0x00)});
      out.push_back(0x00);  // SAM status
      return out;
    }
    case kReadRegister:
      if (data.empty() || data.size() % 2 != 0) return std::nullopt;
      for (size_t i = 0; i < data.size(); i += 2) out.push_back(registers_[static_cast<uint16_t>(data[i] << 8 | data[i + 1])]);
      return out;
    case kWriteRegister:
      if (data.empty() || data.size() % 3 != 0) return std::nullopt;
      for (size_t i = 0; i < data.size(); i += 3) registers_[static_cast<uint16_t>(data[i] << 8 | data[i + 1])] = data[i + 2];
      return out;
    case kSetParameters:
      if (data.size() != 1) return std::nullopt;
      parameters_ = data[0];
      return out;
    case kSamConfiguration:
      if (data.empty() || data[0] < 0x01 || data[0] > 0x04) return std::nullopt;
      if (data[0] == 0x01) stats_.sam_configured = true;
      return out;
    case kPowerDown:
      if (data.empty()) return std::nullopt;
      target_active_ = false;
      field_on_ = false;
      sleep_after_answer_ = true;  // asleep once the answer is out (pn532_port.cpp)
      out.push_back(kStatusOk);
      return out;
    case kRfConfiguration:
      if (data.empty()) return std::nullopt;
      if (data[0] == 0x01 && data.size() >= 2) {  // RF field
        field_on_ = (data[1] & 0x01) != 0;
        if (!field_on_) target_active_ = false;  // the card loses power
      }
      return out;
    case kInListPassiveTarget: {
      if (data.size() < 2 || data[0] < 1 || data[0] > 2) return std::nullopt;
      lock.unlock();
      std::optional<Bytes> target = activate(data[1], data.subspan(2), false, 0);
      out.push_back(target ? 1 : 0);
      if (target) append(out, *target);
      return out;
    }
    case kInAutoPoll: {
      if (data.size() < 3) return std::nullopt;
      lock.unlock();
      for (uint8_t type : data.subspan(2)) {
        std::optional<Bytes> target;
        if (type == 0x00 || type == 0x10 || type == 0x20) target = activate(0x00, {}, true, type);
        else if (type == 0x03 || type == 0x23) target = activate(0x03, Bytes{0x00}, true, type);
        if (target) {
          out.push_back(1);
          out.push_back(type);
          out.push_back(static_cast<uint8_t>(target->size()));
          append(out, *target);
          return out;
        }
      }
      out.push_back(0);
      return out;
    }
    case kInDataExchange:
      lock.unlock();
      return in_data_exchange(data);
    case kInCommunicateThru:
      lock.unlock();
      return in_communicate_thru(data);
    case kInSelect:
      if (data.size() != 1) return std::nullopt;
      out.push_back(card_ && card_was_activated_ && data[0] == 1 ? kStatusOk : kStatusWrongContext);
      if (out.back() == kStatusOk) target_active_ = true;
      return out;
    case kInDeselect:
    case kInRelease:
      if (data.size() != 1) return std::nullopt;
      target_active_ = false;
      pending_in_.clear();
      pending_out_.clear();
      out.push_back(kStatusOk);
      return out;
    default:
      return std::nullopt;
  }
}

std::optional<Bytes> Pn532Emulator::activate(uint8_t brty, ByteView initiator_data, bool, uint8_t poll_type) {
  std::shared_ptr<apdu::Transport> application;
  Bytes target_data = {0x01};  // Tg
  {
    std::lock_guard<std::mutex> lock(mutex_);
    field_on_ = true;
    target_active_ = false;
    pending_in_.clear();
    pending_out_.clear();
    if (!card_) return std::nullopt;
    const Pn532Card& c = *card_;
    if (brty == 0x00 && c.type == Pn532Card::Type::kA) {
      if (!initiator_data.empty() && !equal_bytes(initiator_data, c.nfcid1)) return std::nullopt;
      if (poll_type == 0x20 && !(c.sel_res & 0x20)) return std::nullopt;
      append(target_data, c.sens_res);
      target_data.push_back(c.sel_res);
      target_data.push_back(static_cast<uint8_t>(c.nfcid1.size()));
      append(target_data, c.nfcid1);
      if ((parameters_ & kParamAutoRats) && (c.sel_res & 0x20) && poll_type != 0x10) append(target_data, c.ats);
    } else if (brty == 0x03 && c.type == Pn532Card::Type::kB) {
      // InitiatorData: AFI (and optionally the polling method); AFI 00 addresses every card.
      if (initiator_data.empty()) return std::nullopt;
      append(target_data, c.atqb);
      target_data.push_back(static_cast<uint8_t>(c.attrib_res.size()));
      append(target_data, c.attrib_res);
    } else {
      return std::nullopt;
    }
    application = c.application;  // powered up and activated: a fresh card session
    card_was_activated_ = true;
    target_active_ = true;
    picc_block_number_ = 1;  // ISO/IEC 14443-4 §7.5.3.1 rule C: the PICC starts at 1
    last_i_block_.clear();
    ++stats_.activations;
  }
  if (application) (void)application->reconnect(std::chrono::milliseconds(0));
  return target_data;
}

Bytes Pn532Emulator::in_data_exchange(ByteView data) {
  const Bytes status_only = {static_cast<uint8_t>(kInDataExchange + 1)};
  auto answer = [&](uint8_t status, ByteView bytes) {
    Bytes out = status_only;
    out.push_back(status);
    append(out, bytes);
    return out;
  };
  std::shared_ptr<apdu::Transport> application;
  Bytes command;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (data.empty() || (data[0] & 0x3F) != 1) return answer(kStatusWrongContext, {});
    if (!target_active_) return answer(kStatusWrongContext, {});
    if (!card_) return answer(kStatusTimeout, {});  // the card left: nothing answers
    const bool more = (data[0] & 0x40) != 0;
    const ByteView chunk = data.subspan(1);
    if (chunk.empty() && !more && !pending_out_.empty()) {
      // The host asks for the next part of a long answer (MI chaining, UM0701-02 §7.3.8).
      const size_t n = std::min(pending_out_.size(), options_.max_frame_data);
      Bytes part(pending_out_.begin(), pending_out_.begin() + static_cast<std::ptrdiff_t>(n));
      pending_out_.erase(pending_out_.begin(), pending_out_.begin() + static_cast<std::ptrdiff_t>(n));
      const bool still_more = !pending_out_.empty();
      if (still_more) ++stats_.mi_chunks_out;
      return answer(static_cast<uint8_t>(kStatusOk | (still_more ? 0x40 : 0x00)), part);
    }
    append(pending_in_, chunk);
    if (more) {
      ++stats_.mi_chunks_in;
      return answer(kStatusOk, {});
    }
    command = std::move(pending_in_);
    pending_in_.clear();
    // Faults armed for this APDU: the board goes (no answer at all), or the card leaves.
    if (unplug_countdown_ && (*unplug_countdown_)-- == 0) {
      unplug_countdown_.reset();
      unplug_now_ = true;
      return answer(kStatusTimeout, {});  // never sent
    }
    if (remove_countdown_ && (*remove_countdown_)-- == 0) {
      remove_countdown_.reset();
      if (remove_back_after_) {
        returning_card_ = std::move(card_);
        return_at_ = std::chrono::steady_clock::now() + *remove_back_after_;
      }
      card_.reset();
      return answer(kStatusTimeout, {});  // the card left with the command on the air
    }
    application = card_->application;
  }
  Bytes response;
  if (!application) return answer(kStatusTimeout, {});
  auto parsed = apdu::CommandApdu::parse(command);
  if (!parsed.ok()) {
    response = {0x67, 0x00};  // the card rejects what it cannot parse: wrong length
  } else {
    auto r = application->transmit(*parsed);
    if (!r.ok()) return answer(kStatusTimeout, {});  // the card fell silent
    response = r->encode();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (!card_ || !target_active_) return answer(kStatusTimeout, {});  // removed while it worked
  ++stats_.apdus;
  picc_block_number_ ^= 1;  // one I-block exchange (rule D: the PICC toggles on each I-block)
  last_i_block_ = concat({Bytes{static_cast<uint8_t>(0x02 | picc_block_number_)}, response});
  if (response.size() <= options_.max_frame_data) return answer(kStatusOk, response);
  const size_t n = options_.max_frame_data;
  pending_out_.assign(response.begin() + static_cast<std::ptrdiff_t>(n), response.end());
  ++stats_.mi_chunks_out;
  return answer(kStatusOk | 0x40, ByteView(response).first(n));
}


Bytes Pn532Emulator::in_communicate_thru(ByteView data) {
  // Raw ISO/IEC 14443-4 blocks (CRC added and checked by the chip). libnfc's presence check
  // sends R(NAK); the card answers R(ACK) when the block number is its own, otherwise it sends
  // its last block again (ISO/IEC 14443-4 §7.5.4.2, rule 11).
  auto answer = [](uint8_t status, ByteView bytes) {
    Bytes out = {static_cast<uint8_t>(kInCommunicateThru + 1), status};
    append(out, bytes);
    return out;
  };
  std::lock_guard<std::mutex> lock(mutex_);
  if (data.empty()) return answer(kStatusWrongContext, {});
  if (!card_ || !target_active_) return answer(kStatusTimeout, {});  // nothing in the field answers
  const uint8_t pcb = data[0];
  if ((pcb & 0xF6) == 0xB2) {  // R(NAK)
    const uint8_t bn = pcb & 0x01;
    if (bn == picc_block_number_ || last_i_block_.empty())
      return answer(kStatusOk, Bytes{static_cast<uint8_t>(0xA2 | picc_block_number_)});
    return answer(kStatusOk, last_i_block_);
  }
  if ((pcb & 0xF7) == 0xC2) {  // S(DESELECT)
    target_active_ = false;
    return answer(kStatusOk, Bytes{0xC2});
  }
  return answer(kStatusTimeout, {});  // anything else: a real card would not answer either
}

}  // namespace idtap::testing
