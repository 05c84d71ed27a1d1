// idtap/provision/date.h: times as ISO/IEC 18013-5 writes them: tdate "YYYY-MM-DDTHH:MM:SSZ"
// (tag 0) over whole-second UTC times. The calendar date, its full-date text "YYYY-MM-DD"
// (tag 1004), UnixSeconds and the year rules are idtap's one Date (idtap/base/date.h).
#pragma once

#include <string>
#include <string_view>

#include "idtap/base/date.h"
#include "idtap/base/result.h"

namespace idtap::provision {

// parse_tdate: RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" with an optional fraction, which is rejected
// unless `allow_fraction` (ISO/IEC 18013-5 §9.1.2.4: no fractional seconds); kInvalidArgument.
Result<UnixSeconds> parse_tdate(std::string_view text, bool allow_fraction = false);
// format_tdate: "YYYY-MM-DDTHH:MM:SSZ".
std::string format_tdate(UnixSeconds t);

// now_seconds: the current time, whole seconds.
UnixSeconds now_seconds();

}  // namespace idtap::provision
