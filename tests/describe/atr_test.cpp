// tests/describe/atr_test.cpp: the words for people about decoded ATRs (idtap/describe/atr.h):
// atr_summary, describe_atr and the registry names. The ATRs are the real ones of
// tests/apdu/atr_test.cpp (copied from pcsc-tools' smartcard_list.txt), whose decoding is
// tested there.
#include "idtap/describe/atr.h"

#include <doctest/doctest.h>

#include <string>

#include "apdu/parse_atr_ok.h"
#include "idtap/base/hex.h"

using namespace idtap;
using namespace idtap::apdu;
using namespace idtap::describe;

using apdu_test::contains;
using apdu_test::parse_ok;

TEST_CASE("atr_summary: one line per real ATR") {
  const struct {
    const char* atr;
    const char* summary;  // the whole line
    const char* why;
  } cases[] = {
      {"3B F8 18 00 FF 81 31 FE 45 4A 43 4F 50 76 32 34 31 43",
       "contact, T=1, Fi=372 Di=12 (5 MHz), historical 4A 43 4F 50 76 32 34 31 (\"JCOPv241\"), TCK ok",
       "NXP JCOP V241: contact, TA1, text historical bytes"},
      {"3B 88 80 01 E1 F3 5E 11 77 83 D5 00 75",
       "ISO 14443-4 Type B, T=1, ATQB application data E1 F3 5E 11, protocol info 77 83 D5, TCK ok",
       "German ePassport (2009): Type B"},
      {"3B 8A 80 01 80 31 B8 73 84 01 E0 82 90 00 06",
       "ISO 14443-4 Type A, T=1, historical 80 31 B8 73 84 01 E0 82 90 00, TCK ok",
       "German ID card: Type A ATS historical bytes"},
      {"3B 80 80 01 01",
       "contactless card without historical bytes (PC/SC part 3); type A or B not stated, T=1, TCK ok",
       "no historical bytes: Type A or B not stated (never \"Type A,\")"},
      {"3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A",
       "storage card MIFARE Classic 1K (ISO 14443 A part 3), TCK ok", "MIFARE Classic 1K (ACR122U)"},
      {"3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 02 00 00 00 00 69",
       "storage card MIFARE Classic 4K (ISO 14443 A part 3), TCK ok", "MIFARE Classic 4K (OV Chipkaart)"},
      {"3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 03 00 00 00 00 68",
       "storage card MIFARE Ultralight (ISO 14443 A part 3), TCK ok", "MIFARE Ultralight"},
      {"3B 8F 80 01 80 4F 0C A0 00 00 03 06 11 00 3B 00 00 00 00 42", "storage card FeliCa (FeliCa), TCK ok",
       "FeliCa (Suica)"},
      {"3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 F0 04 00 00 00 00 9F",
       "storage card Topaz (ACS reader code) (ISO 14443 A part 3), TCK ok", "Topaz: ACS reader code F004"},
      {"3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 F0 11 00 00 00 00 8A",
       "storage card FeliCa 212K (ACS reader code) (ISO 14443 A part 3), TCK ok", "Bangkok Metro: ACS F011"},
      {"3B 8F 80 01 80 4F 0C A0 00 00 03 06 0B 00 14 00 00 00 00 77",
       "storage card ICODE SLI (ISO 15693 part 3), TCK ok", "ICODE SLI, standard 0B"},
      {"3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 FF 00 00 00 00 94",
       "storage card NN 00FF (ISO 14443 A part 3), TCK ok", "a card name outside the registry: its number"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    CHECK(atr_summary(parse_ok(c.atr)) == c.summary);
  }
}

TEST_CASE("atr_summary: what it says about conventions, checksums and reserved values") {
  const struct {
    const char* atr;
    const char* needle;  // part of the line
    const char* why;
  } cases[] = {
      {"3B 6E 00 00 80 31 80 66 B0 84 12 01 6E 01 83 00 90 00", "no TCK", "Barclaycard VISA: T=0 only"},
      {"3F 2F 00 36 AF 69 02 04 01 80 00 00 0A 0E 83 3E 9F 16", "inverse convention", "GSM SIM: TS 3F"},
      {"3B 10 7F", "Fi=RFU Di=RFU", "TA1 7F: both indices reserved"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    CHECK(contains(atr_summary(parse_ok(c.atr)), c.needle));
  }
}

TEST_CASE("describe_atr covers every byte once, in order") {
  const char* atrs[] = {
      "3B F8 18 00 FF 81 31 FE 45 4A 43 4F 50 76 32 34 31 43",
      "3B DB 96 00 80 B1 FE 45 1F 83 00 12 23 3F 53 65 49 44 0F 90 00 F1",
      "3B 6E 00 00 80 31 80 66 B0 84 12 01 6E 01 83 00 90 00",
      "3B 88 80 01 E1 F3 5E 11 77 83 D5 00 75",
      "3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A",
      "3B 90 96 91 81 B1 FE 55 1F C7 D4",
  };
  for (const char* hex : atrs) {
    const std::string atr = hex;
    CAPTURE(atr);
    Atr a = parse_ok(hex);
    const auto fields = describe_atr(a);
    Bytes top, inner;
    for (const AtrField& f : fields) {
      CHECK_FALSE(f.meaning.empty());
      if (f.level == 0) append(top, f.bytes);
      if (f.level == 1) append(inner, f.bytes);
    }
    CHECK(to_hex(top) == to_hex(a.raw));                       // TS .. TCK, nothing twice
    CHECK(to_hex(inner) == to_hex(a.historical.raw));          // the historical breakdown
  }
  Atr a = parse_ok("3B 8A 80 01 80 31 B8 73 84 01 E0 82 90 00 06");
  bool saw_extended = false;
  for (const AtrField& f : describe_atr(a))
    if (contains(f.meaning, "extended Lc and Le fields supported")) saw_extended = true;
  CHECK(saw_extended);
}

TEST_CASE("describe_atr of a malformed ATR: what is there, then the error") {
  const struct {
    const char* hex;
    const char* why;
  } cases[] = {
      {"", "empty: the error is the only field"},
      {"3C 00", "TS is not a convention byte"},
      {"3B F8 18 00", "interface bytes truncated"},
      {"3B 8F 80 01 80 4F 0C A0 00 00 03 06", "cut inside the historical bytes"},
      {"3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6B", "a corrupted TCK"},
      {"3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A 00", "a byte after TCK"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    const Bytes bytes = hex_or_die(c.hex);
    const auto fields = describe_atr(decode_atr(Bytes(bytes.begin(), bytes.end())));
    REQUIRE_FALSE(fields.empty());
    CHECK(fields.back().name == "error");
    if (bytes.empty()) CHECK(fields.size() == 1);
  }
  // A wrong TCK: the TCK line is shown and says it is wrong.
  bool tck_line = false;
  for (const auto& f : describe_atr(decode_atr(hex_or_die("3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6B"))))
    if (f.name == "TCK") tck_line = contains(f.meaning, "wrong");
  CHECK(tck_line);
}

TEST_CASE("registry names") {
  CHECK(std::string(storage_card_name(0x0001)) == "MIFARE Classic 1K");
  CHECK(std::string(storage_card_name(0x0002)) == "MIFARE Classic 4K");
  CHECK(std::string(storage_card_name(0x0003)) == "MIFARE Ultralight");
  CHECK(std::string(storage_card_name(0xF012)) == "FeliCa 424K (ACS reader code)");
  CHECK(storage_card_name(0x1234) == nullptr);
  CHECK(std::string(storage_standard_name(0x03)) == "ISO 14443 A part 3");
  CHECK(std::string(storage_standard_name(0x11)) == "FeliCa");
  CHECK(storage_standard_name(0x04) == nullptr);  // RFU
  CHECK(std::string(life_cycle_name(0x05)) == "operational state (activated)");
}
