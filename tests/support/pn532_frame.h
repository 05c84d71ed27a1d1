// support/pn532_frame.h: the PN532 host-link frame codec (NXP PN532 User Manual UM0701-02 §6.2),
// as the chip sees it: the frames it sends (information frames from the chip, ACK, the
// syntax-error frame) and the frames it takes off the bytes a host wrote (HSU wake-up preamble,
// ACK, NACK, normal and extended information frames, checksums). No I/O and no state beyond the
// input buffer: the emulator (pn532_emulator.h) decides what each frame means.
#pragma once

#include <cstdint>
#include <optional>

#include "idtap/base/bytes.h"

namespace idtap::testing::pn532 {

// The ACK frame (§6.2.1.3) and the syntax-error frame (§6.2.1.5: application-level error).
inline constexpr uint8_t kAck[] = {0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00};
inline constexpr uint8_t kSyntaxError[] = {0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00};

// information_frame: an information frame with frame identifier `tfi` around `payload`: a
// normal frame (§6.2.1.1) up to 254 payload bytes, an extended one (§6.2.1.2) above or when
// `force_extended`.
Bytes information_frame(uint8_t tfi, ByteView payload, bool force_extended = false);

// chip_frame: an information frame from the chip (TFI D5) around `payload` (the answer code and
// its data).
inline Bytes chip_frame(ByteView payload) { return information_frame(0xD5, payload); }

// host_frame: an information frame from the host (TFI D4) around `payload` (the command code
// and its data), as a host's driver writes it; extended when `force_extended` or long.
inline Bytes host_frame(const Bytes& payload, bool force_extended = false) { return information_frame(0xD4, payload, force_extended); }

// HostFrame: one frame taken off the host's bytes.
struct HostFrame {
  enum class Kind {
    kAck,          // the host aborts the command in progress (§6.2.1.3)
    kNack,         // the host asks for the last answer again (§6.2.1.4)
    kInformation,  // a well-formed command: TFI D4, LCS and DCS right
    kBadLength,    // LEN/LCS (or LENM/LENL/LCS) checksum wrong: the start code is skipped
    kBadBody,      // DCS wrong, TFI not D4 or no command code: the frame is dropped unanswered
  };
  Kind kind = Kind::kInformation;
  bool extended = false;  // an extended information frame
  Bytes payload;          // kInformation: command code + data (TFI and checksums stripped)
  Bytes raw;              // kInformation and kBadBody: the whole frame as received (for tracing)
};

// TakenFrame: what take_host_frame found at the front of the input.
struct TakenFrame {
  bool woke = false;                // HSU wake-up preamble bytes (0x55) came before the frame
  std::optional<HostFrame> frame;   // none: no whole frame yet (the bytes stay for later)
};

// take_host_frame: takes the bytes before the next start code (00 FF) off `in`, then one whole
// frame when there is one. Bytes that may still begin a frame are kept (a trailing 00, or a
// frame whose end has not arrived).
TakenFrame take_host_frame(Bytes& in);

}  // namespace idtap::testing::pn532
