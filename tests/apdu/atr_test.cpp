// ATR decoding against real ATRs. Every ATR below is copied from pcsc-tools'
// smartcard_list.txt (/usr/share/pcsc/smartcard_list.txt); the comment names its entry, and the
// expected structure was worked out by hand from ISO 7816-3 §8, ISO 7816-4 §8.1.1 and PC/SC
// part 3 §3.1.3.2.3.
#include "idtap/apdu/atr.h"

#include <doctest/doctest.h>

#include <string>

#include "apdu/parse_atr_ok.h"
#include "idtap/base/hex.h"

using namespace idtap;
using namespace idtap::apdu;

using apdu_test::contains;
using apdu_test::parse_ok;

TEST_CASE("contact: NXP JCOP V241 JavaCard, T=1 with TA1/TB1/TC1 and T=1 parameters") {
  // "NXP JCOP V241": TA1=18 TB1=00 TC1=FF TD1=81 (T=1) TD2=31 (T=1) TA3=FE TB3=45, "JCOPv241".
  Atr a = parse_ok("3B F8 18 00 FF 81 31 FE 45 4A 43 4F 50 76 32 34 31 43");
  CHECK(a.convention == Convention::kDirect);
  REQUIRE(a.groups.size() == 3);
  CHECK(a.groups[0].ta == 0x18);
  CHECK(a.groups[0].tb == 0x00);
  CHECK(a.groups[0].tc == 0xFF);
  CHECK(a.groups[0].td == 0x81);
  CHECK(a.groups[1].td == 0x31);
  CHECK(a.groups[1].protocol == 1);
  CHECK(a.groups[2].ta == 0xFE);
  CHECK(a.groups[2].tb == 0x45);
  CHECK(a.fi == 1);
  CHECK(a.di == 8);
  CHECK(fi_value(a.fi) == 372);
  CHECK(di_value(a.di) == 12);
  CHECK(f_max_khz(a.fi) == 5000);
  CHECK(a.extra_guard_time == 255);
  CHECK(a.protocols == std::vector<uint8_t>{1});
  REQUIRE(a.t1.has_value());
  CHECK(a.t1->ifsc == 254);
  CHECK(a.t1->bwi == 4);
  CHECK(a.t1->cwi == 5);
  CHECK_FALSE(a.t1->crc);
  CHECK(string_of(a.historical.raw) == "JCOPv241");
  CHECK(a.historical.category == HistoricalCategory::kProprietary);
  CHECK(a.tck == 0x43);
  CHECK(a.tck_required);
  CHECK_FALSE(a.contactless.has_value());
  CHECK(a.warnings.empty());
}

TEST_CASE("contact: Estonian ID card, T=0 and T=1 offered, T=15 clock stop and classes") {
  // "Estonia ID-card (eID)": TA1=96 TC1=00 TD1=80 (T=0) TD2=B1 (T=1) TA3=FE TB3=45 TD3=1F
  // (T=15) TA4=83; historical category 00: country code, issuer data "eID", LCS 0F SW 9000.
  Atr a = parse_ok("3B DB 96 00 80 B1 FE 45 1F 83 00 12 23 3F 53 65 49 44 0F 90 00 F1");
  CHECK(fi_value(a.fi) == 512);
  CHECK(di_value(a.di) == 32);
  CHECK(a.protocols == std::vector<uint8_t>{0, 1});
  CHECK(a.offers(0));
  CHECK(a.offers(1));
  CHECK_FALSE(a.offers(15));  // T=15 announces global bytes; it is not a protocol
  REQUIRE(a.t1.has_value());
  CHECK(a.t1->ifsc == 254);
  REQUIRE(a.t15.has_value());
  CHECK(a.t15->clock_stop == 2);  // state H
  CHECK(a.t15->classes == 0x03);  // A and B
  const HistoricalBytes& h = a.historical;
  CHECK(h.category == HistoricalCategory::kStatusAtEnd);
  CHECK_FALSE(h.problem.has_value());
  REQUIRE(h.objects.size() == 2);
  CHECK(h.objects[0].tag == 1);
  CHECK(to_hex(h.objects[0].value) == "233f");
  CHECK(h.objects[1].tag == 5);
  CHECK(string_of(h.objects[1].value) == "eID");
  REQUIRE(h.status.has_value());
  CHECK(h.status->lcs == 0x0F);
  CHECK(h.status->sw == 0x9000);
  CHECK(a.tck == 0xF1);
}

TEST_CASE("contact: sysmoUSIM, T=0 with T=15 global bytes makes TCK mandatory") {
  // "sysmoUSIM-SJS1": TA1=96 TD1=80 TD2=1F (T=15) TA3=C7; capabilities BE 21 13.
  Atr a = parse_ok("3B 9F 96 80 1F C7 80 31 A0 73 BE 21 13 67 43 20 07 18 00 00 01 A5");
  CHECK(a.protocols == std::vector<uint8_t>{0});
  CHECK(a.tck_required);  // ISO 7816-3 §8.2.5: T=15 is "other than T=0"
  CHECK_FALSE(a.t1.has_value());
  REQUIRE(a.t15.has_value());
  CHECK(a.t15->clock_stop == 3);  // no preference
  CHECK(a.t15->classes == 0x07);  // A, B and C
  REQUIRE(a.historical.card_service_data.has_value());
  CHECK(*a.historical.card_service_data == 0xA0);
  REQUIRE(a.historical.capabilities.has_value());
  const CardCapabilities& c = *a.historical.capabilities;
  CHECK(c.selection_methods == 0xBE);
  CHECK(c.data_coding == 0x21);
  CHECK(c.command_chaining() == false);
  CHECK(c.extended_length() == false);
  CHECK(c.max_logical_channels() == 4);
  CHECK(a.extended_length() == false);
}

TEST_CASE("contact: Barclaycard VISA (EMV), T=0 only and therefore no TCK") {
  // "Barclaycard Platinum VISA": TB1=00 TC1=00; historical 80: service data 80, pre-issuing
  // data, status LCS 00 SW 9000 as tag 8.
  Atr a = parse_ok("3B 6E 00 00 80 31 80 66 B0 84 12 01 6E 01 83 00 90 00");
  CHECK(a.groups.size() == 1);
  CHECK(a.groups[0].tb == 0x00);
  CHECK(a.groups[0].tc == 0x00);
  CHECK(a.protocols == std::vector<uint8_t>{0});
  CHECK_FALSE(a.tck_required);
  CHECK_FALSE(a.tck.has_value());
  CHECK(fi_value(a.fi) == 372);  // defaults without TA1
  CHECK(di_value(a.di) == 1);
  CHECK(a.historical.category == HistoricalCategory::kCompactTlv);
  CHECK(a.historical.card_service_data == 0x80);
  REQUIRE(a.historical.status.has_value());
  CHECK(a.historical.status->lcs == 0x00);
  CHECK(a.historical.status->sw == 0x9000);
  CHECK(a.historical.objects.size() == 3);
  CHECK_FALSE(a.extended_length().has_value());  // no card capabilities: the ATR does not say
}

TEST_CASE("contact: GSM SIM in inverse convention") {
  // "SIM Card GSM (Telecommunication)": TS=3F, TB1=00, 15 proprietary historical bytes.
  Atr a = parse_ok("3F 2F 00 36 AF 69 02 04 01 80 00 00 0A 0E 83 3E 9F 16");
  CHECK(a.convention == Convention::kInverse);
  CHECK(a.historical.raw.size() == 15);
  CHECK(a.historical.category == HistoricalCategory::kProprietary);
  CHECK(a.historical.problem.has_value());
}

TEST_CASE("contact: iClass SE processor, TA2 specific mode and no historical bytes") {
  // "iClass SE Processor": TA1=96 TD1=91 TA2=81 TD2=B1 TA3=FE TB3=55 TD3=1F TA4=C7, K=0.
  Atr a = parse_ok("3B 90 96 91 81 B1 FE 55 1F C7 D4");
  REQUIRE(a.specific_mode.has_value());
  CHECK(a.specific_mode->protocol == 1);
  CHECK_FALSE(a.specific_mode->can_change);         // b8 = 1
  CHECK_FALSE(a.specific_mode->implicit_parameters);  // b5 = 0
  CHECK(a.t1->bwi == 5);
  CHECK(a.historical.category == HistoricalCategory::kAbsent);
  CHECK(a.historical.raw.empty());
  CHECK(a.tck == 0xD4);
}

TEST_CASE("contactless: German ePassport (2009), ISO 14443-4 Type B") {
  // "German Passport (ePass) (issued June 2009)": ATQB application data E1 F3 5E 11, protocol
  // info 77 83 D5 (all bit rates, FSCI 8 = 256 bytes, ISO 14443-4, FWI 13, CID), MBLI 0.
  Atr a = parse_ok("3B 88 80 01 E1 F3 5E 11 77 83 D5 00 75");
  REQUIRE(a.contactless.has_value());
  CHECK(a.contactless->kind == ContactlessKind::kTypeB);
  CHECK(a.contactless->inferred);
  CHECK(to_hex(a.contactless->application_data) == "e1f35e11");
  CHECK(to_hex(a.contactless->protocol_info) == "7783d5");
  CHECK(a.contactless->mbli == 0);
  CHECK(a.protocols == std::vector<uint8_t>{1});
}

TEST_CASE("contactless: German ID card (nPA), Type B, as two readers report it") {
  // "ePerso - German ID card (issued 2013)".
  Atr a = parse_ok("3B 88 80 01 E1 F3 5E 13 77 83 00 00 A2");
  REQUIRE(a.contactless.has_value());
  CHECK(a.contactless->kind == ContactlessKind::kTypeB);
  CHECK(to_hex(a.contactless->protocol_info) == "778300");
  // "Personalausweis (German Identity Card)": a reader that passes no ATQB data (all zero).
  Atr z = parse_ok("3B 88 80 01 00 00 00 00 00 00 00 00 09");
  REQUIRE(z.contactless.has_value());
  CHECK(z.contactless->kind == ContactlessKind::kTypeB);
  CHECK(z.historical.problem.has_value());  // category 00 followed by undefined tag 0
}

TEST_CASE("contactless: Irish and Japanese Type B cards carry an MBLI and application data") {
  // "Romanian Electronic Passport": MBLI 1 in the high nibble of the last historical byte.
  Atr ro = parse_ok("3B 88 80 01 00 00 00 00 77 81 91 10 7E");
  REQUIRE(ro.contactless.has_value());
  CHECK(ro.contactless->kind == ContactlessKind::kTypeB);
  CHECK(ro.contactless->mbli == 1);
  // "Japanese JPKI card (aka JINC card)": application data 00 00 05 E0.
  Atr jp = parse_ok("3B 88 80 01 00 00 05 E0 B3 81 A1 00 7F");
  REQUIRE(jp.contactless.has_value());
  CHECK(jp.contactless->kind == ContactlessKind::kTypeB);
  CHECK(to_hex(jp.contactless->application_data) == "000005e0");
}

TEST_CASE("contactless: German ID card (Personalausweis) Type A ATS historical bytes, extended length") {
  // "German ID Card - Personalausweis": category 80, service data B8, capabilities 84 01 E0
  // (full DF name, SFI; chaining, extended Lc/Le, extended length info), status SW 9000.
  Atr a = parse_ok("3B 8A 80 01 80 31 B8 73 84 01 E0 82 90 00 06");
  REQUIRE(a.contactless.has_value());
  CHECK(a.contactless->kind == ContactlessKind::kTypeA);
  CHECK(a.historical.card_service_data == 0xB8);
  REQUIRE(a.historical.capabilities.has_value());
  CHECK(a.historical.capabilities->selection_methods == 0x84);
  CHECK(a.historical.capabilities->command_chaining() == true);
  CHECK(a.historical.capabilities->extended_length() == true);
  CHECK(a.historical.capabilities->max_logical_channels() == 1);
  CHECK(a.extended_length() == true);
  REQUIRE(a.historical.status.has_value());
  CHECK_FALSE(a.historical.status->lcs.has_value());  // tag 8 with 2 bytes: SW only
  CHECK(a.historical.status->sw == 0x9000);
}

TEST_CASE("contactless: German passport (2007) Type A with category 00 historical bytes") {
  // "German Passport (issued Apr 2007)": 00, pre-issuing data 64 04 15 01 02, LCS 00 SW 9000.
  Atr a = parse_ok("3B 89 80 01 00 64 04 15 01 02 00 90 00 EE");
  REQUIRE(a.contactless.has_value());
  CHECK(a.contactless->kind == ContactlessKind::kTypeA);
  CHECK(a.historical.category == HistoricalCategory::kStatusAtEnd);
  CHECK_FALSE(a.historical.problem.has_value());
  REQUIRE(a.historical.objects.size() == 1);
  CHECK(a.historical.objects[0].tag == 6);
  CHECK(a.historical.status->sw == 0x9000);
}

TEST_CASE("contactless: JCOP over RFID, Type A with text historical bytes") {
  // "RFID - ISO 14443 Type A - NXP JCOP": "JCOPv241" as ATS historical bytes; its last byte
  // '1' keeps it from looking like ATQB data.
  Atr a = parse_ok("3B 88 80 01 4A 43 4F 50 76 32 34 31 5E");
  REQUIRE(a.contactless.has_value());
  CHECK(a.contactless->kind == ContactlessKind::kTypeA);
  // "eID BiH card": text that has the ATQB shape (last byte '0') is still an ATS.
  Atr bih = parse_ok("3B 88 80 01 42 41 45 49 44 31 2E 30 6D");
  REQUIRE(bih.contactless.has_value());
  CHECK(bih.contactless->kind == ContactlessKind::kTypeA);
}

TEST_CASE("contactless: storage cards with their PC/SC part 3 names") {
  struct Case {
    const char* atr;
    uint8_t standard;
    uint16_t name;
  } cases[] = {
      // "NXP/Philips MIFARE Classic 1K (as per PCSC std part3)", as an ACR122U reports it.
      {"3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A", 0x03, 0x0001},
      // "RFID - ISO 14443 Type A - NXP Mifare card with 4k EEPROM" (OV Chipkaart).
      {"3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 02 00 00 00 00 69", 0x03, 0x0002},
      // "RFID - ISO 14443 Type A - NXP Mifare Ultralight or UltralightC".
      {"3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 03 00 00 00 00 68", 0x03, 0x0003},
      // "RFID - FeliCa (generic) (as per PCSC std part3)" (Suica).
      {"3B 8F 80 01 80 4F 0C A0 00 00 03 06 11 00 3B 00 00 00 00 42", 0x11, 0x003B},
      // "NFC FORUM TYPE 1 TAG" (Topaz), ACS reader code F004.
      {"3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 F0 04 00 00 00 00 9F", 0x03, 0xF004},
      // "Bangkok Metro (MRT)": ACS reader code F011, FeliCa 212K.
      {"3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 F0 11 00 00 00 00 8A", 0x03, 0xF011},
      // "RFID - ISO 15693 - Philips Semiconductors" (ICODE SLI, standard 0B).
      {"3B 8F 80 01 80 4F 0C A0 00 00 03 06 0B 00 14 00 00 00 00 77", 0x0B, 0x0014},
      // "ACTV (Italy) prepaid transport ticket": a name outside the registry.
      {"3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 FF 00 00 00 00 94", 0x03, 0x00FF},
  };
  for (const auto& c : cases) {
    const std::string atr = c.atr;
    CAPTURE(atr);
    Atr a = parse_ok(c.atr);
    REQUIRE(a.contactless.has_value());
    CHECK(a.contactless->kind == ContactlessKind::kStorageCard);
    CHECK_FALSE(a.contactless->inferred);
    CHECK(to_hex(a.contactless->rid) == "a000000306");
    CHECK(a.contactless->standard == c.standard);
    CHECK(a.contactless->card_name == c.name);
    CHECK(a.warnings.empty());
  }
}

TEST_CASE("malformed ATRs are kMalformed naming the fault, never an out-of-bounds read") {
  struct Case {
    const char* hex;
    const char* needle;  // part of the error message
    const char* why;
  } cases[] = {
      {"", "TS and T0 are mandatory", "empty"},
      {"3B", "TS and T0 are mandatory", "TS only"},
      {"3C 00", "neither 3B", "TS is not a convention byte"},
      {"3B F8 18 00", "TC1 is announced by T0", "JCOP V241 cut after TB1: interface bytes truncated"},
      {"3B 80 80", "TD2 is announced by TD1", "TD1 announces TD2, the ATR ends"},
      {"3B DB 96 00 80 B1 FE", "TB3 is announced by TD2", "Estonian ID cut inside group 3"},
      {"3B 8F 80 01 80 4F 0C A0 00 00 03 06", "announces 15 historical bytes but only 8",
       "MIFARE 1K cut inside the historical bytes (more historical bytes announced than present)"},
      {"3B 04 60 89", "announces 4 historical bytes but only 2",
       "smartcard_list.txt entry '3B 04 60 89': K=4, two bytes present"},
      {"3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6B", "TCK is 6B but should be 6A",
       "MIFARE 1K with a corrupted TCK"},
      {"3B 9F 96 80 1F C7 80 31 A0 73 BE 21 13 67 43 20 07 18 00 00 01 00", "TCK is 00 but should be A5",
       "smartcard_list.txt's second sysmoUSIM entry: TCK recorded as 00"},
      {"3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00", "TCK is missing",
       "MIFARE 1K without its TCK (T=1 indicated: TCK required)"},
      {"3B F8 13 00 00 81 31 FE 45 4A 4F 50 76 32 34 31 B7", "TCK is missing",
       "smartcard_list.txt 'JOPv241' entry: one historical byte lost, so no TCK is left"},
      {"3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A 00", "1 bytes follow TCK",
       "a byte after TCK"},
      {"3B 02 14 50 11", "1 bytes follow the 2 historical bytes",
       "smartcard_list.txt entry '3B 02 14 50 11': T=0 only, extra byte that is no checksum"},
      {"3B 00 3B 28 00 34 41 45 41 30 32 30 30", "11 bytes follow the 0 historical bytes",
       "smartcard_list.txt entry with K=0 and 11 trailing bytes"},
      {"3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 6A",
       "more than the 33", "34 bytes"},
  };
  for (const auto& c : cases) {
    const std::string why = c.why;
    CAPTURE(why);
    Bytes bytes = hex_or_die(c.hex);
    // Copy into an exactly sized heap buffer so that ASan sees any read past the end.
    auto r = parse_atr(Bytes(bytes.begin(), bytes.end()));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
    CHECK_MESSAGE(contains(r.error().message(), c.needle), r.error().message());
    // decode_atr flags the same fault first (tests/describe/atr_test.cpp: and describes the rest).
    Atr partial = decode_atr(Bytes(bytes.begin(), bytes.end()));
    REQUIRE_FALSE(partial.errors.empty());
    CHECK(r.error().context == "ATR: " + partial.errors.front());
  }
}

TEST_CASE("decode_atr: a malformed ATR decoded as far as it goes") {
  // MIFARE 1K cut inside the historical bytes: TS, T0, TD1, TD2 and the 8 historical bytes
  // present are decoded; the shortfall is the one error; no TCK is looked for.
  Atr cut = decode_atr(hex_or_die("3B 8F 80 01 80 4F 0C A0 00 00 03 06"));
  REQUIRE(cut.errors.size() == 1);
  CHECK(contains(cut.errors[0], "announces 15 historical bytes but only 8"));
  CHECK(cut.groups.size() == 3);
  CHECK(cut.historical.raw.size() == 8);
  CHECK_FALSE(cut.tck.has_value());
  // A wrong TCK: everything decodes, the TCK is kept and flagged as wrong.
  Atr bad_tck = decode_atr(hex_or_die("3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6B"));
  REQUIRE(bad_tck.errors.size() == 1);
  CHECK(bad_tck.tck == uint8_t{0x6B});
  CHECK_FALSE(bad_tck.tck_ok);
  // A bad TS and a missing interface byte: both flagged, in order.
  Atr two = decode_atr(hex_or_die("3C F0 11"));
  REQUIRE(two.errors.size() == 2);
  CHECK(contains(two.errors[0], "neither 3B"));
  CHECK(contains(two.errors[1], "TB1 is announced by T0"));
  CHECK(two.groups[0].ta == uint8_t{0x11});
  // Nothing at all: one error, no field but it.
  Atr empty = decode_atr(Bytes{});
  CHECK(empty.errors.size() == 1);
  // A well-formed ATR decodes with no error, as parse_atr does.
  CHECK(decode_atr(hex_or_die("3B 80 80 01 01")).errors.empty());
}

TEST_CASE("3B 80 80 01 01: a contactless card without historical bytes, Type A or B not stated") {
  // PC/SC part 3 §3.1.3.2.3.1 builds this ATR for an ISO 14443-4 card whose ATS has no
  // historical bytes and for a Type B card whose ATQB data is absent: the ATR cannot say which.
  Atr a = parse_ok("3B 80 80 01 01");
  REQUIRE(a.contactless.has_value());
  CHECK(a.contactless->kind == ContactlessKind::kUnstated);
}

TEST_CASE("every prefix of a valid ATR is rejected cleanly") {
  // Estonian ID card: every truncation lands in a different field; none may read out of bounds.
  const Bytes full = hex_or_die("3B DB 96 00 80 B1 FE 45 1F 83 00 12 23 3F 53 65 49 44 0F 90 00 F1");
  for (size_t n = 0; n < full.size(); ++n) {
    CAPTURE(n);
    const Bytes prefix(full.begin(), full.begin() + n);
    auto r = parse_atr(prefix);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kMalformed);
  }
  CHECK(parse_atr(full).ok());
}

TEST_CASE("oddities that are not errors become warnings") {
  // A T=0-only ATR followed by a byte that happens to be a correct TCK: accepted, warned.
  // (3B 02 14 50 + the XOR of 02 14 50 = 46.)
  Atr a = parse_ok("3B 02 14 50 46");
  CHECK(a.tck == 0x46);
  CHECK_FALSE(a.tck_required);
  REQUIRE(a.warnings.size() == 1);
  CHECK(contains(a.warnings[0], "only T=0"));
  // TA1 = 7F: Fi index 7 and Di index F are both reserved.
  Atr r = parse_ok("3B 10 7F");
  CHECK_FALSE(fi_value(r.fi).has_value());
  CHECK_FALSE(di_value(r.di).has_value());
  CHECK(r.warnings.size() == 2);
}

TEST_CASE("decode_historical reads each category") {
  struct Case {
    const char* hex;
    HistoricalCategory category;
    bool problem;
    const char* why;
  } cases[] = {
      {"", HistoricalCategory::kAbsent, false, "no historical bytes"},
      {"10 42", HistoricalCategory::kDirReference, false, "category 10 with its DIR reference"},
      {"10", HistoricalCategory::kDirReference, true, "category 10 without the reference byte"},
      {"80", HistoricalCategory::kCompactTlv, false, "category 80 with no objects"},
      {"80 73 C8", HistoricalCategory::kCompactTlv, true, "capabilities announce 3 bytes, 1 present"},
      {"80 31 80 32 01 02", HistoricalCategory::kCompactTlv, true, "card service data of 2 bytes"},
      {"80 90 00", HistoricalCategory::kCompactTlv, true, "undefined compact-TLV tag 9"},
      {"80 84 01 02 03 04", HistoricalCategory::kCompactTlv, true, "status indicator of 4 bytes"},
      {"00 90 00", HistoricalCategory::kStatusAtEnd, true, "category 00 with a 2-byte status"},
      {"00 05 90 00", HistoricalCategory::kStatusAtEnd, false, "category 00 with only the status"},
      {"85 01", HistoricalCategory::kRfu, true, "reserved category 85"},
      {"4A 43 4F 50", HistoricalCategory::kProprietary, true, "proprietary text"},
  };
  for (const auto& c : cases) {
    const std::string why = c.why;
    CAPTURE(why);
    HistoricalBytes h = decode_historical(hex_or_die(c.hex));
    CHECK(h.category == c.category);
    CHECK(h.problem.has_value() == c.problem);
  }
  HistoricalBytes dir = decode_historical(hex_or_die("10 42"));
  CHECK(dir.dir_reference == 0x42);
  HistoricalBytes lcs = decode_historical(hex_or_die("80 81 05"));
  REQUIRE(lcs.status.has_value());
  CHECK(lcs.status->lcs == 0x05);
  CHECK_FALSE(lcs.status->sw.has_value());
}

TEST_CASE("compact_tag_name: the tags ISO 7816-4 §8.1.1.2 defines, nullptr for the others") {
  const struct {
    uint8_t tag;
    const char* name;  // nullptr: not defined (decode_historical reports the object)
  } cases[] = {
      {0x1, "country code (ISO 3166-1)"},  // the first defined tag
      {0x7, "card capabilities"},          // the one the reader acts on (extended length)
      {0x8, "status indicator"},
      {0xF, "application identifier"},     // the last nibble
      {0x0, nullptr},                      // below the first
      {0x9, nullptr},                      // between 8 and F
  };
  for (const auto& c : cases) {
    CAPTURE(int(c.tag));
    const char* name = compact_tag_name(c.tag);
    if (c.name) {
      REQUIRE(name != nullptr);
      CHECK(std::string(name) == c.name);
    } else {
      CHECK(name == nullptr);
    }
  }
}
