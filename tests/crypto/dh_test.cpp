#include "idtap/crypto/dh.h"

#include <doctest/doctest.h>

#include "vectors/vector_file.h"
#include "idtap/base/hex.h"

using namespace idtap;
using namespace idtap::crypto;
using idtap::test::VectorFile;

TEST_CASE("the RFC 5114 groups of PACE parameter IDs 0-2") {
  struct Row {
    DhGroupId id;
    size_t p_bytes;
    size_t q_bytes;
  };
  for (const Row& row : {Row{DhGroupId::kModp1024_160, 128, 20}, Row{DhGroupId::kModp2048_224, 256, 28},
                         Row{DhGroupId::kModp2048_256, 256, 32}}) {
    CAPTURE(dh_group_name(row.id));
    auto g = DhGroup::standard(row.id);
    REQUIRE(g.ok());
    CHECK(g->id() == row.id);
    CHECK(g->p_size() == row.p_bytes);
    CHECK(g->q().size() == row.q_bytes);
    CHECK(g->check_public(g->g()).ok());
    auto a = DhKeyPair::generate(*g).value();
    auto b = DhKeyPair::generate(*g).value();
    auto ka = a.agree(b.public_value());
    auto kb = b.agree(a.public_value());
    REQUIRE(ka.ok());
    REQUIRE(kb.ok());
    CHECK(ka->size() == row.p_bytes);
    CHECK(equal_bytes(*ka, *kb));
  }
}

TEST_CASE("ICAO 9303-11 Appendix G.2: DH generic mapping and key agreement") {
  auto v = VectorFile::load("icao9303_11_pace.txt");
  auto g = DhGroup::standard(DhGroupId::kModp1024_160).value();
  CHECK(g.p() == v.hex("G.2", "p"));
  CHECK(g.q() == v.hex("G.2", "q"));
  CHECK(g.g() == v.hex("G.2", "g"));

  auto map_ifd = DhKeyPair::from_private(g, v.hex("G.2", "map_sk_ifd")).value();
  auto map_ic = DhKeyPair::from_private(g, v.hex("G.2", "map_sk_ic")).value();
  CHECK(map_ifd.public_value() == v.hex("G.2", "map_pk_ifd"));
  CHECK(map_ic.public_value() == v.hex("G.2", "map_pk_ic"));
  auto h = map_ifd.agree(map_ic.public_value());
  REQUIRE(h.ok());
  CHECK(to_bytes(*h) == v.hex("G.2", "h"));

  // g^ = g^s * h mod p
  auto gs = g.pow(g.g(), v.hex("G.2", "s"));
  REQUIRE(gs.ok());
  auto mapped = g.mul(*gs, *h);
  REQUIRE(mapped.ok());
  CHECK(*mapped == v.hex("G.2", "mapped_generator"));
  auto eph_group = g.with_generator(*mapped);
  REQUIRE(eph_group.ok());

  auto eph_ifd = DhKeyPair::from_private(*eph_group, v.hex("G.2", "eph_sk_ifd")).value();
  auto eph_ic = DhKeyPair::from_private(*eph_group, v.hex("G.2", "eph_sk_ic")).value();
  CHECK(eph_ifd.public_value() == v.hex("G.2", "eph_pk_ifd"));
  CHECK(eph_ic.public_value() == v.hex("G.2", "eph_pk_ic"));
  auto k = eph_ifd.agree(eph_ic.public_value());
  REQUIRE(k.ok());
  CHECK(to_bytes(*k) == v.hex("G.2", "shared_secret"));
}

TEST_CASE("ICAO 9303-11 Appendix H.2: DH integrated mapping f_g(x) = x^((p-1)/q)") {
  auto v = VectorFile::load("icao9303_11_pace.txt");
  auto g = DhGroup::standard(DhGroupId::kModp1024_160).value();
  CHECK(g.reduce(v.hex("H.2", "r")).value() == v.hex("H.2", "r_p"));
  auto mapped = g.subgroup_element(v.hex("H.2", "r"));
  REQUIRE(mapped.ok());
  CHECK(*mapped == v.hex("H.2", "mapped_generator"));
  auto eph = g.with_generator(*mapped).value();
  // The chip's published exponent exceeds q: from_private accepts any 1 <= x < p.
  auto ic = DhKeyPair::from_private(eph, v.hex("H.2", "eph_sk_ic")).value();
  auto ifd = DhKeyPair::from_private(eph, v.hex("H.2", "eph_sk_ifd")).value();
  CHECK(ic.public_value() == v.hex("H.2", "eph_pk_ic"));
  CHECK(ifd.public_value() == v.hex("H.2", "eph_pk_ifd"));
  CHECK(to_bytes(ifd.agree(ic.public_value()).value()) == v.hex("H.2", "shared_secret"));
  // f_g must not give 1 (the element p - 1 has order 2, so (p-1)^((p-1)/q) = 1).
  Bytes p_minus_1 = g.p();
  p_minus_1.back() -= 1;
  CHECK(g.subgroup_element(p_minus_1).error().code == ErrorCode::kMalformed);
}

TEST_CASE("DH public values are validated (RFC 2631 §2.1.5)") {
  auto g = DhGroup::standard(DhGroupId::kModp1024_160).value();
  Bytes p = g.p();
  Bytes p_minus_1 = p;
  p_minus_1.back() -= 1;
  struct Case {
    const char* what;
    Bytes y;
    const char* message;
  };
  const Case cases[] = {
      {"empty", {}, "empty"},
      {"zero", {0x00}, "0 or 1"},
      {"one", {0x01}, "0 or 1"},
      {"one with leading zeros", {0x00, 0x00, 0x01}, "0 or 1"},
      {"p - 1 (order 2)", p_minus_1, "p - 1 or not below p"},
      {"p itself", p, "p - 1 or not below p"},
      {"longer than p", concat({Bytes{0x01}, p}), "longer than p"},
      {"2 is outside the order-q subgroup", {0x02}, "not in the prime-order subgroup"},
  };
  auto kp = DhKeyPair::generate(g).value();
  for (const auto& c : cases) {
    INFO(std::string(c.what));
    auto st = g.check_public(c.y);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == ErrorCode::kMalformed);
    CHECK(st.error().context.find(c.message) != std::string::npos);
    CHECK(kp.agree(c.y).error().code == ErrorCode::kMalformed);
    CHECK_FALSE(g.with_generator(c.y).ok());
  }
}

TEST_CASE("DH shared secrets keep the length of p; explicit parameters are checked") {
  auto g = DhGroup::standard(DhGroupId::kModp1024_160).value();
  auto peer = DhKeyPair::generate(g).value();
  bool leading_zero = false;
  for (int i = 0; i < 4000 && !leading_zero; ++i) {
    auto kp = DhKeyPair::generate(g).value();
    auto k = kp.agree(peer.public_value()).value();
    REQUIRE(k.size() == 128);
    leading_zero = k[0] == 0x00;
  }
  CHECK(leading_zero);

  auto explicit_group = DhGroup::from_parameters(g.p(), g.q(), g.g());
  REQUIRE(explicit_group.ok());
  CHECK_FALSE(explicit_group->id().has_value());
  CHECK(DhGroup::from_parameters(g.p(), g.q(), Bytes{0x02}).error().code == ErrorCode::kInvalidArgument);
  Bytes not_prime = g.q();
  not_prime.back() ^= 0x02;
  CHECK(DhGroup::from_parameters(g.p(), not_prime, g.g()).error().code == ErrorCode::kInvalidArgument);
  CHECK(DhKeyPair::from_private(g, Bytes{0x00}).error().code == ErrorCode::kInvalidArgument);
  CHECK(DhKeyPair::from_private(g, g.p()).error().code == ErrorCode::kInvalidArgument);
}
