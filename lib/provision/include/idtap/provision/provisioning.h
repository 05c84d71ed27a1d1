// idtap/provision/provisioning.h: one provisioning as `idtap provision` runs it: the rules,
// the ledger transaction and the credential file, in the crash-safe order ledger.h describes.
#pragma once

#include <string>

#include "idtap/base/result.h"
#include "idtap/provision/ledger.h"

namespace idtap::provision {

// issue_to_file: issues through `ledger` and puts the credential (IssuerSigned CBOR, mode
// 0600: it holds personal data) at `request.file_path`: temp file written and fsynced inside
// the transaction (and its directory fsynced), commit, then a no-replace rename + directory
// fsync (a file another process put at the path meanwhile is never overwritten: kState, the
// credential recorded and its temp file kept). The path is made absolute (and
// lexically normal) first: that is what the ledger records. kInvalidArgument if the path is
// empty or already exists; the ledger's errors otherwise (kRefused for the rules). If the
// final rename fails the credential is recorded and its temp file kept: the error says to run
// `idtap ledger verify --repair`.
Result<IssuedCredential> issue_to_file(Ledger& ledger, IssueRequest request, IssuerSigner& signer);

}  // namespace idtap::provision
