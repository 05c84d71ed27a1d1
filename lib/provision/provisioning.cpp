#include "idtap/provision/provisioning.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "idtap/crypto/hash.h"
#include "idtap/provision/files.h"

namespace idtap::provision {
namespace {

// fill_reserved: writes `data` into the (empty) temp file `path` made before the commit, and
// fsyncs it.
Status fill_reserved(const std::string& path, ByteView data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return make_error(ErrorCode::kIo, "cannot open " + path + ": " + std::strerror(errno));
  int err = 0;
  size_t done = 0;
  while (done < data.size() && err == 0) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno != EINTR) err = errno;
    if (n > 0) done += static_cast<size_t>(n);
  }
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) return make_error(ErrorCode::kIo, "cannot write " + path + ": " + std::strerror(err));
  return ok_status();
}

// DirectoryLock: flock(LOCK_EX) on a directory while a credential is moved into it.
class DirectoryLock {
 public:
  explicit DirectoryLock(const std::string& dir) : fd_(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~DirectoryLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  DirectoryLock(const DirectoryLock&) = delete;

 private:
  int fd_;
};

// replaceable: whether the file at `out` holds a credential of `ledger` recorded at `out` that
// is no longer live (one this issuance's holder had, revoked since).
bool replaceable(Ledger& ledger, const std::string& out) {
  auto bytes = read_file(out);
  if (!bytes.ok()) return false;
  auto sha = crypto::digest(crypto::HashAlg::kSha256, *bytes);
  if (!sha.ok()) return false;
  auto there = ledger.credential_by_file(out, *sha);
  return there.ok() && there->has_value() &&
         ((*there)->state == CredentialState::kRevoked || (*there)->state == CredentialState::kExpired);
}

}  // namespace

Result<IssuedCredential> issue_to_file(Ledger& ledger, IssueRequest request, IssuerSigner& signer, const FileIssueHooks* hooks) {
  auto stop = [&](FileIssueStep step) { return hooks != nullptr && hooks->stop_at && hooks->stop_at(step); };
  const Error stopped = make_error(ErrorCode::kCancelled, "issue_to_file: stopped by the test seam");
  if (request.file_path.empty()) return make_error(ErrorCode::kInvalidArgument, "no output file");
  // The ledger records the absolute path: `ledger verify --repair` may run from anywhere.
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(request.file_path, ec);
  if (ec) return make_error(ErrorCode::kIo, request.file_path + ": " + ec.message());
  request.file_path = absolute.lexically_normal().string();
  const std::string out = request.file_path;
  struct stat st;
  // An existing file is refused, unless this is a retry under an idempotency id: the first
  // attempt may have written it; only a replay of that issuance may find it there.
  const bool file_exists = ::stat(out.c_str(), &st) == 0;
  const Error exists = make_error(ErrorCode::kInvalidArgument, out + " already exists (not overwritten)");
  if (file_exists && request.idempotency_id.empty()) return exists;
  std::string temp;
  bool stopped_in_commit = false;
  request.before_commit = [&](const IssuedCredential& c) -> Status {
    if (file_exists) return exists;  // a new issuance (not a replay) never replaces a file
    // Only an empty marker before the commit: the signed bytes reach the disk after their record.
    temp = credential_temp_path(out, c.credential_id);
    IDTAP_TRY(write_new_file_durable(temp, ByteView(), 0600));
    // The marker's directory entry is durable before the commit that records the credential.
    IDTAP_TRY(sync_directory(directory_of(temp)));
    if (stop(FileIssueStep::kReserved)) {
      stopped_in_commit = true;
      return stopped;
    }
    return ok_status();
  };
  auto issued = ledger.issue(request, signer);
  if (!issued.ok()) {
    if (stopped_in_commit) return stopped;  // as killed: the marker stays for verify to find
    if (!temp.empty()) ::unlink(temp.c_str());  // the transaction rolled back: no record
    return issued.error();
  }
  if (issued->replayed) {
    // The issuance was recorded by an earlier attempt: its file is there with these bytes, or
    // (the attempt was cut off before writing it) written now.
    auto there = read_file(out);
    if (there.ok()) {
      if (*there != issued->issuer_signed) return make_error(ErrorCode::kInvalidArgument, out + " already exists and holds another file");
      return issued;
    }
    IDTAP_TRY(write_new_file_durable(out, issued->issuer_signed, 0600));
    IDTAP_TRY(sync_directory(directory_of(out)));
    return issued;
  }
  if (stop(FileIssueStep::kCommitted)) return stopped;
  if (auto filled = fill_reserved(temp, issued->issuer_signed); !filled.ok())
    return make_error(ErrorCode::kIo, "credential " + issued->credential_id + " is recorded but its file " + temp +
                                          " could not be written (" + filled.error().context + "): run `idtap ledger verify --repair`");
  if (stop(FileIssueStep::kWritten)) return stopped;

  DirectoryLock lock(directory_of(out));
  // A concurrent provision of the same holder may have replaced this credential since it was
  // recorded: then it is not published (the other one is the holder's credential).
  IDTAP_ASSIGN_OR_RETURN(CredentialRecord before, ledger.credential(issued->credential_id));
  if (before.state != CredentialState::kActive) {
    ::unlink(temp.c_str());
    return make_error(ErrorCode::kState, "credential " + issued->credential_id + " was " + credential_state_name(before.state) +
                                             " (" + before.state_reason + ") before it was published: another provision for the " +
                                             "same holder replaced it; nothing was written to " + out);
  }
  // Not rename(): it would silently replace a file another process put at `out` meanwhile.
  auto moved = rename_no_replace_durable(temp, out);
  if (!moved.ok() && moved.error().code == ErrorCode::kState && replaceable(ledger, out)) moved = rename_durable(temp, out);
  if (!moved.ok() && moved.error().code == ErrorCode::kState)
    return make_error(ErrorCode::kIo, "credential " + issued->credential_id + " is recorded, but " + out +
                                          " already exists (not overwritten: another provision to the same path?); the credential " +
                                          "is in " + temp + ": move it where it belongs, or revoke it");
  if (!moved.ok())
    return make_error(ErrorCode::kIo, "credential " + issued->credential_id + " is recorded but its file is still " + temp + " (" +
                                          moved.error().context + "): run `idtap ledger verify --repair`");
  if (stop(FileIssueStep::kPublished)) return stopped;
  // Checked again with the file in place: a provision that revoked this credential before now
  // publishes after this one (it waits for the lock) and replaces the file.
  IDTAP_ASSIGN_OR_RETURN(CredentialRecord after, ledger.credential(issued->credential_id));
  if (after.state != CredentialState::kActive)
    return make_error(ErrorCode::kState, "credential " + issued->credential_id + " was " + credential_state_name(after.state) +
                                             " (" + after.state_reason + ") while it was published: another provision for the " +
                                             "same holder replaced it and replaces " + out);
  return issued;
}

}  // namespace idtap::provision
