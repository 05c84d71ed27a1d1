// idtap/apdu/atr.h: Answer-To-Reset decoding: ISO/IEC 7816-3 §8 (contact cards), the
// historical bytes of ISO/IEC 7816-4 §8.1.1, and the ATRs PC/SC part 3 §3.1.3.2.3 synthesizes
// for contactless cards. Pure: no I/O. The words for people (atr_summary, describe_atr, the
// registry names) are in idtap/describe/atr.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"

namespace idtap::apdu {

// kMaxAtrLength: TS plus at most 32 further characters (ISO 7816-3 §8.2.1).
inline constexpr size_t kMaxAtrLength = 33;

// Convention: the TS character (ISO 7816-3 §8.1): 3B direct, 3F inverse. Readers report the
// ATR already decoded, so the other bytes read the same in both conventions.
enum class Convention { kDirect, kInverse };

// AtrInterfaceGroup: the interface bytes TAi TBi TCi TDi of group i (ISO 7816-3 §8.2.3).
// `protocol` is the T announced for this group by TD(i-1): nullopt for group 1, whose bytes
// are global.
struct AtrInterfaceGroup {
  std::optional<uint8_t> ta, tb, tc, td;
  std::optional<uint8_t> protocol;
};

// SpecificMode: TA2 (ISO 7816-3 §8.3): the card runs in specific mode with `protocol`;
// `can_change` is b8 = 0, `implicit_parameters` is b5 = 1 (parameters not given by TA1).
struct SpecificMode {
  uint8_t protocol = 0;
  bool can_change = false;
  bool implicit_parameters = false;
};

// T1Parameters: the T=1 bytes of the first group announced T=1 after group 2 (ISO 7816-3
// §11.4): defaults when absent (IFSC 32, BWI 4, CWI 13, LRC).
struct T1Parameters {
  uint8_t ifsc = 32;
  uint8_t bwi = 4;
  uint8_t cwi = 13;
  bool crc = false;  // TC b1: CRC instead of LRC
};

// T15Parameters: the global bytes after the first T=15 (ISO 7816-3 §8.3): clock stop
// indicator X (TA b8-b7: 0 not supported, 1 state L, 2 state H, 3 no preference) and class
// indicator Y (TA b6-b1: b1 class A 5 V, b2 class B 3 V, b3 class C 1.8 V); `spu` is TB.
struct T15Parameters {
  std::optional<uint8_t> clock_stop;
  std::optional<uint8_t> classes;
  std::optional<uint8_t> spu;
};

// HistoricalCategory: the category indicator, first historical byte (ISO 7816-4 §8.1.1.1).
enum class HistoricalCategory {
  kAbsent,          // no historical bytes
  kStatusAtEnd,     // 00: compact-TLV objects, then a 3-byte status indicator (LCS SW1 SW2)
  kDirReference,    // 10: one byte, a DIR data reference
  kCompactTlv,      // 80: compact-TLV objects, the status indicator optional as tag 8
  kRfu,             // 81..8F: reserved
  kProprietary,     // anything else
};

// CompactTlv: one compact-TLV object (ISO 7816-4 §8.1.1.2): tag nibble and value.
struct CompactTlv {
  uint8_t tag = 0;
  Bytes value;
};

// CardCapabilities: compact-TLV tag 7 (ISO 7816-4 §8.1.1.2.7, tables 86-88): the selection
// methods byte, and optionally the data coding byte and the command chaining / length fields /
// logical channels byte.
struct CardCapabilities {
  uint8_t selection_methods = 0;
  std::optional<uint8_t> data_coding;
  std::optional<uint8_t> chaining_lengths_channels;

  // CardCapabilities::command_chaining: third byte b8; nullopt when the byte is absent.
  std::optional<bool> command_chaining() const;
  // CardCapabilities::extended_length: third byte b7 (extended Lc and Le fields); nullopt when
  // the byte is absent.
  std::optional<bool> extended_length() const;
  // CardCapabilities::max_logical_channels: third byte b3-b1 + 1 (8 means "8 or more");
  // nullopt when the byte is absent.
  std::optional<int> max_logical_channels() const;
};

// StatusIndicator: life cycle status and/or status word (ISO 7816-4 §8.1.1.3).
struct StatusIndicator {
  std::optional<uint8_t> lcs;
  std::optional<uint16_t> sw;
};

// HistoricalBytes: the decoded historical bytes. Decoding never fails: historical bytes may be
// proprietary; `problem` says why the ISO 7816-4 reading did not fit, if it did not.
struct HistoricalBytes {
  Bytes raw;
  HistoricalCategory category = HistoricalCategory::kAbsent;
  std::vector<CompactTlv> objects;               // in order (categories 00 and 80)
  std::optional<uint8_t> card_service_data;      // tag 3 (ISO 7816-4 table 85)
  std::optional<CardCapabilities> capabilities;  // tag 7
  std::optional<StatusIndicator> status;         // tag 8, or the last 3 bytes (category 00)
  std::optional<uint8_t> dir_reference;          // category 10
  std::optional<std::string> problem;            // the objects do not parse as ISO 7816-4
};

// compact_tag_name: the ISO 7816-4 §8.1.1.2 name of compact-TLV tag nibble `tag` ("card
// capabilities"); nullptr for a tag the standard does not define (decode_historical reports it).
const char* compact_tag_name(uint8_t tag);

// decode_historical: `raw` read as ISO 7816-4 §8.1.1 historical bytes (also usable on the
// historical bytes of an ISO 14443-4 ATS).
HistoricalBytes decode_historical(ByteView raw);

// ContactlessKind: what a PC/SC part 3 contactless ATR (3B 8n 80 01 ...) carries.
enum class ContactlessKind {
  kStorageCard,  // historical bytes 80 4F 0C RID SS NN NN 00 00 00 00 (memory cards, FeliCa)
  kTypeA,        // ISO 14443-4 Type A: the historical bytes are those of the ATS
  kTypeB,        // ISO 14443-4 Type B: ATQB application data, protocol info, MBLI
  kUnstated,     // no historical bytes: an ISO 14443-4 card, Type A or B not stated (PC/SC
                 // part 3 builds 3B 80 80 01 01 for both)
};

// ContactlessAtr: the PC/SC part 3 reading of the ATR. Type A and Type B are told apart by
// the shape of the historical bytes (PC/SC does not say), hence `inferred`.
struct ContactlessAtr {
  ContactlessKind kind = ContactlessKind::kTypeA;
  bool inferred = false;
  // Storage cards (PC/SC part 3 §3.1.3.2.3.2, the part 3 supplement's registries).
  Bytes rid;               // A0 00 00 03 06 (PC/SC workgroup)
  uint8_t standard = 0;    // SS
  uint16_t card_name = 0;  // NN NN
  // Type B (PC/SC part 3 §3.1.3.2.3.1, ISO 14443-3 §7.9).
  Bytes application_data;  // 4 bytes of the ATQB
  Bytes protocol_info;     // 3 bytes of the ATQB
  uint8_t mbli = 0;        // from the ATTRIB response (high nibble of the last byte)
};

// Atr: a decoded ATR. Every optional byte is nullopt when the ATR does not carry it; the
// derived values hold the ISO 7816-3 defaults then.
struct Atr {
  Bytes raw;
  Convention convention = Convention::kDirect;
  uint8_t t0 = 0;
  std::vector<AtrInterfaceGroup> groups;  // groups[0] is TA1 TB1 TC1 TD1 (possibly all absent)
  HistoricalBytes historical;
  std::optional<uint8_t> tck;
  bool tck_required = false;  // some protocol other than T=0 is indicated (§8.2.5)

  // Global parameters (ISO 7816-3 §8.3).
  uint8_t fi = 1;             // TA1 b8-b5 (default 1: F = 372, f max 5 MHz)
  uint8_t di = 1;             // TA1 b4-b1 (default 1: D = 1)
  uint8_t extra_guard_time = 0;  // TC1 N (255: the minimum, 12 etu for T=0, 11 for T=1)
  std::optional<SpecificMode> specific_mode;  // TA2
  uint8_t t0_wi = 10;         // TC2: T=0 waiting time integer

  std::vector<uint8_t> protocols;  // offered T values, first = default; {0} when none indicated
  std::optional<T1Parameters> t1;  // when T=1 is offered
  std::optional<T15Parameters> t15;  // when T=15 global bytes are present
  std::optional<ContactlessAtr> contactless;  // when this is a PC/SC part 3 contactless ATR
  std::vector<std::string> warnings;  // oddities that are not errors (RFU values, extra TCK)
  std::vector<std::string> errors;    // what makes it malformed (decode_atr only; parse_atr fails)
  bool tck_ok = true;                 // false when TCK does not make the XOR of T0..TCK zero

  // Atr::offers: true when protocol `t` is offered.
  bool offers(uint8_t t) const;
  // Atr::extended_length: the card capabilities' extended Lc/Le bit; nullopt when the ATR
  // does not say.
  std::optional<bool> extended_length() const;
};

// parse_atr: decodes `raw`. kMalformed (saying which byte) when it is shorter than TS T0,
// longer than 33 bytes, TS is neither 3B nor 3F, an interface byte announced by Y1 or TDi is
// missing, fewer historical bytes remain than K says, TCK is missing where required or does
// not make the XOR of T0..TCK zero, or bytes follow the last expected one.
Result<Atr> parse_atr(ByteView raw);

// decode_atr: decodes `raw` as far as its bytes go, for a diagnosis (as pcsc-tools'
// ATR_analysis): every check parse_atr fails on is recorded in `errors` instead, in the same
// order (so parse_atr's error is errors.front()), and the bytes that are there are decoded: the
// interface bytes up to the missing one, the historical bytes present, a wrong TCK. Never fails.
Atr decode_atr(ByteView raw);

// fi_value / f_max_khz / di_value: ISO 7816-3 tables 7 and 8 for TA1's indices; nullopt for
// RFU values.
std::optional<int> fi_value(uint8_t fi);
std::optional<int> f_max_khz(uint8_t fi);
std::optional<int> di_value(uint8_t di);

}  // namespace idtap::apdu
