// lib/sm/sm_objects.h: private helpers for the secure messaging data objects (ISO/IEC 7816-4
// §10, ICAO 9303-11 §9.8) shared by the terminal and the card side. Not installed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "idtap/apdu/tlv.h"
#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/sm/cipher_suite.h"

namespace idtap::sm::internal {

// The SM data object tags.
inline constexpr uint8_t kTagCryptogramOdd = 0x85;   // cryptogram, no padding indicator (odd INS)
inline constexpr uint8_t kTagCryptogram = 0x87;      // padding-content indicator || cryptogram
inline constexpr uint8_t kTagLe = 0x97;              // Ne of the plain command
inline constexpr uint8_t kTagStatus = 0x99;          // the plain status word
inline constexpr uint8_t kTagMac = 0x8E;             // cryptographic checksum
inline constexpr uint8_t kPaddingIndicator = 0x01;   // ISO/IEC 7816-4: padded per method 2

// is_odd_ins: INS with b1 set: the data field is BER-TLV, the cryptogram goes in DO85.
inline bool is_odd_ins(uint8_t ins) { return (ins & 0x01) != 0; }

// der_length_size: the number of bytes DER needs for the length `len`.
inline size_t der_length_size(size_t len) { return len < 0x80 ? 1 : len <= 0xFF ? 2 : len <= 0xFFFF ? 3 : 4; }

// append_der_length: appends the DER length octets of `len` to `out`.
void append_der_length(Bytes& out, size_t len);

// append_padded_header: CLA INS P1 P2 padded with method 2 to `block` (the MACed header).
void append_padded_header(Bytes& out, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, size_t block);

// cryptogram_do_size: the size of the DO85/DO87 that carries `plain_len` plaintext bytes.
size_t cryptogram_do_size(size_t plain_len, size_t block, bool odd_ins);

// append_cryptogram_do: appends DO87 (01 || E(pad(plain))) or, for `odd_ins`, DO85
// (E(pad(plain))), encrypting in place in `out` with the IV for `ssc`.
Status append_cryptogram_do(Bytes& out, ByteView plain, bool odd_ins, const CipherSuite& suite, ByteView ssc);

// SmObjects: the data objects of one protected APDU, viewing the parsed buffer. `maced` is the
// bytes of every object before DO8E (what the MAC covers besides SSC and header).
struct SmObjects {
  std::optional<apdu::Tlv> cryptogram;  // DO85 or DO87
  std::optional<apdu::Tlv> le;          // DO97 (commands)
  std::optional<apdu::Tlv> status;      // DO99 (responses)
  std::optional<apdu::Tlv> mac;         // DO8E
  ByteView maced;
};

// parse_sm_objects: splits `data` into SM data objects in the order ICAO 9303-11 §9.8 gives
// them: [DO85|DO87] [DO97] [DO99] DO8E, DO8E last. Errors carry a reason for the caller to
// wrap: "truncated or malformed ...", "unexpected data object XX", "DO8E is not last", ...
// The error code is kSecureMessaging.
Result<SmObjects> parse_sm_objects(ByteView data);

// check_mac: recomputes the MAC over SSC || `header_padded` || objects.maced and compares it
// in constant time with DO8E. kSecureMessaging ("... MAC does not verify") on mismatch.
Status check_mac(const CipherSuite& suite, ByteView ssc, ByteView header_padded, const SmObjects& objects,
                 const char* what);

// decrypt_cryptogram: the plaintext in DO85 / DO87: indicator checked (01 for DO87), length a
// whole number of blocks, decrypted with the IV for `ssc`, method-2 padding removed.
// kSecureMessaging naming the fault otherwise.
Result<Bytes> decrypt_cryptogram(const CipherSuite& suite, ByteView ssc, const apdu::Tlv& object);

// sm_error: a kSecureMessaging error with `context` and `sw`.
Error sm_error(std::string context, uint16_t sw = 0);

}  // namespace idtap::sm::internal
