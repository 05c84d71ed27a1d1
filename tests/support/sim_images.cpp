#include "support/sim_images.h"

#include <memory>

#include "idtap/apdu/tlv.h"
#include "idtap/base/hex.h"

namespace idtap::test {
namespace {

SecureBytes sb(std::string_view s) { return secure_copy(bytes_of(s)); }

}  // namespace

Bytes pattern_file(uint8_t tag, size_t size, uint8_t seed) {
  // Find the content length whose TLV encoding is exactly `size` bytes.
  size_t content = size >= 2 ? size - 2 : 0;
  while (content > 0 && 1 + apdu::encode_length(content).size() + content > size) --content;
  Bytes value(content);
  for (size_t i = 0; i < content; ++i) value[i] = static_cast<uint8_t>(seed + i);
  Bytes out = apdu::encode_tlv(tag, value);
  out.resize(size, 0x00);  // only when size cannot be hit exactly (never for size >= 2)
  return out;
}

sim::CardImage basic_card_image() {
  sim::CardImage image;
  sim::CardConfig& c = image.config;
  c.can = sb(kTestCan);
  c.mrz.document_number = sb(kTestDocumentNumber);
  c.mrz.date_of_birth = sb(kTestDateOfBirth);
  c.mrz.date_of_expiry = sb(kTestDateOfExpiry);
  c.pace_offers = {{sim::PaceMapping::kGeneric, crypto::CipherAlg::kAes128, 13}};
  // EF.CardAccess: SET { SEQUENCE { id-PACE-ECDH-GM-AES-CBC-CMAC-128, 2, 13 } } (ICAO 9303-11
  // §9.2.1; OID 0.4.0.127.0.7.2.2.4.2.2).
  image.files.card_access = hex_or_die("3114 3012 060A 04007F00070202040202 020102 02010D");
  image.files.com = hex_or_die("60165F0104303130375F36063034303030305C04 61750B6E");
  image.files.sod = pattern_file(0x77, 1800, 0x10);
  image.files.data_groups[1] = pattern_file(0x61, 95, 0x20);
  image.files.data_groups[2] = pattern_file(0x75, 40000, 0x30);
  image.files.data_groups[3] = pattern_file(0x63, 300, 0x40);
  image.files.data_groups[11] = pattern_file(0x6B, 120, 0x50);
  image.files.data_groups[14] = pattern_file(0x6E, 200, 0x60);
  return image;
}

sim::RandomSource scripted_random(std::vector<Bytes> chunks) {
  auto queue = std::make_shared<std::vector<Bytes>>(std::move(chunks));
  auto next = std::make_shared<size_t>(0);
  return [queue, next](size_t n) -> Result<Bytes> {
    if (*next >= queue->size()) return make_error(ErrorCode::kInternal, "scripted random source exhausted");
    const Bytes& chunk = (*queue)[(*next)++];
    if (chunk.size() != n)
      return make_error(ErrorCode::kInternal, "scripted random source: asked for " + std::to_string(n) + " bytes, next chunk has " +
                                                  std::to_string(chunk.size()));
    return chunk;
  };
}

}  // namespace idtap::test
