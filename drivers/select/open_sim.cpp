// The sim: branch of the selector: the in-process simulated card (drivers/sim).
#include "idtap/select/drivers.h"
#include "idtap/sim/sim_transport.h"

namespace idtap::select {

Result<OpenedReader> open_sim(const std::string& dir, const OpenOptions& options) {
  (void)options;  // no waiting, no sharing: the card is in this process
  auto opened = sim::open_sim_transport(dir);
  // sim:DIR names the reader: a card image that is not there is a reader that is not there.
  if (!opened.ok() && opened.error().code == ErrorCode::kNotFound)
    return make_error(ErrorCode::kNoReader, "sim:" + dir + ": " + opened.error().context);
  IDTAP_ASSIGN_OR_RETURN(auto transport, std::move(opened));
  OpenedReader out;
  auto caps = transport->capabilities();
  out.description = transport->describe() + (caps.extended_length ? " (extended APDUs)" : " (short APDUs)");
  out.transport = std::move(transport);
  return out;
}

}  // namespace idtap::select
