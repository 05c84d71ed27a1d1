// tools/card_access.h: the card-access options every command that reads a card shares
// (`idtap read`, `idtap provision`): the access key (--can, --mrz, or --doc --dob --expiry), the
// access method (--access) and the trust anchors (--trust, --crl), turned into a
// reader::ReadRequest.
#pragma once

#include <vector>

#include "cli.h"
#include "idtap/auth/trust_store.h"
#include "idtap/base/result.h"
#include "idtap/reader/session.h"

namespace idtap::cli {

// card_access_option_specs: the OptionSpecs of those options (can, mrz, doc, dob, expiry,
// access, trust, crl), to append to a command's own.
std::vector<OptionSpec> card_access_option_specs();

// apply_card_access: sets `request`'s access key and method from `args`, and adds the --trust
// certificates and --crl CRLs to `trust` (pointing `request.trust` at it when --trust was given;
// the caller keeps `trust` alive for the read). kInvalidArgument (a usage error: no key or more
// than one, --doc/--dob/--expiry incomplete, --crl without --trust, a malformed CAN, MRZ or
// field, a certificate or CRL that does not parse) or kIo (a --trust / --crl path that cannot be
// read); the message names the option, never the key itself. With -v (a "verbose" option), what
// a --trust directory scan skipped goes to stderr, a line each.
Status apply_card_access(const Args& args, reader::ReadRequest& request, auth::TrustStore& trust);

// load_trust_anchors: only the --trust and --crl part of apply_card_access (for `idtap serve`,
// whose access keys come with each request): the same errors and warnings.
Status load_trust_anchors(const Args& args, auth::TrustStore& trust);

}  // namespace idtap::cli
