// The completeness finding of a read: signed data groups the chip did not deliver.
#include <string>

#include "idtap/reader/session.h"

namespace idtap::reader {

void note_withheld_data_groups(ReadResult& result, const std::map<int, Bytes>& signed_hashes) {
  Verification& v = result.verification;
  v.withheld_data_groups.clear();
  std::string list;
  std::string why;
  for (const auto& [n, rec] : result.data_groups) {
    // A delivered file has bytes (an empty or altered one fails its hash instead); an undelivered
    // one has none and says why in decode_error.
    if (!signed_hashes.count(n) || !rec.raw.empty() || rec.hash_ok || rec.decode_error.empty()) continue;
    v.withheld_data_groups.push_back(n);
    list += (list.empty() ? "DG" : ", DG") + std::to_string(n);
    if (why.empty()) why = rec.decode_error;
  }
  if (v.withheld_data_groups.empty()) return;
  const std::string finding = "EF.SOD lists " + list + " but the chip did not deliver " +
                              (v.withheld_data_groups.size() == 1 ? "it" : "them") + " (" + why +
                              "): the signed data is incomplete";
  if (v.genuine) {
    v.genuine = false;
    v.genuine_reason = finding;
  } else {
    v.genuine_reason += "; " + finding;
  }
}

}  // namespace idtap::reader
