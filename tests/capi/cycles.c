/* cycles.c: N read cycles of a simulated card through the C API (context, open, read, every
 * accessor, free), built against the installed library under AddressSanitizer by
 * tests/capi/cycles_test.cpp. Prints the resident set size and the open file descriptors after
 * the warm-up tenth of the cycles and at the end; LeakSanitizer reports any leak at exit.
 *   cycles SIM_DIR CAN CSCA N */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <idtap/idtap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long rss_kb(void) {
  long pages = 0, resident = 0;
  FILE* f = fopen("/proc/self/statm", "r");
  if (!f) return -1;
  if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = -1;
  fclose(f);
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int open_fds(void) {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  if (!d) return -1;
  while (readdir(d)) ++n;
  closedir(d);
  return n - 3; /* ".", ".." and the directory's own descriptor */
}

int main(int argc, char** argv) {
  if (argc != 5) return 2;
  char spec[4096];
  snprintf(spec, sizeof spec, "sim:%s", argv[1]);
  const long n = strtol(argv[4], NULL, 10);
  long rss_warm = 0;
  int fds_warm = 0;
  for (long i = 0; i < n; ++i) {
    idtap_context* ctx = NULL;
    idtap_reader* reader = NULL;
    idtap_result* result = NULL;
    if (idtap_context_new(IDTAP_CONTEXT_NO_NFC, &ctx) != IDTAP_OK) return 3;
    if (idtap_open(ctx, spec, 0, &reader) != IDTAP_OK) return 4;
    idtap_read_options options;
    idtap_read_options_init(&options);
    options.can = argv[2];
    const char* paths[] = {argv[3]};
    options.trust_paths = paths;
    options.trust_path_count = 1;
    idtap_status st = idtap_read(reader, &options, &result);
    if (st != IDTAP_OK) {
      fprintf(stderr, "cycle %ld: %s\n", i, idtap_context_error(ctx));
      return 5;
    }
    if (!idtap_result_genuine(result) || !idtap_result_json(result) || !idtap_result_field(result, "document_number")) return 6;
    const uint8_t* data = NULL;
    size_t len = 0;
    if (i % 50 == 0 && idtap_result_face_png(result, &data, &len) != IDTAP_OK) return 7;
    if (idtap_result_file(result, "DG1", &data, &len) != IDTAP_OK) return 8;
    idtap_result_free(result);
    idtap_reader_free(reader);
    idtap_context_free(ctx);
    if (i + 1 == n / 10) {
      rss_warm = rss_kb();
      fds_warm = open_fds();
    }
  }
  printf("cycles %ld rss_kb %ld -> %ld fds %d -> %d\n", n, rss_warm, rss_kb(), fds_warm, open_fds());
  return 0;
}
