// The simulated card as an in-process apdu::Transport, and the contactless link model.
#include "idtap/sim/sim_transport.h"

#include <cmath>

#include "idtap/apdu/command.h"

namespace idtap::sim {
namespace {

constexpr double kCarrierHz = 13.56e6;  // ISO/IEC 14443-2 fc
constexpr size_t kBlockOverhead = 3;    // PCB + CRC_A (2) around each I-block's INF
constexpr size_t kRBlockSize = 3;       // R(ACK): PCB + CRC_A

// bit_divisor: fc / bit rate (ISO/IEC 14443-2: 106 = fc/128 ... 848 = fc/16).
int bit_divisor(int kbps) {
  switch (kbps) {
    case 106: return 128;
    case 212: return 64;
    case 424: return 32;
    case 848: return 16;
    default: return 0;
  }
}

}  // namespace

Status validate_link_model(const LinkModel& m) {
  if (bit_divisor(m.bit_rate_kbps) == 0)
    return make_error(ErrorCode::kInvalidArgument, "link bit rate must be 106, 212, 424 or 848 kbit/s, not " + std::to_string(m.bit_rate_kbps));
  if (m.frame_size < 16 || m.frame_size > 4096)
    return make_error(ErrorCode::kInvalidArgument, "link frame size must be 16..4096 bytes, not " + std::to_string(m.frame_size));
  return ok_status();
}

ModeledExchange model_exchange(const LinkModel& link, size_t command_bytes, size_t response_bytes) {
  ModeledExchange out;
  const int divisor = bit_divisor(link.bit_rate_kbps);
  if (divisor == 0 || link.frame_size <= kBlockOverhead) return out;
  const double bit_ns = divisor * 1e9 / kCarrierHz;
  const size_t inf = link.frame_size - kBlockOverhead;
  double ns = 0;
  auto frame = [&](size_t bytes) {
    ns += static_cast<double>(9 * bytes + 2) * bit_ns + link.frame_delay_us * 1000.0;
    ++out.frames;
  };
  // One direction: the APDU in chained I-blocks, each but the last acknowledged by R(ACK).
  auto direction = [&](size_t bytes) {
    size_t blocks = bytes == 0 ? 1 : (bytes + inf - 1) / inf;
    for (size_t i = 0; i < blocks; ++i) {
      size_t chunk = std::min(inf, bytes - std::min(bytes, i * inf));
      frame(chunk + kBlockOverhead);
      if (i + 1 < blocks) frame(kRBlockSize);
    }
  };
  direction(command_bytes);
  direction(response_bytes);
  ns += link.card_time_us * 1000.0;
  out.nanoseconds = static_cast<uint64_t>(std::llround(ns));
  return out;
}

SimTransport::SimTransport(std::unique_ptr<SimCard> card, LinkModel link, std::string name)
    : card_(std::move(card)), link_(link), name_(std::move(name)) {
  card_->power_on();
}

SimTransport::~SimTransport() = default;

Result<apdu::ResponseApdu> SimTransport::transmit(const apdu::CommandApdu& command) {
  if (closed_) return make_error(ErrorCode::kState, describe() + ": transport is closed");
  if (!present_) return make_error(ErrorCode::kCardRemoved, describe() + ": the card left the field");
  IDTAP_ASSIGN_OR_RETURN(Bytes wire, command.encode());
  const size_t leave_after = card_->config().quirks.leave_after;
  if (!left_once_ && leave_after != 0 && apdus_this_session_ >= leave_after) {
    remove_card();
    return make_error(ErrorCode::kCardRemoved, describe() + ": the card left the field after " + std::to_string(leave_after) + " APDUs");
  }
  Bytes answer = card_->process(wire);
  ++apdus_this_session_;
  ModeledExchange m = model_exchange(link_, wire.size(), answer.size());
  ++stats_.apdus;
  stats_.bytes_to_card += wire.size();
  stats_.bytes_from_card += answer.size();
  stats_.frames += m.frames;
  modeled_ns_ += m.nanoseconds;
  stats_.modeled_us = modeled_ns_ / 1000;
  return apdu::ResponseApdu::parse(answer);
}

Bytes SimTransport::atr() const { return card_->config().atr; }

apdu::TransportCaps SimTransport::capabilities() const {
  apdu::TransportCaps caps;
  if (card_->config().quirks.extended_length) {
    caps.extended_length = true;
    caps.max_command_data = apdu::kMaxExtendedNc;
    caps.max_response_data = apdu::kMaxExtendedNe;
  } else {
    caps.extended_length = false;
    caps.max_command_data = apdu::kMaxShortNc;
    caps.max_response_data = apdu::kMaxShortNe;
  }
  return caps;
}

Status SimTransport::reconnect(std::chrono::milliseconds) {
  if (closed_) return make_error(ErrorCode::kState, describe() + ": transport is closed");
  card_->power_on();
  present_ = true;
  apdus_this_session_ = 0;
  return ok_status();
}

Status SimTransport::close() {
  if (!closed_) {
    card_->power_off();
    closed_ = true;
  }
  return ok_status();
}

std::string SimTransport::describe() const { return "sim:" + name_; }

void SimTransport::remove_card() {
  if (!present_) return;
  present_ = false;
  left_once_ = true;
  ++stats_.removals;
  card_->power_off();
}

Result<std::unique_ptr<SimTransport>> open_sim_card_image(CardImage image, const SimOptions& options, const std::string& name) {
  IDTAP_TRY(validate_link_model(options.link));
  if (options.quirks) image.config.quirks = *options.quirks;
  IDTAP_ASSIGN_OR_RETURN(auto card, SimCard::create(std::move(image)));
  return std::make_unique<SimTransport>(std::move(card), options.link, name);
}

Result<std::unique_ptr<SimTransport>> open_sim_card(const std::string& dir, const SimOptions& options) {
  IDTAP_TRY(validate_link_model(options.link));
  IDTAP_ASSIGN_OR_RETURN(CardImage image, load_card_image(dir));
  return open_sim_card_image(std::move(image), options, dir);
}

Result<std::unique_ptr<apdu::Transport>> open_sim_transport(const std::string& dir, const SimOptions& options) {
  IDTAP_ASSIGN_OR_RETURN(auto t, open_sim_card(dir, options));
  return std::unique_ptr<apdu::Transport>(std::move(t));
}

std::optional<LinkStatistics> sim_statistics(const apdu::Transport& transport) {
  if (const auto* sim = dynamic_cast<const SimTransport*>(&transport)) return sim->statistics();
  return std::nullopt;
}

}  // namespace idtap::sim
