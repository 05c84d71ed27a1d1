// idtap/provision/files.h: durable, atomic file writes for credentials, status lists and the
// ledger key (temp file + fsync + rename + fsync of the directory).
#pragma once

#include <sys/types.h>

#include <string>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"

namespace idtap::provision {

// read_file: the whole file; kNotFound if it does not exist, kIo otherwise, kInvalidArgument
// past `max_size`.
Result<Bytes> read_file(const std::string& path, size_t max_size = 64 * 1024 * 1024);

// write_new_file_durable: creates `path` (must not exist: O_EXCL), writes `data`, fsyncs it.
// kIo on failure (a partial file is removed).
Status write_new_file_durable(const std::string& path, ByteView data, mode_t mode);

// rename_durable: renames `from` to `to` (atomic, replaces `to`) and fsyncs `to`'s directory.
Status rename_durable(const std::string& from, const std::string& to);

// write_file_atomic: `data` lands at `path` whole or not at all (temp, fsync, rename, fsync
// of the directory). kIo on failure.
Status write_file_atomic(const std::string& path, ByteView data, mode_t mode = 0644);

// credential_temp_path: where a credential waits between its write and the ledger commit:
// "<path>.idtap-tmp-<credential id>" (ledger verify recognises the pattern).
std::string credential_temp_path(const std::string& path, const std::string& credential_id);
// kTempMarker: the part of a temp name before the credential id.
inline constexpr const char* kTempMarker = ".idtap-tmp-";

// directory_of: the directory part of `path` ("." when none).
std::string directory_of(const std::string& path);

}  // namespace idtap::provision
