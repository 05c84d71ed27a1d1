// tests/auth/pace_vectors.h: the ICAO 9303-11 Appendix G-J PACE worked examples
// (tests/vectors/icao9303_11_pace.txt) and their passwords, shared by the PACE tests.
#pragma once

#include <string>

#include "idtap/auth/mrz_key.h"
#include "idtap/auth/password.h"
#include "idtap/lds/security_infos.h"
#include "vectors/vector_file.h"

namespace idtap::test {

// pace_vectors: the loaded vector file (loaded once).
inline const VectorFile& pace_vectors() {
  static const VectorFile v = VectorFile::load("icao9303_11_pace.txt");
  return v;
}

// g_password / i_password: the two MRZ passwords the worked examples use (document T22000129,
// and document C11T002JM).
inline auth::Password g_password() { return auth::Password::mrz(auth::MrzKey::from_fields("T22000129", "640812", "101031").value()); }
inline auth::Password i_password() { return auth::Password::mrz(auth::MrzKey::from_fields("C11T002JM", "960812", "231031").value()); }

// pace_info_of: the PACEInfo of one worked example (its OID and standardized parameter ID).
inline lds::PaceInfo pace_info_of(const std::string& section) {
  return lds::PaceInfo{pace_vectors().hex(section, "oid"), 2, static_cast<int>(pace_vectors().hex(section, "parameter_id")[0])};
}

}  // namespace idtap::test
