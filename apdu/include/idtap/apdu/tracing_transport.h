// idtap/apdu/tracing_transport.h: a Transport decorator that reports every exchange (command,
// response, SW, time) to a sink, with secrets masked. Used by the CLI's -v / -vv.
//
// What a trace shows (the redaction policy; tests/pcsc/trace_redaction_test.cpp holds it):
//  - Always: the command header (CLA INS P1 P2), Le, the SW with its meaning, the time.
//  - Never, at any level: the data of VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER,
//    ENABLE/DISABLE VERIFICATION REQUIREMENT (passwords, PINs) and of EXTERNAL / MUTUAL
//    AUTHENTICATE, command and response (a BAC exchange with its challenge lets one search the
//    MRZ key space offline): shown as "<masked>". GENERAL AUTHENTICATE (PACE, CA, TA steps) is
//    shown as its TLV skeleton only, tags and lengths ("7C{81[16]}"), both ways. MANAGE
//    SECURITY ENVIRONMENT shows the values of 80 (protocol OID), 83 (password / key reference)
//    and 84 (private key reference), the skeleton of the rest.
//  - READ BINARY / READ RECORD responses that are not under secure messaging are plaintext
//    card data (they may hold a resident registration number): the first 16 bytes (enough to
//    see which file and its length), then "...(+N bytes)", at every level.
//  - Secure messaging (CLA b4-b3 set; responses to such commands): at -v the DO skeleton
//    ("87[17] 97[1] 8E[8]"), at -vv the bytes in full (ciphertext and MACs, never plaintext: the
//    tracer sits below the secure channel, and above it the rules for plain reads apply).
//  - Everything else (SELECT, GET CHALLENGE, FCI, AA signatures, PC/SC pseudo-APDUs): data in
//    full; responses over 32 bytes cut to 32 at -v, in full at -vv.
//  - GET RESPONSE inherits the class of the command it continues.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "idtap/apdu/command.h"
#include "idtap/apdu/response.h"
#include "idtap/apdu/transport.h"
#include "idtap/base/error.h"

namespace idtap::apdu {

// TraceDetail: kNormal for -v, kFull for -vv (see the policy above).
enum class TraceDetail { kNormal, kFull };

// TraceRecord: one exchange as a trace may show it (already redacted).
struct TraceRecord {
  size_t index = 0;            // 1 for the first exchange on this transport
  std::string command;         // "00A4040C A0000002471001 Le=256": header, data as allowed, Le
  std::string response;        // response data as allowed (empty when none or on error)
  uint16_t sw = 0;             // 0 when the transmit failed
  std::chrono::microseconds elapsed{0};
  std::optional<Error> error;  // the transmit's error, if it failed
};

// TraceSink: receives each record (borrowed for the call). Called on the transmitting thread.
using TraceSink = std::function<void(const TraceRecord&)>;

// TraceClass: how an exchange is redacted (exposed for tests and for other tracers).
enum class TraceClass { kPlain, kSecret, kAuthenticate, kSecurityEnvironment, kSecureMessaging, kPlainRead };

// classify_command: the class of `command` per the policy above (`previous` is used for GET
// RESPONSE, which continues it).
TraceClass classify_command(const CommandApdu& command, TraceClass previous);

// redact_command_data / redact_response_data: the text a trace shows for a command's data field
// or a response's data, for `cls` at `detail`.
std::string redact_command_data(const CommandApdu& command, TraceClass cls, TraceDetail detail);
std::string redact_response_data(ByteView data, TraceClass cls, TraceDetail detail);

// tlv_skeleton: the tags and lengths of the BER-TLV objects in `data` ("7C{81[16] 82[65]}"),
// or "[N bytes]" when it does not parse as BER-TLV.
std::string tlv_skeleton(ByteView data);

// format_trace_record: two lines for humans: "#N > command" and "#N < response SW (meaning)
// time" (or the error).
std::string format_trace_record(const TraceRecord& record);

// TracingTransport: forwards every call to the inner transport and reports each transmit to
// the sink. Owns the inner transport (first constructor) or borrows it (second: `inner` must
// outlive this).
class TracingTransport : public Transport {
 public:
  TracingTransport(std::unique_ptr<Transport> inner, TraceSink sink, TraceDetail detail = TraceDetail::kNormal);
  TracingTransport(Transport& inner, TraceSink sink, TraceDetail detail = TraceDetail::kNormal);

  Result<ResponseApdu> transmit(const CommandApdu& command) override;
  Bytes atr() const override { return inner_->atr(); }
  TransportCaps capabilities() const override { return inner_->capabilities(); }
  Status reconnect(std::chrono::milliseconds timeout) override { return inner_->reconnect(timeout); }
  Status close() override { return inner_->close(); }
  std::string describe() const override { return inner_->describe(); }

  // TracingTransport::inner: the wrapped transport.
  Transport& inner() { return *inner_; }

 private:
  std::unique_ptr<Transport> owned_;
  Transport* inner_;
  TraceSink sink_;
  TraceDetail detail_;
  size_t count_ = 0;
  TraceClass previous_ = TraceClass::kPlain;
};

}  // namespace idtap::apdu
