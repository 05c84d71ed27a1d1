#include "idtap/apdu/exchange.h"

#include "idtap/apdu/commands.h"
#include "idtap/apdu/status_words.h"

namespace idtap::apdu {

Result<ResponseApdu> exchange(Transport& transport, const CommandApdu& command, const ExchangeOptions& options) {
  IDTAP_ASSIGN_OR_RETURN(ResponseApdu r, transport.transmit(command));
  if (options.resend_on_wrong_le && sw::is_wrong_le(r.sw)) {
    CommandApdu again = command;
    again.ne = r.sw2() == 0 ? 256 : r.sw2();
    IDTAP_ASSIGN_OR_RETURN(r, transport.transmit(again));
    if (sw::is_wrong_le(r.sw)) return make_error(ErrorCode::kMalformed, "card answered 6Cxx twice for the same command");
  }
  if (!options.follow_get_response) return r;
  Bytes data = std::move(r.data);
  size_t rounds = 0;
  while (sw::is_more_data(r.sw)) {
    if (++rounds > options.max_get_response)
      return make_error(ErrorCode::kMalformed, "card kept answering 61xx past the GET RESPONSE bound");
    IDTAP_ASSIGN_OR_RETURN(r, transport.transmit(get_response(r.sw2() == 0 ? 256 : r.sw2(), command.cla)));
    append(data, r.data);
  }
  r.data = std::move(data);
  return r;
}

}  // namespace idtap::apdu
