#include "idtap/crypto/hash.h"

#include <doctest/doctest.h>

#include "idtap/base/hex.h"
#include "vectors/vector_file.h"

using namespace idtap;
using namespace idtap::crypto;

TEST_CASE("digests match the FIPS 180-4 examples") {
  const struct {
    HashAlg alg;
    const char* key;
  } algs[] = {{HashAlg::kSha1, "sha1"},
              {HashAlg::kSha224, "sha224"},
              {HashAlg::kSha256, "sha256"},
              {HashAlg::kSha384, "sha384"},
              {HashAlg::kSha512, "sha512"}};
  for (const char* section : {"fips180_abc", "fips180_two_block"}) {
    const Bytes message = bytes_of(test::crypto_kat().text(section, "message"));
    for (const auto& a : algs) {
      if (!test::crypto_kat().has(section, a.key)) continue;
      CAPTURE(section);
      CAPTURE(a.key);
      auto d = digest(a.alg, message);
      REQUIRE(d.ok());
      CHECK(d->size() == digest_size(a.alg));
      CHECK(to_hex(*d) == test::crypto_kat().text(section, a.key));
      auto s = secure_digest(a.alg, message);
      REQUIRE(s.ok());
      CHECK(to_hex(Bytes(s->begin(), s->end())) == test::crypto_kat().text(section, a.key));
    }
  }
}

TEST_CASE("incremental hashing equals one-shot hashing, and a finished hasher refuses more") {
  const Bytes message = bytes_of(test::crypto_kat().text("fips180_two_block", "message"));
  auto h = Hasher::create(HashAlg::kSha256);
  REQUIRE(h.ok());
  for (size_t i = 0; i < message.size(); i += 5)
    REQUIRE(h->update(ByteView(message).subspan(i, std::min<size_t>(5, message.size() - i))).ok());
  REQUIRE(h->update(Bytes{}).ok());
  auto d = h->finish();
  REQUIRE(d.ok());
  CHECK(to_hex(*d) == test::crypto_kat().text("fips180_two_block", "sha256"));
  CHECK(h->update(message).error().code == ErrorCode::kState);
  CHECK(h->finish().error().code == ErrorCode::kState);
}

TEST_CASE("hash OIDs map both ways") {
  CHECK(hash_from_oid("2.16.840.1.101.3.4.2.1") == HashAlg::kSha256);
  CHECK(hash_from_oid("1.3.14.3.2.26") == HashAlg::kSha1);
  CHECK(hash_from_oid("2.16.840.1.101.3.4.2.3") == HashAlg::kSha512);
  CHECK_FALSE(hash_from_oid("1.2.3").has_value());
  for (HashAlg a : {HashAlg::kSha1, HashAlg::kSha224, HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha512})
    CHECK(hash_from_oid(hash_oid(a)) == a);
  CHECK(std::string(hash_name(HashAlg::kSha384)) == "SHA-384");
}
