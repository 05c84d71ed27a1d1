#include "idtap/provision/files.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "ossl.h"
#include "idtap/base/hex.h"

namespace idtap::provision {
namespace {

Error io_error(const std::string& what, const std::string& path) {
  return make_error(ErrorCode::kIo, what + " " + path + ": " + std::strerror(errno));
}

Status fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("open directory", dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return io_error("fsync directory", dir);
  return ok_status();
}

}  // namespace

std::string directory_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Result<Bytes> read_file(const std::string& path, size_t max_size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return make_error(ErrorCode::kNotFound, "no such file: " + path);
    return io_error("open", path);
  }
  Bytes out;
  uint8_t buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return io_error("read", path);
    }
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
    if (out.size() > max_size) {
      ::close(fd);
      return make_error(ErrorCode::kInvalidArgument, path + " is larger than " + std::to_string(max_size) + " bytes");
    }
  }
  ::close(fd);
  return out;
}

Status write_new_file_durable(const std::string& path, ByteView data, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return io_error("create", path);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      Error e = io_error("write", path);
      ::close(fd);
      ::unlink(path.c_str());
      return e;
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Error e = io_error("fsync", path);
    ::close(fd);
    ::unlink(path.c_str());
    return e;
  }
  if (::close(fd) != 0) return io_error("close", path);
  return ok_status();
}

Status rename_durable(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return io_error("rename to " + to + " from", from);
  return fsync_dir(directory_of(to));
}

Status write_file_atomic(const std::string& path, ByteView data, mode_t mode) {
  IDTAP_ASSIGN_OR_RETURN(Bytes r, ossl::random_bytes(8));
  std::string temp = path + ".tmp-" + to_hex(r);
  IDTAP_TRY(write_new_file_durable(temp, data, mode));
  auto s = rename_durable(temp, path);
  if (!s.ok()) ::unlink(temp.c_str());
  return s;
}

std::string credential_temp_path(const std::string& path, const std::string& credential_id) {
  return path + kTempMarker + credential_id;
}

}  // namespace idtap::provision
