#include "idtap/apdu/scripted_transport.h"

#include "idtap/base/hex.h"

namespace idtap::apdu {

ScriptedTransport& ScriptedTransport::expect(std::string_view command_hex, std::string_view response_hex) {
  steps_.push_back(Step{hex_or_die(command_hex), hex_or_die(response_hex), std::nullopt});
  return *this;
}

ScriptedTransport& ScriptedTransport::expect_bytes(ByteView command, ByteView response) {
  steps_.push_back(Step{to_bytes(command), to_bytes(response), std::nullopt});
  return *this;
}

ScriptedTransport& ScriptedTransport::expect_any(std::string_view response_hex) {
  steps_.push_back(Step{std::nullopt, hex_or_die(response_hex), std::nullopt});
  return *this;
}

ScriptedTransport& ScriptedTransport::fail_next(Error error) {
  steps_.push_back(Step{std::nullopt, {}, std::move(error)});
  return *this;
}

Result<ResponseApdu> ScriptedTransport::transmit(const CommandApdu& command) {
  if (closed_) return make_error(ErrorCode::kState, "scripted transport is closed");
  IDTAP_ASSIGN_OR_RETURN(Bytes wire, command.encode());
  sent_.push_back(wire);
  const size_t index = step_index_++;
  if (steps_.empty()) {
    std::string m = "step " + std::to_string(index) + ": unexpected command after the script ended: " + to_hex(wire, true);
    if (!mismatch_) mismatch_ = m;
    return make_error(ErrorCode::kInternal, m);
  }
  Step step = std::move(steps_.front());
  steps_.pop_front();
  if (step.command && !equal_bytes(*step.command, wire)) {
    std::string m = "step " + std::to_string(index) + ": expected command " + to_hex(*step.command, true) +
                    ", got " + to_hex(wire, true);
    if (!mismatch_) mismatch_ = m;
    return make_error(ErrorCode::kInternal, m);
  }
  if (step.error) return *step.error;
  return ResponseApdu::parse(step.response);
}

}  // namespace idtap::apdu
