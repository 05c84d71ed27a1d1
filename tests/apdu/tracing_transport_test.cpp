#include "idtap/apdu/tracing_transport.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "idtap/apdu/commands.h"
#include "idtap/apdu/scripted_transport.h"
#include "idtap/base/hex.h"

using namespace idtap;
using namespace idtap::apdu;

namespace {

// Sends `command_hex` through a tracer at `detail` to a card answering `response_hex`; returns
// the record the sink saw.
TraceRecord trace_one(std::string_view command_hex, std::string_view response_hex,
                      TraceDetail detail = TraceDetail::kNormal) {
  ScriptedTransport card;
  card.expect(command_hex, response_hex);
  std::vector<TraceRecord> records;
  TracingTransport tracer(card, [&](const TraceRecord& r) { records.push_back(r); }, detail);
  auto command = CommandApdu::parse(hex_or_die(command_hex));
  REQUIRE(command.ok());
  auto r = tracer.transmit(*command);
  REQUIRE(r.ok());
  REQUIRE(records.size() == 1);
  return records[0];
}

bool contains(const std::string& haystack, std::string_view needle) { return haystack.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("secrets never appear in a trace, at any level") {
  struct Row {
    const char* why;
    const char* command;
    const char* response;
    const char* secret;  // hex that must not be shown
  };
  const Row rows[] = {
      {"VERIFY carries a PIN", "0020000106313233343536", "9000", "313233343536"},
      {"CHANGE REFERENCE DATA carries old and new PINs", "002400010C313233343536363534333231", "9000", "313233343536"},
      {"RESET RETRY COUNTER carries a PUK", "002C000206313233343536", "9000", "313233343536"},
      {"BAC EXTERNAL AUTHENTICATE: cryptogram and MAC allow an offline MRZ search",
       "0082000028" "72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A7", "6300",
       "72C29C2371CC9BDB"},
      {"BAC EXTERNAL AUTHENTICATE response: the card's cryptogram",
       "0082000028" "72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A7",
       "46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449 9000", "46B9342A41396CD7"},
      {"PACE GENERAL AUTHENTICATE response: the encrypted nonce", "10860000027C0000",
       "7C12801095A3A016522EE98D01E76CB6B98B42C3 9000", "95A3A016522EE98D"},
      {"PACE GENERAL AUTHENTICATE command: the terminal's token", "008600000C7C0A85081234567890ABCDEF00",
       "7C0A86085EFAD3A9BF7E2D9A 9000", "1234567890ABCDEF"},
      {"a GENERAL AUTHENTICATE that does not parse is masked whole", "0086000004DEADBEEF00", "9000", "DEADBEEF"},
  };
  for (const auto& row : rows) {
    for (TraceDetail detail : {TraceDetail::kNormal, TraceDetail::kFull}) {
      std::string why = row.why;
      CAPTURE(why);
      CAPTURE(static_cast<int>(detail));
      TraceRecord r = trace_one(row.command, row.response, detail);
      std::string shown = format_trace_record(r);
      CHECK_FALSE(contains(shown, row.secret));
    }
  }
}

TEST_CASE("what a trace shows of each kind of exchange") {
  // SELECT by AID: everything, the AID is public.
  TraceRecord select = trace_one("00A4040C07A0000002471001", "9000");
  CHECK(select.command == "00 A4 04 0C A0 00 00 02 47 10 01");
  CHECK(select.sw == 0x9000);
  // GENERAL AUTHENTICATE: the skeleton, tags and lengths.
  TraceRecord ga = trace_one("10860000027C0000", "7C12801095A3A016522EE98D01E76CB6B98B42C3 9000");
  CHECK(ga.command == "10 86 00 00 7C{} Le=256");
  CHECK(ga.response == "7C{80[16]}");
  // MSE:Set AT: the protocol OID and the password reference, nothing else.
  TraceRecord mse = trace_one("0022C1A40F800A04007F00070202040202830102", "9000");
  CHECK(mse.command == "00 22 C1 A4 80=04 00 7F 00 07 02 02 04 02 02 83=02");
  // VERIFY: masked.
  CHECK(trace_one("0020000106313233343536", "63C2").command == "00 20 00 01 <masked>");
  // Plain READ BINARY: a 16-byte prefix even at -vv (the file may be DG11).
  std::string dg11 = "6B3A5C055F0E5F105F2B5F0E0C484F4E473C3C47494C444F4E475F100E3930303130312D31323334353637";
  for (TraceDetail detail : {TraceDetail::kNormal, TraceDetail::kFull}) {
    TraceRecord read = trace_one("00B0000040", dg11 + " 9000", detail);
    CHECK(read.response == "6B 3A 5C 05 5F 0E 5F 10 5F 2B 5F 0E 0C 48 4F 4E...(+27 bytes)");
    CHECK_FALSE(contains(format_trace_record(read), "2D 31 32 33 34 35 36 37"));  // "-1234567"
    CHECK_FALSE(contains(format_trace_record(read), "2D31323334353637"));  // nor compact
  }
  // Secure messaging: the DO skeleton at -v, the ciphertext at -vv.
  const char* sm_read = "0CB000000D9701048E08ED6705417E96BA5500";
  const char* sm_resp = "990290008E08AD55CC17140B2DED 9000";
  CHECK(trace_one(sm_read, sm_resp).command == "0C B0 00 00 97[1] 8E[8] Le=256");
  CHECK(trace_one(sm_read, sm_resp).response == "99[2] 8E[8]");
  CHECK(trace_one(sm_read, sm_resp, TraceDetail::kFull).response == "99 02 90 00 8E 08 AD 55 CC 17 14 0B 2D ED");
  // Long plain responses are cut at -v, whole at -vv.
  std::string fci(80, 'A');
  CHECK(contains(trace_one("00A4040000", fci + " 9000").response, "...(+8 bytes)"));
  CHECK(trace_one("00A4040000", fci + " 9000", TraceDetail::kFull).response == to_hex(hex_or_die(fci), true, ' '));
}

TEST_CASE("GET RESPONSE keeps the redaction of the command it continues") {
  ScriptedTransport card;
  card.expect("0086000004 7C028100 00", "6114").expect("00C0000014", "7C12801095A3A016522EE98D01E76CB6B98B42C3 9000");
  std::vector<TraceRecord> records;
  TracingTransport tracer(card, [&](const TraceRecord& r) { records.push_back(r); });
  CHECK(tracer.transmit(CommandApdu::parse(hex_or_die("00860000047C02810000")).value()).ok());
  CHECK(tracer.transmit(get_response(0x14)).ok());
  REQUIRE(records.size() == 2);
  CHECK(records[1].response == "7C{80[16]}");
  CHECK(records[1].index == 2);
}

TEST_CASE("a failed transmit is traced with its error and forwarded unchanged") {
  ScriptedTransport card;
  card.fail_next(make_error(ErrorCode::kCardRemoved, "card left the field"));
  std::vector<TraceRecord> records;
  TracingTransport tracer(card, [&](const TraceRecord& r) { records.push_back(r); });
  auto r = tracer.transmit(get_challenge());
  CHECK(r.error().code == ErrorCode::kCardRemoved);
  REQUIRE(records.size() == 1);
  REQUIRE(records[0].error.has_value());
  std::string text = format_trace_record(records[0]);
  CHECK(contains(text, "#1 > 00 84 00 00 Le=8"));
  CHECK(contains(text, "#1 ! card_removed: card left the field"));
  CHECK(tracer.describe() == "scripted");
}
