// idtap/reader/report_json.h: a ReadResult as the JSON document of `idtap read --json` (schema in
// the README, "`idtap read --json`"). One writer serves the tool and the C API (idtap/idtap.h's
// idtap_result_json), so the two cannot drift apart.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "idtap/base/json_writer.h"
#include "idtap/reader/session.h"

namespace idtap::reader {

// ReadJsonOptions: `reveal` writes the resident registration number whole (never the default:
// "YYMMDD-S******" otherwise); `modeled_link_us` is the simulated card's modeled air time, when
// known ("stats.modeled_link_us").
struct ReadJsonOptions {
  bool reveal = false;
  std::optional<uint64_t> modeled_link_us;
};

// verdict_reasons: one line per check that did not pass ("passive: invalid: ...", "chip:
// failed: ...", "active: not_supported: ...") and the verdict's own ("genuine: ..."); empty
// when `v.genuine`.
std::vector<std::string> verdict_reasons(const Verification& v);

// masked_personal_number: DG11's resident registration number masked ("YYMMDD-S******") or,
// with `reveal`, whole; "" when the card gave none.
std::string masked_personal_number(const ReadResult& result, bool reveal);

// write_read_json_members: the members "document", "data_groups", "verification" and "stats" of
// the read's JSON object into `json`, whose object the caller has opened (and closes, after any
// members of its own, such as the tool's "out").
void write_read_json_members(JsonWriter& json, const ReadResult& result, const ReadJsonOptions& options);

// read_result_json: the whole JSON object (compact, one line) of `result`.
std::string read_result_json(const ReadResult& result, const ReadJsonOptions& options);

}  // namespace idtap::reader
