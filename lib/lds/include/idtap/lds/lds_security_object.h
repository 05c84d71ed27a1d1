// idtap/lds/lds_security_object.h: LDSSecurityObject, the content EF.SOD signs (ICAO 9303-10
// §4.6.2.2): version, hash algorithm, the hash of every data group, LDS version info (v1).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/crypto/hash.h"
#include "idtap/lds/der.h"

namespace idtap::lds {

// DataGroupHash ::= SEQUENCE { dataGroupNumber INTEGER (1..16), dataGroupHashValue OCTET STRING }
struct DataGroupHash {
  int number = 0;
  Bytes hash;
};

// LdsVersionInfo ::= SEQUENCE { ldsVersion PrintableString, unicodeVersion PrintableString }
struct LdsVersionInfo {
  std::string lds_version;      // "0108"
  std::string unicode_version;  // "040000"
};

// LdsSecurityObject: v0 without, v1 with LdsVersionInfo.
struct LdsSecurityObject {
  int version = 0;
  der::AlgorithmIdentifier hash_algorithm;
  std::vector<DataGroupHash> hashes;
  std::optional<LdsVersionInfo> version_info;

  // LdsSecurityObject::hash_alg: the digest named by hash_algorithm; nullopt if not SHA-1/2.
  std::optional<crypto::HashAlg> hash_alg() const;
  // LdsSecurityObject::hash_of: the stored hash of data group `number`, or null.
  const Bytes* hash_of(int number) const;
};

// digest_alg_from_oid: SHA-1 (1.3.14.3.2.26), SHA-224/256/384/512 (2.16.840.1.101.3.4.2.4/1/2/3)
// from OID content bytes (crypto::hash_from_oid takes dotted text); nullopt for others.
std::optional<crypto::HashAlg> digest_alg_from_oid(ByteView oid);
// digest_oid: the OID (content bytes) of `alg`.
Oid digest_oid(crypto::HashAlg alg);
// digest_length: 20, 28, 32, 48, 64 (crypto::digest_size).
size_t digest_length(crypto::HashAlg alg);

// parse_lds_security_object: decodes the DER (or, with TlvMode::kBerLenient, BER) SEQUENCE.
// kMalformed on bad encoding, a version other than 0/1, version 1 without LdsVersionInfo (or 0
// with it), fewer than 2 or more than 16 hashes, a data group number outside 1..16 or repeated,
// or a hash whose length differs from the known algorithm's.
Result<LdsSecurityObject> parse_lds_security_object(ByteView der, apdu::TlvMode mode = apdu::TlvMode::kDer);

// encode_lds_security_object: the DER; version is set from version_info. kInvalidArgument when
// the object would not parse back (same rules).
Result<Bytes> encode_lds_security_object(const LdsSecurityObject& lso);

}  // namespace idtap::lds
