// lib/provision/ledger_key.cpp: the ledger key file "<ledger>.key": 32 random bytes as hex,
// mode 0600, made once (when the ledger is created) and read at every open.
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "idtap/base/hex.h"
#include "idtap/crypto/random.h"
#include "idtap/provision/files.h"
#include "ledger_internal.h"

namespace idtap::provision {

Status ensure_key_file(const std::string& key_path) {
  struct stat st;
  if (::stat(key_path.c_str(), &st) == 0) return ok_status();
  IDTAP_ASSIGN_OR_RETURN(SecureBytes key, crypto::random_secure_bytes(32));
  std::string hex = to_hex(ByteView(key.data(), key.size())) + "\n";
  IDTAP_ASSIGN_OR_RETURN(Bytes r, crypto::random_bytes(8));
  std::string temp = key_path + ".tmp-" + to_hex(r);
  auto w = write_new_file_durable(temp, bytes_of(hex), 0600);
  secure_zero(hex.data(), hex.size());
  IDTAP_TRY(w);
  // link() publishes the key atomically and fails if another process made one first.
  int rc = ::link(temp.c_str(), key_path.c_str());
  int err = errno;
  ::unlink(temp.c_str());
  if (rc != 0 && err != EEXIST) return make_error(ErrorCode::kIo, "ledger key " + key_path + ": " + std::strerror(err));
  // The key's directory entry is durable before the ledger that depends on it commits.
  return sync_directory(directory_of(key_path));
}

Result<SecureBytes> read_key_file(const std::string& key_path) {
  struct stat st;
  if (::stat(key_path.c_str(), &st) != 0) return make_error(ErrorCode::kIo, "ledger key " + key_path + ": " + std::strerror(errno));
  if ((st.st_mode & 077) != 0)
    return make_error(ErrorCode::kIo, "ledger key " + key_path + " is readable by group or others (chmod 600 it)");
  IDTAP_ASSIGN_OR_RETURN(Bytes text, read_file(key_path, 1024));
  std::string_view sv(reinterpret_cast<const char*>(text.data()), text.size());
  while (!sv.empty() && (sv.back() == '\n' || sv.back() == '\r')) sv.remove_suffix(1);
  auto key = from_hex(sv);
  secure_zero(text.data(), text.size());
  if (!key.ok() || key->size() != 32) return make_error(ErrorCode::kMalformed, "ledger key " + key_path + " is not 32 hex bytes");
  SecureBytes out(key->begin(), key->end());
  secure_zero(key->data(), key->size());
  return out;
}

}  // namespace idtap::provision
