#include "idtap/crypto/ec.h"

#include <doctest/doctest.h>

#include "vectors/vector_file.h"
#include "idtap/base/hex.h"

using namespace idtap;
using namespace idtap::crypto;
using idtap::test::VectorFile;

namespace {

EcGroup bp256() { return EcGroup::named(EcCurve::kBrainpoolP256r1).value(); }

// Big-endian subtraction a - b for equal-length operands with a >= b (test arithmetic only).
Bytes sub_bytes(Bytes a, const Bytes& b) {
  int borrow = 0;
  for (size_t i = a.size(); i-- > 0;) {
    int d = a[i] - b[i] - borrow;
    borrow = d < 0;
    a[i] = static_cast<uint8_t>(d + (borrow ? 256 : 0));
  }
  return a;
}

}  // namespace

TEST_CASE("every PACE standardized curve is available with the right sizes") {
  struct Row {
    EcCurve curve;
    size_t field_bytes;
    const char* name;
  };
  const Row rows[] = {
      {EcCurve::kNistP192, 24, "secp192r1"},         {EcCurve::kBrainpoolP192r1, 24, "brainpoolP192r1"},
      {EcCurve::kNistP224, 28, "secp224r1"},         {EcCurve::kBrainpoolP224r1, 28, "brainpoolP224r1"},
      {EcCurve::kNistP256, 32, "secp256r1"},         {EcCurve::kBrainpoolP256r1, 32, "brainpoolP256r1"},
      {EcCurve::kBrainpoolP320r1, 40, "brainpoolP320r1"}, {EcCurve::kNistP384, 48, "secp384r1"},
      {EcCurve::kBrainpoolP384r1, 48, "brainpoolP384r1"}, {EcCurve::kBrainpoolP512r1, 64, "brainpoolP512r1"},
      {EcCurve::kNistP521, 66, "secp521r1"},
  };
  for (const auto& row : rows) {
    INFO(std::string(row.name));
    auto g = EcGroup::named(row.curve);
    REQUIRE(g.ok());
    CHECK(g->field_size() == row.field_bytes);
    CHECK(std::string(curve_name(row.curve)) == row.name);
    CHECK(curve_from_name(row.name) == row.curve);
    Bytes gen = g->generator().encode();
    CHECK(gen.size() == 1 + 2 * row.field_bytes);
    auto back = g->decode_point(gen);
    REQUIRE(back.ok());
    CHECK(back->equals(g->generator()));
    // ECDH between two fresh key pairs agrees and is field_size long.
    auto a = EcKeyPair::generate(g->generator());
    auto b = EcKeyPair::generate(g->generator());
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    auto ka = a->agree_x(b->public_point());
    auto kb = b->agree_x(a->public_point());
    REQUIRE(ka.ok());
    REQUIRE(kb.ok());
    CHECK(ka->size() == row.field_bytes);
    CHECK(equal_bytes(*ka, *kb));
  }
  CHECK(curve_from_name("P-256") == EcCurve::kNistP256);
  CHECK(curve_from_name("prime256v1") == EcCurve::kNistP256);
  CHECK_FALSE(curve_from_name("secp256k1").has_value());
}

TEST_CASE("ICAO 9303-11 Appendix G.1: generic mapping and ECDH on brainpoolP256r1") {
  auto v = VectorFile::load("icao9303_11_pace.txt");
  const EcGroup g = bp256();
  const EcPoint gen = g.generator();

  auto map_ifd = EcKeyPair::from_private(gen, v.hex("G.1", "map_sk_ifd"));
  REQUIRE(map_ifd.ok());
  CHECK(map_ifd->public_encoded() == v.hex("G.1", "map_pk_ifd"));
  auto map_ic = EcKeyPair::from_private(gen, v.hex("G.1", "map_sk_ic"));
  REQUIRE(map_ic.ok());
  CHECK(map_ic->public_encoded() == v.hex("G.1", "map_pk_ic"));

  // H = SK_map,IFD * PK_map,IC = SK_map,IC * PK_map,IFD
  auto pk_map_ic = g.decode_point(v.hex("G.1", "map_pk_ic"));
  REQUIRE(pk_map_ic.ok());
  auto h = map_ifd->agree_point(*pk_map_ic);
  REQUIRE(h.ok());
  CHECK(h->encode() == v.hex("G.1", "h"));
  CHECK(map_ic->agree_point(map_ifd->public_point())->equals(*h));

  // G^ = s * G + H
  auto sg = gen.mul(v.hex("G.1", "s"));
  REQUIRE(sg.ok());
  auto mapped = sg->add(*h);
  REQUIRE(mapped.ok());
  CHECK(mapped->encode() == v.hex("G.1", "mapped_generator"));

  auto eph_ifd = EcKeyPair::from_private(*mapped, v.hex("G.1", "eph_sk_ifd"));
  auto eph_ic = EcKeyPair::from_private(*mapped, v.hex("G.1", "eph_sk_ic"));
  REQUIRE(eph_ifd.ok());
  REQUIRE(eph_ic.ok());
  CHECK(eph_ifd->public_encoded() == v.hex("G.1", "eph_pk_ifd"));
  CHECK(eph_ic->public_encoded() == v.hex("G.1", "eph_pk_ic"));
  auto k = eph_ifd->agree_x(eph_ic->public_point());
  REQUIRE(k.ok());
  CHECK(to_bytes(*k) == v.hex("G.1", "shared_secret"));
}

TEST_CASE("points encode with coordinates left-padded to the field size") {
  // Find a key whose x-coordinate starts with a zero byte (about 1 in 256) and check both the
  // encoding and the ECDH shared secret keep full width.
  const EcGroup g = EcGroup::named(EcCurve::kNistP256).value();
  bool found_point = false, found_secret = false;
  auto peer = EcKeyPair::generate(g.generator()).value();
  for (int i = 0; i < 5000 && !(found_point && found_secret); ++i) {
    auto kp = EcKeyPair::generate(g.generator()).value();
    Bytes enc = kp.public_encoded();
    REQUIRE(enc.size() == 65);
    if (enc[1] == 0x00 || enc[33] == 0x00) {
      found_point = true;
      auto back = g.decode_point(enc);
      REQUIRE(back.ok());
      CHECK(back->equals(kp.public_point()));
      CHECK(kp.public_point().x().size() == 32);
      CHECK(kp.public_point().y().size() == 32);
    }
    auto k = kp.agree_x(peer.public_point()).value();
    REQUIRE(k.size() == 32);
    if (k[0] == 0x00) found_secret = true;
  }
  CHECK(found_point);
  CHECK(found_secret);
}

TEST_CASE("decode_point rejects every malformed or invalid encoding") {
  const EcGroup g = bp256();
  const Bytes good = g.generator().encode();
  Bytes not_on_curve = good;
  not_on_curve.back() ^= 0x01;
  Bytes compressed(good.begin(), good.begin() + 33);
  compressed[0] = 0x02;
  Bytes x_too_big = good;
  std::fill(x_too_big.begin() + 1, x_too_big.begin() + 33, 0xFF);
  Bytes prefix_06 = good;
  prefix_06[0] = 0x06;
  struct Case {
    const char* what;
    Bytes encoding;
    const char* message;
  };
  const Case cases[] = {
      {"empty", {}, "expected 65"},
      {"the point at infinity (single 00)", {0x00}, "point at infinity"},
      {"compressed point", compressed, "expected 65"},
      {"hybrid / unknown prefix with the right length", prefix_06, "starts with 06"},
      {"a point not on the curve", not_on_curve, "not on the curve"},
      {"x coordinate not below p", x_too_big, "not below the field prime"},
      {"one byte short", Bytes(good.begin(), good.end() - 1), "expected 65"},
      {"one byte long", concat({good, Bytes{0x00}}), "expected 65"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.what));
    auto r = g.decode_point(c.encoding);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
    CHECK(r.error().context.find(c.message) != std::string::npos);
  }
  // A valid point of another curve is not on this one.
  auto p256 = EcGroup::named(EcCurve::kNistP256).value();
  CHECK(g.decode_point(p256.generator().encode()).error().code == ErrorCode::kMalformed);
}

TEST_CASE("point operations refuse to produce the point at infinity") {
  const EcGroup g = bp256();
  const EcPoint gen = g.generator();
  const Bytes n = g.parameters().order;
  Bytes n_minus_1 = n;
  n_minus_1.back() -= 1;  // the order is odd: no borrow
  auto minus_g = gen.mul(n_minus_1);
  REQUIRE(minus_g.ok());
  auto sum = gen.add(*minus_g);
  REQUIRE_FALSE(sum.ok());
  CHECK(sum.error().code == ErrorCode::kMalformed);
  CHECK(gen.mul(n).error().code == ErrorCode::kInvalidArgument);        // n * G = O
  CHECK(gen.mul(Bytes{0x00}).error().code == ErrorCode::kInvalidArgument);
  CHECK(EcKeyPair::from_private(gen, Bytes{0x00}).error().code == ErrorCode::kInvalidArgument);
  CHECK(EcKeyPair::from_private(gen, n).error().code == ErrorCode::kInvalidArgument);
  // -G is the point (x, p - y).
  const Bytes p = g.parameters().p;
  auto neg = g.point_from_affine(gen.x(), sub_bytes(p, gen.y()));
  REQUIRE(neg.ok());
  CHECK(neg->equals(*minus_g));
  // Points of different curves do not mix.
  auto other = EcGroup::named(EcCurve::kNistP256).value().generator();
  CHECK(gen.add(other).error().code == ErrorCode::kInvalidArgument);
  auto kp = EcKeyPair::generate(gen).value();
  CHECK(kp.agree_x(other).error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("ICAO 9303-11 Appendix H.1: the integrated mapping point encoding") {
  auto v = VectorFile::load("icao9303_11_pace.txt");
  const EcGroup g = bp256();
  auto rp = g.reduce_field(v.hex("H.1", "r"));
  REQUIRE(rp.ok());
  CHECK(*rp == v.hex("H.1", "r_p"));
  auto mapped = g.icao_point_encoding(*rp);
  REQUIRE(mapped.ok());
  CHECK(mapped->encode() == v.hex("H.1", "mapped_generator"));

  CHECK(g.icao_point_encoding(Bytes{0x00}).error().code == ErrorCode::kInvalidArgument);
  CHECK(g.icao_point_encoding(g.parameters().p).error().code == ErrorCode::kInvalidArgument);
  // NIST P-224 has p = 1 mod 4: ICAO 9303-11 Table 12 excludes it from the Integrated Mapping.
  auto p224 = EcGroup::named(EcCurve::kNistP224).value();
  CHECK(p224.icao_point_encoding(Bytes{0x05}).error().code == ErrorCode::kNotSupported);
  // Every other standardized curve maps random field elements onto itself.
  for (EcCurve c : {EcCurve::kNistP192, EcCurve::kBrainpoolP192r1, EcCurve::kBrainpoolP224r1, EcCurve::kNistP256,
                    EcCurve::kBrainpoolP320r1, EcCurve::kNistP384, EcCurve::kBrainpoolP384r1,
                    EcCurve::kBrainpoolP512r1, EcCurve::kNistP521}) {
    INFO(std::string(curve_name(c)));
    auto grp = EcGroup::named(c).value();
    auto t = grp.reduce_field(hex_or_die("0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"));
    REQUIRE(t.ok());
    auto pt = grp.icao_point_encoding(*t);
    REQUIRE(pt.ok());
    CHECK(grp.decode_point(pt->encode()).ok());
  }
}

TEST_CASE("ICAO 9303-11 Appendix I.1: chip authentication data CA = SK_IC^-1 * SK_map mod n") {
  auto v = VectorFile::load("icao9303_11_pace.txt");
  const EcGroup g = bp256();
  auto ca = g.scalar_mul_inverse(v.hex("I.1", "sk_ic_derived"), v.hex("I.1", "map_sk_ic"));
  REQUIRE(ca.ok());
  CHECK(to_bytes(*ca) == v.hex("I.1", "ca_ic"));
  // The terminal's check: PK_map,IC = CA_IC * PK_IC.
  auto pk_ic = g.decode_point(v.hex("I.1", "pk_ic"));
  REQUIRE(pk_ic.ok());
  CHECK(pk_ic->mul(*ca)->encode() == v.hex("I.1", "map_pk_ic"));
  CHECK(g.scalar_mul_inverse(Bytes{0x00}, Bytes{0x01}).error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("explicit curve parameters are validated and recognised") {
  const EcGroup g = bp256();
  auto again = EcGroup::from_parameters(g.parameters());
  REQUIRE(again.ok());
  CHECK(again->curve() == EcCurve::kBrainpoolP256r1);
  CHECK(again->same_curve(g));

  EcParameters bad = g.parameters();
  bad.generator.back() ^= 0x01;  // generator off the curve
  CHECK(EcGroup::from_parameters(bad).error().code == ErrorCode::kInvalidArgument);
  EcParameters wrong_order = g.parameters();
  wrong_order.order.back() ^= 0x02;
  CHECK(EcGroup::from_parameters(wrong_order).error().code == ErrorCode::kInvalidArgument);
  EcParameters composite = g.parameters();
  composite.p.back() ^= 0x02;  // odd but not the prime
  CHECK(EcGroup::from_parameters(composite).error().code == ErrorCode::kInvalidArgument);
}
