// idtap/base/file_io.h: whole-file reads and durable, atomic writes (a temporary file, fsync,
// rename, fsync of the directory), so a crash or a full disk never leaves half a file under
// the final name. Every layer that writes files (card images, read results, credentials,
// status lists) uses these.
#pragma once

#include <sys/types.h>

#include <string>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"

namespace idtap {

// read_file: the whole file. kNotFound if it does not exist, kInvalidArgument when it is larger
// than `max_size`, kIo otherwise.
Result<Bytes> read_file(const std::string& path, size_t max_size = 64 * 1024 * 1024);

// read_file_secure: read_file into SecureBytes (keys, card secrets); the read buffer is wiped.
Result<SecureBytes> read_file_secure(const std::string& path, size_t max_size = 1024 * 1024);

// write_new_file_durable: creates `path` (it must not exist: O_EXCL) with `mode`, writes `data`
// and fsyncs it. kIo naming the path and the system's reason (a partial file is removed).
Status write_new_file_durable(const std::string& path, ByteView data, mode_t mode);

// rename_durable: renames `from` to `to` (atomic, replaces `to`) and fsyncs `to`'s directory.
// kIo on failure.
Status rename_durable(const std::string& from, const std::string& to);

// rename_no_replace_durable: moves `from` to `to` only if `to` does not exist
// (renameat2(RENAME_NOREPLACE), or link() + unlink() where the file system lacks it), then
// fsyncs `to`'s directory. kState ("... already exists (not overwritten)") when `to` exists,
// `from` then left in place; kIo for other failures. Unlike rename_durable, a file another
// process put at `to` in the meantime is never replaced.
Status rename_no_replace_durable(const std::string& from, const std::string& to);

// write_file_atomic: `data` lands at `path` whole or not at all: a unique temporary sibling
// (mkstemp), fsync, rename, fsync of the directory. kIo on failure (the temporary is removed).
Status write_file_atomic(const std::string& path, ByteView data, mode_t mode = 0644);

// sync_directory: fsyncs the directory `dir` (after creating or renaming entries in it). kIo on
// failure.
Status sync_directory(const std::string& dir);

// directory_of: the directory part of `path` ("." when none, "/" for a file in the root).
std::string directory_of(const std::string& path);

}  // namespace idtap
