/* kiosk.c: a kiosk loop on idtap's C API. Waits for a card on any reader, reads it with the CAN,
 * prints who it is and the verdict, waits for the card to leave, and starts over; after CARDS
 * cards (0: forever) it stops. SIGINT or SIGTERM stops it at once, from a thread that calls
 * idtap_cancel (never from the signal handler itself).
 *
 *   cc -o kiosk kiosk.c $(pkg-config --cflags --libs idtap) -lpthread
 *   ./kiosk CAN CSCA_PATH [CARDS]
 *
 * Exit status: 0 when stopped (CARDS read, or a signal), 3 when the readers went away. */
#define _POSIX_C_SOURCE 200809L /* sigwait, pthread_sigmask */

#include <idtap/idtap.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static idtap_context* ctx;
static volatile int finished; /* main is done: the signal thread's last wake-up is not a signal */

/* The signal thread: waits for SIGINT / SIGTERM (blocked in every other thread) and cancels
 * whatever the kiosk thread is doing. idtap_cancel is the one call any thread may make. */
static void* signal_thread(void* arg) {
  sigset_t* set = arg;
  int sig = 0;
  if (sigwait(set, &sig) == 0 && !finished) {
    fprintf(stderr, "signal %d: stopping\n", sig);
    idtap_cancel(ctx);
  }
  return NULL;
}

static void on_progress(void* user_data, const char* file, size_t done, size_t total) {
  (void)user_data;
  if (total != 0 && done == total) fprintf(stderr, "read %s (%zu bytes)\n", file, total);
}

/* read_card: one read of the card in `reader`; prints the holder and the verdict. IDTAP_OK
 * also for a card that is not genuine (that is a verdict, not an error). */
static idtap_status read_card(const char* reader, const char* can, const char* csca) {
  idtap_reader* card = NULL;
  idtap_status st = idtap_open(ctx, reader, 0, &card);
  if (st != IDTAP_OK) return st;
  idtap_read_options options;
  idtap_read_options_init(&options);
  options.can = can;
  options.trust_paths = &csca;
  options.trust_path_count = 1;
  options.progress = on_progress;
  idtap_result* result = NULL;
  st = idtap_read(card, &options, &result);
  if (st == IDTAP_OK) {
    const char* surname = idtap_result_field(result, "primary_identifier");
    const char* given = idtap_result_field(result, "secondary_identifier");
    const char* full_name = idtap_result_field(result, "full_name");
    const char* number = idtap_result_field(result, "personal_number"); /* masked */
    if (surname) printf("%s, %s\n", surname, given ? given : "");
    if (full_name) printf("%s\n", full_name);
    if (number) printf("resident number: %s\n", number);
    const uint8_t* face = NULL;
    size_t face_len = 0;
    const char* format = NULL;
    if (idtap_result_face(result, &face, &face_len, &format) == IDTAP_OK) printf("face: %s, %zu bytes\n", format, face_len);
    if (idtap_result_genuine(result)) {
      printf("genuine: yes\n");
    } else {
      printf("genuine: no\n");
      for (size_t i = 0; i < idtap_result_reason_count(result); ++i) printf("  %s\n", idtap_result_reason(result, i));
    }
    idtap_result_free(result); /* wipes what was read */
  }
  idtap_reader_free(card);
  return st;
}

/* card_present: forgets the events of the read, then whether `reader` still holds a card. */
static int card_present(const char* reader) {
  size_t n = 0;
  if (idtap_events_reset(ctx) != IDTAP_OK || idtap_list_readers(ctx, &n) != IDTAP_OK) return 0;
  for (size_t i = 0; i < n; ++i)
    if (strcmp(idtap_reader_spec(ctx, i), reader) == 0) return idtap_reader_has_card(ctx, i);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: kiosk CAN CSCA_PATH [CARDS]\n");
    return 2;
  }
  const long cards = argc == 4 ? strtol(argv[3], NULL, 10) : 0;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL); /* before any thread starts: they inherit it */
  if (idtap_context_new(0, &ctx) != IDTAP_OK) return 1;
  pthread_t signals;
  pthread_create(&signals, NULL, signal_thread, &set);
  printf("idtap %s: waiting for cards\n", idtap_version());
  fflush(stdout);

  int status = 0;
  long done = 0;
  char reader[512];
  idtap_event_kind kind;
  while (cards == 0 || done < cards) {
    idtap_status st = idtap_wait_event(ctx, -1, &kind, reader, sizeof reader);
    if (st == IDTAP_E_CANCELLED) break;
    if (st != IDTAP_OK) { /* pcscd stopped, every reader unplugged */
      printf("wait: %s (%s)\n", idtap_strerror(st), idtap_context_error(ctx));
      status = 3;
      break;
    }
    if (kind == IDTAP_EVENT_READER_REMOVED) printf("reader removed: %s\n", reader);
    if (kind != IDTAP_EVENT_CARD_INSERTED) continue;
    printf("card in %s\n", reader);
    fflush(stdout);
    st = read_card(reader, argv[1], argv[2]);
    ++done;
    if (st == IDTAP_E_CANCELLED) break;
    if (st != IDTAP_OK) printf("read failed: %s: %s\n", idtap_status_name(st), idtap_context_error(ctx));
    printf("remove the card\n");
    fflush(stdout);
    /* Wait for this card to leave before the next one. What happened during the read (the card
     * may have left and come back) is history: start from the present state. */
    if (st != IDTAP_E_CANCELLED) st = card_present(reader) ? IDTAP_OK : IDTAP_E_NO_CARD;
    while (st == IDTAP_OK) {
      char gone[512];
      st = idtap_wait_event(ctx, -1, &kind, gone, sizeof gone);
      if (st != IDTAP_OK) break;
      if ((kind == IDTAP_EVENT_CARD_REMOVED || kind == IDTAP_EVENT_READER_REMOVED) && strcmp(gone, reader) == 0) break;
    }
    if (st == IDTAP_E_CANCELLED) break;
    if (st != IDTAP_OK && st != IDTAP_E_NO_CARD) {
      printf("wait: %s (%s)\n", idtap_strerror(st), idtap_context_error(ctx));
      status = 3;
      break;
    }
    printf("card out\n");
    fflush(stdout);
  }
  printf("stopped after %ld card(s)\n", done);
  finished = 1;
  pthread_kill(signals, SIGTERM); /* end the signal thread (SIGTERM is blocked: sigwait takes it) */
  pthread_join(signals, NULL);
  idtap_context_free(ctx);
  return status;
}
