#include "ec_params.h"

#include <openssl/err.h>
#include <openssl/objects.h>

#include "idtap/base/bytes.h"
#include "idtap/crypto/ec.h"
#include "idtap/crypto/pkey.h"

namespace idtap::auth {

ExplicitEcParams explicit_ec_params(X509* cert) {
  ExplicitEcParams out;
  X509_PUBKEY* pub = X509_get_X509_PUBKEY(cert);
  ASN1_OBJECT* alg_oid = nullptr;
  X509_ALGOR* alg = nullptr;
  if (pub == nullptr || X509_PUBKEY_get0_param(&alg_oid, nullptr, nullptr, &alg, pub) != 1) return out;
  if (OBJ_obj2nid(alg_oid) != NID_X9_62_id_ecPublicKey) return out;
  int param_type = 0;
  const void* param = nullptr;
  X509_ALGOR_get0(nullptr, &param_type, &param, alg);
  // RFC 3279 §2.3.5: namedCurve is an OBJECT IDENTIFIER, ecParameters a SEQUENCE.
  if (param_type != V_ASN1_SEQUENCE) return out;
  out.is_explicit = true;
  unsigned char* der = nullptr;
  const int len = i2d_X509_PUBKEY(pub, &der);
  if (len <= 0) {
    ERR_clear_error();
    out.refusal = "its public key does not encode";
    return out;
  }
  const Bytes spki(der, der + len);
  OPENSSL_free(der);
  // PublicKey::from_spki rebuilds the group from p, a, b, G, n, h, runs EC_GROUP_check and
  // compares it with every standardized curve (EcGroup::from_parameters).
  auto key = crypto::PublicKey::from_spki(spki);
  ERR_clear_error();
  if (!key.ok()) {
    out.refusal = "its explicit EC parameters are not a valid curve: " + key.error().context;
    return out;
  }
  const crypto::EcPoint* point = key->ec_point();
  const std::optional<crypto::EcCurve> curve = point ? point->group().curve() : std::nullopt;
  if (!curve) {
    out.refusal = "its explicit EC parameters are a valid group but not a standardized curve";
    return out;
  }
  out.curve = crypto::curve_name(*curve);
  return out;
}

}  // namespace idtap::auth
