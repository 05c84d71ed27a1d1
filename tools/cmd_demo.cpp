// idtap demo: the whole mission in-process, on the built-in simulated card: personalize a
// sample resident card, read and verify it with PACE-CAN, generate a phone key as a wallet
// would, prove possession, issue the ISO 18013-5 mdoc, verify it, and leave the results in
// demo-out/ for anyone to check with a verifier of their own.
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli.h"
#include "commands.h"
#include "exit_codes.h"
#include "idtap/auth/trust_store.h"
#include "idtap/base/file_io.h"
#include "idtap/provision/holder_from_read.h"
#include "idtap/provision/date.h"
#include "idtap/provision/keys.h"
#include "idtap/provision/ledger.h"
#include "idtap/provision/mdoc.h"
#include "idtap/provision/provisioning.h"
#include "idtap/provision/signer.h"
#include "idtap/reader/session.h"
#include "idtap/sim/card_image.h"
#include "idtap/sim/personalize.h"
#include "idtap/sim/sim_transport.h"
#include "read_report.h"

namespace idtap::cli {
namespace {

constexpr const char* kHelp =
    "usage: idtap demo [--out DIR] [--face jpeg|jp2]\n"
    "\n"
    "Runs the whole mission against the built-in simulated card, in-process:\n"
    "  1. personalizes a sample resident card (Hangul name, resident number, JPEG face, a test\n"
    "     CSCA and Document Signer), written to DIR/card\n"
    "  2. reads it with PACE-CAN, Chip Authentication, Active and Passive Authentication\n"
    "  3. generates a phone key as a wallet would and proves possession of it\n"
    "  4. issues the ISO 18013-5 mdoc bound to that key, recorded in a ledger, and verifies it\n"
    "Leaves DIR/credential.cbor (IssuerSigned), DIR/issuer-cert.pem, DIR/device-key.pem (the\n"
    "phone's public key), DIR/ledger.db, DIR/read/ (the raw files and photo.png) and DIR/card.\n"
    "\n"
    "options:\n"
    "  --out DIR        where to leave the results (default demo-out; replaced if it exists)\n"
    "  --face FORMAT    the card's face image: jpeg (default) or jp2 (JPEG 2000)\n"
    "  --help           this text\n";

void step(int n, const std::string& what) { fmt::print("\n== {}. {}\n", n, what); }

int fail(const Error& e) {
  print_error("demo", e);
  return exit_code_for(e.code);
}

}  // namespace

int cmd_demo(const std::vector<std::string>& argv) {
  const CommandLine cmd("demo", "demo", kHelp);
  auto parsed = cmd.parse(argv, {{"out", true}, {"face", true}, {"help", false, false, 'h'}});
  if (!parsed.args) return parsed.exit_code;
  const auto& args = parsed.args;
  const std::string out = args->get("out").value_or("demo-out");
  sim::PersonalizeOptions personalization;
  if (auto face = args->get("face")) {
    if (*face == "jp2") personalization.face_format = sim::FaceFormat::kJpeg2000;
    else if (*face != "jpeg") return fail(make_error(ErrorCode::kInvalidArgument, "--face takes jpeg or jp2"));
  }
  std::error_code ec;
  std::filesystem::remove_all(out, ec);
  std::filesystem::create_directories(out, ec);
  if (ec) return fail(make_error(ErrorCode::kIo, "cannot create " + out + ": " + ec.message()));

  // 1. The card.
  step(1, "Personalizing a sample resident card (simulated)");
  personalization.out_dir = out + "/card";
  personalization.profile = sim::CardProfile::kResident;
  sim::PersonalizeSummary summary;
  if (auto st = sim::personalize(personalization, &summary); !st.ok()) return fail(st.error());
  fmt::print("card image in {}/card: PACE {}, face {} bytes, EF.SOD {} by a test Document Signer\n", out, summary.pace,
             summary.face_bytes, summary.sod_hash);

  // 2. Read and verify, in-process, at 424 kbit/s.
  step(2, "Reading the card with PACE-CAN and verifying chip and data");
  sim::SimOptions sim_options;
  sim_options.link.bit_rate_kbps = 424;
  auto card = sim::open_sim_card(personalization.out_dir, sim_options);
  if (!card.ok()) return fail(card.error());
  auto image = sim::load_card_image(personalization.out_dir, sim::LoadOptions{.include_pki = true});
  if (!image.ok()) return fail(image.error());
  auth::TrustStore trust;
  // The card's own test CSCA and its CRL, as personalization wrote them under pki/.
  if (auto it = image->pki.find("csca_cert.pem"); it != image->pki.end()) {
    if (auto st = trust.add_certificates(it->second, "pki/csca_cert.pem"); !st.ok()) return fail(st.error());
  }
  if (auto it = image->pki.find("csca_crl.pem"); it != image->pki.end()) {
    if (auto st = trust.add_crl(it->second, "pki/csca_crl.pem"); !st.ok()) return fail(st.error());
  }
  reader::ReadRequest request;
  request.can = auth::Password::can(
      std::string_view(reinterpret_cast<const char*>(personalization.can.data()), personalization.can.size())).value();
  request.trust = &trust;
  auto read = reader::read_card(**card, request);
  if (!read.ok()) return fail(read.error());
  ReportOptions report;
  report.modeled_link_us = (*card)->statistics().modeled_us;
  print_summary(*read, report);
  if (auto st = write_out_dir(out + "/read", *read); !st.ok()) return fail(st.error());
  if (!read->verification.genuine) {
    print_error("demo", make_error(ErrorCode::kVerificationFailed, "the card did not read as genuine: " + read->verification.genuine_reason));
    return exit_code_for_verdict(read->verification);
  }

  // 3. The phone.
  step(3, "Generating the phone's device key and proving possession");
  const UnixSeconds now = static_cast<UnixSeconds>(std::time(nullptr));
  // The demo's own ledger (only `ledger init` and this make one); its status list URI is a
  // reserved .invalid name: the demo publishes nothing.
  provision::LedgerOptions ledger_options;
  ledger_options.status_uri = "https://status.idtap-demo.invalid/list/1";
  auto ledger = provision::Ledger::create(out + "/ledger.db", ledger_options);
  if (!ledger.ok()) return fail(ledger.error());
  auto phone = provision::EcPrivateKey::generate();
  if (!phone.ok()) return fail(phone.error());
  auto challenge = ledger->new_challenge(now);
  if (!challenge.ok()) return fail(challenge.error());
  auto signature = provision::sign_possession(*phone, *challenge);
  if (!signature.ok()) return fail(signature.error());
  provision::PossessionProof proof{*challenge, *signature};
  fmt::print("device key {}, signed the one-time challenge\n", phone->public_key().thumbprint().substr(0, 16) + "…");

  // 4. Issue and verify.
  step(4, "Issuing the mobile ID (ISO 18013-5 mdoc) and verifying it independently");
  auto issuer_key = provision::EcPrivateKey::generate();
  if (!issuer_key.ok()) return fail(issuer_key.error());
  provision::CertificateRequest cert_request;
  cert_request.common_name = "idtap demo issuer";
  cert_request.not_before = now - 3600;
  cert_request.not_after = now + 5L * 365 * 86400;
  auto issuer_cert = provision::make_certificate(cert_request, issuer_key->public_key(), *issuer_key, nullptr);
  if (!issuer_cert.ok()) return fail(issuer_cert.error());
  auto issuer = provision::SoftwareIssuer::create(*issuer_key, {*issuer_cert});
  if (!issuer.ok()) return fail(issuer.error());
  auto holder = provision::holder_from_read(*read);
  if (!holder.ok()) return fail(holder.error());
  provision::IssueRequest issue;
  issue.holder = &*holder;
  issue.device_key = phone->public_key();
  issue.proof = proof;
  issue.now = now;
  issue.file_path = out + "/credential.cbor";
  auto issued = provision::issue_to_file(*ledger, std::move(issue), *issuer);
  if (!issued.ok()) return fail(issued.error());
  auto write_text = [&](const std::string& name, const std::string& text) {
    return write_file_atomic(out + "/" + name, bytes_of(text));
  };
  if (auto st = write_text("issuer-cert.pem", issuer_cert->to_pem()); !st.ok()) return fail(st.error());
  if (auto st = write_text("device-key.pem", phone->public_key().to_pem()); !st.ok()) return fail(st.error());
  provision::MdocVerifyOptions verify;
  verify.trusted_issuers = {*issuer_cert};
  verify.now = now;
  auto verified = provision::verify_mdoc(issued->issuer_signed, verify);
  if (!verified.ok()) return fail(verified.error());
  fmt::print("credential {} valid until {}, {} elements (+{} decoy digests), signature, chain and every digest verified\n",
             issued->credential_id, provision::format_tdate(verified->mso.validity.valid_until), verified->elements.size(), verified->decoy_digests);
  fmt::print("\nDone. In {}/: credential.cbor, issuer-cert.pem, device-key.pem, ledger.db, read/, card/\n", out);
  fmt::print("Check it yourself:  idtap mdoc verify {0}/credential.cbor --issuer-cert {0}/issuer-cert.pem\n", out);
  fmt::print("Serve the card:     idtap sim serve --card {}/card --vpcd 127.0.0.1:35963\n", out);
  return kExitOk;
}

}  // namespace idtap::cli
