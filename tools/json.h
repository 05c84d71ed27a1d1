// tools/json.h: the tool's name for the JSON writer of the base layer (idtap/base/json_writer.h),
// which the reader layer's read-result JSON (idtap/reader/report_json.h) shares with the C API.
#pragma once

#include "idtap/base/json_writer.h"

namespace idtap::cli {

using idtap::JsonWriter;

}  // namespace idtap::cli
