// idtap_cancel racing the end of idtap_wait_event, over a real pcscd (+ vpcd): the kiosk
// examples' "stopped by a signal while waiting" once died of SIGSEGV now and then (about one run
// in six under a loaded `make check`): the wait, woken by the cancel, destroyed its watcher
// (pcsc-lite context and all) while idtap_cancel, in the signal thread, was still inside it
// (SCardCancel on that context). Here a second thread cancels every wait, hundreds of times,
// at varying moments: with the bug this crashes (or ASan reports a use after free); fixed,
// every wait ends with IDTAP_E_CANCELLED (or an event that came first) and the context lives on.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "idtap/idtap.h"
#include "support/pcscd_fixture.h"

using namespace std::chrono_literals;

TEST_CASE("idtap_cancel from another thread, racing the end of idtap_wait_event, 300 times") {
  idtap::test::PcscdFixture pcscd;
  REQUIRE_MESSAGE(pcscd.ok(), pcscd.error());
  idtap_context* ctx = nullptr;
  // Every driver, as the kiosks have it: PC/SC and libnfc (the watcher then has two sources).
  REQUIRE(idtap_context_new(0, &ctx) == IDTAP_OK);
  int cancelled = 0, events = 0;
  for (int round = 0; round < 300; ++round) {
    // The cancel lands before the wait starts, while it sets up, or while it blocks: a delay
    // that sweeps 0..~1.5 ms over the rounds.
    const auto delay = std::chrono::microseconds((round * 37) % 1500);
    std::thread canceller([ctx, delay] {
      std::this_thread::sleep_for(delay);
      CHECK(idtap_cancel(ctx) == IDTAP_OK);
    });
    idtap_event_kind kind = IDTAP_EVENT_NONE;
    char reader[256];
    idtap_status st = idtap_wait_event(ctx, -1, &kind, reader, sizeof reader);
    // The initial events (vpcd's readers) may come before the cancel; the cancel still ends the
    // wait that follows (bounded: a handful of initial events).
    for (int i = 0; i < 8 && st == IDTAP_OK; ++i) {
      ++events;
      st = idtap_wait_event(ctx, -1, &kind, reader, sizeof reader);
    }
    canceller.join();
    CAPTURE(round);
    REQUIRE_MESSAGE(st == IDTAP_E_CANCELLED, idtap_status_name(st), ": ", idtap_context_error(ctx));
    ++cancelled;
  }
  CHECK(cancelled == 300);
  // The context still works: a wait with a timeout reports the present state afresh.
  idtap_event_kind kind = IDTAP_EVENT_NONE;
  char reader[256];
  CHECK(idtap_wait_event(ctx, 2000, &kind, reader, sizeof reader) == IDTAP_OK);
  CHECK(kind == IDTAP_EVENT_READER_ADDED);
  MESSAGE("cancel race: 300 waits cancelled, ", events, " initial events seen first");
  idtap_context_free(ctx);
}
