#include "idtap/apdu/tracing_transport.h"

#include <fmt/format.h>

#include "idtap/apdu/status_words.h"
#include "idtap/apdu/tlv.h"
#include "idtap/base/hex.h"

namespace idtap::apdu {
namespace {

constexpr size_t kPlainReadPrefix = 16;
constexpr size_t kNormalResponseLimit = 32;
constexpr const char* kMasked = "<masked>";

// hex_upper: bytes as idtap prints them for people: spaced upper-case pairs ("00 A4 04 0C"), as
// pcsc-tools and `idtap apdu` do.
std::string hex_upper(ByteView v) { return to_hex(v, true, ' '); }

std::string cut(ByteView data, size_t keep) {
  if (data.size() <= keep) return hex_upper(data);
  return fmt::format("{}...(+{} bytes)", hex_upper(data.first(keep)), data.size() - keep);
}

void skeleton_into(ByteView data, std::string& out, int depth) {
  TlvReader reader(data, TlvMode::kBerLenient);
  bool first = true;
  while (!reader.empty()) {
    auto tlv = reader.next();
    if (!tlv.ok()) {
      if (!first) out += ' ';
      out += fmt::format("[{} bytes]", reader.remaining().size());
      return;
    }
    if (!first) out += ' ';
    first = false;
    out += fmt::format("{:02X}", tlv->tag);
    if (tlv->constructed && depth < 4) {
      out += '{';
      skeleton_into(tlv->value, out, depth + 1);
      out += '}';
    } else {
      out += fmt::format("[{}]", tlv->value.size());
    }
  }
}

// MSE data with the values of the public references kept (ICAO 9303-11 §4.4.4.1 / BSI TR-03110
// Part 3 B.11.1: 80 OID, 83 password or public key reference, 84 private key reference).
std::string security_environment(ByteView data) {
  TlvReader reader(data, TlvMode::kBerLenient);
  std::string out;
  while (!reader.empty()) {
    auto tlv = reader.next();
    if (!tlv.ok()) return tlv_skeleton(data);
    if (!out.empty()) out += ' ';
    if (tlv->tag == 0x80 || tlv->tag == 0x83 || tlv->tag == 0x84)
      out += fmt::format("{:02X}={}", tlv->tag, hex_upper(tlv->value));
    else
      out += tlv_skeleton(tlv->raw);
  }
  return out;
}

}  // namespace

std::string tlv_skeleton(ByteView data) {
  if (data.empty()) return "";
  std::string out;
  skeleton_into(data, out, 0);
  return out;
}

TraceClass classify_command(const CommandApdu& command, TraceClass previous) {
  switch (command.ins) {
    case 0xC0: return previous;  // GET RESPONSE continues the previous command
    case 0x20:                   // VERIFY
    case 0x24:                   // CHANGE REFERENCE DATA
    case 0x2C:                   // RESET RETRY COUNTER
    case 0x26:                   // DISABLE VERIFICATION REQUIREMENT
    case 0x28:                   // ENABLE VERIFICATION REQUIREMENT
    case 0x82:                   // EXTERNAL / MUTUAL AUTHENTICATE (BAC)
      return TraceClass::kSecret;
    case 0x86:  // GENERAL AUTHENTICATE (PACE, CA, TA)
    case 0x87:
      return TraceClass::kAuthenticate;
    case 0x22:  // MANAGE SECURITY ENVIRONMENT
      return command.is_secure_messaging() ? TraceClass::kSecureMessaging : TraceClass::kSecurityEnvironment;
    default: break;
  }
  // PC/SC pseudo-APDUs (CLA FF) are answered by the reader and never under secure messaging.
  if (command.cla != 0xFF && command.is_secure_messaging()) return TraceClass::kSecureMessaging;
  if (command.ins == 0xB0 || command.ins == 0xB1 || command.ins == 0xB2 || command.ins == 0xB3)
    return TraceClass::kPlainRead;
  return TraceClass::kPlain;
}

std::string redact_command_data(const CommandApdu& command, TraceClass cls, TraceDetail detail) {
  ByteView data = command.data;
  if (data.empty()) return "";
  switch (cls) {
    case TraceClass::kSecret: return kMasked;
    case TraceClass::kAuthenticate: return tlv_skeleton(data);
    case TraceClass::kSecurityEnvironment: return security_environment(data);
    case TraceClass::kSecureMessaging: return detail == TraceDetail::kFull ? hex_upper(data) : tlv_skeleton(data);
    case TraceClass::kPlainRead:  // the data of a READ is an offset (DO 54) or nothing
    case TraceClass::kPlain: return hex_upper(data);
  }
  return kMasked;
}

std::string redact_response_data(ByteView data, TraceClass cls, TraceDetail detail) {
  if (data.empty()) return "";
  switch (cls) {
    case TraceClass::kSecret: return kMasked;
    case TraceClass::kAuthenticate: return tlv_skeleton(data);
    case TraceClass::kSecurityEnvironment: return tlv_skeleton(data);
    case TraceClass::kSecureMessaging: return detail == TraceDetail::kFull ? hex_upper(data) : tlv_skeleton(data);
    case TraceClass::kPlainRead: return cut(data, kPlainReadPrefix);
    case TraceClass::kPlain: return detail == TraceDetail::kFull ? hex_upper(data) : cut(data, kNormalResponseLimit);
  }
  return kMasked;
}

std::string format_trace_record(const TraceRecord& r) {
  std::string out = fmt::format("#{} > {}\n", r.index, r.command);
  double ms = static_cast<double>(r.elapsed.count()) / 1000.0;
  if (r.error) return out + fmt::format("#{} ! {} ({:.1f} ms)\n", r.index, r.error->message(), ms);
  out += fmt::format("#{} < {}{}{:04X} ({}) {:.1f} ms\n", r.index, r.response, r.response.empty() ? "" : " ", r.sw,
                     sw::describe(r.sw), ms);
  return out;
}

TracingTransport::TracingTransport(std::unique_ptr<Transport> inner, TraceSink sink, TraceDetail detail)
    : owned_(std::move(inner)), inner_(owned_.get()), sink_(std::move(sink)), detail_(detail) {}

TracingTransport::TracingTransport(Transport& inner, TraceSink sink, TraceDetail detail)
    : inner_(&inner), sink_(std::move(sink)), detail_(detail) {}

Result<ResponseApdu> TracingTransport::transmit(const CommandApdu& command) {
  TraceClass cls = classify_command(command, previous_);
  previous_ = cls;
  TraceRecord record;
  record.index = ++count_;
  record.command = fmt::format("{:02X} {:02X} {:02X} {:02X}", command.cla, command.ins, command.p1, command.p2);
  std::string data = redact_command_data(command, cls, detail_);
  if (!data.empty()) record.command += " " + data;
  if (command.ne != 0) record.command += fmt::format(" Le={}", command.ne);
  if (command.needs_extended()) record.command += " (extended)";

  auto start = std::chrono::steady_clock::now();
  auto result = inner_->transmit(command);
  record.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  if (result.ok()) {
    record.response = redact_response_data(result->data, cls, detail_);
    record.sw = result->sw;
  } else {
    record.error = result.error();
  }
  if (sink_) sink_(record);
  return result;
}

}  // namespace idtap::apdu
