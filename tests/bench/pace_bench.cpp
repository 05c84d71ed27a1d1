// Benchmark: host CPU for one whole PACE (ECDH Generic Mapping, AES-128) on brainpoolP256r1 and
// NIST P-256, terminal and chip both in this process (the chip is auth::PaceChip behind a
// Transport), against the cost of the bare EC operations such a run needs, measured in the same
// run: per side one fixed-base key generation (the mapping key), s*G, H = SK_Map * PK_Map, G^ =
// s*G + H, a key generation on G^, and the ECDH x-coordinate. Target: PACE / bare <= 1.5 (the
// protocol, KDF, tokens, TLV and validation may add at most half again).
//
// Prints one line per curve and PASS or MISS; exits non-zero only when something fails to run.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "auth/pace_chip_transport.h"
#include "idtap/apdu/commands.h"
#include "idtap/auth/pace.h"
#include "idtap/base/hex.h"
#include "idtap/crypto/ec.h"
#include "idtap/crypto/random.h"

using namespace idtap;

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

[[noreturn]] void die(const char* what, const Error& e) {
  std::fprintf(stderr, "pace_bench: %s: %s\n", what, e.message().c_str());
  std::exit(1);
}

// One whole PACE, terminal and chip, up to the established SecureChannel. The card persists
// across runs, as a card does; the terminal starts from the PACEInfo chosen once per card.
void run_pace_once(testing::PaceChipTransport& card, const auth::Password& password, const auth::PaceSelection& selection) {
  auto result = auth::run_pace(card, password, selection);
  if (!result.ok()) die("run_pace", result.error());
  if (!card.secure_messaging()) die("run_pace", make_error(ErrorCode::kInternal, "the chip did not establish the session"));
}

// The EC operations of one PACE (both sides), through the same crypto API. `peer` stands in for
// the other side's public keys (a valid point: the operation count is what matters).
void run_bare_ops_once(const crypto::EcGroup& group, const crypto::EcPoint& peer) {
  const crypto::EcPoint g = group.generator();
  auto s = crypto::random_bytes(16);
  if (!s.ok()) die("random", s.error());
  for (int side = 0; side < 2; ++side) {
    auto map_key = crypto::EcKeyPair::generate(g);       // mapping key pair (fixed base)
    if (!map_key.ok()) die("keygen", map_key.error());
    auto h = map_key->agree_point(peer);                 // H = SK_Map * PK_Map,peer
    auto sg = g.mul(*s);                                 // s * G
    if (!h.ok() || !sg.ok()) die("mul", h.ok() ? sg.error() : h.error());
    auto mapped = sg->add(*h);                           // G^ = s * G + H
    if (!mapped.ok()) die("add", mapped.error());
    auto eph = crypto::EcKeyPair::generate(*mapped);     // ephemeral key pair on G^
    if (!eph.ok()) die("keygen G^", eph.error());
    auto k = eph->agree_x(peer);                         // K = x(SK_DH * PK_DH,peer)
    if (!k.ok()) die("ecdh", k.error());
  }
}

struct Measurement {
  double pace_us = 0;
  double bare_us = 0;
};

Measurement measure(int parameter_id, const crypto::EcGroup& group) {
  const lds::PaceInfo info{hex_or_die("04007F00070202040202"), 2, parameter_id};
  auto password = auth::Password::can("123456");
  if (!password.ok()) die("password", password.error());
  auto selection = auth::choose_pace({info});
  if (!selection.ok()) die("choose_pace", selection.error());

  auth::PaceChipConfig config;
  config.pace_infos = {info};
  auto seed = password->pace_key_seed();
  if (!seed.ok()) die("key seed", seed.error());
  config.passwords.push_back(auth::PaceChipPassword{password->kind(), std::move(*seed)});
  testing::PaceChipTransport card(std::move(config));

  auto peer = crypto::EcKeyPair::generate(group.generator());
  if (!peer.ok()) die("keygen", peer.error());
  const crypto::EcPoint peer_point = peer->public_point();
  // Warm up both paths (OpenSSL fetches, tables).
  for (int i = 0; i < 5; ++i) {
    run_pace_once(card, *password, *selection);
    run_bare_ops_once(group, peer_point);
  }
  // Interleave batches and keep the median batch of each, so drift and neighbours' load hit both.
  constexpr int kRounds = 9;
  constexpr int kBatch = 20;
  std::vector<double> pace, bare;
  for (int round = 0; round < kRounds; ++round) {
    double t0 = cpu_seconds();
    for (int i = 0; i < kBatch; ++i) run_pace_once(card, *password, *selection);
    double t1 = cpu_seconds();
    for (int i = 0; i < kBatch; ++i) run_bare_ops_once(group, peer_point);
    double t2 = cpu_seconds();
    pace.push_back((t1 - t0) / kBatch * 1e6);
    bare.push_back((t2 - t1) / kBatch * 1e6);
  }
  std::sort(pace.begin(), pace.end());
  std::sort(bare.begin(), bare.end());
  return Measurement{pace[kRounds / 2], bare[kRounds / 2]};
}

}  // namespace

int main() {
  constexpr double kTarget = 1.5;
  struct Curve {
    const char* name;
    int parameter_id;
    crypto::EcCurve curve;
  };
  const Curve curves[] = {{"brainpoolP256r1", 13, crypto::EcCurve::kBrainpoolP256r1}, {"NIST P-256", 12, crypto::EcCurve::kNistP256}};
  std::printf("PACE-ECDH-GM-AES-128, terminal + chip in process, host CPU per run (median of 9 batches of 20)\n");
  bool all_pass = true;
  for (const auto& c : curves) {
    auto group = crypto::EcGroup::named(c.curve);
    if (!group.ok()) die("curve", group.error());
    Measurement m = measure(c.parameter_id, *group);
    const double ratio = m.pace_us / m.bare_us;
    const bool pass = ratio <= kTarget;
    all_pass = all_pass && pass;
    std::printf("  %-16s whole PACE %8.1f us   bare EC ops %8.1f us   ratio %.2f (target <= %.1f)  %s\n", c.name, m.pace_us,
                m.bare_us, ratio, kTarget, pass ? "PASS" : "MISS");
  }
  std::printf("pace_bench: %s\n", all_pass ? "PASS" : "MISS");
  return 0;
}
