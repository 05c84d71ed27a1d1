#include "idtap/apdu/atr.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "idtap/base/hex.h"

namespace idtap::apdu {
namespace {

Error malformed(const std::string& why) { return make_error(ErrorCode::kMalformed, "ATR: " + why); }

// ISO 7816-3 tables 7 and 8.
constexpr int kFi[16] = {372, 372, 558, 744, 1116, 1488, 1860, 0, 0, 512, 768, 1024, 1536, 2048, 0, 0};
constexpr int kFMaxKhz[16] = {4000, 5000, 6000, 8000, 12000, 16000, 20000, 0, 0, 5000, 7500, 10000, 15000, 20000, 0, 0};
constexpr int kDi[16] = {0, 1, 2, 4, 8, 16, 32, 64, 12, 20, 0, 0, 0, 0, 0, 0};

// A compact-TLV sequence; returns the problem, if any. ISO 7816-4 §8.1.1.2.
std::optional<std::string> decode_compact_tlv(ByteView data, HistoricalBytes& out) {
  size_t pos = 0;
  while (pos < data.size()) {
    const uint8_t header = data[pos];
    const uint8_t tag = header >> 4, len = header & 0x0F;
    if (compact_tag_name(tag) == nullptr)
      return "compact-TLV tag " + std::to_string(tag) + " (byte " + hex_byte(header) + ") is not defined by ISO 7816-4";
    if (len > data.size() - pos - 1)
      return "compact-TLV object " + hex_byte(header) + " announces " + std::to_string(len) + " bytes, only " +
             std::to_string(data.size() - pos - 1) + " remain";
    CompactTlv obj{tag, Bytes(data.begin() + pos + 1, data.begin() + pos + 1 + len)};
    pos += 1 + len;
    switch (tag) {
      case 0x3:
        if (len != 1) return "card service data (tag 3) must be 1 byte, has " + std::to_string(len);
        out.card_service_data = obj.value[0];
        break;
      case 0x7: {
        if (len < 1 || len > 3) return "card capabilities (tag 7) must be 1 to 3 bytes, has " + std::to_string(len);
        CardCapabilities caps;
        caps.selection_methods = obj.value[0];
        if (len >= 2) caps.data_coding = obj.value[1];
        if (len >= 3) caps.chaining_lengths_channels = obj.value[2];
        out.capabilities = caps;
        break;
      }
      case 0x8: {
        if (len < 1 || len > 3) return "status indicator (tag 8) must be 1 to 3 bytes, has " + std::to_string(len);
        StatusIndicator s;
        if (len != 2) s.lcs = obj.value[0];
        if (len >= 2) s.sw = static_cast<uint16_t>(obj.value[len - 2] << 8 | obj.value[len - 1]);
        out.status = s;
        break;
      }
      default:
        break;
    }
    out.objects.push_back(std::move(obj));
  }
  return std::nullopt;
}

// The PC/SC part 3 shape: TS 3B, T0 8K, TD1 80, TD2 01, nothing else, TCK.
bool is_pcsc_contactless(const Atr& atr) {
  if (atr.convention != Convention::kDirect || (atr.t0 & 0xF0) != 0x80 || atr.groups.size() != 3) return false;
  const auto& g1 = atr.groups[0];
  const auto& g2 = atr.groups[1];
  const auto& g3 = atr.groups[2];
  return !g1.ta && !g1.tb && !g1.tc && g1.td == 0x80 && !g2.ta && !g2.tb && !g2.tc && g2.td == 0x01 && !g3.ta &&
         !g3.tb && !g3.tc && !g3.td && atr.tck.has_value();
}

constexpr uint8_t kPcscRid[5] = {0xA0, 0x00, 0x00, 0x03, 0x06};

// PC/SC part 3 §3.1.3.2.3: storage cards, else Type B when the historical bytes have the
// shape of ATQB data (and not of ISO 7816-4 historical bytes), else Type A.
ContactlessAtr classify_contactless(const Atr& atr) {
  ContactlessAtr c;
  const Bytes& h = atr.historical.raw;
  if (h.size() == 15 && h[0] == 0x80 && h[1] == 0x4F && h[2] == 0x0C &&
      equal_bytes(ByteView(h).subspan(3, 5), ByteView(kPcscRid))) {
    c.kind = ContactlessKind::kStorageCard;
    c.rid.assign(h.begin() + 3, h.begin() + 8);
    c.standard = h[8];
    c.card_name = static_cast<uint16_t>(h[9] << 8 | h[10]);
    return c;
  }
  c.inferred = true;
  const HistoricalBytes& hb = atr.historical;
  const bool iso_reading_fits =
      hb.category == HistoricalCategory::kCompactTlv ||
      (hb.category == HistoricalCategory::kStatusAtEnd && !hb.problem.has_value());
  // ISO 14443-3 §7.9.4: protocol info byte 1 b4 = 0, byte 2 b4 = 0; the MBLI byte's low
  // nibble is 0 (PC/SC part 3 table 3.2). Text-like bytes are an ATS's historical bytes.
  const bool atqb_shape = h.size() == 8 && (h[4] & 0x08) == 0 && (h[5] & 0x08) == 0 && (h[7] & 0x0F) == 0;
  // PC/SC part 3 §3.1.3.2.3.1: an ATS without historical bytes and an ATQB are both mapped to
  // no historical bytes at all; nothing then tells the types apart.
  if (h.empty()) {
    c.kind = ContactlessKind::kUnstated;
    c.inferred = false;
    return c;
  }
  if (atqb_shape && !iso_reading_fits && !printable_ascii(h)) {
    c.kind = ContactlessKind::kTypeB;
    c.application_data.assign(h.begin(), h.begin() + 4);
    c.protocol_info.assign(h.begin() + 4, h.begin() + 7);
    c.mbli = h[7] >> 4;
    return c;
  }
  c.kind = ContactlessKind::kTypeA;
  return c;
}

}  // namespace

const char* compact_tag_name(uint8_t tag) {
  switch (tag) {
    case 0x1: return "country code (ISO 3166-1)";
    case 0x2: return "issuer identification number (ISO 7812-1)";
    case 0x3: return "card service data";
    case 0x4: return "initial access data";
    case 0x5: return "card issuer's data";
    case 0x6: return "pre-issuing data";
    case 0x7: return "card capabilities";
    case 0x8: return "status indicator";
    case 0xF: return "application identifier";
    default: return nullptr;
  }
}

std::optional<bool> CardCapabilities::command_chaining() const {
  if (!chaining_lengths_channels) return std::nullopt;
  return (*chaining_lengths_channels & 0x80) != 0;
}

std::optional<bool> CardCapabilities::extended_length() const {
  if (!chaining_lengths_channels) return std::nullopt;
  return (*chaining_lengths_channels & 0x40) != 0;
}

std::optional<int> CardCapabilities::max_logical_channels() const {
  if (!chaining_lengths_channels) return std::nullopt;
  return (*chaining_lengths_channels & 0x07) + 1;
}

bool Atr::offers(uint8_t t) const {
  for (uint8_t p : protocols)
    if (p == t) return true;
  return false;
}

std::optional<bool> Atr::extended_length() const {
  if (!historical.capabilities) return std::nullopt;
  return historical.capabilities->extended_length();
}

std::optional<int> fi_value(uint8_t fi) {
  if (fi > 15 || kFi[fi] == 0) return std::nullopt;
  return kFi[fi];
}

std::optional<int> f_max_khz(uint8_t fi) {
  if (fi > 15 || kFMaxKhz[fi] == 0) return std::nullopt;
  return kFMaxKhz[fi];
}

std::optional<int> di_value(uint8_t di) {
  if (di > 15 || kDi[di] == 0) return std::nullopt;
  return kDi[di];
}

HistoricalBytes decode_historical(ByteView raw) {
  HistoricalBytes h;
  h.raw = to_bytes(raw);
  if (raw.empty()) return h;
  const uint8_t category = raw[0];
  if (category == 0x00) {
    // ISO 7816-4 §8.1.1.1: compact-TLV objects, then LCS SW1 SW2, not TLV-coded.
    h.category = HistoricalCategory::kStatusAtEnd;
    if (raw.size() < 4) {
      h.problem = "category 00 needs a 3-byte status indicator at the end, only " + std::to_string(raw.size() - 1) +
                  " bytes follow";
      return h;
    }
    h.problem = decode_compact_tlv(raw.subspan(1, raw.size() - 4), h);
    const size_t n = raw.size();
    h.status = StatusIndicator{raw[n - 3], static_cast<uint16_t>(raw[n - 2] << 8 | raw[n - 1])};
  } else if (category == 0x10) {
    h.category = HistoricalCategory::kDirReference;
    if (raw.size() != 2)
      h.problem = "category 10 is followed by exactly one DIR data reference byte, not " + std::to_string(raw.size() - 1);
    else
      h.dir_reference = raw[1];
  } else if (category == 0x80) {
    h.category = HistoricalCategory::kCompactTlv;
    h.problem = decode_compact_tlv(raw.subspan(1), h);
  } else if (category >= 0x81 && category <= 0x8F) {
    h.category = HistoricalCategory::kRfu;
    h.problem = "category indicator " + hex_byte(category) + " is reserved for future use";
  } else {
    h.category = HistoricalCategory::kProprietary;
    h.problem = "category indicator " + hex_byte(category) + " is proprietary";
  }
  return h;
}

Atr decode_atr(ByteView raw) {
  // Each check that parse_atr fails on is recorded in atr.errors instead, in the same order, and
  // the decoding goes on with what the bytes still say: pcsc-tools' ATR_analysis does the same.
  Atr atr;
  atr.raw = to_bytes(raw);
  auto problem = [&atr](const std::string& why) { atr.errors.push_back(why); };
  if (raw.size() < 2) problem("only " + std::to_string(raw.size()) + " bytes; TS and T0 are mandatory");
  if (raw.size() > kMaxAtrLength)
    problem(std::to_string(raw.size()) + " bytes, more than the 33 ISO 7816-3 §8.2.1 allows");
  if (raw.empty()) return atr;
  if (raw[0] == 0x3B)
    atr.convention = Convention::kDirect;
  else if (raw[0] == 0x3F)
    atr.convention = Convention::kInverse;
  else
    problem("TS is " + hex_byte(raw[0]) + ", neither 3B (direct) nor 3F (inverse convention)");
  if (raw.size() < 2) {
    atr.protocols.push_back(0);
    return atr;
  }
  atr.t0 = raw[1];

  // ISO 7816-3 §8.2.3: Y1 (T0 b8-b5) announces TA1..TD1; each TDi's high nibble announces the
  // next group, its low nibble the protocol T that group belongs to.
  size_t pos = 2;
  uint8_t y = atr.t0 >> 4;
  std::optional<uint8_t> protocol;
  bool truncated = false;
  for (size_t i = 1; !truncated; ++i) {
    AtrInterfaceGroup g;
    g.protocol = protocol;
    const std::string by = i == 1 ? "T0" : "TD" + std::to_string(i - 1);
    const char* names[] = {"TA", "TB", "TC", "TD"};
    std::optional<uint8_t>* slots[] = {&g.ta, &g.tb, &g.tc, &g.td};
    for (int b = 0; b < 4 && !truncated; ++b) {
      if (!(y & (1 << b))) continue;
      if (pos >= raw.size()) {
        problem(names[b] + std::to_string(i) + " is announced by " + by + " but the ATR ends after " +
                std::to_string(raw.size()) + " bytes");
        truncated = true;
        break;
      }
      *slots[b] = raw[pos++];
    }
    if (truncated) g.td.reset();  // a TD that is missing announces nothing
    atr.groups.push_back(g);
    if (!g.td) break;
    y = *g.td >> 4;
    protocol = *g.td & 0x0F;
    if (i == 1 && *protocol == 15) atr.warnings.push_back("TD1 indicates T=15, which ISO 7816-3 §8.2.3 forbids");
  }

  const size_t k = atr.t0 & 0x0F;
  size_t k_present = k;
  if (!truncated && raw.size() - pos < k) {
    problem("T0 announces " + std::to_string(k) + " historical bytes but only " +
            std::to_string(raw.size() - pos) + " bytes follow the interface bytes");
    k_present = raw.size() - pos;
    truncated = true;
  }
  if (truncated) k_present = std::min(k_present, raw.size() - pos);
  const ByteView historical = raw.subspan(pos, k_present);
  pos += k_present;
  for (size_t i = 1; i < atr.groups.size(); ++i) {
    const uint8_t t = *atr.groups[i].protocol;
    if (t != 0) atr.tck_required = true;
    if (t == 15 || atr.offers(t)) continue;
    atr.protocols.push_back(t);
    if (t >= 2 && t <= 14) atr.warnings.push_back("TD" + std::to_string(i) + " indicates T=" + std::to_string(t) + ", reserved");
  }
  if (atr.protocols.empty()) atr.protocols.push_back(0);

  // ISO 7816-3 §8.2.5: TCK is absent when only T=0 is indicated, present otherwise; the XOR of
  // every byte from T0 to TCK is zero.
  uint8_t x = 0;
  for (size_t i = 1; i < raw.size(); ++i) x ^= raw[i];
  const size_t rest = raw.size() - pos;
  if (truncated) {
    // The ATR ended early: there is no TCK to check.
  } else if (atr.tck_required) {
    if (rest == 0) problem("TCK is missing (required: a protocol other than T=0 is indicated, ISO 7816-3 §8.2.5)");
    if (rest > 1) problem(std::to_string(rest - 1) + " bytes follow TCK: more bytes than T0 and the TDi announce");
    if (rest >= 1) {
      atr.tck = raw[pos];
      // The XOR runs from T0 to TCK: bytes after TCK do not count.
      uint8_t xt = 0;
      for (size_t i = 1; i <= pos; ++i) xt ^= raw[i];
      if (xt != 0) {
        atr.tck_ok = false;
        problem("TCK is " + hex_byte(raw[pos]) + " but should be " + hex_byte(static_cast<uint8_t>(raw[pos] ^ xt)) +
                " (the XOR of T0..TCK must be 00)");
      }
    }
  } else if (rest == 1 && x == 0) {
    atr.tck = raw[pos];
    atr.warnings.push_back("a TCK is present although only T=0 is indicated (ISO 7816-3 §8.2.5 says absent)");
  } else if (rest != 0) {
    problem(std::to_string(rest) + " bytes follow the " + std::to_string(k) +
            " historical bytes T0 announces (only T=0 is indicated, so no TCK)");
  }

  // Global interface bytes (ISO 7816-3 §8.3).
  const AtrInterfaceGroup& g1 = atr.groups[0];
  if (g1.ta) {
    atr.fi = *g1.ta >> 4;
    atr.di = *g1.ta & 0x0F;
    if (!fi_value(atr.fi)) atr.warnings.push_back("TA1 Fi index " + std::to_string(atr.fi) + " is reserved");
    if (!di_value(atr.di)) atr.warnings.push_back("TA1 Di index " + std::to_string(atr.di) + " is reserved");
  }
  if (g1.tc) atr.extra_guard_time = *g1.tc;
  if (atr.groups.size() > 1) {
    const AtrInterfaceGroup& g2 = atr.groups[1];
    if (g2.ta) atr.specific_mode = SpecificMode{static_cast<uint8_t>(*g2.ta & 0x0F), (*g2.ta & 0x80) == 0, (*g2.ta & 0x10) != 0};
    if (g2.tc) {
      atr.t0_wi = *g2.tc;
      if (atr.t0_wi == 0) atr.warnings.push_back("TC2 = 00 (WI 0) is reserved");
    }
  }
  // Protocol-specific bytes: the first group i > 2 announced for T=1 (§11.4) or T=15 (§8.3).
  bool t1_seen = false, t15_seen = false;
  for (size_t i = 2; i < atr.groups.size(); ++i) {
    const AtrInterfaceGroup& g = atr.groups[i];
    if (g.protocol == 1 && !t1_seen) {
      t1_seen = true;
      T1Parameters p;
      if (g.ta) {
        p.ifsc = *g.ta;
        if (p.ifsc == 0 || p.ifsc == 0xFF) atr.warnings.push_back("IFSC " + hex_byte(p.ifsc) + " is invalid (ISO 7816-3 §11.4.2)");
      }
      if (g.tb) {
        p.bwi = *g.tb >> 4;
        p.cwi = *g.tb & 0x0F;
        if (p.bwi > 9) atr.warnings.push_back("BWI " + std::to_string(p.bwi) + " is reserved");
      }
      if (g.tc) p.crc = (*g.tc & 0x01) != 0;
      atr.t1 = p;
    }
    if (g.protocol == 15 && !t15_seen) {
      t15_seen = true;
      T15Parameters p;
      if (g.ta) {
        p.clock_stop = *g.ta >> 6;
        p.classes = *g.ta & 0x3F;
      }
      p.spu = g.tb;
      atr.t15 = p;
    }
  }
  if (atr.offers(1) && !atr.t1) atr.t1 = T1Parameters{};

  atr.historical = decode_historical(historical);
  if (atr.errors.empty() && is_pcsc_contactless(atr)) {
    // PC/SC part 3 §3.1.3.2.3: TD1 = 80 and TD2 = 01 are fixed; the card is reached as T=1.
    atr.protocols = {1};
    atr.contactless = classify_contactless(atr);
    if (atr.contactless->kind == ContactlessKind::kStorageCard) {
      for (size_t i = 11; i < 15; ++i)
        if (atr.historical.raw[i] != 0) {
          atr.warnings.push_back("PC/SC storage card RFU bytes are not zero");
          break;
        }
    }
  }
  return atr;
}

Result<Atr> parse_atr(ByteView raw) {
  Atr atr = decode_atr(raw);
  if (!atr.errors.empty()) return malformed(atr.errors.front());
  return atr;
}

}  // namespace idtap::apdu
