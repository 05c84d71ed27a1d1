// The nfc: branch of the selector. The libnfc driver (drivers/nfc) fills these in.
#include "idtap/select/drivers.h"

namespace idtap::select {

Result<OpenedReader> open_nfc(const std::string& connstring, const OpenOptions& options) {
  (void)connstring;
  (void)options;
  return make_error(ErrorCode::kNotSupported, "nfc: readers (libnfc) are not built yet; use a pcsc: reader");
}

void list_nfc_readers(Inventory& inventory) { (void)inventory; }

}  // namespace idtap::select
