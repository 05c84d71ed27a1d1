// tools/mapping_option.h: the --mapping FILE option of the commands that issue or show an mdoc
// (`idtap provision`, `idtap provision offer`, `idtap mdoc show`).
#pragma once

#include "cli.h"
#include "idtap/base/result.h"
#include "idtap/provision/mapping.h"

namespace idtap::cli {

// mapping_option: the DocTypeMapping the file --mapping names (at most 1 MiB), or the built-in
// resident ID mapping without the option. The file's read error (its context "mapping") or
// DocTypeMapping::parse's error.
Result<provision::DocTypeMapping> mapping_option(const Args& args);

}  // namespace idtap::cli
