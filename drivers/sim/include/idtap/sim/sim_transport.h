// idtap/sim/sim_transport.h: the simulated card as an in-process apdu::Transport (`sim:DIR`),
// with a contactless link model that accounts time without sleeping.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "idtap/apdu/transport.h"
#include "idtap/base/result.h"
#include "idtap/sim/card.h"
#include "idtap/sim/card_image.h"

namespace idtap::sim {

// LinkModel: the ISO/IEC 14443 link the modeled time is computed for. Every APDU is cut into
// ISO 14443-4 I-blocks of at most `frame_size` bytes (1-byte PCB + INF + 2-byte CRC; chained
// blocks are each acknowledged by a 3-byte R(ACK)); each byte costs 9 bit times (8 data bits
// and parity, Type A), each frame 2 more (start and end of frame) and `frame_delay_us` of
// turnaround; each APDU adds `card_time_us` of chip processing. A model, not a measurement:
// good for comparing strategies (chunk sizes, extended length), not for absolute promises.
struct LinkModel {
  int bit_rate_kbps = 106;          // 106, 212, 424 or 848 (fc/128 .. fc/16, ISO 14443-2)
  size_t frame_size = 256;          // FSC = FSD: 16..256 (ISO 14443-4 FSCI 0..8), or 512..4096
  uint32_t frame_delay_us = 86;     // frame delay time per frame (about 1172/fc at 106 kbit/s)
  uint32_t card_time_us = 0;        // the chip's fixed processing time per APDU
};

// validate_link_model: ok for a model with a bit rate of 106/212/424/848 and a frame size of
// 16..4096; kInvalidArgument naming the bad field otherwise.
Status validate_link_model(const LinkModel& model);

// LinkStatistics: what went over the modeled link since the transport was opened.
struct LinkStatistics {
  uint64_t apdus = 0;            // command APDUs the card answered
  uint64_t bytes_to_card = 0;    // command APDU bytes (header, Lc, data, Le)
  uint64_t bytes_from_card = 0;  // response APDU bytes (data and SW)
  uint64_t frames = 0;           // ISO 14443-4 blocks both ways (I-blocks and R(ACK)s)
  uint64_t modeled_us = 0;       // modeled link and card time, microseconds
  uint64_t removals = 0;         // times the card left the field
};

// SimOptions: how open_sim_transport sets the card up.
struct SimOptions {
  LinkModel link;
  std::optional<CardQuirks> quirks;  // replaces card.conf's quirks when set
};

// SimTransport: an apdu::Transport over a SimCard in the same process. The card is powered
// on when the transport opens. When the card leaves the field (quirks.leave_after), transmit
// fails with kCardRemoved until reconnect(), which powers the card up again (a fresh session:
// no secure messaging, MF selected); the card then stays. capabilities() is honest: extended
// length (Nc 65535, Ne 65536) only when the card accepts it, else short (255 / 256).
class SimTransport : public apdu::Transport {
 public:
  // SimTransport: takes ownership of `card`; `name` is what describe() shows after "sim:".
  SimTransport(std::unique_ptr<SimCard> card, LinkModel link, std::string name);
  ~SimTransport() override;

  Result<apdu::ResponseApdu> transmit(const apdu::CommandApdu& command) override;
  Bytes atr() const override;
  apdu::TransportCaps capabilities() const override;
  Status reconnect(std::chrono::milliseconds timeout) override;
  Status close() override;
  std::string describe() const override;

  // SimTransport::statistics: the counters so far.
  const LinkStatistics& statistics() const { return stats_; }
  // SimTransport::reset_statistics: zeroes the counters (e.g. between benchmark phases).
  void reset_statistics() {
    stats_ = {};
    modeled_ns_ = 0;
  }
  // SimTransport::link_model: the model in use.
  const LinkModel& link_model() const { return link_; }
  // SimTransport::card: the card (for tests: its security state, retry counters, quirks).
  SimCard& card() { return *card_; }
  // SimTransport::remove_card: the card leaves the field now (as the leave_after quirk does).
  void remove_card();

 private:
  std::unique_ptr<SimCard> card_;
  LinkModel link_;
  std::string name_;
  LinkStatistics stats_;
  uint64_t modeled_ns_ = 0;
  uint64_t apdus_this_session_ = 0;
  bool left_once_ = false;
  bool present_ = true;
  bool closed_ = false;
};

// modeled_exchange_us: the modeled time of one exchange of `command_bytes` to the card and
// `response_bytes` back under `link`, and the number of frames it took (both ways).
struct ModeledExchange {
  uint64_t nanoseconds = 0;
  uint64_t frames = 0;
};
ModeledExchange model_exchange(const LinkModel& link, size_t command_bytes, size_t response_bytes);

// open_sim_card: loads the card image in `dir` and opens it as a SimTransport. Errors are
// load_card_image's and SimCard::create's, and kInvalidArgument for a bad link model.
Result<std::unique_ptr<SimTransport>> open_sim_card(const std::string& dir, const SimOptions& options = {});
// open_sim_card_image: as open_sim_card, from an image already in memory (`name` is shown by
// describe()).
Result<std::unique_ptr<SimTransport>> open_sim_card_image(CardImage image, const SimOptions& options = {},
                                                          const std::string& name = "memory");
// open_sim_transport: open_sim_card as a plain apdu::Transport (what `sim:DIR` in a reader
// selector gives). Use sim_statistics() or open_sim_card for the statistics.
Result<std::unique_ptr<apdu::Transport>> open_sim_transport(const std::string& dir, const SimOptions& options = {});
// sim_statistics: the link statistics of `transport` when it is a SimTransport, nullopt when it
// is anything else (decorators do not forward this: keep a pointer to the SimTransport).
std::optional<LinkStatistics> sim_statistics(const apdu::Transport& transport);

}  // namespace idtap::sim
