// lib/provision/ledger_challenge.cpp: the times of a proof-of-possession challenge, covered.
//
// The rule that consumes a challenge (ledger_issue.cpp) refuses an expired one, reading the
// row's expires_at; anyone who can write the database could move it (and created_at) to make an
// old challenge, and a proof captured over it, usable again. Rather than a tag column (a schema
// change and a migration), the challenge itself carries the tag: its 32 bytes are 16 random
// bytes R followed by the first 16 bytes of
//     HMAC-SHA256(ledger key, kChallengeTagLabel || R || created_at || expires_at)
// (times as 8-byte big-endian). The row's times are then checked against the challenge they
// belong to, at use (the rule refuses a challenge whose tag does not verify) and by `ledger
// verify` (check_challenges). The challenge stays 32 opaque bytes to its callers (the C API,
// `idtap provision`, the phone signs it as before); 128 random bits keep it unpredictable and a
// 128-bit tag cannot be forged without the key. A challenge made before this (32 random bytes) is
// refused by the rule after an upgrade: it lives minutes; ask for a new one.
#include "ledger_challenge.h"

#include "idtap/crypto/mac.h"
#include "idtap/crypto/random.h"
#include "idtap/provision/proof.h"
#include "ledger_paged.h"

namespace idtap::provision {
namespace {

constexpr std::string_view kChallengeTagLabel = "idtap challenge times v1";
constexpr size_t kRandomBytes = 16;
constexpr size_t kTagBytes = kChallengeBytes - kRandomBytes;

void put_be64(Bytes& out, int64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(static_cast<uint64_t>(v) >> shift));
}

Result<Bytes> challenge_tag(const Ledger::Impl& l, ByteView random, int64_t created_at, int64_t expires_at) {
  Bytes input(kChallengeTagLabel.begin(), kChallengeTagLabel.end());
  input.insert(input.end(), random.begin(), random.end());
  put_be64(input, created_at);
  put_be64(input, expires_at);
  IDTAP_ASSIGN_OR_RETURN(Bytes mac, crypto::hmac_sha256(ByteView(l.key.data(), l.key.size()), input));
  mac.resize(kTagBytes);
  return mac;
}

}  // namespace

Result<Bytes> make_challenge(const Ledger::Impl& l, int64_t created_at, int64_t expires_at) {
  IDTAP_ASSIGN_OR_RETURN(Bytes challenge, crypto::random_bytes(kRandomBytes));
  IDTAP_ASSIGN_OR_RETURN(Bytes tag, challenge_tag(l, challenge, created_at, expires_at));
  challenge.insert(challenge.end(), tag.begin(), tag.end());
  return challenge;
}

Result<bool> challenge_authentic(const Ledger::Impl& l, ByteView challenge, int64_t created_at, int64_t expires_at) {
  if (challenge.size() != kChallengeBytes) return false;
  IDTAP_ASSIGN_OR_RETURN(Bytes tag, challenge_tag(l, challenge.subspan(0, kRandomBytes), created_at, expires_at));
  return crypto::constant_time_equal(tag, challenge.subspan(kRandomBytes));
}

Status check_challenges(Ledger::Impl& l, Findings& out) {
  PagedCursor rows(l, "SELECT challenge, created_at, expires_at FROM challenges WHERE used_at IS NULL AND challenge > ?1 "
                      "ORDER BY challenge LIMIT 512",
                   "bii", {0}, Row{Cell{}});
  while (true) {
    IDTAP_ASSIGN_OR_RETURN(const Row* r, rows.peek());
    if (r == nullptr) return ok_status();
    const ByteView challenge(reinterpret_cast<const uint8_t*>(r->at(0).s.data()), r->at(0).s.size());
    IDTAP_ASSIGN_OR_RETURN(bool authentic, challenge_authentic(l, challenge, r->at(1).i, r->at(2).i));
    if (!authentic)
      out.at("challenges", hex_of(r->at(0).s).substr(0, 16) + "…", "created_at expires_at",
             "(" + std::to_string(r->at(1).i) + ", " + std::to_string(r->at(2).i) +
                 ") do not match the challenge's tag (edited, inserted, or made before challenges were tagged); the rule refuses it");
    rows.pop();
  }
}

}  // namespace idtap::provision
