// describe/atr.cpp: the words for people about a decoded ATR: the one-line summary, the
// field-by-field description, and the PC/SC part 3 and ISO 7816-4 registry names.
#include "idtap/describe/atr.h"

#include <cstdio>
#include <string>

#include "idtap/base/hex.h"

namespace idtap::describe {

using namespace idtap::apdu;

namespace {

// The interface bytes that an indicator nibble Y announces, as "TA2 TC2".
std::string announced(uint8_t y, size_t group) {
  std::string out;
  const char* names[] = {"TA", "TB", "TC", "TD"};
  for (int b = 0; b < 4; ++b) {
    if (!(y & (1 << b))) continue;
    if (!out.empty()) out += ' ';
    out += names[b] + std::to_string(group);
  }
  return out.empty() ? "no interface bytes" : out;
}

// ISO 14443-3 §7.9.4.2 Max_Frame_Size (FSCI -> FSC, with the 2016 extension up to 4096).
constexpr int kFsc[16] = {16, 24, 32, 40, 48, 64, 96, 128, 256, 512, 1024, 2048, 4096, 0, 0, 0};

}  // namespace

const char* storage_standard_name(uint8_t ss) {
  // PC/SC part 3 supplement, standard byte SS.
  switch (ss) {
    case 0x00: return "no information given";
    case 0x01: return "ISO 14443 A part 1";
    case 0x02: return "ISO 14443 A part 2";
    case 0x03: return "ISO 14443 A part 3";
    case 0x05: return "ISO 14443 B part 1";
    case 0x06: return "ISO 14443 B part 2";
    case 0x07: return "ISO 14443 B part 3";
    case 0x09: return "ISO 15693 part 1";
    case 0x0A: return "ISO 15693 part 2";
    case 0x0B: return "ISO 15693 part 3";
    case 0x0C: return "ISO 15693 part 4";
    case 0x0D: return "contact (ISO 7816-10) I2C";
    case 0x0E: return "contact (ISO 7816-10) extended I2C";
    case 0x0F: return "contact (ISO 7816-10) 2WBP";
    case 0x10: return "contact (ISO 7816-10) 3WBP";
    case 0x11: return "FeliCa";
    case 0x40: return "low frequency contactless (< 135 kHz)";
    default: return nullptr;
  }
}

const char* storage_card_name(uint16_t nn) {
  // PC/SC part 3 supplement, card name NN NN; F0xx are the codes ACS readers (ACR122U) use.
  switch (nn) {
    case 0x0000: return "no name given";
    case 0x0001: return "MIFARE Classic 1K";
    case 0x0002: return "MIFARE Classic 4K";
    case 0x0003: return "MIFARE Ultralight";
    case 0x0004: return "SLE55R_XXXX";
    case 0x0006: return "SR176";
    case 0x0007: return "SRI X4K";
    case 0x0008: return "AT88RF020";
    case 0x0009: return "AT88SC0204CRF";
    case 0x000A: return "AT88SC0808CRF";
    case 0x000B: return "AT88SC1616CRF";
    case 0x000C: return "AT88SC3216CRF";
    case 0x000D: return "AT88SC6416CRF";
    case 0x000E: return "SRF55V10P";
    case 0x000F: return "SRF55V02P";
    case 0x0010: return "SRF55V10S";
    case 0x0011: return "SRF55V02S";
    case 0x0012: return "TAG_IT";
    case 0x0013: return "LRI512";
    case 0x0014: return "ICODE SLI";
    case 0x0015: return "TEMPSENS";
    case 0x0016: return "I.CODE1";
    case 0x0017: return "PicoPass 2K";
    case 0x0018: return "PicoPass 2KS";
    case 0x0019: return "PicoPass 16K";
    case 0x001A: return "PicoPass 16Ks";
    case 0x001B: return "PicoPass 16K(8x2)";
    case 0x001C: return "PicoPass 16KS(8x2)";
    case 0x001D: return "PicoPass 32KS(16+16)";
    case 0x001E: return "PicoPass 32KS(16+8x2)";
    case 0x001F: return "PicoPass 32KS(8x2+16)";
    case 0x0020: return "PicoPass 32KS(8x2+8x2)";
    case 0x0021: return "LRI64";
    case 0x0022: return "I.CODE UID";
    case 0x0023: return "I.CODE EPC";
    case 0x0024: return "LRI12";
    case 0x0025: return "LRI128";
    case 0x0026: return "MIFARE Mini";
    case 0x0027: return "my-d move (SLE 66R01P)";
    case 0x0028: return "my-d NFC (SLE 66RxxP)";
    case 0x0029: return "my-d proximity 2 (SLE 66RxxS)";
    case 0x002A: return "my-d proximity enhanced (SLE 55RxxE)";
    case 0x002B: return "my-d light (SRF 55V01P)";
    case 0x002C: return "PJM Stack Tag (SRF 66V10ST)";
    case 0x002D: return "PJM Item Tag (SRF 66V10IT)";
    case 0x002E: return "PJM Light (SRF 66V01ST)";
    case 0x002F: return "Jewel Tag";
    case 0x0030: return "Topaz NFC Tag";
    case 0x0031: return "AT88SC0104CRF";
    case 0x0032: return "AT88SC0404CRF";
    case 0x0033: return "AT88RF01C";
    case 0x0034: return "AT88RF04C";
    case 0x0035: return "i-Code SL2";
    case 0x0036: return "MIFARE Plus SL1 2K";
    case 0x0037: return "MIFARE Plus SL1 4K";
    case 0x0038: return "MIFARE Plus SL2 2K";
    case 0x0039: return "MIFARE Plus SL2 4K";
    case 0x003A: return "MIFARE Ultralight C";
    case 0x003B: return "FeliCa";
    case 0x003C: return "Melexis Sensor Tag (MLX90129)";
    case 0x003D: return "MIFARE Ultralight EV1";
    case 0xF004: return "Topaz (ACS reader code)";
    case 0xF011: return "FeliCa 212K (ACS reader code)";
    case 0xF012: return "FeliCa 424K (ACS reader code)";
    default: return nullptr;
  }
}

const char* life_cycle_name(uint8_t lcs) {
  // ISO 7816-4 §5.3.3.2 table 13.
  if (lcs > 0x0F) return "proprietary";
  switch (lcs) {
    case 0x00: return "no information given";
    case 0x01: return "creation state";
    case 0x03: return "initialisation state";
    case 0x04: case 0x06: return "operational state (deactivated)";
    case 0x05: case 0x07: return "operational state (activated)";
    case 0x0C: case 0x0D: case 0x0E: case 0x0F: return "termination state";
    default: return "reserved";
  }
}

namespace {

std::string protocol_list(const Atr& atr) {
  std::string out;
  for (uint8_t t : atr.protocols) {
    if (!out.empty()) out += ", ";
    out += "T=" + std::to_string(t);
  }
  return out;
}

std::string tck_state(const Atr& atr) { return !atr.tck ? "no TCK" : atr.tck_ok ? "TCK ok" : "TCK wrong"; }

std::string historical_text(ByteView h) {
  std::string out = "historical " + to_hex(h, true, ' ');
  if (printable_ascii(h)) out += " (\"" + std::string(h.begin(), h.end()) + "\")";
  return out;
}

std::string mhz(int khz) {
  char buf[32];
  if (khz % 1000 == 0)
    std::snprintf(buf, sizeof buf, "%d MHz", khz / 1000);
  else
    std::snprintf(buf, sizeof buf, "%.1f MHz", khz / 1000.0);
  return buf;
}

std::string ta1_meaning(uint8_t fi, uint8_t di) {
  const auto f = fi_value(fi);
  const auto d = di_value(di);
  const auto fmax = f_max_khz(fi);
  std::string out = "Fi=" + (f ? std::to_string(*f) : "RFU") + " (f max " + (fmax ? mhz(*fmax) : "RFU") +
                    "), Di=" + (d ? std::to_string(*d) : "RFU");
  if (f && d) {
    char buf[64];
    std::snprintf(buf, sizeof buf, ": %g clock cycles per etu", double(*f) / *d);
    out += buf;
  }
  return out;
}

std::string class_list(uint8_t classes) {
  std::string out;
  auto add = [&](const char* s) { out += out.empty() ? s : std::string(", ") + s; };
  if (classes & 0x01) add("A (5 V)");
  if (classes & 0x02) add("B (3 V)");
  if (classes & 0x04) add("C (1.8 V)");
  if (classes & 0x38) add("RFU bits");
  return out.empty() ? "none" : out;
}

const char* clock_stop_name(uint8_t x) {
  switch (x) {
    case 0: return "not supported";
    case 1: return "state L";
    case 2: return "state H";
    default: return "no preference";
  }
}

std::string interface_byte_meaning(const Atr& atr, size_t group, char which, uint8_t v) {
  const AtrInterfaceGroup& g = atr.groups[group - 1];
  if (which == 'D') {
    const uint8_t t = v & 0x0F;
    std::string out = "Y" + std::to_string(group + 1) + ": " + announced(v >> 4, group + 1) + "; T=" + std::to_string(t);
    if (atr.contactless) out += group == 1 ? " (PC/SC part 3 fixed value)" : " (PC/SC part 3: the card is reached as T=1)";
    else if (t == 15) out += " (global interface bytes follow)";
    else if (t >= 2) out += " (reserved)";
    return out;
  }
  if (group == 1) {
    switch (which) {
      case 'A': return ta1_meaning(v >> 4, v & 0x0F);
      case 'B':
        return v == 0 ? "no programming voltage (deprecated byte, ISO 7816-3 §8.3)"
                      : "programming voltage PI1=" + std::to_string(v & 0x1F) + ", II=" + std::to_string((v >> 5) & 3) +
                            " (deprecated, ignored)";
      case 'C':
        return v == 0xFF ? "N=255: minimum guard time (12 etu for T=0, 11 etu for T=1)"
                         : "N=" + std::to_string(v) + ": " + std::to_string(v) + " etu extra guard time";
    }
  }
  if (group == 2) {
    switch (which) {
      case 'A':
        return "specific mode, T=" + std::to_string(v & 0x0F) + ", " +
               ((v & 0x80) ? "unable to change mode" : "capable of changing mode") + ", parameters " +
               ((v & 0x10) ? "implicit" : "defined by the interface bytes");
      case 'B': return "programming voltage PI2=" + std::to_string(v) + " (deprecated, ignored)";
      case 'C': return "WI=" + std::to_string(v) + ": T=0 waiting time 960 x " + std::to_string(v) + " x Fi/f";
    }
  }
  const uint8_t t = g.protocol.value_or(0);
  if (t == 1) {
    switch (which) {
      case 'A': return "T=1 IFSC=" + std::to_string(v) + " bytes";
      case 'B': return "T=1 BWI=" + std::to_string(v >> 4) + ", CWI=" + std::to_string(v & 0x0F);
      case 'C': return std::string("T=1 error detection: ") + ((v & 1) ? "CRC" : "LRC");
    }
  }
  if (t == 15) {
    switch (which) {
      case 'A':
        return std::string("clock stop: ") + clock_stop_name(v >> 6) + "; classes: " + class_list(v & 0x3F);
      case 'B':
        return v == 0 ? "SPU: not used" : (v & 0x80) ? "SPU: proprietary use (" + hex_byte(v) + ")" : "SPU: standard use (" + hex_byte(v) + ")";
      case 'C': return "T=15 byte (not defined)";
    }
  }
  return "specific to T=" + std::to_string(t);
}

void describe_card_service(uint8_t v, std::vector<AtrField>& out, int level) {
  auto add = [&](std::string s) { out.push_back({"", {}, std::move(s), level}); };
  if (v & 0x80) add("application selection by full DF name");
  if (v & 0x40) add("application selection by partial DF name");
  if (v & 0x20) add("BER-TLV data objects in EF.DIR");
  if (v & 0x10) add("BER-TLV data objects in EF.ATR/INFO");
  switch ((v >> 1) & 7) {
    case 4: add("EF.DIR and EF.ATR/INFO access by READ BINARY"); break;
    case 2: add("EF.DIR and EF.ATR/INFO access by GET DATA"); break;
    case 0: add("EF.DIR and EF.ATR/INFO access by READ RECORD(S)"); break;
    default: add("EF.DIR and EF.ATR/INFO access: reserved value"); break;
  }
  add((v & 1) ? "card without MF" : "card with MF");
}

void describe_capabilities(const CardCapabilities& c, std::vector<AtrField>& out, int level) {
  auto add = [&](std::string s) { out.push_back({"", {}, std::move(s), level}); };
  const uint8_t s = c.selection_methods;
  std::string sel;
  auto addsel = [&](const char* n) { sel += sel.empty() ? n : std::string(", ") + n; };
  if (s & 0x80) addsel("full DF name");
  if (s & 0x40) addsel("partial DF name");
  if (s & 0x20) addsel("path");
  if (s & 0x10) addsel("file identifier");
  if (s & 0x08) addsel("implicit");
  add("DF selection: " + (sel.empty() ? std::string("none") : sel));
  if (s & 0x04) add("short EF identifier supported");
  if (s & 0x02) add("record number supported");
  if (s & 0x01) add("record identifier supported");
  if (c.data_coding) {
    const uint8_t d = *c.data_coding;
    const char* write[] = {"one-time write", "proprietary", "write OR", "write AND"};
    add(std::string("data coding: ") + ((d & 0x80) ? "EFs of TLV structure supported, " : "") + "write functions " +
        write[(d >> 5) & 3] + ", FF as first tag byte " + ((d & 0x10) ? "valid" : "invalid") + ", data unit " +
        std::to_string(1 << (d & 0x0F)) + " quartets");
  }
  if (c.chaining_lengths_channels) {
    const uint8_t v = *c.chaining_lengths_channels;
    add(std::string("command chaining ") + ((v & 0x80) ? "supported" : "not supported"));
    add(std::string("extended Lc and Le fields ") + ((v & 0x40) ? "supported" : "not supported"));
    if (v & 0x20) add("extended length information in EF.ATR/INFO");
    const char* assign[] = {"no logical channels", "logical channels assigned by the interface device",
                            "logical channels assigned by the card", "logical channels assigned by card and interface device"};
    add(assign[(v >> 3) & 3]);
    const int n = (v & 7) + 1;
    add("maximum logical channels: " + std::to_string(n) + (n == 8 ? " or more" : ""));
  }
}

std::string status_text(const StatusIndicator& s) {
  std::string out;
  if (s.lcs) out += "LCS " + hex_byte(*s.lcs) + " (" + life_cycle_name(*s.lcs) + ")";
  if (s.sw) out += std::string(out.empty() ? "" : ", ") + "SW " + hex_word(*s.sw);
  return out;
}

void describe_historical(const HistoricalBytes& h, std::vector<AtrField>& out, int level) {
  if (h.raw.empty()) return;
  const uint8_t cat = h.raw[0];
  const char* cat_text = "";
  switch (h.category) {
    case HistoricalCategory::kStatusAtEnd: cat_text = "compact-TLV objects, then a status indicator"; break;
    case HistoricalCategory::kDirReference: cat_text = "a DIR data reference follows"; break;
    case HistoricalCategory::kCompactTlv: cat_text = "compact-TLV objects"; break;
    case HistoricalCategory::kRfu: cat_text = "reserved for future use"; break;
    case HistoricalCategory::kProprietary: cat_text = "proprietary format"; break;
    case HistoricalCategory::kAbsent: break;
  }
  out.push_back({"category", {cat}, cat_text, level});
  for (const CompactTlv& o : h.objects) {
    Bytes enc = {static_cast<uint8_t>(o.tag << 4 | o.value.size())};
    append(enc, o.value);
    std::string meaning = compact_tag_name(o.tag);
    if (o.tag == 0x8 && h.status && h.category == HistoricalCategory::kCompactTlv) meaning += ": " + status_text(*h.status);
    if ((o.tag == 0x5 || o.tag == 0x6 || o.tag == 0xF) && printable_ascii(o.value))
      meaning += " \"" + string_of(o.value) + "\"";
    out.push_back({"tag " + hex_byte(o.tag).substr(1), enc, meaning, level});
    if (o.tag == 0x3 && o.value.size() == 1) describe_card_service(o.value[0], out, level + 1);
    if (o.tag == 0x7 && h.capabilities) describe_capabilities(*h.capabilities, out, level + 1);
  }
  // Whatever the objects did not cover (a proprietary format, or what follows a bad object).
  const bool status_at_end = h.category == HistoricalCategory::kStatusAtEnd && h.status.has_value();
  size_t covered = 1;
  for (const CompactTlv& o : h.objects) covered += 1 + o.value.size();
  if (h.dir_reference) covered += 1;
  const size_t end = status_at_end ? h.raw.size() - 3 : h.raw.size();
  if (h.dir_reference) out.push_back({"DIR reference", {*h.dir_reference}, "DIR data reference", level});
  if (covered < end)
    out.push_back({"data", Bytes(h.raw.begin() + covered, h.raw.begin() + end),
                   h.category == HistoricalCategory::kProprietary ? "proprietary" : "not decoded", level});
  if (status_at_end)
    out.push_back({"status", Bytes(h.raw.end() - 3, h.raw.end()), "status indicator: " + status_text(*h.status), level});
  if (h.problem) out.push_back({"note", {}, "not read as ISO 7816-4: " + *h.problem, level});
}

void describe_type_b(const ContactlessAtr& c, std::vector<AtrField>& out, int level) {
  out.push_back({"application data", c.application_data, "ATQB application data", level});
  const uint8_t b1 = c.protocol_info[0], b2 = c.protocol_info[1], b3 = c.protocol_info[2];
  out.push_back({"protocol info", c.protocol_info, "ATQB protocol info (ISO 14443-3 §7.9.4)", level});
  std::string rates;
  auto rate = [&](bool on, const char* s) {
    if (on) rates += rates.empty() ? s : std::string(", ") + s;
  };
  rate(b1 & 0x80, "same bit rate both ways");
  rate(b1 & 0x40, "PICC->PCD 848");
  rate(b1 & 0x20, "PICC->PCD 424");
  rate(b1 & 0x10, "PICC->PCD 212");
  rate(b1 & 0x04, "PCD->PICC 848");
  rate(b1 & 0x02, "PCD->PICC 424");
  rate(b1 & 0x01, "PCD->PICC 212");
  out.push_back({"", {}, "bit rates: " + (rates.empty() ? std::string("106 kbit/s only") : rates + " kbit/s"), level + 1});
  const int fsc = kFsc[b2 >> 4];
  out.push_back({"", {}, "max frame size: " + (fsc ? std::to_string(fsc) + " bytes" : std::string("RFU")), level + 1});
  out.push_back({"", {}, std::string("ISO 14443-4: ") + ((b2 & 1) ? "compliant" : "not compliant"), level + 1});
  out.push_back({"", {}, "FWI=" + std::to_string(b3 >> 4) + ", ADC=" + std::to_string((b3 >> 2) & 3) +
                             ", NAD " + ((b3 & 2) ? "supported" : "not supported") + ", CID " +
                             ((b3 & 1) ? "supported" : "not supported"),
                 level + 1});
  out.push_back({"MBLI", {static_cast<uint8_t>(c.mbli << 4)},
                 c.mbli == 0 ? "no maximum buffer length given"
                             : "maximum buffer length index " + std::to_string(c.mbli) + " (from the ATTRIB response)",
                 level});
}

}  // namespace

std::string atr_summary(const Atr& atr) {
  const std::string tck = tck_state(atr);
  if (atr.contactless) {
    const ContactlessAtr& c = *atr.contactless;
    switch (c.kind) {
      case ContactlessKind::kStorageCard: {
        const char* name = storage_card_name(c.card_name);
        const char* standard = storage_standard_name(c.standard);
        return "storage card " + (name ? std::string(name) : "NN " + hex_word(c.card_name)) + " (" +
               (standard ? std::string(standard) : "standard " + hex_byte(c.standard)) + "), " + tck;
      }
      case ContactlessKind::kTypeB:
        return "ISO 14443-4 Type B, T=1, ATQB application data " + to_hex(c.application_data, true, ' ') +
               ", protocol info " + to_hex(c.protocol_info, true, ' ') + ", " + tck;
      case ContactlessKind::kUnstated:
        return "contactless card without historical bytes (PC/SC part 3); type A or B not stated, T=1, " + tck;
      case ContactlessKind::kTypeA:
        return "ISO 14443-4 Type A, T=1, " + historical_text(atr.historical.raw) + ", " + tck;
    }
  }
  std::string out = "contact";
  if (atr.convention == Convention::kInverse) out += " (inverse convention)";
  out += ", " + protocol_list(atr);
  const auto f = fi_value(atr.fi);
  const auto d = di_value(atr.di);
  const auto fmax = f_max_khz(atr.fi);
  out += ", Fi=" + (f ? std::to_string(*f) : "RFU") + " Di=" + (d ? std::to_string(*d) : "RFU");
  if (fmax) out += " (" + mhz(*fmax) + ")";
  if (!atr.historical.raw.empty()) out += ", " + historical_text(atr.historical.raw);
  return out + ", " + tck;
}

std::vector<AtrField> describe_atr(const Atr& atr) {
  std::vector<AtrField> out;
  const Bytes& raw = atr.raw;
  auto errors = [&] {
    for (const std::string& e : atr.errors) out.push_back({"error", {}, e, 0});
  };
  if (raw.empty()) {
    errors();
    return out;
  }
  const bool ts_ok = raw[0] == 0x3B || raw[0] == 0x3F;
  out.push_back({"TS", {raw[0]}, !ts_ok ? "invalid (neither 3B nor 3F)"
                                 : atr.convention == Convention::kDirect ? "direct convention" : "inverse convention", 0});
  if (raw.size() < 2) {
    errors();
    return out;
  }
  out.push_back({"T0", {atr.t0},
                 "Y1: " + announced(atr.t0 >> 4, 1) + "; K=" + std::to_string(atr.t0 & 0x0F) + " historical bytes", 0});
  for (size_t i = 0; i < atr.groups.size(); ++i) {
    const AtrInterfaceGroup& g = atr.groups[i];
    const std::optional<uint8_t>* slots[] = {&g.ta, &g.tb, &g.tc, &g.td};
    const char letters[] = {'A', 'B', 'C', 'D'};
    for (int b = 0; b < 4; ++b) {
      if (!*slots[b]) continue;
      const uint8_t v = **slots[b];
      out.push_back({std::string("T") + letters[b] + std::to_string(i + 1), {v},
                     interface_byte_meaning(atr, i + 1, letters[b], v), 0});
    }
  }
  const HistoricalBytes& h = atr.historical;
  if (!h.raw.empty()) {
    std::string meaning = std::to_string(h.raw.size()) + " bytes";
    if (printable_ascii(h.raw)) meaning += " \"" + string_of(h.raw) + "\"";
    if (atr.contactless) {
      switch (atr.contactless->kind) {
        case ContactlessKind::kStorageCard: meaning += ", PC/SC part 3 storage card"; break;
        case ContactlessKind::kTypeA: meaning += ", the ATS historical bytes (ISO 14443-4 Type A, inferred)"; break;
        case ContactlessKind::kTypeB: meaning += ", ATQB data (ISO 14443-4 Type B, inferred from their shape)"; break;
        case ContactlessKind::kUnstated: break;  // no historical bytes: not reached
      }
    }
    out.push_back({"historical", h.raw, meaning, 0});
    if (atr.contactless && atr.contactless->kind == ContactlessKind::kStorageCard) {
      const ContactlessAtr& c = *atr.contactless;
      const char* standard = storage_standard_name(c.standard);
      const char* name = storage_card_name(c.card_name);
      out.push_back({"category", {h.raw[0]}, "compact-TLV objects", 1});
      out.push_back({"AID", {h.raw[1], h.raw[2]}, "application identifier presence indicator, 12 bytes", 1});
      out.push_back({"RID", c.rid, "PC/SC workgroup registered application provider", 1});
      out.push_back({"SS", {c.standard}, standard ? standard : "unknown standard", 1});
      out.push_back({"NN", {static_cast<uint8_t>(c.card_name >> 8), static_cast<uint8_t>(c.card_name)},
                     name ? name : "unknown card name", 1});
      out.push_back({"RFU", Bytes(h.raw.begin() + 11, h.raw.end()), "reserved", 1});
    } else if (atr.contactless && atr.contactless->kind == ContactlessKind::kTypeB) {
      describe_type_b(*atr.contactless, out, 1);
    } else {
      describe_historical(h, out, 1);
    }
  }
  if (atr.tck)
    out.push_back({"TCK", {*atr.tck}, !atr.tck_ok       ? "check byte wrong (the XOR of T0..TCK is not 00)"
                                      : atr.tck_required ? "check byte ok (XOR of T0..TCK is 00)"
                                                         : "check byte ok, although not required (only T=0)", 0});
  if (atr.contactless && atr.contactless->kind == ContactlessKind::kUnstated)
    out.push_back({"card", {}, "contactless card without historical bytes (PC/SC part 3); type A or B not stated", 0});
  out.push_back({"protocols", {}, protocol_list(atr) + (atr.protocols.size() > 1 ? " (first is the default)" : ""), 0});
  if (atr.t1)
    out.push_back({"T=1", {}, "IFSC " + std::to_string(atr.t1->ifsc) + ", BWI " + std::to_string(atr.t1->bwi) +
                                  ", CWI " + std::to_string(atr.t1->cwi) + ", " + (atr.t1->crc ? "CRC" : "LRC"), 0});
  if (const auto ext = atr.extended_length())
    out.push_back({"extended length", {}, *ext ? "supported (card capabilities)" : "not supported (card capabilities)", 0});
  for (const std::string& w : atr.warnings) out.push_back({"warning", {}, w, 0});
  errors();
  return out;
}

}  // namespace idtap::describe
