// The token status list (lib/provision/status_list.cpp): bit order, compression, verification.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "fixtures.h"
#include "idtap/crypto/pkey.h"
#include "idtap/provision/cbor.h"
#include "idtap/provision/cose.h"
#include "idtap/provision/keys.h"
#include "idtap/provision/mdoc.h"
#include "idtap/provision/status_list.h"

using namespace idtap;
using namespace idtap::provision;
using namespace idtap::provision::testing;

TEST_CASE("token status list: bit order, compression, and verification failures") {
  auto list = StatusList::create(20, 1).value();
  REQUIRE(list.set(0, 1).ok());
  REQUIRE(list.set(9, 1).ok());
  // draft-ietf-oauth-status-list §4.1: index 0 is the least significant bit of byte 0.
  CHECK(to_hex(list.bytes()) == "010200");
  CHECK(list.get(9).value() == 1);
  CHECK(list.get(8).value() == 0);
  CHECK(list.get(24).error().code == ErrorCode::kInvalidArgument);
  auto two = StatusList::create(8, 2).value();
  REQUIRE(two.set(1, kStatusSuspended).ok());
  CHECK(to_hex(two.bytes()) == "0800");
  CHECK(two.set(0, 4).error().code == ErrorCode::kInvalidArgument);
  CHECK(StatusList::create(8, 3).error().code == ErrorCode::kInvalidArgument);

  Bytes big(100000, 0);
  Bytes z = zlib_compress(big).value();
  CHECK(z.size() < 1000);
  CHECK(zlib_decompress(z).value() == big);
  CHECK(zlib_decompress(z, 1000).error().code == ErrorCode::kMalformed);  // a decompression bomb
  Bytes cut(z.begin(), z.end() - 3);
  CHECK(zlib_decompress(cut).error().code == ErrorCode::kMalformed);

  TestIssuer pki = make_test_issuer();
  SoftwareIssuer signer = signer_of(pki);
  UnixSeconds now = fixture_now();
  StatusListToken token{"https://status.example.kr/lists/1", now, now + 3600, 600, list};
  Bytes cwt = sign_status_list_token(token, signer).value();
  auto ok = verify_status_list_token(cwt, {{pki.ca}, now});
  REQUIRE(ok.ok());
  CHECK(ok->uri == token.uri);
  CHECK(ok->ttl == 600u);
  CHECK(ok->list.get(9).value() == 1);
  CHECK(verify_status_list_token(cwt, {{pki.ca}, now + 3600}).error().context.find("expired") != std::string::npos);
  TestIssuer other = make_test_issuer("other");
  CHECK(verify_status_list_token(cwt, {{other.ca}, now}).error().code == ErrorCode::kNoTrustAnchor);
  Bytes flipped = cwt;
  flipped[flipped.size() - 70] ^= 1;  // inside the payload or signature
  CHECK_FALSE(verify_status_list_token(flipped, {{pki.ca}, now}).ok());
}
