#include "idtap/sm/cipher_suite.h"

#include <algorithm>
#include <array>
#include <string>

#include "idtap/crypto/mac.h"

namespace idtap::sm {

size_t ssc_size(crypto::CipherAlg alg) { return crypto::block_size(alg); }

Bytes zero_ssc(crypto::CipherAlg alg) { return Bytes(ssc_size(alg), 0); }

void increment_ssc(std::span<uint8_t> ssc) {
  for (size_t i = ssc.size(); i > 0; --i)
    if (++ssc[i - 1] != 0) return;
}

// The MAC input is padded into a scratch buffer kept with the suite, so a MAC costs no
// allocation once the buffer has grown to the session's largest APDU. It holds only MACed data
// (SSC, headers, cryptograms), never plaintext or keys.
struct CipherSuite::Impl {
  crypto::CipherAlg alg;
  crypto::BlockCipher enc;  // keyed with KSenc
  crypto::Mac mac;          // keyed with KSmac: retail MAC (3DES) or CMAC (AES)
  mutable Bytes scratch;
};

CipherSuite::CipherSuite(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CipherSuite::CipherSuite(CipherSuite&&) noexcept = default;
CipherSuite& CipherSuite::operator=(CipherSuite&&) noexcept = default;
CipherSuite::~CipherSuite() = default;

Result<CipherSuite> CipherSuite::create(crypto::CipherAlg alg, ByteView ks_enc, ByteView ks_mac) {
  const size_t want = crypto::key_size(alg);
  if (ks_enc.size() != want || ks_mac.size() != want)
    return make_error(ErrorCode::kInvalidArgument, "secure messaging keys must be " + std::to_string(want) +
                                                       " bytes for this cipher");
  IDTAP_ASSIGN_OR_RETURN(crypto::BlockCipher enc, crypto::BlockCipher::create(alg, ks_enc));
  const auto mac_alg = alg == crypto::CipherAlg::kTdes ? crypto::MacAlg::kRetailMac : crypto::MacAlg::kCmacAes;
  IDTAP_ASSIGN_OR_RETURN(crypto::Mac mac, crypto::Mac::create(mac_alg, ks_mac));
  auto impl = std::unique_ptr<Impl>(new Impl{alg, std::move(enc), std::move(mac), {}});
  impl->scratch.reserve(512);
  return CipherSuite(std::move(impl));
}

crypto::CipherAlg CipherSuite::alg() const { return impl_->alg; }
size_t CipherSuite::block_size() const { return crypto::block_size(impl_->alg); }
size_t CipherSuite::ssc_size() const { return sm::ssc_size(impl_->alg); }

// ICAO 9303-11 §9.8 (3DES): CBC with a zero IV. (AES): CBC with IV = E(KSenc, SSC), the SSC
// encrypted in ECB mode with the session encryption key.
Status CipherSuite::encrypt(ByteView ssc, std::span<uint8_t> padded) const {
  if (ssc.size() != ssc_size()) return make_error(ErrorCode::kInvalidArgument, "SSC of the wrong width");
  std::array<uint8_t, 16> iv{};
  const std::span<uint8_t> iv_view(iv.data(), block_size());
  if (impl_->alg != crypto::CipherAlg::kTdes) IDTAP_TRY(impl_->enc.ecb_encrypt(ssc, iv_view));
  return impl_->enc.cbc_encrypt(iv_view, padded, padded);
}

Status CipherSuite::decrypt(ByteView ssc, std::span<uint8_t> cryptogram) const {
  if (ssc.size() != ssc_size()) return make_error(ErrorCode::kInvalidArgument, "SSC of the wrong width");
  std::array<uint8_t, 16> iv{};
  const std::span<uint8_t> iv_view(iv.data(), block_size());
  if (impl_->alg != crypto::CipherAlg::kTdes) IDTAP_TRY(impl_->enc.ecb_encrypt(ssc, iv_view));
  return impl_->enc.cbc_decrypt(iv_view, cryptogram, cryptogram);
}

// ICAO 9303-11 §9.8: the MAC is computed over pad(SSC || data); AES-CMAC gets the padded input
// too (so its own final-block handling always takes the complete-block branch) and is
// truncated to 8 bytes.
Status CipherSuite::mac(ByteView ssc, ByteView message, std::span<uint8_t, kSmMacSize> out) const {
  Bytes& buf = impl_->scratch;
  const size_t bs = block_size();
  buf.clear();
  buf.insert(buf.end(), ssc.begin(), ssc.end());
  buf.insert(buf.end(), message.begin(), message.end());
  buf.push_back(0x80);
  buf.resize((buf.size() + bs - 1) / bs * bs, 0x00);
  std::array<uint8_t, 16> full;
  IDTAP_TRY(impl_->mac.compute(buf, full));
  std::copy(full.begin(), full.begin() + kSmMacSize, out.begin());
  return ok_status();
}

}  // namespace idtap::sm
