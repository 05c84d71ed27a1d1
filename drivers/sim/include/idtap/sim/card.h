// idtap/sim/card.h: the simulated card itself: a chip that answers ISO 7816-4 command APDUs
// from a CardImage (file system, BAC, PACE, Chip and Active Authentication, secure messaging).
//
// SimCard works on wire bytes, like a chip behind a reader: sim_transport.h puts it behind the
// apdu::Transport interface in-process, and `idtap sim serve` behind pcscd's vpcd reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/sim/card_image.h"

namespace idtap::sim {

// SecurityState: what the current card session has established (for tests and logs).
enum class SecurityState {
  kNone,           // no access control yet (or secure messaging was aborted)
  kBac,            // BAC session keys in use
  kPace,           // PACE session keys in use
  kChipAuthenticated,  // CA v1 (or PACE-CAM) done: the chip's keys now protect the session
};

// security_state_name: "none", "bac", "pace", "chip_authenticated".
const char* security_state_name(SecurityState state);

// RandomSource: where the chip's random numbers come from: `n` bytes, or an error. The default is
// crypto::random_bytes (OpenSSL's RAND_bytes).
using RandomSource = std::function<Result<Bytes>(size_t n)>;

// SimCard: one simulated chip. Not thread-safe (one reader talks to a card at a time).
class SimCard {
 public:
  // SimCard::create: a card from `image`. Parses the chip keys (chip/ca_key.pem,
  // chip/aa_key.pem) and, for a cloned chip (quirks.cloned_chip), replaces them with freshly
  // generated keys of the same kind. kMalformed for a chip key that does not parse, or for an
  // EF.CardAccess that does not parse when PACE is offered. The card starts powered off.
  static Result<std::unique_ptr<SimCard>> create(CardImage image);
  ~SimCard();
  SimCard(const SimCard&) = delete;
  SimCard& operator=(const SimCard&) = delete;

  // SimCard::power_on: a cold reset: nothing selected but the MF, no secure messaging, no
  // challenge pending. Retry counters keep their values (they live in the chip's EEPROM).
  // Returns the ATR.
  Bytes power_on();
  // SimCard::power_off: the card loses its session state (as at power_on).
  void power_off();
  // SimCard::powered: true between power_on and power_off.
  bool powered() const;

  // SimCard::process: the card's answer (response data || SW1 SW2) to one command APDU given as
  // wire bytes. Always answers: malformed APDUs get an ISO 7816-4 error status word. A card that
  // is not powered answers 6F00 (a reader would not deliver the command).
  Bytes process(ByteView command);

  // SimCard::config: the card's configuration (from card.conf). Quirks may be changed
  // between APDUs with set_quirks.
  const CardConfig& config() const;
  // SimCard::set_quirks: replaces the behaviour quirks (the CLI's --leave-after etc.).
  void set_quirks(const CardQuirks& quirks);

  // SimCard::set_random_source: replaces the chip's RNG (challenges, nonces, BAC K.ICC, private
  // scalars of ephemeral keys, AA nonces), so tests can replay the published worked examples
  // (ICAO 9303-11 Appendix D, G, H) byte for byte. An empty source restores the default.
  void set_random_source(RandomSource source);

  // SimCard::security_state: what the current session has established.
  SecurityState security_state() const;
  // SimCard::pace_retries_left: the retry counter of PACE password `password_ref` (1 = MRZ,
  // 2 = CAN; ICAO 9303-11 §9.5.2 / TR-03110 password references); -1 for an unknown ref.
  int pace_retries_left(int password_ref) const;
  // SimCard::apdus_processed: commands answered since creation (across power cycles).
  uint64_t apdus_processed() const;

 private:
  struct Impl;
  explicit SimCard(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace idtap::sim
