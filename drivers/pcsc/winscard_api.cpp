#include "idtap/pcsc/winscard_api.h"

#include <cstring>

namespace idtap::pcsc {
namespace {

// RealWinscardApi: WinscardApi over libpcsclite. Stateless.
class RealWinscardApi : public WinscardApi {
 public:
  LONG establish_context(SCARDCONTEXT* context) override {
    return SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, context);
  }
  LONG release_context(SCARDCONTEXT context) override { return SCardReleaseContext(context); }

  LONG list_readers(SCARDCONTEXT context, std::vector<std::string>* names) override {
    // The list can change between the size query and the read: retry on a short buffer.
    for (int attempt = 0; attempt < 3; ++attempt) {
      DWORD size = 0;
      LONG rc = SCardListReaders(context, nullptr, nullptr, &size);
      if (rc != SCARD_S_SUCCESS) return rc;
      std::string buffer(size, '\0');
      rc = SCardListReaders(context, nullptr, buffer.data(), &size);
      if (rc == SCARD_E_INSUFFICIENT_BUFFER) continue;
      if (rc != SCARD_S_SUCCESS) return rc;
      names->clear();
      buffer.resize(size);
      for (size_t pos = 0; pos < buffer.size() && buffer[pos] != '\0';) {
        size_t end = buffer.find('\0', pos);
        if (end == std::string::npos) end = buffer.size();
        names->push_back(buffer.substr(pos, end - pos));
        pos = end + 1;
      }
      return SCARD_S_SUCCESS;
    }
    return SCARD_E_INSUFFICIENT_BUFFER;
  }

  LONG get_status_change(SCARDCONTEXT context, DWORD timeout_ms, SCARD_READERSTATE* states, DWORD count) override {
    return SCardGetStatusChange(context, timeout_ms, states, count);
  }
  LONG cancel(SCARDCONTEXT context) override { return SCardCancel(context); }

  LONG connect(SCARDCONTEXT context, const std::string& reader, DWORD share_mode, DWORD preferred_protocols,
               SCARDHANDLE* card, DWORD* active_protocol) override {
    return SCardConnect(context, reader.c_str(), share_mode, preferred_protocols, card, active_protocol);
  }
  LONG reconnect(SCARDHANDLE card, DWORD share_mode, DWORD preferred_protocols, DWORD initialization,
                 DWORD* active_protocol) override {
    return SCardReconnect(card, share_mode, preferred_protocols, initialization, active_protocol);
  }
  LONG disconnect(SCARDHANDLE card, DWORD disposition) override { return SCardDisconnect(card, disposition); }
  LONG begin_transaction(SCARDHANDLE card) override { return SCardBeginTransaction(card); }
  LONG end_transaction(SCARDHANDLE card, DWORD disposition) override { return SCardEndTransaction(card, disposition); }

  LONG transmit(SCARDHANDLE card, DWORD protocol, ByteView command, size_t max_response, Bytes* response) override {
    Bytes buffer(max_response);
    DWORD length = static_cast<DWORD>(buffer.size());
    const SCARD_IO_REQUEST* pci = protocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
    LONG rc = SCardTransmit(card, pci, command.data(), static_cast<DWORD>(command.size()), nullptr, buffer.data(), &length);
    if (rc != SCARD_S_SUCCESS) return rc;
    buffer.resize(length);
    *response = std::move(buffer);
    return rc;
  }

  LONG control(SCARDHANDLE card, DWORD control_code, ByteView input, Bytes* output) override {
    Bytes buffer(MAX_BUFFER_SIZE_EXTENDED);
    DWORD length = 0;
    LONG rc = SCardControl(card, control_code, input.data(), static_cast<DWORD>(input.size()), buffer.data(),
                           static_cast<DWORD>(buffer.size()), &length);
    if (rc != SCARD_S_SUCCESS) return rc;
    buffer.resize(length);
    *output = std::move(buffer);
    return rc;
  }

  LONG get_attrib(SCARDHANDLE card, DWORD attribute, Bytes* value) override {
    Bytes buffer(MAX_BUFFER_SIZE);
    DWORD length = static_cast<DWORD>(buffer.size());
    LONG rc = SCardGetAttrib(card, attribute, buffer.data(), &length);
    if (rc != SCARD_S_SUCCESS) return rc;
    buffer.resize(length);
    *value = std::move(buffer);
    return rc;
  }

  LONG status(SCARDHANDLE card, DWORD* state, DWORD* protocol, Bytes* atr) override {
    char name[MAX_READERNAME + 1];
    DWORD name_length = sizeof(name);
    BYTE atr_buffer[MAX_ATR_SIZE];
    DWORD atr_length = sizeof(atr_buffer);
    LONG rc = SCardStatus(card, name, &name_length, state, protocol, atr_buffer, &atr_length);
    if (rc != SCARD_S_SUCCESS) return rc;
    atr->assign(atr_buffer, atr_buffer + atr_length);
    return rc;
  }
};

}  // namespace

std::shared_ptr<WinscardApi> real_winscard_api() {
  return std::make_shared<RealWinscardApi>();
}

}  // namespace idtap::pcsc
