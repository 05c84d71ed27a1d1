#include "idtap/base/file_io.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace idtap {
namespace {

Error io_error(const std::string& what, const std::string& path, int err) {
  return make_error(ErrorCode::kIo, what + " " + path + ": " + std::strerror(err));
}

// write_all: every byte of `data` to `fd`, retrying short writes and EINTR; the errno on failure.
int write_all(int fd, ByteView data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    done += static_cast<size_t>(n);
  }
  return 0;
}

template <class Buffer>
Result<Buffer> read_into(const std::string& path, size_t max_size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return make_error(ErrorCode::kNotFound, "no such file: " + path);
    return io_error("cannot open", path, errno);
  }
  Buffer out;
  uint8_t buf[16384];
  Result<Buffer> result = make_error(ErrorCode::kInternal, "unreached");
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      result = io_error("cannot read", path, errno);
      break;
    }
    if (n == 0) {
      result = std::move(out);
      break;
    }
    if (out.size() + static_cast<size_t>(n) > max_size) {
      result = make_error(ErrorCode::kInvalidArgument, path + " is larger than " + std::to_string(max_size) + " bytes");
      break;
    }
    out.insert(out.end(), buf, buf + n);
  }
  secure_zero(buf, sizeof buf);
  ::close(fd);
  return result;
}

}  // namespace

std::string directory_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Result<Bytes> read_file(const std::string& path, size_t max_size) { return read_into<Bytes>(path, max_size); }

Result<SecureBytes> read_file_secure(const std::string& path, size_t max_size) {
  return read_into<SecureBytes>(path, max_size);
}

Status sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open directory", dir, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return io_error("cannot sync directory", dir, err);
  return ok_status();
}

Status write_new_file_durable(const std::string& path, ByteView data, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return io_error("cannot create", path, errno);
  int err = write_all(fd, data);
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    ::unlink(path.c_str());
    return io_error("cannot write", path, err);
  }
  return ok_status();
}

Status rename_durable(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return io_error("cannot rename " + from + " to", to, errno);
  return sync_directory(directory_of(to));
}

Status rename_no_replace_durable(const std::string& from, const std::string& to) {
  int err = 0;
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) != 0) {
    err = errno;
    if (err == EINVAL || err == ENOSYS || err == EOPNOTSUPP) {
      // No RENAME_NOREPLACE here: link() fails with EEXIST rather than replace `to`.
      err = ::link(from.c_str(), to.c_str()) == 0 ? 0 : errno;
      if (err == 0 && ::unlink(from.c_str()) != 0)
        return io_error("cannot remove", from + " (the file is now also at " + to + ")", errno);
    }
  }
  if (err == EEXIST) return make_error(ErrorCode::kState, to + " already exists (not overwritten)");
  if (err != 0) return io_error("cannot move " + from + " to", to, err);
  return sync_directory(directory_of(to));
}

Status write_file_atomic(const std::string& path, ByteView data, mode_t mode) {
  std::string temp = path + ".tmp-XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) return io_error("cannot create a temporary file for", path, errno);
  int err = write_all(fd, data);
  if (err == 0 && ::fchmod(fd, mode) != 0) err = errno;
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    ::unlink(temp.c_str());
    return io_error("cannot write", path, err);
  }
  auto renamed = rename_durable(temp, path);
  if (!renamed.ok()) ::unlink(temp.c_str());
  return renamed;
}

}  // namespace idtap
