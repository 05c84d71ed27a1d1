// libFuzzer target: MRZ text (as typed by a user or read by OCR) through parse_mrz.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "idtap/lds/mrz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = idtap::lds::parse_mrz(text, idtap::lds::MrzOptions{idtap::Date{2024, 1, 1}});
  if (m.ok()) {
    // Every field is a substring of the text; the lines re-join to it.
    std::string joined;
    for (const auto& l : m->lines()) joined += l;
    if (joined != m->text) std::abort();
    (void)idtap::lds::verify_mrz_checks(*m);
  }
  return 0;
}
