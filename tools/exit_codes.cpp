#include "exit_codes.h"

#include <string>

#include <fmt/format.h>

namespace idtap::cli {

// kLedgerSchema: the meaning of 13 in every command that opens a ledger.
constexpr const char* kLedgerSchema =
    "the ledger's schema is older than this idtap's: run `idtap ledger migrate` first (also a schema this idtap cannot "
    "open, version 1 or a newer idtap's: the message says which)";

// The one list. The codes mean the same in every command (see cli.h ExitCode); each command
// lists those it can end with. 1 is also what any command exits with on an unexpected failure
// (a bug, an OpenSSL failure), which the README says once instead of in every row.

const std::vector<CommandExitCodes>& all_exit_codes() {
  static const std::vector<CommandExitCodes> kCodes = {
      {"help", {{0, "help printed"}, {2, "no such command"}}},
      {"version", {{0, "version printed"}}},
      {"atr",
       {{0, "decoded"},
        {2, "bad command line or bad hex"},
        {10, "malformed ATR (decoded as far as it goes, each problem flagged)"}}},
      {"readers",
       {{0, "at least one reader found"},
        {2, "bad command line"},
        {4, "no reader found (pcscd not running, nothing plugged in; the reason is printed)"}}},
      {"watch",
       {{0, "ended by Ctrl-C, --count or --timeout"},
        {2, "bad command line"},
        {4, "pcscd not running (and no libnfc device) or it stopped"}}},
      {"apdu",
       {{0, "every APDU sent"},
        {1, "--stop-on-error stopped at an error status word"},
        {2, "bad command line or a malformed APDU"},
        {4, "reader or card problem (no card, card removed mid-script, pcscd not running)"},
        {130, "interrupted (Ctrl-C)"}}},
      {"read",
       {{0, "genuine"},
        {2, "bad command line (also an unusable --trust or --crl)"},
        {3, "access denied: wrong CAN or MRZ, password blocked or suspended"},
        {4, "reader or card problem (no reader, no card, card removed, pcscd not running)"},
        {5, "passive authentication failed (altered data, bad signature)"},
        {6, "chip authentication failed, or the chip proved nothing"},
        {7, "no trust anchor: the Document Signer chains to no --trust CSCA"},
        {9, "--out could not be written"},
        {10, "the card sent a structure that does not parse"},
        {130, "interrupted (Ctrl-C)"}}},
      {"demo",
       {{0, "the mission completed"},
        {2, "bad command line"},
        {9, "--out could not be written"}}},
      {"sim serve",
       {{0, "stopped by a signal"},
        {2, "bad command line"},
        {4, "the image could not be loaded or served"}}},
      {"sim personalize",
       {{0, "card image written"},
        {2, "bad option (the message names it)"},
        {9, "file system error"}}},
      {"provision",
       {{0, "issued (or challenge made)"},
        {2, "bad command line"},
        {3, "access denied: wrong CAN or MRZ"},
        {4, "reader or card problem"},
        {5, "passive authentication failed"},
        {6, "chip authentication failed"},
        {7, "no trust anchor"},
        {8, "refused: a rule, a bad or replayed proof, a lost card, an issuer certificate not valid"},
        {9, "file error: an input that cannot be read, an output that cannot be written, a ledger key readable by others"},
        {10, "an input file that does not parse (device key, proof, mapping)"},
        {11, "the ledger is busy: another process held its lock longer than the busy timeout"},
        {13, kLedgerSchema}}},
      {"mdoc",
       {{0, "shown, or valid"},
        {1, "not valid: signature, digest, doc type, validity or status (revoked, suspended)"},
        {2, "bad command line"},
        {7, "untrusted issuer: no --issuer-cert it chains to"},
        {9, "a file that cannot be read"},
        {10, "a file that is not a credential (does not decode)"}}},
      {"credential",
       {{0, "done"},
        {1, "the change does not apply in the credential's state (e.g. resuming a revoked one)"},
        {2, "bad command line"},
        {8, "refused: resuming a credential whose card is reported lost"},
        {9, "ledger file error, or no such credential"},
        {11, "the ledger is busy: another process held its lock longer than the busy timeout"},
        {13, kLedgerSchema}}},
      {"card",
       {{0, "done"},
        {1, "the change does not apply (found: the card is not reported lost)"},
        {2, "bad command line"},
        {9, "ledger file error, or no such card in the ledger"},
        {11, "the ledger is busy: another process held its lock longer than the busy timeout"},
        {13, kLedgerSchema}}},
      {"ledger",
       {{0, "created, or consistent"},
        {1, "verify: findings left"},
        {2, "bad command line"},
        {8, "init: the ledger exists with another status URI or size"},
        {9, "not an idtap ledger, its key missing, or a ledger file error (a key readable by others included)"},
        {11, "the ledger is busy: another process held its lock longer than the busy timeout"},
        {12, "verify: the ledger is older than one of its anchors (rolled back or truncated)"},
        {13, kLedgerSchema}}},
      {"status-list",
       {{0, "published, or shown"},
        {1, "show: the token does not verify"},
        {2, "bad command line"},
        {9, "a file that cannot be read or written"},
        {10, "show: a file that is not a status list token"},
        {13, kLedgerSchema}}},
      {"serve",
       {{0, "stopped by SIGTERM or SIGINT (the requests in flight answered, the ledger closed)"},
        {1, "cannot listen on the address (in use, or not permitted)"},
        {2, "bad command line (plain HTTP on a non-loopback address, an issuer key or certificate that is not one)"},
        {8, "refused: the issuer certificate does not cover a credential issued now"},
        {9, "file error: ledger, key, certificate or token file (a token readable by others included)"},
        {10, "a TLS certificate or key that does not parse"},
        {13, kLedgerSchema}}},
      {"console",
       {{0, "stopped by SIGTERM or SIGINT"},
        {2, "bad command line (a non-loopback --listen, options that go together given apart, an --issuer-key that does not load)"},
        {9, "file error: the ledger, the web files, a --trust path, or the address cannot be listened on"},
        {13, kLedgerSchema}}},
      {"clerk",
       {{0, "added, or listed"},
        {1, "the clerk exists already (nothing changed)"},
        {2, "bad command line (a bad name, a password too short)"},
        {9, "not an idtap ledger, or a ledger file error"},
        {11, "the ledger is busy: another process held its lock longer than the busy timeout"},
        {13, kLedgerSchema}}},
  };
  return kCodes;
}

std::string exit_status_help(std::string_view command) {
  for (const CommandExitCodes& c : all_exit_codes()) {
    if (c.command != command) continue;
    std::string out = "exit status:\n";
    for (const ExitCodeDoc& d : c.codes) out += fmt::format("  {:<4} {}\n", d.code, d.meaning);
    return out;
  }
  return "";
}

void print_help(std::string_view command, const char* text, FILE* out) {
  std::fputs(text, out);
  std::fprintf(out, "\n%s", exit_status_help(command).c_str());
}

}  // namespace idtap::cli
