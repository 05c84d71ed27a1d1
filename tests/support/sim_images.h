// support/sim_images.h: small simulated card images for tests (no personalization needed):
// recognisable file contents, a CAN, MRZ key fields, and optional chip keys.
#pragma once

#include <string>
#include <vector>

#include "idtap/sim/card.h"
#include "idtap/sim/card_image.h"

namespace idtap::test {

// kTestCan / kTestDocumentNumber / kTestDateOfBirth / kTestDateOfExpiry: the passwords of
// basic_card_image() (ICAO 9303-11 Appendix D worked example values for the MRZ).
inline constexpr const char* kTestCan = "123456";
inline constexpr const char* kTestDocumentNumber = "L898902C<";
inline constexpr const char* kTestDateOfBirth = "690806";
inline constexpr const char* kTestDateOfExpiry = "940623";

// pattern_file: a file of `size` bytes that is a valid BER-TLV object with `tag` (so readers
// can learn its length from the header) and whose content bytes count up from `seed`.
Bytes pattern_file(uint8_t tag, size_t size, uint8_t seed);

// basic_card_image: a card with BAC and PACE (GM AES-128 brainpoolP256r1 offered in
// EF.CardAccess when the PACE code is present), EF.COM, EF.SOD, DG1, DG2 (40000 bytes, so the
// odd READ BINARY is needed past 32767), DG3, DG11, DG14 placeholder contents, and no chip keys.
sim::CardImage basic_card_image();

// scripted_random: a RandomSource that hands out `chunks` in order (each request must ask for
// exactly the next chunk's size), then fails: for replaying published worked examples.
sim::RandomSource scripted_random(std::vector<Bytes> chunks);

// kAppendixDEfCom: EF.COM of ICAO 9303-11 Appendix D.4 (22 bytes).
inline constexpr const char* kAppendixDEfCom = "60145F0104303130365F36063034303030305C026175";

}  // namespace idtap::test
