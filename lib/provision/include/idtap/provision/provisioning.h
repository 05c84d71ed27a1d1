// idtap/provision/provisioning.h: one provisioning as `idtap provision` runs it: the rules,
// the ledger transaction and the credential file, in the crash-safe order ledger.h describes.
#pragma once

#include <functional>
#include <string>

#include "idtap/base/result.h"
#include "idtap/provision/ledger.h"

namespace idtap::provision {

// FileIssueStep: the points of issue_to_file at which a crash leaves something to repair.
enum class FileIssueStep {
  kReserved,   // the empty temp file exists (no signed bytes anywhere); nothing committed
  kCommitted,  // the record is durable; the temp file is still empty
  kWritten,    // the signed bytes are in the temp file (fsynced); not yet at the final path
  kPublished,  // the credential is at the final path
};

// FileIssueHooks: a failure-injection seam for tests. `stop_at` is called at each step; when it
// returns true, issue_to_file returns kCancelled at once, leaving everything as a process
// killed there would (no clean-up).
struct FileIssueHooks {
  std::function<bool(FileIssueStep)> stop_at;
};

// issue_to_file: issues through `ledger` and puts the credential (IssuerSigned CBOR, mode 0600:
// it holds personal data) at `request.file_path`. Record first, publish after: inside the
// transaction only an empty temp file (credential_temp_path) is made and fsynced, as a marker
// that the credential is not yet published; once the record (id, status index, SHA-256 of the
// signed bytes) has committed, the signed bytes are written into the temp file and fsynced, then
// moved to the path and the directory fsynced. No signed credential is ever on disk without its
// record. The move happens under a lock on the directory, and:
//   - a file at the path that holds a credential of this ledger recorded at the same path and no
//     longer live (revoked: a concurrent provision's, that this issuance replaced) is replaced;
//     any other file there is never overwritten (kIo; the credential recorded, its temp file
//     kept, as the error says);
//   - a credential revoked meanwhile (a concurrent provision of the same holder replaced it) is
//     not published (kState; its temp file removed): the provision that succeeds is the one
//     whose credential is active.
// The path is made absolute (and lexically normal) first: that is what the ledger records.
// kInvalidArgument if the path is empty or already exists; the ledger's errors otherwise
// (kRefused for the rules). If the final move fails the credential is recorded and its temp
// file kept: the error says to run `idtap ledger verify --repair`. `hooks` (optional, borrowed)
// is for tests.
Result<IssuedCredential> issue_to_file(Ledger& ledger, IssueRequest request, IssuerSigner& signer,
                                       const FileIssueHooks* hooks = nullptr);

}  // namespace idtap::provision
