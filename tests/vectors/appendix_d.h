// tests/vectors/appendix_d.h: the session ICAO 9303-11 Appendix D.3 derives by BAC (3DES keys
// KSenc, KSmac and the starting SSC), read from icao9303_11_appendix_d.txt, for the tests that
// pick up the worked example after the mutual authentication (header only).
#pragma once

#include "idtap/base/secure_bytes.h"
#include "idtap/crypto/cipher.h"
#include "idtap/sm/cipher_suite.h"
#include "vectors/vector_file.h"

namespace idtap::test {

// appendix_d_session_keys: Appendix D.3's session keys and SSC out of `v` (the loaded
// icao9303_11_appendix_d.txt).
inline sm::SessionKeys appendix_d_session_keys(const VectorFile& v) {
  sm::SessionKeys keys;
  keys.alg = crypto::CipherAlg::kTdes;
  keys.ks_enc = secure_copy(v.hex("d3_bac", "ks_enc"));
  keys.ks_mac = secure_copy(v.hex("d3_bac", "ks_mac"));
  keys.ssc = v.hex("d3_bac", "ssc");
  return keys;
}

}  // namespace idtap::test
