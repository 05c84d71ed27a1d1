#include "idtap/sm/terminal_sm.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

#include "sm_objects.h"

namespace idtap::sm {
namespace {

using namespace internal;

constexpr size_t kMacDoSize = 2 + kSmMacSize;  // 8E 08 || MAC
constexpr size_t kStatusDoSize = 4;            // 99 02 SW1 SW2

std::string sw_text(uint16_t sw) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04X", sw);
  return buf;
}

std::string byte_text(uint8_t b) {
  char buf[4];
  std::snprintf(buf, sizeof buf, "%02X", b);
  return buf;
}

// le_do_size: DO97 for `ne` (0: absent; 1-byte Le up to 256, else 2 bytes).
size_t le_do_size(size_t ne) { return ne == 0 ? 0 : ne <= 256 ? 3 : 4; }

// largest_plaintext: the largest plaintext length n whose cryptogram object (DO87), plus
// `fixed` bytes of other objects, fits in `limit` bytes.
size_t largest_plaintext(size_t limit, size_t block, size_t fixed) {
  // DO87 for a padded cryptogram of c bytes is 87 || len(c + 1) || 01 || c; plaintext c - 1 at most
  // (method-2 padding adds at least one byte).
  for (size_t c = limit / block * block; c >= block; c -= block) {
    const size_t do87 = 1 + der_length_size(c + 1) + c + 1;
    if (do87 + fixed <= limit) return c - 1;
  }
  return 0;
}

}  // namespace

// Short-length arithmetic (AES, 16-byte blocks). Response: the protected data field holds at
// most 256 bytes (Le = 00). DO99 takes 4 and DO8E 10, leaving 242 for DO87 = 87 || 81 L || 01 ||
// cryptogram, so the cryptogram is at most 238 bytes: 224 as a multiple of 16 (240 would need
// 87 81 F1 01 + 240 = 244). Method-2 padding always adds at least one byte, so 224 bytes of
// cryptogram carry at most 223 bytes of plaintext. Command: Lc is at most 255; DO97 (3) and
// DO8E (10) leave 242 for DO87, the same 224-byte cryptogram, again 223 bytes. With 3DES
// (8-byte blocks) the cryptogram is 232 bytes and the plaintext 231. With extended length
// the same sums run against the wrapped transport's own limits.
apdu::TransportCaps plaintext_caps(const apdu::TransportCaps& wrapped, crypto::CipherAlg alg) {
  const size_t block = crypto::block_size(alg);
  apdu::TransportCaps caps;
  caps.extended_length = wrapped.extended_length;
  const size_t response_limit =
      wrapped.extended_length ? wrapped.max_response_data : std::min<size_t>(wrapped.max_response_data, 256);
  const size_t command_limit =
      wrapped.extended_length ? wrapped.max_command_data : std::min<size_t>(wrapped.max_command_data, 255);
  caps.max_response_data = largest_plaintext(response_limit, block, kStatusDoSize + kMacDoSize);
  // A command's DO97 is 4 bytes once Ne exceeds 256 (only possible in extended form).
  const size_t le_size = wrapped.extended_length ? 4 : 3;
  caps.max_command_data = largest_plaintext(command_limit, block, le_size + kMacDoSize);
  return caps;
}

TerminalSecureMessaging::TerminalSecureMessaging(CipherSuite suite, Bytes ssc)
    : suite_(std::move(suite)), ssc_(std::move(ssc)) {
  scratch_.reserve(512);
}

Result<TerminalSecureMessaging> TerminalSecureMessaging::create(const SessionKeys& keys) {
  if (keys.ssc.size() != ssc_size(keys.alg))
    return make_error(ErrorCode::kInvalidArgument, "the send sequence counter must be " +
                                                       std::to_string(ssc_size(keys.alg)) + " bytes for this cipher");
  IDTAP_ASSIGN_OR_RETURN(CipherSuite suite, CipherSuite::create(keys.alg, keys.ks_enc, keys.ks_mac));
  return TerminalSecureMessaging(std::move(suite), keys.ssc);
}

Result<apdu::CommandApdu> TerminalSecureMessaging::wrap_command(const apdu::CommandApdu& plain,
                                                                const WrapOptions& options) {
  auto invalid = [](std::string why) { return make_error(ErrorCode::kInvalidArgument, std::move(why)); };
  if (plain.cla == 0xFF) return invalid("CLA FF is a reader pseudo-APDU and is never protected");
  if ((plain.cla & 0xE0) != 0)
    return invalid("CLA " + byte_text(plain.cla) + ": only the first interindustry class (00-1F) is protected");
  if ((plain.cla & 0x0C) != 0) return invalid("the command is already marked as secure messaging (CLA b4-b3)");
  if (plain.data.size() > apdu::kMaxExtendedNc || plain.ne > apdu::kMaxExtendedNe)
    return invalid("command lengths beyond ISO 7816-4 limits");

  const size_t block = suite_.block_size();
  const bool odd = is_odd_ins(plain.ins);
  const size_t body = (plain.data.empty() ? 0 : cryptogram_do_size(plain.data.size(), block, odd)) +
                      le_do_size(plain.ne) + kMacDoSize;
  const bool needs_extended = plain.needs_extended() || body > apdu::kMaxShortNc;
  const size_t short_response_max = largest_plaintext(256, block, kStatusDoSize + kMacDoSize);
  const bool extended = options.extended_length && (needs_extended || plain.ne > short_response_max);
  if (needs_extended && !options.extended_length)
    return invalid("the protected command needs extended length (" + std::to_string(plain.data.size()) +
                   " data bytes, Ne " + std::to_string(plain.ne) + "), which the reader does not support");
  if (body > std::min(options.max_command_data, apdu::kMaxExtendedNc))
    return invalid("the protected command (" + std::to_string(body) + " bytes) exceeds what the reader can send (" +
                   std::to_string(std::min(options.max_command_data, apdu::kMaxExtendedNc)) + ")");

  increment_ssc(ssc_);
  const uint8_t cla = plain.cla | 0x0C;  // ISO 7816-4: SM with authenticated header; b5 (chaining) kept
  Bytes& m = scratch_;
  m.clear();
  append_padded_header(m, cla, plain.ins, plain.p1, plain.p2, block);
  if (!plain.data.empty()) IDTAP_TRY(append_cryptogram_do(m, plain.data, odd, suite_, ssc_));
  if (plain.ne != 0) {
    m.push_back(kTagLe);
    if (plain.ne <= 256) {
      m.push_back(1);
      m.push_back(static_cast<uint8_t>(plain.ne == 256 ? 0 : plain.ne));
    } else {
      m.push_back(2);
      const size_t le = plain.ne == apdu::kMaxExtendedNe ? 0 : plain.ne;
      m.push_back(static_cast<uint8_t>(le >> 8));
      m.push_back(static_cast<uint8_t>(le));
    }
  }
  std::array<uint8_t, kSmMacSize> mac;
  IDTAP_TRY(suite_.mac(ssc_, m, mac));

  apdu::CommandApdu out;
  out.cla = cla;
  out.ins = plain.ins;
  out.p1 = plain.p1;
  out.p2 = plain.p2;
  out.data.reserve(m.size() - block + kMacDoSize);
  out.data.assign(m.begin() + static_cast<std::ptrdiff_t>(block), m.end());
  out.data.push_back(kTagMac);
  out.data.push_back(kSmMacSize);
  out.data.insert(out.data.end(), mac.begin(), mac.end());
  // ICAO 9303-11 §9.8: the protected command always carries Le (the response holds at least
  // DO99 and DO8E), 00 short or 0000 extended.
  out.ne = extended ? apdu::kMaxExtendedNe : apdu::kMaxShortNe;
  out.extended = extended;
  return out;
}

Result<apdu::ResponseApdu> TerminalSecureMessaging::unwrap_response(const apdu::ResponseApdu& response) {
  increment_ssc(ssc_);
  const uint16_t sw = response.sw;
  if (response.data.empty()) {
    // ISO 7816-4 / ICAO 9303-11 §9.8: a chip that detects an SM error answers 6987 / 6988 in
    // plain and ends secure messaging. Any other plain status is just as unauthenticated.
    if (sw == 0x6987)
      return sm_error("the card reports missing secure messaging data objects and has ended secure messaging", sw);
    if (sw == 0x6988)
      return sm_error("the card reports incorrect secure messaging data objects (it rejected our MAC) and has ended "
                      "secure messaging", sw);
    return sm_error("the card answered SW " + sw_text(sw) +
                        " without secure messaging objects while secure messaging is active",
                    sw);
  }
  // Data that does not even start with an SM object is plain data (the card, or a relay, ignoring
  // SM); anything that starts like SM but breaks the rules is reported in detail below.
  const uint8_t first = response.data[0];
  if (first != kTagCryptogram && first != kTagCryptogramOdd && first != kTagLe && first != kTagStatus && first != kTagMac)
    return sm_error("the card sent " + std::to_string(response.data.size()) +
                        " bytes of plain (unprotected) data while secure messaging is active",
                    sw);
  auto parsed = parse_sm_objects(response.data);
  if (!parsed.ok()) {
    Error e = std::move(parsed).error();
    e.context = "protected response: " + e.context;
    e.sw = sw;
    return e;
  }
  const SmObjects& objects = *parsed;
  if (!objects.mac) return sm_error("protected response without DO8E (MAC)", sw);
  if (!objects.status) return sm_error("protected response without DO99 (the protected status word)", sw);
  if (objects.le) return sm_error("protected response carries a DO97 (Le), which only commands may", sw);
  if (auto st = check_mac(suite_, ssc_, {}, objects, "protected response"); !st.ok()) {
    Error e = std::move(st).error();
    e.sw = sw;
    return e;
  }
  // ICAO 9303-11 §9.8: DO99 protects the status word; the plain SW must be the same.
  const ByteView sw99 = objects.status->value;
  if (sw99.size() != 2)
    return sm_error("DO99 holds " + std::to_string(sw99.size()) + " bytes, not a 2-byte status word", sw);
  const uint16_t protected_sw = static_cast<uint16_t>(sw99[0] << 8 | sw99[1]);
  if (protected_sw != sw)
    return sm_error("DO99 says SW " + sw_text(protected_sw) + " but the response carries SW " + sw_text(sw), sw);
  apdu::ResponseApdu plain;
  plain.sw = protected_sw;
  if (objects.cryptogram) {
    auto data = decrypt_cryptogram(suite_, ssc_, *objects.cryptogram);
    if (!data.ok()) {
      Error e = std::move(data).error();
      e.context = "protected response: " + e.context;
      e.sw = sw;
      return e;
    }
    plain.data = std::move(data).value();
  }
  return plain;
}

}  // namespace idtap::sm
