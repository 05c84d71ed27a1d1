// support/pn532_emulator.h: an NXP PN532 (as on the common breakout boards) speaking its host
// frame protocol over a pseudo-terminal, so libnfc's own pn532_uart driver can be tested
// without hardware: connection string "pn532_uart:" + the port's name, a symlink to the
// pseudo-terminal in a directory of the emulator's own. The code is in three parts:
// pn532_frame.cpp (the frame codec), pn532_port.cpp (the pseudo-terminal, the worker thread and
// the host-link protocol) and pn532_emulator.cpp (the chip's commands and the card).
//
// What it emulates (NXP PN532 User Manual UM0701-02, §6.2 host link, §7 commands):
//   - frames: normal and extended information frames with LCS/DCS checksums, ACK, NACK (the
//     last answer is sent again), the syntax-error frame for an unknown command; a frame with a
//     bad checksum is dropped unanswered, as the chip does;
//   - power: the chip starts in LowVbat and sleeps again after PowerDown; until the HSU wake-up
//     preamble (0x55 ...) arrives, frames are ignored;
//   - commands: Diagnose (communication test, card presence), GetFirmwareVersion (PN532 v1.6),
//     GetGeneralStatus, ReadRegister, WriteRegister, SetParameters, SAMConfiguration, PowerDown,
//     RFConfiguration, InListPassiveTarget (106 kbps Type A with automatic RATS, Type B with
//     ATTRIB), InAutoPoll, InDataExchange (ISO/IEC 14443-4 APDUs, with the MI bit chaining host
//     frames larger than max_frame_data in either direction), InCommunicateThru (the raw
//     R(NAK) presence check libnfc 1.8 sends), InSelect, InDeselect, InRelease;
//   - the card: one Pn532Card in the field at a time, answering APDUs through an
//     apdu::Transport (the simulated card, or any scripted one). Every activation starts a fresh
//     card session (Transport::reconnect on the card), as the power-up of a real card does.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "idtap/apdu/transport.h"
#include "idtap/base/bytes.h"
#include "idtap/base/result.h"

namespace idtap::testing {

// Pn532Card: a card in the emulated field.
struct Pn532Card {
  enum class Type { kA, kB };
  Type type = Type::kA;
  // Type A (ISO/IEC 14443-3 anticollision, then RATS when SAK says ISO/IEC 14443-4).
  Bytes nfcid1 = {0x08, 0x5A, 0x3C, 0x11};  // a random UID (first byte 08), as eMRTDs use
  Bytes sens_res = {0x00, 0x04};             // ATQA as sent
  uint8_t sel_res = 0x20;                    // SAK: ISO/IEC 14443-4 compliant
  // ATS including TL: T0 78 (TA TB TC present, FSCI 8), TA 77, TB B1, TC 02, historical "JCOPv24".
  Bytes ats = {0x0C, 0x78, 0x77, 0xB1, 0x02, 0x4A, 0x43, 0x4F, 0x50, 0x76, 0x32, 0x34};
  // Type B: ATQB = 50 || PUPI(4) || application data(4) || protocol info(3), then ATTRIB response.
  Bytes atqb = {0x50, 0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0x00, 0x00, 0x77, 0x81, 0x91};
  Bytes attrib_res = {0x00};
  // The card's application. Shared so a test can keep inspecting it.
  std::shared_ptr<apdu::Transport> application;
};

// Pn532Stats: what the emulator saw and did (for assertions).
struct Pn532Stats {
  size_t wakeups = 0;           // HSU wake-up preambles (0x55) received
  size_t frames = 0;            // well-formed host information frames
  size_t extended_frames = 0;   // of which extended frames
  size_t host_acks = 0;         // ACK frames from the host (abort)
  size_t nacks = 0;             // NACK frames from the host (answered by resending)
  size_t checksum_errors = 0;   // frames dropped for a bad LCS or DCS
  size_t error_frames = 0;      // syntax-error frames sent
  size_t ignored_asleep = 0;    // frames ignored because the chip was asleep
  size_t activations = 0;       // card activations (InListPassiveTarget / InAutoPoll)
  size_t apdus = 0;             // APDUs the card answered
  size_t mi_chunks_in = 0;      // InDataExchange frames from the host with MI set
  size_t mi_chunks_out = 0;     // answers sent with MI set
  size_t aborted = 0;           // answers dropped because the host moved on
  bool sam_configured = false;  // SAMConfiguration (normal mode) received since start
  std::vector<uint8_t> commands;  // command codes in the order received
};

// Pn532Emulator: owns the pseudo-terminal and a worker thread; stops and closes both on
// destruction. Thread-safe: tests call it while libnfc talks to it.
class Pn532Emulator {
 public:
  struct Options {
    size_t max_frame_data = 262;  // card bytes per InDataExchange frame before MI chaining
    bool trace = false;           // print every frame on stderr
    // link_path: the port's name, a symlink to the pseudo-terminal that goes when the board
    // goes. Empty: "ttyPN532" in a private temporary directory, removed with the emulator.
    // Never the /dev/pts/N name itself: those numbers are shared by every process on the
    // machine and reused at once, so a host keeping a gone board's name (a driver reopening
    // its reader) would reach another process's new pseudo-terminal.
    std::string link_path;
  };

  // Pn532Emulator::start: opens a pseudo-terminal (posix_openpt), sets it raw and starts
  // answering. kIo when no pseudo-terminal can be had.
  static Result<std::unique_ptr<Pn532Emulator>> start(Options options);
  static Result<std::unique_ptr<Pn532Emulator>> start() { return start(Options{}); }
  ~Pn532Emulator();
  Pn532Emulator(const Pn532Emulator&) = delete;
  Pn532Emulator& operator=(const Pn532Emulator&) = delete;

  // tty_path: the port's name (link_path; the pseudo-terminal behind it changes on replug());
  // connstring: "pn532_uart:" + tty_path().
  const std::string& tty_path() const { return tty_path_; }
  std::string connstring() const { return "pn532_uart:" + tty_path_; }

  // place_card / remove_card: a card enters or leaves the field. A removed card stops
  // answering at once (an exchange in flight times out, as on the air).
  void place_card(Pn532Card card);
  void remove_card();
  // unplug: the reader disappears: the master side closes, the host sees an I/O error, and the
  // port's name goes (opening it again fails until replug()).
  void unplug();
  // replug: after unplug(), the board comes back on a new pseudo-terminal under the same name
  // (tty_path), asleep as a board that just got power. kState if it was not unplugged.
  Status replug();
  // set_response_delay: answers (after the ACK) come this late; a host frame arriving meanwhile
  // cancels the pending answer, as a real host abort does.
  void set_response_delay(std::chrono::milliseconds delay);

  // remove_card_at_apdu: the card leaves the field when APDU number `index` reaches it (counted
  // from now: 0 is the next APDU, whatever card is then in the field): that exchange is not
  // answered (status Timeout, as on the air). With `back_after`, the same card is in the field
  // again that long after it left (the next activation from then on finds it, as a fresh card
  // session). Replaces an earlier arming; place_card() disarms.
  void remove_card_at_apdu(size_t index, std::optional<std::chrono::milliseconds> back_after = std::nullopt);
  // unplug_at_apdu: the board disappears when APDU number `index` (counted from now) arrives:
  // after its ACK, the pseudo-terminal closes as unplug() closes it and no answer comes.
  // unplug() afterwards only tidies up; replug() brings the board back.
  void unplug_at_apdu(size_t index);

  // stats: a snapshot of the counters.
  Pn532Stats stats() const;
  // target_active: a card is activated (selected) right now.
  bool target_active() const;

 private:
  explicit Pn532Emulator(Options options);
  Status plug_in();
  void run();
  void process_input();
  std::optional<Bytes> handle_command(ByteView payload);  // payload = command code + data; answer payload
  Bytes in_data_exchange(ByteView data);
  Bytes in_communicate_thru(ByteView data);
  std::optional<Bytes> activate(uint8_t brty, ByteView initiator_data, bool auto_poll_format, uint8_t poll_type);
  void send_raw(ByteView bytes);
  void send_answer(ByteView payload);  // frames D5 + payload
  bool wait_or_abort(std::chrono::milliseconds delay);
  void return_card_if_due();  // with mutex_ held
  void close_link();          // the worker's half of unplug(): both pseudo-terminal ends close

  Options options_;
  std::string tty_path_;
  std::string pts_path_;     // the pseudo-terminal behind tty_path_ ("/dev/pts/7")
  std::string private_dir_;  // the directory of the default link_path, removed with the emulator
  int master_fd_ = -1;
  int slave_fd_ = -1;  // held open so the master never sees a hang-up between host sessions
  int stop_pipe_[2] = {-1, -1};
  std::thread worker_;

  mutable std::mutex mutex_;
  std::optional<Pn532Card> card_;
  bool card_was_activated_ = false;
  bool target_active_ = false;
  bool asleep_ = true;
  bool field_on_ = false;
  uint8_t parameters_ = 0;
  std::map<uint16_t, uint8_t> registers_;
  std::chrono::milliseconds delay_{0};
  Pn532Stats stats_;
  Bytes input_;
  Bytes last_answer_frame_;
  Bytes pending_in_;    // host MI chaining: command bytes collected so far
  Bytes pending_out_;   // card answer bytes not yet sent (MI chaining to the host)
  uint8_t picc_block_number_ = 1;  // the card's ISO/IEC 14443-4 block number
  Bytes last_i_block_;             // the card's last I-block (PCB || INF), for R(NAK)
  bool unplugged_ = false;
  // Faults armed for a chosen APDU (remove_card_at_apdu, unplug_at_apdu): APDUs still to pass.
  std::optional<size_t> remove_countdown_;
  std::optional<std::chrono::milliseconds> remove_back_after_;
  std::optional<size_t> unplug_countdown_;
  bool unplug_now_ = false;  // the worker closes the link and stops after this frame
  bool sleep_after_answer_ = false;  // PowerDown: the chip sleeps once its answer is sent
  std::optional<Pn532Card> returning_card_;  // a removed card coming back at return_at_
  std::chrono::steady_clock::time_point return_at_;
};

}  // namespace idtap::testing
