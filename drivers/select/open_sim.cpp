// The sim: branch of the selector: the in-process simulated card (drivers/sim).
#include "idtap/select/drivers.h"

namespace idtap::select {

Result<OpenedReader> open_sim(const std::string& dir, const OpenOptions& options) {
  (void)dir;
  (void)options;
  return make_error(ErrorCode::kNotSupported, "sim: (the simulated card) is not built yet");
}

}  // namespace idtap::select
