// idtap/provision/files.h: where a credential waits before the ledger commits it, and the
// durable file writes (lib/base) provisioning uses for credentials, status lists and the ledger key.
#pragma once

#include <sys/types.h>

#include <string>

#include "idtap/base/bytes.h"
#include "idtap/base/file_io.h"
#include "idtap/base/result.h"

namespace idtap::provision {

// The durable file operations live in lib/base (idtap/base/file_io.h); provisioning code names
// them unqualified.
using ::idtap::directory_of;
using ::idtap::read_file;
using ::idtap::rename_durable;
using ::idtap::sync_directory;
using ::idtap::write_file_atomic;
using ::idtap::write_new_file_durable;

// credential_temp_path: where a credential waits between its write and the ledger commit:
// "<path>.idtap-tmp-<credential id>" (ledger verify recognises the pattern).
std::string credential_temp_path(const std::string& path, const std::string& credential_id);
// kTempMarker: the part of a temp name before the credential id.
inline constexpr const char* kTempMarker = ".idtap-tmp-";

// check_out_path: `out` names a new file in a writable directory that exists, as a credential is
// published without ever replacing a file; kInvalidArgument naming it as `label` ("--out" for the
// command line, "out_path" for the C API) otherwise. Checked before a card is read.
Status check_out_path(const std::string& out, const std::string& label);

}  // namespace idtap::provision
