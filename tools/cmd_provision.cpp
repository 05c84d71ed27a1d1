// idtap provision: a verified card -> a mobile ID bound to one phone (ISO 18013-5 mdoc).
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "card_access.h"
#include "cli.h"
#include "commands.h"
#include "exit_codes.h"
#include "idtap/auth/trust_store.h"
#include "idtap/base/file_io.h"
#include "idtap/base/hex.h"
#include "idtap/issue/attested_record.h"
#include "idtap/issue/offer_uri.h"
#include "idtap/issue/pipeline.h"
#include "idtap/issue/qr.h"
#include "idtap/provision/files.h"
#include "idtap/provision/holder.h"
#include "idtap/provision/holder_from_read.h"
#include "idtap/provision/ledger.h"
#include "idtap/provision/mapping.h"
#include "idtap/provision/national_name.h"
#include "idtap/provision/pending_offers.h"
#include "idtap/provision/proof.h"
#include "idtap/provision/provisioning.h"
#include "idtap/provision/signer.h"
#include "idtap/reader/session.h"
#include "idtap/select/select.h"
#include "interrupt.h"
#include "json.h"
#include "mapping_option.h"
#include "progress.h"
#include "read_report.h"

namespace idtap::cli {
namespace {

using namespace idtap::provision;

constexpr const char* kHelp =
    "usage: idtap provision [--reader R] [--can-file FILE | --mrz MRZ | --doc NUM --dob YYMMDD --expiry YYMMDD]\n"
    "                       --device-key FILE --proof FILE --issuer-key FILE --issuer-cert FILE\n"
    "                       [--issuer-key-pass-file FILE] [--trust PATH]... [--crl FILE]...\n"
    "                       --ledger DB --out FILE [--mapping FILE] [--idempotency-id ID] [--json]\n"
    "       idtap provision challenge --ledger DB [--ttl SECONDS] [--json]\n"
    "       idtap provision offer [--reader R] [--can-file FILE | --mrz MRZ | ...] --trust PATH... --ledger DB\n"
    "                             [--issuer-url URL [--qr FILE.png]] [--ttl 10m] [--mapping FILE] [--json]\n"
    "       idtap provision offer --attested FILE --clerk ID --ledger DB [--issuer-url URL [--qr FILE.png]]\n"
    "                             [--ttl 10m] [--json]\n\n"
    "Reads the card (as `idtap read` does: PACE or BAC, Chip Authentication, Active and Passive\n"
    "Authentication), and only when it is genuine (passive authentication passed and the chip\n"
    "proved itself), the holder is 17 or older and the card valid and not reported lost, issues\n"
    "an ISO 18013-5 mdoc bound to the phone's key, records it in the ledger (revoking the\n"
    "holder's previous phone) and writes it to --out. Valid three years. A card that does not\n"
    "read as genuine is refused with the reason; nothing is issued or recorded.\n\n"
    "  challenge               start a proof of possession: prints a one-time challenge (hex)\n"
    "                          the phone signs, with its P-256 key (ECDSA, SHA-256), after the label\n"
    "                          'idtap device key possession v1' and a zero byte (README)\n"
    "  --reader R              pcsc:NAME, pcsc:#N, nfc:CONNSTRING or sim:DIR (see `idtap readers`);\n"
    "                          default: the only reader holding a card\n"
    "  --can-file FILE         the card access number (6 digits), for PACE; without an access\n"
    "                          key it comes from IDTAP_CAN, else it is asked for on the terminal\n"
    "  --can N                 the same on the command line (visible in ps: for tests, scripts)\n"
    "  --mrz MRZ               the whole MRZ (or --doc --dob --expiry: its fields), for PACE/BAC\n"
    "  --access M              auto (default), pace or bac\n"
    "  --device-key FILE       the phone's public key: PEM (BEGIN PUBLIC KEY) or a COSE_Key (CBOR)\n"
    "  --proof FILE            the proof of possession: 'challenge: HEX' and 'signature: HEX' lines\n"
    "  --issuer-key FILE       the issuer's P-256 private key (PEM; if encrypted, the passphrase\n"
    "                          comes from --issuer-key-pass-file or $IDTAP_ISSUER_KEY_PASSPHRASE)\n"
    "  --issuer-cert FILE      the issuer certificate chain (PEM, leaf first)\n"
    "  --trust PATH            CSCA certificate(s) for passive authentication (repeatable); without\n"
    "                          it the card cannot read as genuine (no trust anchor)\n"
    "  --crl FILE              a CRL (PEM or DER); repeatable\n"
    "  --ledger DB             the provisioning ledger (made by `idtap ledger init`)\n"
    "  --out FILE              where the credential (IssuerSigned CBOR, mode 0600) goes\n"
    "  --idempotency-id ID     names this issuance (1..128 of A-Z a-z 0-9 . _ : -; made up and\n"
    "                          printed when absent): run again with the same ID after a cut-off\n"
    "                          (a lost connection, a crash) and the ledger returns the credential\n"
    "                          the first run recorded (its file written if missing), never a second\n"
    "  --ledger-key-file FILE  the ledger key (else IDTAP_LEDGER_KEY_FILE; needed for PostgreSQL)\n"
    "  --busy-timeout MS       wait for another writer this long (else IDTAP_LEDGER_BUSY_TIMEOUT_MS)\n"
    "  --mapping FILE          doc type / element mapping (default: kr.go.mois.residentid.1)\n"
    "  --json                  machine-readable output\n\n"
    "  offer                   for the phone (OpenID4VCI): reads the card as above (or takes a clerk-\n"
    "                          attested record), checks the rules now, and stores a pending offer in the\n"
    "                          ledger (sealed; the phone redeems it from `idtap serve`). Prints the\n"
    "                          pre-authorized code, the 6-digit tx_code (shown once: only its hash is\n"
    "                          kept) and, with --issuer-url, the openid-credential-offer:// URI and its\n"
    "                          QR code (drawn in the terminal; not with --json)\n"
    "  --issuer-url URL        the issuer's public URL (https; http only on loopback), for the URI\n"
    "  --qr FILE.png           with --issuer-url: the URI's QR code also as a PNG image (replaced if it exists)\n"
    "  --ttl DURATION          how long the offer may be redeemed: N, Ns, Nm or Nh (default 10m, at most 24h)\n"
    "  --attested FILE         the chipless path: the holder record a clerk attests (JSON, README);\n"
    "                          refused unless the ledger allows it (`idtap ledger init --allow-attested`)\n"
    "  --clerk ID              with --attested: the attesting clerk (recorded as clerk:ID)\n";

// print_holder: the verified holder as the clerk checks it against the person at the desk.
void print_holder(const VerifiedHolder& h) {
  auto row = [](const char* label, const std::string& value) {
    if (!value.empty()) std::printf("%-14s%s\n", label, value.c_str());
  };
  row("Name", h.family_name + (h.given_name.empty() ? "" : ", " + h.given_name));
  row("Full name", national_name_text(h.family_name_national, h.given_name_national));
  row("Born", format_date(h.birth_date));
  row("Resident no.", h.masked_resident_number());
  row("Document", h.card.issuing_state + " " + h.card.document_number + ", expires " + format_date(h.expiry_date));
  row("Genuine", h.genuine ? "YES (chip and data proved genuine)" : "NO: " + h.verdict_reason);
}

// read_card_holder: one read session (lib/reader) on the reader `open` chooses, and, only when
// the card read as genuine, the one conversion (provision::holder_from_read). A read that fails
// (wrong CAN or MRZ, card or reader errors) returns its error; a card that is not genuine returns
// kVerificationFailed with the verdict's reason, and `*verdict_exit` is set to the exit code
// `idtap read` gives that verdict (passive authentication failed, chip failed, no trust anchor).
Result<VerifiedHolder> read_card_holder(const select::OpenOptions& open, const reader::ReadRequest& request,
                                        std::optional<int>* verdict_exit, const ProgressBar& bar) {
  IDTAP_ASSIGN_OR_RETURN(select::OpenedReader opened, select::open_reader(open));
  reader::Verification refused;
  refused.genuine = true;
  auto holder = issue::read_holder(*opened.transport, request, &refused);
  bar.done();
  if (!refused.genuine) *verdict_exit = exit_code_for_verdict(refused);
  return holder;
}

// read_desk_holder: the card on the reader `args` names, read and verified as `idtap provision`
// does (cancellable with Ctrl-C, a progress bar unless --json); the access keys are wiped
// afterwards. On failure `*exit` is the exit code to return (the verdict's, as `idtap read`).
Result<VerifiedHolder> read_desk_holder(const Args& args, reader::ReadRequest& read_request, int* exit) {
  select::OpenOptions open;
  open.reader = args.get("reader");
  // A read session leaves secure messaging open and the application selected: reset the card
  // when done, so the next program (or the next read) meets a card in its power-up state.
  open.pcsc.reset_on_close = true;
  std::atomic<bool> cancelled{false};
  open.cancel = std::make_shared<select::CancelSlot>();
  read_request.cancel = &cancelled;
  std::optional<int> verdict_exit;
  ProgressBar bar{stderr_is_tty() && !args.has("json")};
  bar.attach(read_request);
  auto holder = [&] {
    InterruptWatcher interrupt([slot = open.cancel, &cancelled] {
      cancelled = true;
      slot->cancel();
    });
    return read_card_holder(open, read_request, &verdict_exit, bar);
  }();
  read_request.cancel = nullptr;
  read_request.can.reset();
  read_request.mrz.reset();
  if (!holder.ok()) *exit = verdict_exit ? *verdict_exit : exit_code_for(holder.error().code);
  return holder;
}

int run_challenge(const std::vector<std::string>& argv) {
  const CommandLine cmd("provision challenge", "provision", kHelp);
  auto parsed = cmd.parse(argv, {{"ledger", true}, {"ttl", true}, {"json"}, {"help", false, false, 'h'}});
  if (!parsed.args) return parsed.exit_code;
  const Args& args = *parsed.args;
  auto ledger_path = args.get("ledger");
  if (!ledger_path) return cmd.usage("--ledger DB is required");
  int64_t ttl = 300;
  if (auto t = args.get("ttl")) {
    try {
      ttl = std::stoll(*t);
    } catch (...) {
      ttl = -1;
    }
    if (ttl <= 0 || ttl > 86400) return cmd.usage("--ttl must be 1..86400 seconds");
  }
  auto ledger = Ledger::open(*ledger_path, ledger_options());
  if (!ledger.ok()) {
    print_error("provision challenge", ledger.error());
    return exit_code_for_ledger_open(ledger.error().code);
  }
  UnixSeconds now = now_seconds();
  auto c = ledger->new_challenge(now, ttl);
  if (!c.ok()) return cmd.fail(c.error());
  if (args.has("json")) {
    JsonWriter j;
    j.begin_object().field("challenge", to_hex(*c, true)).field("expires_at", format_tdate(now + ttl)).end_object();
    print_json_document(j.str());
  } else {
    std::printf("%s\n", to_hex(*c, true).c_str());
    std::fprintf(stderr, "challenge valid until %s; the phone signs these %zu bytes (ECDSA P-256, SHA-256)\n",
                 format_tdate(now + ttl).c_str(), c->size());
  }
  return kExitOk;
}

// parse_duration: "600", "600s", "10m", "1h" as seconds; nullopt for anything else.
std::optional<int64_t> parse_duration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  int64_t unit = 1;
  std::string digits = text;
  switch (text.back()) {
    case 's': unit = 1; digits.pop_back(); break;
    case 'm': unit = 60; digits.pop_back(); break;
    case 'h': unit = 3600; digits.pop_back(); break;
    default: break;
  }
  if (digits.empty() || digits.size() > 6 || digits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoll(digits) * unit;
}

int run_offer(const std::vector<std::string>& argv) {
  std::vector<OptionSpec> specs = {{"reader", true},   {"ledger", true}, {"ttl", true},   {"issuer-url", true}, {"mapping", true},
                                   {"attested", true}, {"clerk", true},  {"qr", true},    {"json"},        {"help", false, false, 'h'}};
  for (auto& spec : card_access_option_specs()) specs.push_back(std::move(spec));
  const CommandLine cmd("provision offer", "provision", kHelp);
  auto parsed_args = cmd.parse(argv, specs);
  if (!parsed_args.args) return parsed_args.exit_code;
  const Args& args = *parsed_args.args;
  if (!args.positional().empty()) return cmd.usage("unexpected argument '" + args.positional()[0] + "'");
  if (!args.has("ledger")) return cmd.usage("--ledger DB is required");
  const bool attested = args.has("attested");
  if (attested != args.has("clerk")) return cmd.usage("--attested FILE and --clerk ID go together");
  if (attested) {
    for (const char* card_option : {"reader", "can", "can-file", "mrz", "doc", "dob", "expiry", "access", "trust", "crl"})
      if (args.has(card_option))
        return cmd.usage(std::string("--") + card_option + " reads a card: the attested path (--attested) has none");
  } else if (!args.has("trust")) {
    return cmd.usage("--trust is required: without a CSCA no card reads as genuine, so no offer could be made "
                 "(give the CSCA certificates or a master list)");
  }
  int64_t ttl = kOfferDefaultTtlSeconds;
  if (auto t = args.get("ttl")) {
    auto parsed = parse_duration(*t);
    if (!parsed || *parsed <= 0 || *parsed > kOfferMaxTtlSeconds) return cmd.usage("--ttl must be 1s to 24h (N, Ns, Nm or Nh), not '" + *t + "'");
    ttl = *parsed;
  }
  const std::string issuer_url = args.get("issuer-url").value_or("");
  if (!issuer_url.empty()) {
    // Checked before the card is read: the URI builder refuses what a wallet would.
    issue::CredentialOfferParams probe{issuer_url, {"x"}, "x"};
    if (auto ok = issue::credential_offer_json(probe); !ok.ok()) return cmd.usage("--issuer-url: " + ok.error().context);
  }
  const std::string qr_path = args.get("qr").value_or("");
  if (!qr_path.empty()) {
    // Checked before the card is read: the image goes into a directory that exists.
    if (issuer_url.empty()) return cmd.usage("--qr draws the offer URI: give --issuer-url too");
    std::error_code ec;
    const std::string qr_dir = directory_of(qr_path);
    if (!std::filesystem::is_directory(qr_dir, ec)) return cmd.usage("--qr " + qr_path + ": the directory " + qr_dir + " does not exist");
  }
  auto loaded_mapping = mapping_option(args);
  if (!loaded_mapping.ok()) return cmd.fail(loaded_mapping.error());
  DocTypeMapping mapping = std::move(loaded_mapping).value();
  // The attested record is read and checked before the ledger is touched.
  std::optional<VerifiedHolder> holder;
  if (attested) {
    const std::string path = *args.get("attested");
    auto text = read_file(path, 1 << 20);
    if (!text.ok()) return cmd.fail(text.error().with_context("--attested"));
    const std::string dir = std::filesystem::path(path).has_parent_path() ? std::filesystem::path(path).parent_path().string() : ".";
    auto parsed = issue::parse_attested_holder(string_of(*text), dir, *args.get("clerk"));
    secure_zero(text->data(), text->size());
    if (!parsed.ok()) return cmd.fail(parsed.error());
    holder = std::move(parsed).value();
  }
  reader::ReadRequest read_request;
  auth::TrustStore trust;
  if (!attested)
    if (auto st = apply_card_access(args, read_request, trust); !st.ok()) return cmd.fail(st.error());
  auto ledger = Ledger::open(*args.get("ledger"), ledger_options());
  if (!ledger.ok()) {
    print_error("provision offer", ledger.error());
    return exit_code_for_ledger_open(ledger.error().code);
  }
  if (attested && !ledger->allow_attested())
    return cmd.fail(make_error(ErrorCode::kRefused, "this ledger does not allow clerk-attested issuance (it is off unless the ledger "
                                                "was set up with `idtap ledger init --allow-attested`); nothing was recorded"));
  if (!attested) {
    int read_exit = kExitOk;
    auto read = read_desk_holder(args, read_request, &read_exit);
    if (!read.ok()) {
      print_error("provision offer", read.error());
      return read_exit;
    }
    holder = std::move(read).value();
  }
  if (!args.has("json")) print_holder(*holder);

  // A desk pipeline: no issuer key here; `idtap serve` issues when the phone redeems.
  issue::Pipeline pipeline(*ledger, nullptr, mapping);
  auto offer = pipeline.create_offer({&*holder, now_seconds(), ttl});
  if (!offer.ok()) return cmd.fail(offer.error());
  std::string uri;
  if (!issuer_url.empty()) {
    issue::CredentialOfferParams params;
    params.credential_issuer = issuer_url;
    params.credential_configuration_ids = {pipeline.credential_configuration_id()};
    params.pre_authorized_code = offer->pre_authorized_code;
    auto built = issue::credential_offer_uri(params);
    if (!built.ok()) return cmd.fail(built.error());
    uri = std::move(built).value();
  }
  // The QR code of the URI (ISO/IEC 18004, libqrencode): what the phone scans. The offer is
  // stored already; a QR that cannot be made is reported, and the URI is still printed.
  std::optional<issue::QrMatrix> qr;
  if (!uri.empty()) {
    auto encoded = issue::qr_encode(uri);
    if (!encoded.ok()) return cmd.fail(encoded.error().with_context("the offer's QR code"));
    qr = std::move(encoded).value();
  }
  if (qr && !qr_path.empty()) {
    auto png = issue::render_png(*qr);
    if (!png.ok()) return cmd.fail(png.error().with_context("--qr"));
    if (auto st = write_file_atomic(qr_path, *png, 0644); !st.ok()) return cmd.fail(st.error().with_context("--qr"));
  }
  if (args.has("json")) {
    JsonWriter j;
    j.begin_object()
        .field("offer_id", offer->offer_id)
        .field("pre_authorized_code", offer->pre_authorized_code)
        .field("tx_code", offer->tx_code)
        .field("expires_at", format_tdate(offer->expires_at))
        .field("credential_configuration_id", pipeline.credential_configuration_id())
        .field("holder", holder->masked_resident_number())
        .field("evidence", holder->evidence_label());
    if (!uri.empty()) j.field("credential_offer_uri", uri);
    if (!qr_path.empty()) j.field("qr_png", qr_path);
    j.end_object();
    print_json_document(j.str());
  } else {
    std::printf("offer %s for holder %s (%s), valid until %s\n", offer->offer_id.c_str(), holder->masked_resident_number().c_str(),
                holder->evidence_label().c_str(), format_tdate(offer->expires_at).c_str());
    std::printf("pre-authorized code: %s\n", offer->pre_authorized_code.c_str());
    std::printf("tx_code: %s (tell the holder; shown once, not stored)\n", offer->tx_code.c_str());
    if (!uri.empty()) std::printf("%s\n", uri.c_str());
    if (qr) std::printf("%s", issue::render_terminal(*qr).c_str());
    if (!qr_path.empty()) std::printf("QR code: %s\n", qr_path.c_str());
  }
  return kExitOk;
}

}  // namespace

int cmd_provision(const std::vector<std::string>& argv) {
  if (!argv.empty() && argv[0] == "challenge") return run_challenge(std::vector<std::string>(argv.begin() + 1, argv.end()));
  if (!argv.empty() && argv[0] == "offer") return run_offer(std::vector<std::string>(argv.begin() + 1, argv.end()));
  std::vector<OptionSpec> specs = {{"reader", true},      {"device-key", true},  {"proof", true},
                                   {"issuer-key", true},  {"issuer-cert", true}, {"issuer-key-pass-file", true},
                                   {"ledger", true},      {"out", true},         {"mapping", true},
                                   {"idempotency-id", true}, {"json"},           {"help", false, false, 'h'}};
  for (auto& spec : card_access_option_specs()) specs.push_back(std::move(spec));
  const CommandLine cmd("provision", "provision", kHelp);
  auto parsed_args = cmd.parse(argv, specs);
  if (!parsed_args.args) return parsed_args.exit_code;
  const Args& args = *parsed_args.args;
  for (const char* required : {"device-key", "proof", "issuer-key", "issuer-cert", "ledger", "out"})
    if (!args.has(required)) return cmd.usage(std::string("--") + required + " is required");
  if (!args.positional().empty()) return cmd.usage("unexpected argument '" + args.positional()[0] + "'");
  reader::ReadRequest read_request;
  auth::TrustStore trust;
  if (auto st = apply_card_access(args, read_request, trust); !st.ok()) return cmd.fail(st.error());

  // Everything that can be checked without the card is checked before it is read.
  if (!args.has("trust"))
    return cmd.usage("--trust is required: without a CSCA no card reads as genuine, so nothing could be issued (give "
                     "the CSCA certificates or a master list)");
  // A retry under an --idempotency-id may find the first attempt's file there (the ledger
  // decides: the same credential, or refused).
  const bool retry_of_written = args.has("idempotency-id") && ::access(args.get("out")->c_str(), F_OK) == 0;
  if (!retry_of_written)
    if (auto st = check_out_path(*args.get("out"), "--out"); !st.ok()) return cmd.fail(st.error());
  IssuerFiles files{*args.get("issuer-key"), *args.get("issuer-cert"), args.get("issuer-key-pass-file").value_or("")};
  // The pipeline's step 1: the issuer, refused before the card is read when its certificate
  // would not cover the credential.
  auto issuer = issue::load_checked_issuer(files, now_seconds());
  if (!issuer.ok()) return cmd.fail(issuer.error());
  auto device_file = read_file(*args.get("device-key"), 1 << 16);
  if (!device_file.ok()) return cmd.fail(device_file.error().with_context("device key"));
  auto device_key = EcPublicKey::load(*device_file);
  if (!device_key.ok()) return cmd.fail(device_key.error().with_context("device key"));
  auto proof_file = read_file(*args.get("proof"), 1 << 16);
  if (!proof_file.ok()) return cmd.fail(proof_file.error().with_context("proof"));
  auto proof = parse_proof(string_of(*proof_file));
  if (!proof.ok()) return cmd.fail(proof.error());
  auto loaded_mapping = mapping_option(args);
  if (!loaded_mapping.ok()) return cmd.fail(loaded_mapping.error());
  DocTypeMapping mapping = std::move(loaded_mapping).value();
  auto ledger = Ledger::open(*args.get("ledger"), ledger_options());
  if (!ledger.ok()) {
    print_error("provision", ledger.error());
    return exit_code_for_ledger_open(ledger.error().code);
  }

  // The card, read and verified; nothing is recorded unless it is genuine.
  int read_exit = kExitOk;
  auto holder = read_desk_holder(args, read_request, &read_exit);
  if (!holder.ok()) {
    print_error("provision", holder.error());
    return read_exit;
  }

  // The clerk compares the card's holder with the person at the desk before the credential goes
  // out: the names, the birth date, the document and the verdict.
  if (!args.has("json")) print_holder(*holder);

  issue::Pipeline pipeline(*ledger, std::move(issuer).value(), mapping);
  issue::FileIssue request;
  request.holder = &*holder;
  request.device_key = *device_key;
  request.proof = *proof;
  request.now = now_seconds();
  request.path = *args.get("out");
  request.idempotency_id = args.get("idempotency-id").value_or("");
  auto issued = pipeline.issue_to_file(request);
  if (!issued.ok()) return cmd.fail(issued.error());

  if (args.has("json")) {
    JsonWriter j;
    j.begin_object()
        .field("credential_id", issued->credential_id)
        .field("idempotency_id", issued->idempotency_id)
        .field("replayed", issued->replayed)
        .field("file", issued->file_path)
        .field("holder", holder->masked_resident_number())
        .key("holder_details")
        .begin_object()
        .field("family_name", holder->family_name)
        .field("given_name", holder->given_name)
        .field("family_name_national", holder->family_name_national)
        .field("given_name_national", holder->given_name_national)
        .field("birth_date", format_date(holder->birth_date))
        .field("document_number", holder->card.document_number)
        .field("issuing_state", holder->card.issuing_state)
        .field("genuine", holder->genuine)
        .end_object()
        .field("device_thumbprint", issued->device_thumbprint)
        .field("valid_from", format_tdate(issued->validity.valid_from))
        .field("valid_until", format_tdate(issued->validity.valid_until))
        .field("status_idx", issued->status_idx)
        .key("revoked")
        .begin_array();
    for (const auto& r : issued->revoked) j.value(r);
    j.end_array().end_object();
    print_json_document(j.str());
  } else {
    std::printf("issued %s to %s (holder %s), valid until %s, status index %llu\n", issued->credential_id.c_str(),
                issued->file_path.c_str(), holder->masked_resident_number().c_str(),
                format_tdate(issued->validity.valid_until).c_str(), static_cast<unsigned long long>(issued->status_idx));
    for (const auto& r : issued->revoked) std::printf("revoked the previous phone's credential %s\n", r.c_str());
    std::printf("idempotency id %s%s\n", issued->idempotency_id.c_str(),
                issued->replayed ? " (already issued by an earlier attempt: the same credential, nothing new)" : "");
  }
  return kExitOk;
}

}  // namespace idtap::cli
