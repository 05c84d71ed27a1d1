#include "idtap/provision/provisioning.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "idtap/provision/files.h"

namespace idtap::provision {

Result<IssuedCredential> issue_to_file(Ledger& ledger, IssueRequest request, IssuerSigner& signer) {
  if (request.file_path.empty()) return make_error(ErrorCode::kInvalidArgument, "no output file");
  // The ledger records the absolute path: `ledger verify --repair` may run from anywhere.
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(request.file_path, ec);
  if (ec) return make_error(ErrorCode::kIo, request.file_path + ": " + ec.message());
  request.file_path = absolute.lexically_normal().string();
  const std::string out = request.file_path;
  struct stat st;
  if (::stat(out.c_str(), &st) == 0) return make_error(ErrorCode::kInvalidArgument, out + " already exists (not overwritten)");
  std::string temp;
  request.before_commit = [&](const IssuedCredential& c) -> Status {
    temp = credential_temp_path(out, c.credential_id);
    IDTAP_TRY(write_new_file_durable(temp, c.issuer_signed, 0600));
    // The temp file's directory entry is durable before the commit that records it.
    return sync_directory(directory_of(temp));
  };
  auto issued = ledger.issue(request, signer);
  if (!issued.ok()) {
    if (!temp.empty()) ::unlink(temp.c_str());  // the transaction rolled back: no record
    return issued.error();
  }
  // Not rename(): it would silently replace a file another process put at `out` meanwhile.
  auto moved = rename_no_replace_durable(temp, out);
  if (!moved.ok() && moved.error().code == ErrorCode::kState)
    return make_error(ErrorCode::kIo, "credential " + issued->credential_id + " is recorded, but " + out +
                                          " already exists (not overwritten: another provision to the same path?); the credential " +
                                          "is in " + temp + ": move it where it belongs, or revoke it");
  if (!moved.ok())
    return make_error(ErrorCode::kIo, "credential " + issued->credential_id + " is recorded but its file is still " + temp + " (" +
                                          moved.error().context + "): run `idtap ledger verify --repair`");
  return issued;
}

}  // namespace idtap::provision
