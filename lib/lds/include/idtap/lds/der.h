// idtap/lds/der.h: the few ASN.1 DER types the LDS structures use (X.690), over apdu::TlvReader
// and apdu::TlvWriter: INTEGER, OBJECT IDENTIFIER, OCTET STRING, PrintableString,
// AlgorithmIdentifier (RFC 5280 §4.1.1.2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "idtap/apdu/tlv.h"
#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/lds/oid.h"

namespace idtap::lds::der {

// Universal tags (X.690 §8.1.2.2, X.680 §8.4).
inline constexpr uint32_t kBoolean = 0x01;
inline constexpr uint32_t kInteger = 0x02;
inline constexpr uint32_t kBitString = 0x03;
inline constexpr uint32_t kOctetString = 0x04;
inline constexpr uint32_t kNull = 0x05;
inline constexpr uint32_t kOid = 0x06;
inline constexpr uint32_t kEnumerated = 0x0A;
inline constexpr uint32_t kUtf8String = 0x0C;
inline constexpr uint32_t kPrintableString = 0x13;
inline constexpr uint32_t kSequence = 0x30;
inline constexpr uint32_t kSet = 0x31;

// parse_integer: the value of INTEGER content bytes. kMalformed when empty, non-minimal
// (X.690 §8.3.2: a leading 00 before a byte below 80, or FF before a byte of 80 or more), or
// beyond 64 bits.
Result<int64_t> parse_integer(ByteView content);
// read_integer: reads an object `tag` (INTEGER unless an implicit tag is given) and parses it.
Result<int64_t> read_integer(apdu::TlvReader& r, uint32_t tag = kInteger);
// read_unsigned: read_integer that also rejects negative values (kMalformed).
Result<uint64_t> read_unsigned(apdu::TlvReader& r, uint32_t tag = kInteger);
// read_oid: reads an OBJECT IDENTIFIER and checks its encoding; kMalformed otherwise.
Result<Oid> read_oid(apdu::TlvReader& r);

// integer_content: the minimal two's complement content bytes of `value`.
Bytes integer_content(int64_t value);
// add_integer / add_oid: append an INTEGER (or implicitly tagged integer) / an OID to `w`.
void add_integer(apdu::TlvWriter& w, int64_t value, uint32_t tag = kInteger);
void add_oid(apdu::TlvWriter& w, ByteView oid);

// AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }.
// `parameters` holds the whole DER of the parameters (e.g. 05 00 for NULL), empty when omitted.
struct AlgorithmIdentifier {
  Oid algorithm;
  Bytes parameters;
};
// read_algorithm_identifier: reads one SEQUENCE; kMalformed on a bad OID or more than one
// parameters object.
Result<AlgorithmIdentifier> read_algorithm_identifier(apdu::TlvReader& r);
// add_algorithm_identifier: appends the SEQUENCE for `alg`.
void add_algorithm_identifier(apdu::TlvWriter& w, const AlgorithmIdentifier& alg);

}  // namespace idtap::lds::der
