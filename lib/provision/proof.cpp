#include "idtap/provision/proof.h"

#include <sstream>

#include "idtap/base/hex.h"

namespace idtap::provision {

Result<PossessionProof> parse_proof(std::string_view text) {
  PossessionProof p;
  bool have_challenge = false, have_signature = false;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
    auto colon = line.find_first_of(":=");
    std::string name = line.substr(0, colon == std::string::npos ? line.size() : colon);
    auto trim = [](std::string s) {
      s.erase(0, s.find_first_not_of(" \t\r"));
      s.erase(s.find_last_not_of(" \t\r") + 1);
      return s;
    };
    name = trim(name);
    if (name.empty()) continue;
    if (colon == std::string::npos) return make_error(ErrorCode::kInvalidArgument, "proof: expected 'name: value', got '" + name + "'");
    std::string value = trim(line.substr(colon + 1));
    auto bytes = from_hex(value);
    if (!bytes.ok()) return make_error(ErrorCode::kInvalidArgument, "proof: " + name + " is not hex");
    if (name == "challenge" && !have_challenge) {
      p.challenge = std::move(bytes).value();
      have_challenge = true;
    } else if (name == "signature" && !have_signature) {
      p.signature = std::move(bytes).value();
      have_signature = true;
    } else {
      return make_error(ErrorCode::kInvalidArgument, "proof: unexpected or repeated '" + name + "'");
    }
  }
  if (!have_challenge || !have_signature) return make_error(ErrorCode::kInvalidArgument, "proof: needs a challenge and a signature");
  if (p.challenge.size() != kChallengeBytes)
    return make_error(ErrorCode::kInvalidArgument, "proof: the challenge must be " + std::to_string(kChallengeBytes) + " bytes");
  return p;
}

std::string format_proof(const PossessionProof& proof) {
  return "challenge: " + to_hex(proof.challenge) + "\nsignature: " + to_hex(proof.signature) + "\n";
}

Bytes possession_message(ByteView challenge) {
  Bytes m(kPossessionLabel.begin(), kPossessionLabel.end());
  m.push_back(0x00);
  append(m, challenge);
  return m;
}

Result<Bytes> sign_possession(const EcPrivateKey& device_key, ByteView challenge) {
  return device_key.sign_der(possession_message(challenge));
}

Status verify_possession_signature(const PossessionProof& proof, const EcPublicKey& device_key) {
  if (!device_key.verify_es256(possession_message(proof.challenge), proof.signature, /*allow_der=*/true).ok())
    return make_error(ErrorCode::kRefused, "bad proof of possession: the signature over the challenge does not verify with the device key");
  return ok_status();
}

}  // namespace idtap::provision
