// The simulated card's file system: SELECT and READ BINARY (ISO 7816-4 §7.1, §11.3.3;
// ICAO 9303-10 §3 for the files, FIDs and SFIs).
#include <algorithm>

#include "card_internal.h"
#include "idtap/apdu/commands.h"
#include "idtap/apdu/tlv.h"

namespace idtap::sim::internal {
namespace {

namespace sw = apdu::sw;

constexpr uint16_t kMf = 0x3F00;

bool access_granted(const CardState& card, const CardFile& f, bool protected_by_sm) {
  switch (f.access) {
    case FileAccess::kFree: return true;
    case FileAccess::kSm: return protected_by_sm && card.security != SecurityState::kNone;
    case FileAccess::kPace: return protected_by_sm && card.pace_established;
    case FileAccess::kEac: return false;  // no Terminal Authentication on this card
  }
  return false;
}

std::optional<size_t> find_fid(const CardState& card, uint16_t fid) {
  for (size_t i = 0; i < card.files.size(); ++i)
    if (card.files[i].fid == fid && card.files[i].in_application == card.application_selected) return i;
  return std::nullopt;
}

std::optional<size_t> find_sfi(const CardState& card, uint8_t sfi) {
  for (size_t i = 0; i < card.files.size(); ++i)
    if (card.files[i].sfi == sfi && card.files[i].in_application == card.application_selected) return i;
  return std::nullopt;
}

// The FCP of an EF (ISO 7816-4 §7.4.3): 80 size, 82 descriptor (transparent EF), 83 FID, 88 SFI.
Bytes ef_fcp(const CardFile& f) {
  apdu::TlvWriter w;
  w.open(0x62);
  w.add(0x80, be_bytes(f.content->size(), 2));
  w.add(0x82, Bytes{0x01});
  w.add(0x83, be_bytes(f.fid, 2));
  w.add(0x88, Bytes{static_cast<uint8_t>(f.sfi << 3)});
  w.close();
  return w.finish().value_or(Bytes{});
}

// A DF's FCI: 6F with the DF name (84) (ISO 7816-4 §7.4.1).
Bytes df_fci(ByteView df_name, uint32_t outer_tag) {
  apdu::TlvWriter w;
  w.open(outer_tag);
  w.add(0x82, Bytes{0x38});  // DF
  if (!df_name.empty()) w.add(0x84, df_name);
  w.close();
  return w.finish().value_or(Bytes{});
}

Answer with_data(Bytes data, size_t ne) {
  Answer a;
  // ISO 7816-4 §5.1: no Le field, no response data.
  if (ne != 0) a.data = std::move(data);
  return a;
}

// The response for SELECT P2 (ISO 7816-4 §7.1.1 table 63): 00 FCI, 04 FCP, 0C none.
Answer select_answer(uint8_t p2, Bytes fci, Bytes fcp, size_t ne) {
  switch (p2) {
    case 0x00: return with_data(std::move(fci), ne);
    case 0x04: return with_data(std::move(fcp), ne);
    default: return Answer{};
  }
}

Answer select_ef(CardState& card, size_t index, uint8_t p2, size_t ne) {
  card.current_ef = index;
  Bytes fcp = ef_fcp(card.files[index]);
  Bytes fci = fcp;
  if (!fci.empty()) fci[0] = 0x6F;  // same content under the FCI template
  return select_answer(p2, std::move(fci), std::move(fcp), ne);
}

// read_window: ISO 7816-4 §11.3.3: the bytes at `offset`; 6B00 past the end, 6282 when fewer
// than Ne bytes remain.
Answer read_window(const Bytes& content, size_t offset, size_t ne) {
  if (offset > content.size()) return sw_only(sw::kWrongP1P2);
  const size_t n = std::min(ne, content.size() - offset);
  Answer a;
  a.data.assign(content.begin() + static_cast<long>(offset), content.begin() + static_cast<long>(offset + n));
  if (n < ne) a.sw = sw::kEndOfFileReached;
  return a;
}

// refuse_sfi: the no_sfi quirk: a card that does not implement reading by SFI answers as for
// a file it does not know, 6A82, in plain; under secure messaging that error ends the session
// (ICAO 9303-11 §9.8.1: the chip deletes the session keys), as on the passports that do this.
Answer refuse_sfi(CardState& card) {
  card.end_secure_messaging();
  return sw_only(sw::kFileNotFound);
}

}  // namespace

std::vector<CardFile> build_file_table(const CardFiles& files) {
  std::vector<CardFile> out;
  auto add = [&](const std::optional<Bytes>& content, uint16_t fid, uint8_t sfi, bool in_app, FileAccess access) {
    if (content) out.push_back(CardFile{fid, sfi, in_app, access, &*content});
  };
  // ICAO 9303-10 §3.11 (MF) and §3.6 (the eMRTD application), table of FIDs and SFIs.
  add(files.card_access, 0x011C, 0x1C, false, FileAccess::kFree);
  add(files.card_security, 0x011D, 0x1D, false, FileAccess::kPace);
  add(files.com, 0x011E, 0x1E, true, FileAccess::kSm);
  add(files.sod, 0x011D, 0x1D, true, FileAccess::kSm);
  for (const auto& [dg, content] : files.data_groups) {
    if (dg < 1 || dg > 16) continue;
    // DG3 (fingerprints) and DG4 (iris) need Extended Access Control (ICAO 9303-11 §7).
    FileAccess access = (dg == 3 || dg == 4) ? FileAccess::kEac : FileAccess::kSm;
    out.push_back(CardFile{static_cast<uint16_t>(0x0100 + dg), static_cast<uint8_t>(dg), true, access, &content});
  }
  return out;
}

Answer handle_select(CardState& card, const Context& ctx) {
  const apdu::CommandApdu& cmd = ctx.command;
  if (cmd.p2 != 0x00 && cmd.p2 != 0x04 && cmd.p2 != 0x0C) return sw_only(sw::kIncorrectP1P2);
  switch (cmd.p1) {
    case 0x04: {  // by DF name (ISO 7816-4 §7.1.1)
      if (!equal_bytes(cmd.data, apdu::kEmrtdAid)) return sw_only(sw::kFileNotFound);
      card.application_selected = true;
      card.current_ef.reset();
      Bytes fci = df_fci(apdu::kEmrtdAid, 0x6F);
      Bytes fcp = df_fci(apdu::kEmrtdAid, 0x62);
      return select_answer(cmd.p2, std::move(fci), std::move(fcp), cmd.ne);
    }
    case 0x00:    // MF, DF or EF by FID
    case 0x02: {  // EF under the current DF
      if (cmd.p1 == 0x00 && cmd.data.empty()) {
        card.application_selected = false;  // P1 00 with no data: the MF
        card.current_ef.reset();
        return select_answer(cmd.p2, df_fci({}, 0x6F), df_fci({}, 0x62), cmd.ne);
      }
      if (cmd.data.size() != 2) return sw_only(sw::kWrongLength);
      const uint16_t fid = static_cast<uint16_t>(be_uint(cmd.data));
      if (fid == kMf) {
        if (cmd.p1 != 0x00) return sw_only(sw::kFileNotFound);
        card.application_selected = false;
        card.current_ef.reset();
        return select_answer(cmd.p2, df_fci({}, 0x6F), df_fci({}, 0x62), cmd.ne);
      }
      auto index = find_fid(card, fid);
      if (!index) return sw_only(sw::kFileNotFound);
      return select_ef(card, *index, cmd.p2, cmd.ne);
    }
    default: return sw_only(sw::kIncorrectP1P2);
  }
}

Answer handle_read_binary(CardState& card, const Context& ctx) {
  const apdu::CommandApdu& cmd = ctx.command;
  // ISO 7816-4 §5.1: READ BINARY without Le asks for nothing.
  if (cmd.ne == 0) return sw_only(sw::kWrongLength);
  // The card's response buffer (quirk): a larger Ne is refused outright, as such cards do.
  const size_t max_response = card.image.config.quirks.max_response;
  if (max_response != 0 && cmd.ne > max_response) return sw_only(sw::kWrongLength);

  std::optional<size_t> target;
  size_t offset = 0;
  if (cmd.ins == 0xB0) {
    if (!cmd.data.empty()) return sw_only(sw::kWrongLength);
    if (cmd.p1 & 0x80) {
      // ISO 7816-4 §11.3.3: P1 = 100 SFI (b5..b1), P2 = offset 0..255.
      if (cmd.p1 & 0x60) return sw_only(sw::kIncorrectP1P2);
      const uint8_t sfi = cmd.p1 & 0x1F;
      if (sfi == 0) return sw_only(sw::kIncorrectP1P2);
      if (card.image.config.quirks.no_sfi) return refuse_sfi(card);
      target = find_sfi(card, sfi);
      if (!target) return sw_only(sw::kFileNotFound);
      offset = cmd.p2;
    } else {
      // 15-bit offset in P1 b7..b1 and P2, on the current EF.
      if (!card.current_ef) return sw_only(sw::kCommandNotAllowedNoEf);
      target = card.current_ef;
      offset = (static_cast<size_t>(cmd.p1) << 8) | cmd.p2;
    }
  } else {
    // Odd INS B1: P1-P2 = 0000 (current EF), a FID, or 100 SFI / 00; the offset in DO 54.
    apdu::TlvReader r(cmd.data);
    auto off = r.read(0x54);
    if (!off.ok() || !r.expect_end().ok() || off->value.empty() || off->value.size() > 3)
      return sw_only(sw::kWrongData);
    offset = be_uint(off->value);
    if (cmd.p1 == 0x00 && cmd.p2 == 0x00) {
      if (!card.current_ef) return sw_only(sw::kCommandNotAllowedNoEf);
      target = card.current_ef;
    } else if ((cmd.p1 & 0xE0) == 0x80 && cmd.p2 == 0x00) {
      if (card.image.config.quirks.no_sfi) return refuse_sfi(card);
      target = find_sfi(card, cmd.p1 & 0x1F);
      if (!target) return sw_only(sw::kFileNotFound);
    } else {
      target = find_fid(card, static_cast<uint16_t>(cmd.p1 << 8 | cmd.p2));
      if (!target) return sw_only(sw::kFileNotFound);
    }
  }

  const CardFile& f = card.files[*target];
  if (!access_granted(card, f, ctx.protected_by_sm)) return sw_only(sw::kSecurityStatusNotSatisfied);
  card.current_ef = target;  // reading by SFI or FID selects the file (ISO 7816-4 §7.2.2)

  if (cmd.ins == 0xB0) return read_window(*f.content, offset, cmd.ne);
  // ISO 7816-4 §11.3.3: the odd INS answers with the data in DO 53, whose header counts
  // against Ne. Fill Ne as far as the header allows.
  if (offset > f.content->size()) return sw_only(sw::kWrongP1P2);
  const size_t remaining = f.content->size() - offset;
  size_t n = std::min(remaining, cmd.ne > 2 ? cmd.ne - 2 : 0);
  while (n > 0 && apdu::encode_length(n).size() + 1 + n > cmd.ne) --n;
  if (n == 0 && remaining > 0) return sw_only(sw::kWrongLength);
  Answer a;
  a.data = apdu::encode_tlv(0x53, ByteView(*f.content).subspan(offset, n));
  if (n < remaining) return a;
  if (a.data.size() < cmd.ne) a.sw = sw::kEndOfFileReached;
  return a;
}

}  // namespace idtap::sim::internal
