#include "idtap/reader/counting_transport.h"

namespace idtap::reader {

Result<apdu::ResponseApdu> CountingTransport::transmit(const apdu::CommandApdu& command) {
  ++stats_.apdus;
  auto wire = command.encode();
  if (wire.ok()) stats_.bytes_sent += wire->size();
  auto r = inner_.transmit(command);
  if (r.ok()) stats_.bytes_received += r->data.size() + 2;
  return r;
}

}  // namespace idtap::reader
