#include "sm_objects.h"

#include <array>
#include <cstdio>

#include "idtap/crypto/mac.h"

namespace idtap::sm::internal {
namespace {

std::string hex_tag(uint32_t tag) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02X", tag);
  return buf;
}

// The position of each tag in the ICAO order; objects must come in increasing rank.
int rank_of(uint32_t tag) {
  switch (tag) {
    case kTagCryptogramOdd:
    case kTagCryptogram: return 0;
    case kTagLe: return 1;
    case kTagStatus: return 2;
    case kTagMac: return 3;
  }
  return -1;
}

}  // namespace

Error sm_error(std::string context, uint16_t sw) {
  Error e = make_error(ErrorCode::kSecureMessaging, std::move(context));
  e.sw = sw;
  return e;
}

void append_der_length(Bytes& out, size_t len) {
  if (len < 0x80) {
    out.push_back(static_cast<uint8_t>(len));
  } else if (len <= 0xFF) {
    out.push_back(0x81);
    out.push_back(static_cast<uint8_t>(len));
  } else if (len <= 0xFFFF) {
    out.push_back(0x82);
    out.push_back(static_cast<uint8_t>(len >> 8));
    out.push_back(static_cast<uint8_t>(len));
  } else {
    out.push_back(0x83);
    out.push_back(static_cast<uint8_t>(len >> 16));
    out.push_back(static_cast<uint8_t>(len >> 8));
    out.push_back(static_cast<uint8_t>(len));
  }
}

void append_padded_header(Bytes& out, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, size_t block) {
  out.push_back(cla);
  out.push_back(ins);
  out.push_back(p1);
  out.push_back(p2);
  out.push_back(0x80);
  for (size_t i = 5; i < block; ++i) out.push_back(0x00);
}

size_t cryptogram_do_size(size_t plain_len, size_t block, bool odd_ins) {
  const size_t padded = (plain_len / block + 1) * block;
  const size_t value = padded + (odd_ins ? 0 : 1);
  return 1 + der_length_size(value) + value;
}

Status append_cryptogram_do(Bytes& out, ByteView plain, bool odd_ins, const CipherSuite& suite, ByteView ssc) {
  const size_t block = suite.block_size();
  const size_t padded = (plain.size() / block + 1) * block;
  out.push_back(odd_ins ? kTagCryptogramOdd : kTagCryptogram);
  append_der_length(out, padded + (odd_ins ? 0 : 1));
  if (!odd_ins) out.push_back(kPaddingIndicator);
  const size_t start = out.size();
  out.insert(out.end(), plain.begin(), plain.end());
  out.push_back(0x80);
  out.resize(start + padded, 0x00);
  return suite.encrypt(ssc, std::span<uint8_t>(out.data() + start, padded));
}

Result<SmObjects> parse_sm_objects(ByteView data) {
  SmObjects objects;
  // Lenient BER: SM objects are primitive, so this only admits non-minimal length octets
  // (81 xx below 128), which some chips send; the MAC covers the raw bytes either way.
  apdu::TlvReader reader(data, apdu::TlvMode::kBerLenient);
  int last_rank = -1;
  while (!reader.empty()) {
    if (objects.mac) return sm_error("data after DO8E (the MAC must be the last object)");
    const size_t before = data.size() - reader.remaining().size();
    auto next = reader.next();
    if (!next.ok()) return sm_error("truncated or malformed SM data objects (" + next.error().context + ")");
    const apdu::Tlv& t = *next;
    const int rank = rank_of(t.tag);
    if (rank < 0) return sm_error("unexpected data object " + hex_tag(t.tag) + " in secure messaging");
    if (rank <= last_rank) return sm_error("data object " + hex_tag(t.tag) + " repeated or out of order");
    last_rank = rank;
    switch (t.tag) {
      case kTagCryptogramOdd:
      case kTagCryptogram: objects.cryptogram = t; break;
      case kTagLe: objects.le = t; break;
      case kTagStatus: objects.status = t; break;
      case kTagMac:
        objects.mac = t;
        objects.maced = data.first(before);
        break;
    }
  }
  return objects;
}

Status check_mac(const CipherSuite& suite, ByteView ssc, ByteView header_padded, const SmObjects& objects,
                 const char* what) {
  if (!objects.mac) return sm_error(std::string(what) + ": no DO8E (MAC)");
  if (objects.mac->value.size() != kSmMacSize)
    return sm_error(std::string(what) + ": DO8E holds " + std::to_string(objects.mac->value.size()) +
                    " bytes, not an 8-byte MAC");
  // The MAC input is SSC || header (commands only) || the objects before DO8E; the suite pads it.
  std::array<uint8_t, kSmMacSize> expected;
  if (header_padded.empty()) {
    IDTAP_TRY(suite.mac(ssc, objects.maced, expected));
  } else {
    Bytes message;
    message.reserve(header_padded.size() + objects.maced.size());
    append(message, header_padded);
    append(message, objects.maced);
    IDTAP_TRY(suite.mac(ssc, message, expected));
  }
  if (!crypto::constant_time_equal(expected, objects.mac->value))
    return sm_error(std::string(what) + ": MAC does not verify (wrong keys, tampering, or a lost SSC step)");
  return ok_status();
}

Result<Bytes> decrypt_cryptogram(const CipherSuite& suite, ByteView ssc, const apdu::Tlv& object) {
  ByteView cryptogram = object.value;
  if (object.tag == kTagCryptogram) {
    if (cryptogram.empty()) return sm_error("empty DO87");
    if (cryptogram[0] != kPaddingIndicator)
      return sm_error("DO87 padding-content indicator " + hex_tag(cryptogram[0]) +
                      " (only 01, ISO/IEC 9797-1 method 2, is used)");
    cryptogram = cryptogram.subspan(1);
  }
  const size_t block = suite.block_size();
  if (cryptogram.empty() || cryptogram.size() % block != 0)
    return sm_error("cryptogram of " + std::to_string(cryptogram.size()) + " bytes is not a whole number of " +
                    std::to_string(block) + "-byte blocks");
  Bytes plain(cryptogram.begin(), cryptogram.end());
  IDTAP_TRY(suite.decrypt(ssc, plain));
  // ISO/IEC 9797-1 method 2: strip trailing zeros (within the last block) and the 80 before them.
  size_t end = plain.size();
  while (end > 0 && plain[end - 1] == 0x00 && plain.size() - end < block) --end;
  if (end == 0 || plain[end - 1] != 0x80 || plain.size() - (end - 1) > block)
    return sm_error("bad padding in the decrypted cryptogram");
  plain.resize(end - 1);
  return plain;
}

}  // namespace idtap::sm::internal
