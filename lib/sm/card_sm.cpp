#include "idtap/sm/card_sm.h"

#include <array>
#include <string>

#include "sm_objects.h"

namespace idtap::sm {
namespace {

using namespace internal;

constexpr uint16_t kSwObjectsMissing = 0x6987;
constexpr uint16_t kSwObjectsIncorrect = 0x6988;

Error with_sw(Error e, uint16_t sw) {
  e.sw = sw;
  return e;
}

}  // namespace

CardSecureMessaging::CardSecureMessaging(CipherSuite suite, Bytes ssc) : suite_(std::move(suite)), ssc_(std::move(ssc)) {}

Result<CardSecureMessaging> CardSecureMessaging::create(const SessionKeys& keys) {
  if (keys.ssc.size() != ssc_size(keys.alg))
    return make_error(ErrorCode::kInvalidArgument, "the send sequence counter must be " +
                                                       std::to_string(ssc_size(keys.alg)) + " bytes for this cipher");
  IDTAP_ASSIGN_OR_RETURN(CipherSuite suite, CipherSuite::create(keys.alg, keys.ks_enc, keys.ks_mac));
  return CardSecureMessaging(std::move(suite), keys.ssc);
}

Result<apdu::CommandApdu> CardSecureMessaging::unwrap_command(const apdu::CommandApdu& command) {
  increment_ssc(ssc_);
  last_ins_ = command.ins;
  if ((command.cla & 0x0C) != 0x0C)
    return sm_error("command without secure messaging (CLA b4-b3 not set) while secure messaging is active",
                    kSwObjectsMissing);
  auto parsed = parse_sm_objects(command.data);
  if (!parsed.ok()) {
    Error e = std::move(parsed).error();
    e.context = "protected command: " + e.context;
    return with_sw(std::move(e), kSwObjectsIncorrect);
  }
  const SmObjects& objects = *parsed;
  if (!objects.mac) return sm_error("protected command without DO8E (MAC)", kSwObjectsMissing);
  if (objects.status) return sm_error("protected command carries a DO99", kSwObjectsIncorrect);
  const size_t block = suite_.block_size();
  Bytes header;
  header.reserve(block);
  append_padded_header(header, command.cla, command.ins, command.p1, command.p2, block);
  if (auto st = check_mac(suite_, ssc_, header, objects, "protected command"); !st.ok())
    return with_sw(std::move(st).error(), kSwObjectsIncorrect);

  apdu::CommandApdu plain;
  plain.cla = command.cla & static_cast<uint8_t>(~0x0C);
  plain.ins = command.ins;
  plain.p1 = command.p1;
  plain.p2 = command.p2;
  if (objects.cryptogram) {
    // ISO 7816-4: DO85 for odd INS (BER-TLV data), DO87 for even.
    const bool odd = is_odd_ins(command.ins);
    if ((objects.cryptogram->tag == kTagCryptogramOdd) != odd)
      return sm_error(odd ? "odd INS with DO87 (DO85 expected)" : "even INS with DO85 (DO87 expected)",
                      kSwObjectsIncorrect);
    auto data = decrypt_cryptogram(suite_, ssc_, *objects.cryptogram);
    if (!data.ok()) return with_sw(std::move(data).error(), kSwObjectsIncorrect);
    plain.data = std::move(data).value();
  }
  if (objects.le) {
    const ByteView le = objects.le->value;
    if (le.size() == 1) {
      plain.ne = le[0] == 0 ? 256 : le[0];
    } else if (le.size() == 2) {
      const size_t v = size_t(le[0]) << 8 | le[1];
      plain.ne = v == 0 ? apdu::kMaxExtendedNe : v;
      plain.extended = true;
    } else {
      return sm_error("DO97 of " + std::to_string(le.size()) + " bytes", kSwObjectsIncorrect);
    }
  }
  if (plain.data.size() > apdu::kMaxShortNc) plain.extended = true;
  return plain;
}

Result<apdu::ResponseApdu> CardSecureMessaging::wrap_response(const apdu::ResponseApdu& plain) {
  increment_ssc(ssc_);
  apdu::ResponseApdu out;
  out.sw = plain.sw;
  Bytes& m = out.data;
  m.reserve(cryptogram_do_size(plain.data.size(), suite_.block_size(), false) + 4 + 2 + kSmMacSize);
  if (!plain.data.empty()) IDTAP_TRY(append_cryptogram_do(m, plain.data, is_odd_ins(last_ins_), suite_, ssc_));
  m.push_back(kTagStatus);
  m.push_back(2);
  m.push_back(static_cast<uint8_t>(plain.sw >> 8));
  m.push_back(static_cast<uint8_t>(plain.sw));
  std::array<uint8_t, kSmMacSize> mac;
  IDTAP_TRY(suite_.mac(ssc_, m, mac));
  m.push_back(kTagMac);
  m.push_back(kSmMacSize);
  m.insert(m.end(), mac.begin(), mac.end());
  return out;
}

}  // namespace idtap::sm
