// libFuzzer target: secure messaging response unwrapping (and, by mode, the card side's command
// unwrapping). The first input byte picks the cipher and the mode; the rest is the payload.
//  mode 0: the payload is a whole response APDU (data || SW) from the card.
//  mode 1: the payload is the SM objects before DO8E, sealed with a valid MAC and SW 9000, so
//          the fuzzer reaches the checks after the MAC (DO99, indicator, decryption, padding).
//  mode 2: the payload is a plaintext block sequence, encrypted into a DO87 with a valid MAC:
//          exercises the padding removal on attacker-chosen plaintext.
//  mode 3: the payload is a protected command APDU for the card side.
#include <array>
#include <cstddef>
#include <cstdint>

#include "idtap/apdu/command.h"
#include "idtap/apdu/response.h"
#include "idtap/sm/card_sm.h"
#include "idtap/sm/cipher_suite.h"
#include "idtap/sm/terminal_sm.h"

using namespace idtap;

namespace {

sm::SessionKeys keys_for(crypto::CipherAlg alg) {
  sm::SessionKeys k;
  k.alg = alg;
  for (size_t i = 0; i < crypto::key_size(alg); ++i) {
    k.ks_enc.push_back(static_cast<uint8_t>(i + 1));
    k.ks_mac.push_back(static_cast<uint8_t>(0x80 + i));
  }
  k.ssc = sm::zero_ssc(alg);
  return k;
}

// sealed: `objects` || 8E 08 MAC || 90 00, MACed with the SSC the terminal's next unwrap uses.
Bytes sealed(const sm::SessionKeys& keys, ByteView objects) {
  auto suite = sm::CipherSuite::create(keys.alg, keys.ks_enc, keys.ks_mac);
  if (!suite.ok()) __builtin_trap();
  Bytes ssc = keys.ssc;
  sm::increment_ssc(ssc);
  std::array<uint8_t, sm::kSmMacSize> mac;
  if (!suite->mac(ssc, objects, mac).ok()) __builtin_trap();
  Bytes out = to_bytes(objects);
  out.push_back(0x8E);
  out.push_back(8);
  append(out, mac);
  out.push_back(0x90);
  out.push_back(0x00);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const crypto::CipherAlg kAlgs[] = {crypto::CipherAlg::kTdes, crypto::CipherAlg::kAes128,
                                            crypto::CipherAlg::kAes192, crypto::CipherAlg::kAes256};
  const auto keys = keys_for(kAlgs[data[0] & 3]);
  const int mode = (data[0] >> 2) & 3;
  const ByteView payload(data + 1, size - 1);
  auto terminal = sm::TerminalSecureMessaging::create(keys);
  if (!terminal.ok()) __builtin_trap();

  Bytes wire;
  switch (mode) {
    case 0: wire = to_bytes(payload); break;
    case 1: wire = sealed(keys, payload); break;
    case 2: {
      auto suite = sm::CipherSuite::create(keys.alg, keys.ks_enc, keys.ks_mac);
      if (!suite.ok()) __builtin_trap();
      const size_t block = suite->block_size();
      Bytes blocks(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(payload.size() / block * block));
      if (blocks.empty() || blocks.size() > 4096) return 0;
      Bytes ssc = keys.ssc;
      sm::increment_ssc(ssc);
      if (!suite->encrypt(ssc, blocks).ok()) __builtin_trap();
      Bytes objects = {0x87, 0x82, static_cast<uint8_t>((blocks.size() + 1) >> 8),
                       static_cast<uint8_t>(blocks.size() + 1), 0x01};
      append(objects, blocks);
      append(objects, Bytes{0x99, 0x02, 0x90, 0x00});
      wire = sealed(keys, objects);
      break;
    }
    case 3: {
      auto command = apdu::CommandApdu::parse(payload);
      if (!command.ok()) return 0;
      auto card = sm::CardSecureMessaging::create(keys);
      if (!card.ok()) __builtin_trap();
      auto plain = card->unwrap_command(*command);
      // A well-formed protected command from the fuzzer would need the MAC key: it must fail,
      // and with one of the two SM status words.
      if (plain.ok() || (plain.error().sw != 0x6987 && plain.error().sw != 0x6988)) __builtin_trap();
      return 0;
    }
  }
  auto response = apdu::ResponseApdu::parse(wire);
  if (!response.ok()) return 0;
  auto plain = terminal->unwrap_response(*response);
  if (mode == 0 && plain.ok()) __builtin_trap();  // a valid MAC cannot be guessed
  if (!plain.ok() && plain.error().code != ErrorCode::kSecureMessaging) __builtin_trap();
  if (plain.ok() && plain->data.size() >= response->data.size()) __builtin_trap();  // plaintext shorter than its wrapping
  return 0;
}
