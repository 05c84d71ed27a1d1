// capi_bench: a full read of the simulated card (sim:DIR, the resident profile) through the C API
// (idtap_open + idtap_read + idtap_result_free, the static build of lib/capi) against the same
// read through the C++ API (select::open_reader + reader::read_card with the same trust path
// loaded per read), interleaved in one run. Target (issue 17): the C API takes at most 1.02x
// the C++ API's time (median of the rounds). Prints both medians, the ratio, PASS or FAIL, and
// the resident set before and after (a leak check is tests/capi/cycles_test.cpp's).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <vector>

#include "idtap/auth/trust_store.h"
#include "idtap/idtap.h"
#include "idtap/reader/session.h"
#include "idtap/select/select.h"
#include "idtap/sim/card_image.h"
#include "support/scratch_dir.h"
#include "support/test_card.h"

using namespace idtap;
using Clock = std::chrono::steady_clock;

namespace {

long rss_kb() {
  std::ifstream in("/proc/self/statm");
  long pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * 4;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main() {
  test::ScratchDir dir("capi-bench");
  test::TestCard card = test::make_test_card();
  const std::string card_dir = dir.path() + "/card";
  if (!sim::write_card_image(card_dir, card.image).ok()) return 1;
  const std::string csca = dir.path() + "/csca.pem";
  std::ofstream(csca) << card.csca_pem;
  const std::string spec = "sim:" + card_dir;

  auto c_read = [&]() -> bool {
    idtap_context* ctx = nullptr;
    idtap_reader* reader = nullptr;
    idtap_result* result = nullptr;
    if (idtap_context_new(IDTAP_CONTEXT_NO_NFC, &ctx) != IDTAP_OK) return false;
    bool ok = idtap_open(ctx, spec.c_str(), 0, &reader) == IDTAP_OK;
    if (ok) {
      idtap_read_options options;
      idtap_read_options_init(&options);
      options.can = test::kCardCan;
      const char* paths[] = {csca.c_str()};
      options.trust_paths = paths;
      options.trust_path_count = 1;
      ok = idtap_read(reader, &options, &result) == IDTAP_OK && idtap_result_genuine(result);
    }
    idtap_result_free(result);
    idtap_reader_free(reader);
    idtap_context_free(ctx);
    return ok;
  };
  auto cxx_read = [&]() -> bool {
    auth::TrustStore trust;
    if (!trust.add_path(csca).ok()) return false;
    select::OpenOptions open;
    open.reader = spec;
    auto reader = select::open_reader(open);
    if (!reader.ok()) return false;
    reader::ReadRequest request;
    request.can = auth::Password::can(test::kCardCan).value();
    request.trust = &trust;
    auto result = reader::read_card(*reader->transport, request);
    return result.ok() && result->verification.genuine;
  };

  constexpr int kWarmup = 5, kRounds = 60;
  for (int i = 0; i < kWarmup; ++i)
    if (!c_read() || !cxx_read()) return 2;
  const long rss_before = rss_kb();
  std::vector<double> c_ms, cxx_ms;
  for (int i = 0; i < kRounds; ++i) {
    auto t0 = Clock::now();
    if (!c_read()) return 3;
    auto t1 = Clock::now();
    if (!cxx_read()) return 4;
    auto t2 = Clock::now();
    c_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    cxx_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
  }
  const double c = median(c_ms), cxx = median(cxx_ms), ratio = c / cxx;
  std::printf("full read, %d rounds: C API %.2f ms, C++ API %.2f ms (medians): %.3fx (target <= 1.02x): %s\n", kRounds, c, cxx,
              ratio, ratio <= 1.02 ? "PASS" : "FAIL");
  std::printf("resident set: %ld kB before the rounds, %ld kB after\n", rss_before, rss_kb());
  return 0;
}
