#include <doctest/doctest.h>

#include "idtap/base/hex.h"
#include "idtap/lds/der.h"
#include "idtap/lds/oid.h"

using namespace idtap;
using namespace idtap::lds;

TEST_CASE("OIDs convert between dotted text and DER content") {
  struct Case {
    const char* dotted;
    const char* hex;
  } cases[] = {
      {"0.4.0.127.0.7.2.2.4.2.2", "04007f00070202040202"},  // id-PACE-ECDH-GM-AES-CBC-CMAC-128
      {"2.23.136.1.1.1", "6781080101 01"},                  // id-icao-mrtd-security-ldsSecurityObject
      {"1.2.840.113549.1.7.2", "2a864886f70d010702"},        // id-signedData
      {"1.2.840.10045.3.1.7", "2a8648ce3d030107"},           // prime256v1
      {"2.999.3", "883703"},                                 // X.690 §8.19.5 example
  };
  for (const auto& c : cases) {
    CAPTURE(c.dotted);
    auto enc = oid_from_string(c.dotted);
    REQUIRE(enc.ok());
    CHECK(to_hex(*enc) == to_hex(hex_or_die(c.hex)));
    CHECK(oid_to_string(*enc).value() == c.dotted);
  }
  CHECK(has_prefix(hex_or_die("04007f00070202040202"), hex_or_die("04007f0007020204")));
  CHECK_FALSE(has_prefix(hex_or_die("04007f"), hex_or_die("04007f0007")));
}

TEST_CASE("malformed OIDs are rejected") {
  struct Case {
    const char* hex;
    const char* why;
  } bad_der[] = {
      {"", "empty"},
      {"2a864886", "last arc has the continuation bit"},
      {"2a80 01", "arc with a leading 0x80 (non-minimal)"},
      {"2a ffffffffffffffffff7f", "arc beyond 63 bits"},
  };
  for (const auto& c : bad_der) {
    CAPTURE(c.why);
    CHECK(oid_to_string(hex_or_die(c.hex)).error().code == ErrorCode::kMalformed);
  }
  const char* bad_text[] = {"", "1", "3.1", "1.40", "1..2", "1.2.x", "1.2.99999999999999999999"};
  for (const char* t : bad_text) {
    CAPTURE(t);
    CHECK(oid_from_string(t).error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("DER INTEGERs: minimal two's complement both ways") {
  struct Case {
    int64_t value;
    const char* hex;
  } cases[] = {{0, "00"}, {1, "01"}, {127, "7f"}, {128, "0080"}, {256, "0100"}, {-1, "ff"}, {-128, "80"}, {-129, "ff7f"}};
  for (const auto& c : cases) {
    CAPTURE(c.value);
    CHECK(to_hex(der::integer_content(c.value)) == c.hex);
    CHECK(der::parse_integer(hex_or_die(c.hex)).value() == c.value);
  }
  struct Bad {
    const char* hex;
    const char* why;
  } bad[] = {
      {"", "empty INTEGER"},
      {"0001", "leading 00 before a byte below 80"},
      {"ff80", "leading ff before a byte of 80 or more"},
      {"010203040506070809", "nine bytes: beyond 64 bits"},
  };
  for (const auto& b : bad) {
    CAPTURE(b.why);
    CHECK(der::parse_integer(hex_or_die(b.hex)).error().code == ErrorCode::kMalformed);
  }
}

TEST_CASE("AlgorithmIdentifier with and without parameters") {
  Bytes with_null = hex_or_die("300d06096086480165030402010500");  // sha256, NULL
  apdu::TlvReader r(with_null);
  auto alg = der::read_algorithm_identifier(r);
  REQUIRE(alg.ok());
  CHECK(oid_to_string(alg->algorithm).value() == "2.16.840.1.101.3.4.2.1");
  CHECK(to_hex(alg->parameters) == "0500");
  apdu::TlvWriter w;
  der::add_algorithm_identifier(w, *alg);
  CHECK(w.finish().value() == with_null);
  Bytes two_params = hex_or_die("300f060960864801650304020105000500");
  apdu::TlvReader r2(two_params);
  CHECK(der::read_algorithm_identifier(r2).error().code == ErrorCode::kMalformed);  // two parameter objects
}
