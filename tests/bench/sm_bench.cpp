// sm_bench: host CPU per protected READ BINARY (wrap the command, then verify and unwrap a
// response carrying 223 bytes, the largest short-APDU payload with AES; the same 223 bytes with
// 3DES), next to the bare OpenSSL EVP operations that exchange needs, measured in the same run
// with the same number of cipher / MAC calls on the same sizes. Prints the ratio and PASS
// (<= 2x) or MISS. Exits non-zero only on errors.
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "idtap/apdu/commands.h"
#include "idtap/sm/card_sm.h"
#include "idtap/sm/terminal_sm.h"

using namespace idtap;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kPayload = 223;
constexpr int kRounds = 7;      // best of
constexpr double kTarget = 2.0;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "sm_bench: %s\n", what);
  std::exit(1);
}

sm::SessionKeys keys_for(crypto::CipherAlg alg) {
  sm::SessionKeys k;
  k.alg = alg;
  for (size_t i = 0; i < crypto::key_size(alg); ++i) {
    k.ks_enc.push_back(static_cast<uint8_t>(0x31 * i + 7));
    k.ks_mac.push_back(static_cast<uint8_t>(0x57 * i + 3));
  }
  k.ssc = sm::zero_ssc(alg);
  return k;
}

// The protected responses a card would send for `n` READ BINARYs, in order.
std::vector<apdu::ResponseApdu> record_responses(const sm::SessionKeys& keys, size_t n) {
  auto terminal = sm::TerminalSecureMessaging::create(keys);
  auto card = sm::CardSecureMessaging::create(keys);
  if (!terminal.ok() || !card.ok()) die("cannot key the sessions");
  Bytes payload(kPayload);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 13);
  std::vector<apdu::ResponseApdu> out;
  out.reserve(n);
  const auto read = apdu::read_binary(0, kPayload).value();
  for (size_t i = 0; i < n; ++i) {
    auto cmd = terminal->wrap_command(read);
    if (!cmd.ok()) die("wrap failed while recording");
    if (!card->unwrap_command(*cmd).ok()) die("card unwrap failed while recording");
    auto resp = card->wrap_response({payload, 0x9000});
    if (!resp.ok()) die("card wrap failed while recording");
    if (!terminal->unwrap_response(*resp).ok()) die("terminal unwrap failed while recording");
    out.push_back(std::move(resp).value());
  }
  return out;
}

// idtap: wrap + unwrap per READ BINARY, over the recorded responses. Returns ns per exchange.
double time_idtap(const sm::SessionKeys& keys, const std::vector<apdu::ResponseApdu>& responses) {
  auto terminal = sm::TerminalSecureMessaging::create(keys);
  if (!terminal.ok()) die("cannot key the terminal");
  const auto read = apdu::read_binary(0, kPayload).value();
  size_t check = 0;
  const auto start = Clock::now();
  for (const auto& r : responses) {
    auto cmd = terminal->wrap_command(read);
    if (!cmd.ok()) die("wrap failed");
    auto plain = terminal->unwrap_response(r);
    if (!plain.ok()) die("unwrap failed");
    check += plain->data.size() + cmd->data.size();
  }
  const double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
  if (check == 0) die("nothing unwrapped");
  return ns / static_cast<double>(responses.size());
}

// The bare EVP work of one exchange, with contexts keyed once and buffers preallocated.
struct BareEvp {
  bool aes = false;
  EVP_CIPHER_CTX* single_des = nullptr;  // 3DES retail MAC, first stage (DES-EDE K1||K1)
  EVP_CIPHER_CTX* final_ede = nullptr;   // 3DES retail MAC, last block (DES-EDE K1||K2)
  EVP_CIPHER_CTX* dec = nullptr;         // CBC decrypt with KSenc
  EVP_CIPHER_CTX* ecb = nullptr;         // AES: E(KSenc, SSC) for the IV
  EVP_MAC_CTX* cmac = nullptr;
  size_t block = 8;
  std::array<uint8_t, 512> scratch{};

  explicit BareEvp(const sm::SessionKeys& keys) {
    aes = keys.alg != crypto::CipherAlg::kTdes;
    block = aes ? 16 : 8;
    auto keyed = [](const char* name, ByteView key, int enc) {
      EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, name, nullptr);
      EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
      if (!c || !ctx || EVP_CipherInit_ex2(ctx, c, key.data(), nullptr, enc, nullptr) != 1) die("EVP setup");
      EVP_CIPHER_CTX_set_padding(ctx, 0);
      EVP_CIPHER_free(c);
      return ctx;
    };
    if (aes) {
      dec = keyed("AES-128-CBC", keys.ks_enc, 0);
      ecb = keyed("AES-128-ECB", keys.ks_enc, 1);
      EVP_MAC* mac = EVP_MAC_fetch(nullptr, "CMAC", nullptr);
      cmac = EVP_MAC_CTX_new(mac);
      EVP_MAC_free(mac);
      char cipher[] = "AES-128-CBC";
      const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
                                   OSSL_PARAM_construct_end()};
      if (!cmac || EVP_MAC_init(cmac, keys.ks_mac.data(), keys.ks_mac.size(), params) != 1) die("CMAC setup");
    } else {
      dec = keyed("DES-EDE-CBC", keys.ks_enc, 0);
      std::array<uint8_t, 16> k1k1;
      std::memcpy(k1k1.data(), keys.ks_mac.data(), 8);
      std::memcpy(k1k1.data() + 8, keys.ks_mac.data(), 8);
      single_des = keyed("DES-EDE-CBC", k1k1, 1);
      final_ede = keyed("DES-EDE-CBC", keys.ks_mac, 1);
    }
  }
  ~BareEvp() {
    EVP_CIPHER_CTX_free(single_des);
    EVP_CIPHER_CTX_free(final_ede);
    EVP_CIPHER_CTX_free(dec);
    EVP_CIPHER_CTX_free(ecb);
    EVP_MAC_CTX_free(cmac);
  }

  void mac(const uint8_t* in, size_t len, uint8_t* out) {
    if (aes) {
      size_t n = 0;
      EVP_MAC_init(cmac, nullptr, 0, nullptr);
      EVP_MAC_update(cmac, in, len);
      EVP_MAC_final(cmac, out, &n, 16);
      return;
    }
    uint8_t h[8] = {0};
    int n = 0;
    if (len > 8) {
      EVP_EncryptInit_ex2(single_des, nullptr, nullptr, h, nullptr);
      EVP_EncryptUpdate(single_des, scratch.data(), &n, in, static_cast<int>(len - 8));
      std::memcpy(h, scratch.data() + len - 16, 8);
    }
    EVP_EncryptInit_ex2(final_ede, nullptr, nullptr, h, nullptr);
    EVP_EncryptUpdate(final_ede, out, &n, in + len - 8, 8);
  }

  void decrypt(const uint8_t* ssc, const uint8_t* in, size_t len, uint8_t* out) {
    uint8_t iv[16] = {0};
    int n = 0;
    if (aes) EVP_EncryptUpdate(ecb, iv, &n, ssc, 16);
    EVP_DecryptInit_ex2(dec, nullptr, nullptr, iv, nullptr);
    EVP_DecryptUpdate(dec, out, &n, in, static_cast<int>(len));
  }
};

// The same cipher / MAC calls on the same sizes as one idtap exchange: the command MAC over
// pad(SSC || padded header || DO97), then the response MAC over pad(SSC || DO87 || DO99), the
// IV (AES) and the decryption of the cryptogram.
double time_bare(const sm::SessionKeys& keys, const std::vector<apdu::ResponseApdu>& responses) {
  BareEvp evp(keys);
  const size_t bs = evp.block;
  const size_t cmd_mac_len = (bs + bs + 3) / bs * bs + bs;  // SSC || header || DO97, padded
  std::array<uint8_t, 64> cmd_mac_in{};
  std::array<uint8_t, 512> resp_mac_in{};
  std::array<uint8_t, 512> plain{};
  std::array<uint8_t, 16> tag{};
  std::array<uint8_t, 16> ssc{};
  const ByteView first = responses.front().data;
  const size_t do87_len = first.size() - 14;                 // data minus DO99 (4) and DO8E (10)
  const size_t crypt_off = do87_len - (do87_len - 4) / bs * bs;
  const size_t crypt_len = do87_len - crypt_off;
  const size_t resp_mac_len = (bs + do87_len + 4) / bs * bs + bs;
  size_t check = 0;
  const auto start = Clock::now();
  for (const auto& r : responses) {
    evp.mac(cmd_mac_in.data(), cmd_mac_len, tag.data());
    check += tag[0];
    evp.mac(resp_mac_in.data(), resp_mac_len, tag.data());
    check += tag[1];
    evp.decrypt(ssc.data(), r.data.data() + crypt_off, crypt_len, plain.data());
    check += plain[0];
  }
  const double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
  if (check == 0xFFFFFFFF) std::puts("");  // keep the work observable
  return ns / static_cast<double>(responses.size());
}

}  // namespace

int main() {
  std::printf("sm_bench: host CPU per protected READ BINARY of %zu bytes (wrap command + unwrap response)\n", kPayload);
  std::printf("%-8s %14s %14s %8s  %s\n", "cipher", "idtap ns/op", "bare EVP ns/op", "ratio", "target <= 2.0x");
  struct Case {
    const char* name;
    crypto::CipherAlg alg;
    size_t n;
  } cases[] = {{"3DES", crypto::CipherAlg::kTdes, 4000}, {"AES-128", crypto::CipherAlg::kAes128, 20000}};
  bool all_pass = true;
  for (const auto& c : cases) {
    const auto keys = keys_for(c.alg);
    const auto responses = record_responses(keys, c.n);
    double best_idtap = 1e300, best_bare = 1e300;
    for (int round = 0; round < kRounds; ++round) {  // interleaved, best of each
      best_idtap = std::min(best_idtap, time_idtap(keys, responses));
      best_bare = std::min(best_bare, time_bare(keys, responses));
    }
    const double ratio = best_idtap / best_bare;
    const bool pass = ratio <= kTarget;
    all_pass = all_pass && pass;
    std::printf("%-8s %14.0f %14.0f %7.2fx  %s\n", c.name, best_idtap, best_bare, ratio, pass ? "PASS" : "MISS");
  }
  std::printf("sm_bench: %s\n", all_pass ? "PASS" : "MISS (a target was missed; not an error)");
  return 0;
}
