#include "idtap/provision/files.h"

#include <unistd.h>

#include <filesystem>

namespace idtap::provision {

std::string credential_temp_path(const std::string& path, const std::string& credential_id) {
  return path + kTempMarker + credential_id;
}

Status check_out_path(const std::string& out, const std::string& label) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path path(out);
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const std::string what = label + " " + out;
  if (!fs::is_directory(dir, ec))
    return make_error(ErrorCode::kInvalidArgument, what + ": the directory " + dir.string() + " does not exist");
  if (fs::exists(path, ec))
    return make_error(ErrorCode::kInvalidArgument, what + ": a file is already there (a credential never replaces one)");
  if (::access(dir.c_str(), W_OK) != 0)
    return make_error(ErrorCode::kInvalidArgument, what + ": the directory " + dir.string() + " is not writable");
  return ok_status();
}

}  // namespace idtap::provision
