#include "mapping_option.h"

#include <utility>

#include "idtap/base/file_io.h"

namespace idtap::cli {

Result<provision::DocTypeMapping> mapping_option(const Args& args) {
  auto path = args.get("mapping");
  if (!path) return provision::DocTypeMapping::resident_id_default();
  auto text = read_file(*path, 1 << 20);
  if (!text.ok()) return text.error().with_context("mapping");
  return provision::DocTypeMapping::parse(string_of(*text));
}

}  // namespace idtap::cli
