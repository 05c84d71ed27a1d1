// libFuzzer target: the simulated card answering arbitrary command APDUs (it parses what a
// reader sends it). The input is a sequence of APDUs, each prefixed by one length byte; the card
// must answer every one with at least a status word and never crash, whatever state the earlier
// ones left it in.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "idtap/apdu/tlv.h"
#include "idtap/base/hex.h"
#include "idtap/sim/card.h"

using namespace idtap;

namespace {

sim::CardImage fuzz_image() {
  sim::CardImage image;
  image.config.can = secure_copy(bytes_of("123456"));
  image.config.mrz.document_number = secure_copy(bytes_of("L898902C<"));
  image.config.mrz.date_of_birth = secure_copy(bytes_of("690806"));
  image.config.mrz.date_of_expiry = secure_copy(bytes_of("940623"));
  image.config.pace_offers = {{sim::PaceMapping::kGeneric, crypto::CipherAlg::kAes128, 13}};
  image.files.card_access = hex_or_die("3114 3012 060A 04007F00070202040202 020102 02010D");
  image.files.com = hex_or_die("60145F0104303130365F36063034303030305C026175");
  image.files.sod = Bytes(600, 0x30);
  image.files.data_groups[1] = Bytes(95, 0x61);
  image.files.data_groups[2] = Bytes(40000, 0x75);
  return image;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto card = sim::SimCard::create(fuzz_image());
  if (!card.ok()) std::abort();
  sim::SimCard& c = **card;
  c.power_on();
  size_t pos = 0;
  while (pos < size) {
    const size_t len = data[pos++];
    const size_t n = len < size - pos ? len : size - pos;
    Bytes response = c.process(ByteView(data + pos, n));
    pos += n;
    if (response.size() < 2) std::abort();
  }
  return 0;
}
