// idtap/apdu/exchange.h: the 61xx / 6Cxx handling every driver shares (ISO 7816-4 §5.3.4 / T=0).
#pragma once

#include "idtap/apdu/command.h"
#include "idtap/apdu/response.h"
#include "idtap/apdu/transport.h"
#include "idtap/base/result.h"

namespace idtap::apdu {

// ExchangeOptions: what exchange() does for the caller.
struct ExchangeOptions {
  bool follow_get_response = true;  // on 61xx send GET RESPONSE and concatenate the data
  bool resend_on_wrong_le = true;   // on 6Cxx resend the same command with Ne = xx (00 = 256)
  size_t max_get_response = 256;    // bound on GET RESPONSE rounds (a looping card is an error)
};

// exchange: transmits `command` on `transport`, following 61xx with GET RESPONSE (data
// concatenated, final SW kept) and 6Cxx with one resend, as the options say. Errors are the
// transport's, or kMalformed for a card that keeps answering 61xx / 6Cxx past the bounds.
Result<ResponseApdu> exchange(Transport& transport, const CommandApdu& command,
                              const ExchangeOptions& options = {});

}  // namespace idtap::apdu
