#include "idtap/provision/files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <cstring>

namespace idtap::provision {

Status rename_no_replace_durable(const std::string& from, const std::string& to) {
  int err = 0;
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) != 0) {
    err = errno;
    if (err == EINVAL || err == ENOSYS || err == EOPNOTSUPP) {
      // No RENAME_NOREPLACE here: link() fails with EEXIST rather than replace `to`.
      err = ::link(from.c_str(), to.c_str()) == 0 ? 0 : errno;
      if (err == 0 && ::unlink(from.c_str()) != 0)
        return make_error(ErrorCode::kIo, "cannot remove " + from + " (now also at " + to + "): " + std::strerror(errno));
    }
  }
  if (err == EEXIST) return make_error(ErrorCode::kState, to + " already exists (not overwritten)");
  if (err != 0) return make_error(ErrorCode::kIo, "cannot move " + from + " to " + to + ": " + std::strerror(err));
  return sync_directory(directory_of(to));
}

std::string credential_temp_path(const std::string& path, const std::string& credential_id) {
  return path + kTempMarker + credential_id;
}

}  // namespace idtap::provision
