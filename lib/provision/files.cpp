#include "idtap/provision/files.h"

namespace idtap::provision {

std::string credential_temp_path(const std::string& path, const std::string& credential_id) {
  return path + kTempMarker + credential_id;
}

}  // namespace idtap::provision
