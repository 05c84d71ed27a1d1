// lib/provision/ledger_challenge.h (internal): the proof-of-possession challenges of a ledger
// carry their own times under the ledger key (ledger_challenge.cpp). Not installed.
#pragma once

#include "ledger_internal.h"

namespace idtap::provision {

struct Findings;

// make_challenge: a new challenge (kChallengeBytes) for the times `created_at` and `expires_at`:
// 16 random bytes and the tag of those bytes and times. An error only when OpenSSL fails.
Result<Bytes> make_challenge(const Ledger::Impl& l, int64_t created_at, int64_t expires_at);

// challenge_authentic: whether `challenge` is one this ledger made for exactly `created_at` and
// `expires_at` (its tag verifies; compared in constant time). False for a challenge of another
// length, of another ledger, or made before challenges were tagged.
Result<bool> challenge_authentic(const Ledger::Impl& l, ByteView challenge, int64_t created_at, int64_t expires_at);

// check_challenges: `ledger verify`'s check of every unused challenge's times against its tag;
// one finding (challenges[HEX…].created_at expires_at) per row that does not verify. Used rows are
// not checked: their use is recorded by the 'issued' events (used_at is compared there), and
// nothing reads their times again.
Status check_challenges(Ledger::Impl& l, Findings& out);

}  // namespace idtap::provision
