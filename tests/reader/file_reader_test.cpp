#include "idtap/reader/file_reader.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "idtap/apdu/scripted_transport.h"
#include "idtap/apdu/tlv.h"
#include "idtap/base/hex.h"
#include "idtap/reader/counting_transport.h"

using namespace idtap;
using namespace idtap::apdu;
using namespace idtap::reader;

namespace {

// A minimal transparent-file card for the reader's unit tests: SELECT by FID, READ BINARY with
// SFI, even INS and odd INS (DO 54 / DO 53), 6282 at end of file, a largest Ne, and a card that
// leaves after N APDUs. The full simulated card (drivers/sim) is tested elsewhere.
class FileCard : public Transport {
 public:
  std::map<uint16_t, Bytes> files;  // by FID; SFI = low byte
  size_t max_ne = 65536;            // larger Ne is refused as `refusal` says
  // How a too-large Ne is refused: the status word (6700, or 6B00), a transport error (a reader
  // that cannot carry the frame), or as SecureChannel reports a plain status word under secure
  // messaging (kSecureMessaging with the SW).
  enum class Refusal { k6700, k6B00, kTransport, kSmPlain6700 } refusal = Refusal::k6700;
  bool extended = true;
  size_t leave_after = 0;           // 0: never
  size_t transmits = 0;
  bool present = true;
  // How the card answers READ BINARY by SFI: it reads (kNone), or it does not implement the form
  // and answers with a status word (as issued passports do), or, under secure messaging, with
  // that status word in plain (kSecureMessaging with the SW, as SecureChannel reports it).
  enum class SfiRefusal { kNone, kStatus, kSmPlain } sfi_refusal = SfiRefusal::kNone;
  uint16_t sfi_refusal_sw = 0x6A82;
  std::vector<CommandApdu> sent;

  Result<ResponseApdu> transmit(const CommandApdu& c) override {
    if (!present) return make_error(ErrorCode::kCardRemoved, "card left the field");
    if (leave_after != 0 && ++transmits > leave_after) {
      present = false;
      return make_error(ErrorCode::kCardRemoved, "card left the field");
    }
    sent.push_back(c);
    if (c.ins == 0xB0 && (c.p1 & 0x80) && sfi_refusal != SfiRefusal::kNone) {
      if (sfi_refusal == SfiRefusal::kStatus) return ResponseApdu{{}, sfi_refusal_sw};
      Error e = make_error(ErrorCode::kSecureMessaging, "plain SW under secure messaging");
      e.sw = sfi_refusal_sw;
      return e;
    }
    if (c.ins == 0xA4) {
      uint16_t fid = static_cast<uint16_t>(c.data.at(0) << 8 | c.data.at(1));
      if (!files.count(fid)) return ResponseApdu{{}, 0x6A82};
      current_ = fid;
      return ResponseApdu{{}, 0x9000};
    }
    if (c.ins == 0xB0 || c.ins == 0xB1) {
      size_t offset = 0;
      if (c.ins == 0xB0 && (c.p1 & 0x80)) {
        uint16_t fid = 0x0100 | (c.p1 & 0x1F);
        if (!files.count(fid)) return ResponseApdu{{}, 0x6A82};
        current_ = fid;
        offset = c.p2;
      } else if (c.ins == 0xB0) {
        offset = size_t(c.p1) << 8 | c.p2;
      } else {
        TlvReader r(c.data);
        auto off = r.read(0x54);
        if (!off.ok()) return ResponseApdu{{}, 0x6A80};
        offset = be_uint(off->value);
      }
      if (!current_) return ResponseApdu{{}, 0x6986};
      size_t ne = c.ne;
      if (ne > max_ne) {
        switch (refusal) {
          case Refusal::k6700: return ResponseApdu{{}, 0x6700};
          case Refusal::k6B00: return ResponseApdu{{}, 0x6B00};
          case Refusal::kTransport: return make_error(ErrorCode::kTransport, "the reader cannot carry the frame");
          case Refusal::kSmPlain6700: {
            Error e = make_error(ErrorCode::kSecureMessaging, "plain 6700 under secure messaging");
            e.sw = 0x6700;
            return e;
          }
        }
      }
      const Bytes& f = files[*current_];
      if (offset > f.size()) return ResponseApdu{{}, 0x6B00};
      size_t n = std::min(ne - (c.ins == 0xB1 ? 4 : 0), f.size() - offset);
      Bytes out(f.begin() + offset, f.begin() + offset + n);
      if (c.ins == 0xB1) out = encode_tlv(0x53, out);
      return ResponseApdu{out, static_cast<uint16_t>(n < ne - (c.ins == 0xB1 ? 4 : 0) ? 0x6282 : 0x9000)};
    }
    return ResponseApdu{{}, 0x6D00};
  }
  Bytes atr() const override { return {}; }
  TransportCaps capabilities() const override {
    return TransportCaps{extended ? 65535u : 255u, extended ? 65536u : 256u, extended};
  }
  Status reconnect(std::chrono::milliseconds) override {
    present = true;
    transmits = 0;
    leave_after = 0;
    current_.reset();
    return ok_status();
  }
  Status close() override { return ok_status(); }
  std::string describe() const override { return "file card"; }

 private:
  std::optional<uint16_t> current_;
};

Bytes make_file(uint32_t tag, size_t value_len) {
  Bytes value(value_len);
  for (size_t i = 0; i < value_len; ++i) value[i] = static_cast<uint8_t>(i * 7 + 3);
  return encode_tlv(tag, value);
}

const FileRef kDg2{0x0102, 0x02, "DG2"};
const FileRef kCom{0x011E, 0x1E, "EF.COM"};

}  // namespace

TEST_CASE("tlv_total_length reads ICAO file headers") {
  CHECK(tlv_total_length(hex_or_die("6016")).value() == 0x18);
  CHECK(tlv_total_length(hex_or_die("7582")).value() == 0);  // too short to tell yet
  CHECK(tlv_total_length(hex_or_die("75824e20")).value() == 0x4E20 + 4);
  CHECK(tlv_total_length(hex_or_die("7f6181ff")).value() == 0xFF + 4);
  CHECK(tlv_total_length(hex_or_die("7780")).value() == kIndefiniteLength);
  struct Case {
    const char* hex;
    const char* why;
  } bad[] = {
      {"00", "zero is no tag"},
      {"ff", "FF filler is no tag"},
      {"1f8181818101", "tag over 4 bytes"},
      {"758500000001", "5-byte length field"},
  };
  for (const auto& c : bad) {
    CAPTURE(c.why);
    CHECK(tlv_total_length(hex_or_die(c.hex)).error().code == ErrorCode::kMalformed);
  }
}

TEST_CASE("with extended length a whole file comes in one READ BINARY") {
  FileCard card;
  card.files[0x0102] = make_file(0x75, 20000);
  CountingTransport counted(card);
  std::vector<size_t> progress;
  FileReader reader(counted, FileReaderOptions{.progress = [&](const FileRef&, size_t done, size_t) { progress.push_back(done); }});
  auto data = reader.read_file(kDg2);
  REQUIRE(data.ok());
  CHECK(*data == card.files[0x0102]);
  CHECK(counted.stats().apdus == 1);
  CHECK(progress == std::vector<size_t>{20004});
}

size_t count_sfi_reads(const std::vector<CommandApdu>& sent) {
  return static_cast<size_t>(std::count_if(sent.begin(), sent.end(), [](const CommandApdu& c) { return c.ins == 0xB0 && (c.p1 & 0x80); }));
}

TEST_CASE("a card that refuses READ BINARY by SFI is read by FID, and the SFI form is given up for the reader") {
  // 6A82 (as for a file it does not know), 6A86, 6D00, 6986: each a card without the SFI form.
  for (uint16_t refusal : {uint16_t(0x6A82), uint16_t(0x6A86), uint16_t(0x6D00), uint16_t(0x6986)}) {
    CAPTURE(refusal);
    FileCard card;
    card.sfi_refusal = FileCard::SfiRefusal::kStatus;
    card.sfi_refusal_sw = refusal;
    card.files[0x0102] = make_file(0x75, 20000);
    card.files[0x011E] = make_file(0x60, 20);
    FileReader reader(card, {});
    auto dg2 = reader.read_file(kDg2);
    REQUIRE(dg2.ok());
    CHECK(*dg2 == card.files[0x0102]);
    CHECK_FALSE(reader.uses_sfi());
    // The refused SFI read, then SELECT 0102 and READ BINARY.
    REQUIRE(card.sent.size() == 3);
    CHECK(card.sent[1].ins == 0xA4);
    CHECK(card.sent[1].data == Bytes{0x01, 0x02});
    // The next file goes straight to SELECT by FID: no second refusal.
    card.sent.clear();
    auto com = reader.read_file(kCom);
    REQUIRE(com.ok());
    CHECK(*com == card.files[0x011E]);
    CHECK(card.sent.size() == 2);
    CHECK(count_sfi_reads(card.sent) == 0);
  }
}

TEST_CASE("a refusal of the SFI form in plain under secure messaging restarts the session once, then reads by FID") {
  FileCard card;
  card.sfi_refusal = FileCard::SfiRefusal::kSmPlain;
  card.files[0x0102] = make_file(0x75, 3000);
  card.files[0x011E] = make_file(0x60, 20);
  size_t restarts = 0;
  FileReader reader(card, FileReaderOptions{.restart = [&]() -> Result<Transport*> {
                                              ++restarts;
                                              return static_cast<Transport*>(&card);
                                            }});
  auto dg2 = reader.read_file(kDg2);
  REQUIRE(dg2.ok());
  CHECK(*dg2 == card.files[0x0102]);
  CHECK(restarts == 1);
  CHECK_FALSE(reader.uses_sfi());
  auto com = reader.read_file(kCom);
  REQUIRE(com.ok());
  CHECK(restarts == 1);
  CHECK(count_sfi_reads(card.sent) == 1);
  // Without a way to open a fresh session, the plain refusal is the read's error.
  FileCard alone;
  alone.sfi_refusal = FileCard::SfiRefusal::kSmPlain;
  alone.files[0x0102] = make_file(0x75, 300);
  FileReader no_restart(alone, {});
  auto r = no_restart.read_file(kDg2);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kSecureMessaging);
  CHECK(r.error().sw == 0x6A82);
}

TEST_CASE("a file that is not there by SFI nor by FID is absent, and a card that reads by SFI keeps the SFI form") {
  FileCard card;
  card.files[0x011E] = make_file(0x60, 20);
  FileReader reader(card, {});
  auto dg2 = reader.read_file(kDg2);
  REQUIRE_FALSE(dg2.ok());
  CHECK(dg2.error().code == ErrorCode::kCardStatus);
  CHECK(dg2.error().sw == 0x6A82);
  CHECK(card.sent.size() == 2);  // READ BINARY by SFI, SELECT by FID: both 6A82
  CHECK(reader.uses_sfi());
  card.sent.clear();
  auto com = reader.read_file(kCom);
  REQUIRE(com.ok());
  CHECK(card.sent.size() == 1);  // by SFI, in one APDU
  CHECK(count_sfi_reads(card.sent) == 1);
  // A reader told the card refuses SFI (learnt earlier in the session) never tries it.
  card.sent.clear();
  FileReader by_fid(card, FileReaderOptions{.use_sfi = false});
  REQUIRE(by_fid.read_file(kCom).ok());
  CHECK(count_sfi_reads(card.sent) == 0);
  CHECK(card.sent.size() == 2);
}

TEST_CASE("short APDUs: SFI first, then offsets, the odd INS beyond 32767") {
  FileCard card;
  card.extended = false;
  card.max_ne = 256;
  card.files[0x0102] = make_file(0x75, 40000);
  CountingTransport counted(card);
  FileReader reader(counted, {});
  auto data = reader.read_file(kDg2);
  REQUIRE(data.ok());
  CHECK(*data == card.files[0x0102]);
  // 40004 bytes: 256 per even-INS read up to 32768, then 252 per odd-INS read.
  CHECK(counted.stats().apdus == 128 + (40004 - 32768 + 251) / 252);
}

TEST_CASE("a card that refuses the size is retried one step smaller, and the size is kept") {
  using Refusal = FileCard::Refusal;
  struct Case {
    Refusal refusal;
    bool restart;     // the reader is given a restart (a secure channel's fresh session)
    int restarts;     // how many it must use
    const char* why;
  } cases[] = {
      {Refusal::k6700, false, 0, "6700 (wrong length) on a plain transport"},
      {Refusal::k6B00, false, 0, "6B00 at offset 0 on a plain transport"},
      {Refusal::kTransport, false, 0, "a transport error: the same (plain) transport survives it"},
      {Refusal::kTransport, true, 2, "a transport error under secure messaging: a fresh session per step"},
      {Refusal::kSmPlain6700, true, 2, "6700 in plain under secure messaging: a fresh session per step"},
  };
  for (const Case& c : cases) {
    INFO(c.why);
    FileCard card;
    card.max_ne = 160;  // refuses 65536 and 223
    card.refusal = c.refusal;
    card.files[0x0102] = make_file(0x75, 1000);
    card.files[0x011E] = make_file(0x60, 30);
    CountingTransport counted(card);
    int restarts = 0;
    FileReaderOptions options;
    if (c.restart)
      options.restart = [&]() -> Result<Transport*> {
        ++restarts;
        IDTAP_TRY(card.reconnect(std::chrono::milliseconds(10)));
        return static_cast<Transport*>(&counted);
      };
    FileReader reader(counted, options);
    auto data = reader.read_file(kDg2);
    REQUIRE_MESSAGE(data.ok(), (data.ok() ? std::string() : data.error().message()));
    CHECK(*data == card.files[0x0102]);
    CHECK(reader.chunk_size() == 160);
    CHECK(restarts == c.restarts);
    const size_t before = counted.stats().apdus;
    CHECK(before == 2 + (1004 + 159) / 160);  // two refusals, then 160-byte chunks
    REQUIRE(reader.read_file(kCom).ok());
    CHECK(counted.stats().apdus == before + 1);  // no further refusals
  }
  // Under secure messaging without a way to a fresh session, a plain 6700 ends the read (the
  // card has ended secure messaging): no blind retry on a dead channel.
  FileCard card;
  card.max_ne = 160;
  card.refusal = Refusal::kSmPlain6700;
  card.files[0x0102] = make_file(0x75, 1000);
  FileReader reader(card, {});
  auto r = reader.read_file(kDg2);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kSecureMessaging);
}

TEST_CASE("the card leaving mid-file is recovered and the read continues from the last good offset") {
  FileCard card;
  card.extended = false;
  card.max_ne = 256;
  card.files[0x0102] = make_file(0x75, 3000);
  card.leave_after = 4;
  int recoveries = 0;
  FileReader reader(card, FileReaderOptions{.recover = [&]() -> Result<Transport*> {
                                              ++recoveries;
                                              IDTAP_TRY(card.reconnect(std::chrono::milliseconds(10)));
                                              return static_cast<Transport*>(&card);
                                            }});
  auto data = reader.read_file(kDg2);
  REQUIRE(data.ok());
  CHECK(*data == card.files[0x0102]);
  CHECK(recoveries == 1);

  FileCard gone;
  gone.files[0x0102] = make_file(0x75, 100);
  gone.present = false;
  FileReader no_recover(gone, {});
  CHECK(no_recover.read_file(kDg2).error().code == ErrorCode::kCardRemoved);
}

TEST_CASE("bad card behaviour ends the read with a typed error") {
  SUBCASE("file not found") {
    FileCard card;
    FileReader reader(card, {});
    auto r = reader.read_file(kDg2);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kCardStatus);
    CHECK(r.error().sw == 0x6A82);
  }
  SUBCASE("the file ends before its declared length") {
    ScriptedTransport t;
    t.set_capabilities(TransportCaps{255, 256, false});
    t.expect("00B0820000", "7582 0100 0102 6282");  // declares 256+4 bytes, delivers 4 with 6282
    FileReader reader(t, {});
    CHECK(reader.read_file(kDg2).error().code == ErrorCode::kMalformed);
  }
  SUBCASE("a declared length beyond the limit") {
    ScriptedTransport t;
    t.set_capabilities(TransportCaps{255, 256, false});
    t.expect("00B0820000", "75 84 7fffffff 00 9000");
    FileReader reader(t, {});
    CHECK(reader.read_file(kDg2).error().code == ErrorCode::kMalformed);
  }
  SUBCASE("a card that returns more than asked") {
    ScriptedTransport t;
    t.set_capabilities(TransportCaps{255, 4, false});
    t.expect("00B0820004", "7508 0102 0304 0506 9000");
    FileReader reader(t, {});
    CHECK(reader.read_file(kDg2).error().code == ErrorCode::kMalformed);
  }
  SUBCASE("cancellation between APDUs") {
    FileCard card;
    card.extended = false;
    card.max_ne = 256;
    card.files[0x0102] = make_file(0x75, 3000);
    std::atomic<bool> cancel{false};
    FileReader reader(card, FileReaderOptions{.progress = [&](const FileRef&, size_t, size_t) { cancel = true; }, .cancel = &cancel});
    CHECK(reader.read_file(kDg2).error().code == ErrorCode::kCancelled);
  }
  SUBCASE("a card that keeps leaving gives up") {
    FileCard card;
    card.extended = false;
    card.max_ne = 256;
    card.files[0x0102] = make_file(0x75, 3000);
    card.leave_after = 1;
    FileReader reader(card, FileReaderOptions{.recover = [&]() -> Result<Transport*> {
                                                IDTAP_TRY(card.reconnect(std::chrono::milliseconds(1)));
                                                card.leave_after = 1;
                                                return static_cast<Transport*>(&card);
                                              },
                                              .max_recoveries = 3});
    CHECK(reader.read_file(kDg2).error().code == ErrorCode::kCardRemoved);
  }
}

TEST_CASE("an indefinite-length file is read until the card says it ended") {
  FileCard card;
  card.extended = false;
  card.max_ne = 256;
  Bytes sod = hex_or_die("7780");
  Bytes body(600, 0x42);
  append(sod, body);
  append(sod, hex_or_die("0000"));
  card.files[0x011D] = sod;
  FileReader reader(card, {});
  auto r = reader.read_file(FileRef{0x011D, 0x1D, "EF.SOD"});
  REQUIRE(r.ok());
  CHECK(*r == sod);
}
