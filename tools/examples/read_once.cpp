// read_once.cpp: one read of one card through idtap/kiosk.h, the C++ facade over the C API
// (owning handles, std::string; no <winscard.h>, no exceptions). Built against the installed
// library alone:  g++ -std=c++17 read_once.cpp $(pkg-config --cflags --libs idtap)
//
//     read_once READER CAN CSCA_PATH      (READER: "pcsc:NAME", "sim:DIR", or "" for the only card)
//
// Exit status: 0 genuine, 1 not genuine, 2 the read failed, 64 usage.
#include <idtap/kiosk.h>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: read_once READER CAN CSCA_PATH\n");
    return 64;
  }
  idtap::kiosk::Context ctx(IDTAP_CONTEXT_NO_NFC);
  if (!ctx) return 2;
  const std::string spec = argv[1];
  if (spec.rfind("sim:", 0) == 0) ctx.add_sim_reader(spec.substr(4));
  idtap::kiosk::Reader reader;
  idtap_status st = ctx.open(spec, 0, &reader);
  idtap::kiosk::Result result;
  if (st == IDTAP_OK) {
    idtap::kiosk::ReadOptions options;
    options.can = argv[2];
    options.trust_paths = {argv[3]};
    st = reader.read(options, &result);
  }
  if (st != IDTAP_OK) {
    std::printf("read failed: %s: %s\n", idtap_status_name(st), ctx.error().c_str());
    return 2;
  }
  std::printf("%s, %s\n", result.field("primary_identifier").c_str(), result.field("secondary_identifier").c_str());
  std::printf("resident number: %s\n", result.field("personal_number").c_str());  // masked
  std::printf("genuine: %s\n", result.genuine() ? "yes" : "no");
  for (const std::string& reason : result.reasons()) std::printf("  %s\n", reason.c_str());
  return result.genuine() ? 0 : 1;
}
