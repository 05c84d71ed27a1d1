// idtap/provision/holder_from_read.h: the one conversion from a read session's result to what
// provisioning takes in.
#pragma once

#include "idtap/base/result.h"
#include "idtap/provision/holder.h"
#include "idtap/reader/session.h"

namespace idtap::provision {

// holder_from_read: a VerifiedHolder from `read`: `genuine` and its reason from the verdict;
// Latin names from the MRZ (DG1); the national-script name from DG11's full name, split by
// split_national_name (national_name.h: the card's '<<', else the MRZ's split, the table of
// two-syllable surnames, the first syllable); the
// birth date from DG11's full date of birth, else the MRZ; the resident number from DG11; the
// portrait from DG2 (a JPEG 2000 image re-encoded as JPEG); address (DG11), issuing authority
// and date of issue (DG12), expiry (MRZ); the card identity (document number, issuing state).
// Only data groups whose hash matched EF.SOD were decoded, so nothing unverified enters.
// kMalformed when DG1 is missing (nothing identifies the card) or the portrait does not decode.
Result<VerifiedHolder> holder_from_read(const reader::ReadResult& read);

}  // namespace idtap::provision
