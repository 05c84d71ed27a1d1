// serve_bench: issue 15's targets for phone delivery, measured, not asserted.
//   1. end-to-end issuances per second over loopback HTTPS: 32 concurrent keep-alive wallets,
//      each doing token + nonce + credential (ES256 proof) per issuance, against the real
//      `idtap serve` with a durable ledger; beside it, in the same run, the in-process durable
//      rate (Pipeline::redeem_offer + issue_offer, one thread) on the same machine.
//   2. p99 latency of one whole issuance at 100 issuances/s offered load (open loop: each
//      issuance has a scheduled start; its latency runs from then, so queueing counts).
// Targets: at least 1,000 issuances/s; p99 under 50 ms.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "idtap/issue/pipeline.h"
#include "idtap/provision/date.h"
#include "provision/fixtures.h"
#include "serve/site.h"
#include "support/scratch_dir.h"

using namespace idtap;
using namespace idtap::test;
using Clock = std::chrono::steady_clock;

namespace {

struct Offer {
  std::string code;
  std::string tx_code;
};

// make_offers: `n` offers for `n` different holders, created in-process on the site's ledger.
std::vector<Offer> make_offers(issue::Pipeline& pipeline, int n, int first) {
  std::vector<Offer> out;
  for (int i = first; i < first + n; ++i) {
    const std::string rrn = fmt::format("900515-1{:06d}", i);
    const std::string doc = fmt::format("M{:08d}", i);
    provision::VerifiedHolder holder = provision::testing::sample_holder(rrn, Date{1990, 5, 15}, doc);
    issue::OfferRequest request;
    request.holder = &holder;
    request.now = provision::now_seconds();
    request.ttl_seconds = 3600;
    auto made = pipeline.create_offer(request);
    if (!made.ok()) {
      std::fprintf(stderr, "serve_bench: create_offer: %s\n", made.error().message().c_str());
      std::exit(1);
    }
    out.push_back({made->pre_authorized_code, made->tx_code});
  }
  return out;
}

// issue_once: token + nonce + credential for one offer; true on a 200 with a credential.
bool issue_once(Wallet& wallet, const std::string& issuer_url, const Offer& offer) {
  // A fresh phone key per issuance: one key holds one person's ID (the ledger refuses a key
  // already bound to another holder).
  wallet.set_key(provision::EcPrivateKey::generate().value());
  HttpReply tok = wallet.token(offer.code, offer.tx_code);
  if (tok.status != 200) return false;
  HttpReply n = wallet.nonce();
  if (n.status != 200) return false;
  const int64_t now = provision::now_seconds();
  HttpReply cred = wallet.credential(tok.json.value("access_token", ""), "kr.go.mois.residentid.1",
                                     wallet.proof(issuer_url, n.json.value("c_nonce", ""), now));
  return cred.status == 200;
}

}  // namespace

int main() {
  ScratchDir dir("serve-bench");
  Site site(dir.path());
  constexpr int kWallets = 32;
  constexpr int kThroughputIssuances = 32 * 24;
  constexpr int kInProcess = 200;
  constexpr int kLatencyIssuances = 300;
  constexpr double kOfferedRate = 100.0;

  std::vector<Offer> throughput_offers, latency_offers;
  double in_process_rate = 0;
  {
    auto ledger = provision::Ledger::open(site.ledger()).value();
    provision::IssuerFiles files{site.issuer_key_file(), site.issuer_cert_file(), ""};
    auto pipeline = issue::Pipeline(ledger, issue::load_checked_issuer(files, provision::now_seconds()).value());
    std::fprintf(stderr, "serve_bench: creating %d offers...\n", kThroughputIssuances + kLatencyIssuances + kInProcess);
    throughput_offers = make_offers(pipeline, kThroughputIssuances, 0);
    latency_offers = make_offers(pipeline, kLatencyIssuances, 100000);
    std::vector<Offer> local = make_offers(pipeline, kInProcess, 200000);
    // The in-process durable rate: redeem + issue, one thread, fresh phone key each.
    std::vector<provision::EcPrivateKey> keys;
    for (int i = 0; i < kInProcess; ++i) keys.push_back(provision::EcPrivateKey::generate().value());
    const auto t0 = Clock::now();
    for (int i = 0; i < kInProcess; ++i) {
      const int64_t now = provision::now_seconds();
      auto redeemed = pipeline.redeem_offer(local[i].code, local[i].tx_code, now);
      if (!redeemed.ok() || !pipeline.issue_offer(redeemed->offer_id, keys[i].public_key(), now).ok()) {
        std::fprintf(stderr, "serve_bench: in-process issuance failed\n");
        return 1;
      }
    }
    in_process_rate = kInProcess / std::chrono::duration<double>(Clock::now() - t0).count();
  }

  ServeProcess* server = site.start(true);  // 40 worker threads (Site::serve_args)
  if (server->port() == 0) {
    std::fprintf(stderr, "serve_bench: idtap serve did not start: %s\n", server->log().c_str());
    return 1;
  }
  const std::string url = server->base_url();

  // 1. Throughput: 32 keep-alive wallets share the offers.
  std::atomic<int> next{0}, ok{0};
  auto t0 = Clock::now();
  {
    std::vector<std::thread> threads;
    for (int w = 0; w < kWallets; ++w)
      threads.emplace_back([&] {
        Wallet wallet(url, site.wallet_options());
        for (int i; (i = next++) < kThroughputIssuances;)
          if (issue_once(wallet, url, throughput_offers[i])) ++ok;
      });
    for (auto& t : threads) t.join();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const double e2e_rate = ok / seconds;

  // 2. Latency at 100 issuances/s offered (open loop over the same 32 wallets).
  std::vector<double> latencies_ms(kLatencyIssuances, -1);
  next = 0;
  const auto start = Clock::now() + std::chrono::milliseconds(200);
  {
    std::vector<std::thread> threads;
    for (int w = 0; w < kWallets; ++w)
      threads.emplace_back([&] {
        Wallet wallet(url, site.wallet_options());
        for (int i; (i = next++) < kLatencyIssuances;) {
          const auto scheduled = start + std::chrono::microseconds(static_cast<int64_t>(i * 1e6 / kOfferedRate));
          std::this_thread::sleep_until(scheduled);
          if (issue_once(wallet, url, latency_offers[i]))
            latencies_ms[i] = std::chrono::duration<double, std::milli>(Clock::now() - scheduled).count();
        }
      });
    for (auto& t : threads) t.join();
  }
  const int stopped = server->stop();
  std::vector<double> done;
  for (double l : latencies_ms)
    if (l >= 0) done.push_back(l);
  std::sort(done.begin(), done.end());
  const double p50 = done.empty() ? 0 : done[done.size() / 2];
  const double p99 = done.empty() ? 0 : done[std::min(done.size() - 1, done.size() * 99 / 100)];

  std::printf("serve_bench: %d/%d issuances over loopback HTTPS in %.2f s (32 keep-alive wallets, durable ledger)\n", ok.load(),
              kThroughputIssuances, seconds);
  std::printf("  end to end          %8.0f issuances/s   (target >= 1000/s)  %s\n", e2e_rate, e2e_rate >= 1000 ? "PASS" : "FAIL");
  std::printf("  in-process durable  %8.0f issuances/s   (redeem + issue, one thread, same run)\n", in_process_rate);
  std::printf("  at %.0f/s offered:  %zu/%d done, p50 %.1f ms, p99 %.1f ms   (target p99 < 50 ms)  %s\n", kOfferedRate,
              done.size(), kLatencyIssuances, p50, p99, p99 < 50 && done.size() == kLatencyIssuances ? "PASS" : "FAIL");
  std::printf("  server exit %d\n", stopped);
  return 0;
}
