// lib/auth/ec_params.h (internal): explicit EC domain parameters in X.509 certificates, a named
// leniency of Passive Authentication (see Leniencies in idtap/auth/passive_auth.h).
#pragma once

#include <openssl/x509.h>

#include <string>

namespace idtap::auth {

// ExplicitEcParams: what a certificate's public key says about its EC domain parameters.
struct ExplicitEcParams {
  bool is_explicit = false;  // an EC key whose parameters are ecParameters, not a namedCurve
  std::string curve;         // the standardized curve they equal (when accepted)
  std::string refusal;       // why they are not accepted; empty when accepted or not explicit
};

// explicit_ec_params: inspects `cert`'s SubjectPublicKeyInfo (RFC 3279 §2.3.5: EcpkParameters is
// namedCurve or ecParameters). For explicit parameters the group must parse, pass EC_GROUP_check
// (prime field, generator on the curve and of the stated order) and equal a standardized curve
// (NIST P-192..P-521, brainpool r1: the curves ICAO 9303-11 §9.5.1 and BSI TR-03110-3 name):
// a custom generator or cofactor on a known prime field is refused, not trusted. `cert` is not
// owned.
ExplicitEcParams explicit_ec_params(X509* cert);

}  // namespace idtap::auth
