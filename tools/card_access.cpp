#include "card_access.h"

#include <cstdio>
#include <string>

namespace idtap::cli {
namespace {

Error usage(std::string what) { return make_error(ErrorCode::kInvalidArgument, std::move(what)); }

// add_trust: one --trust or --crl path into `trust`; a file that cannot be read stays kIo, one
// that does not exist or does not parse is a usage error.
Status add_trust(auth::TrustStore& trust, const std::string& path, const char* option) {
  auto st = trust.add_path(path);
  if (st.ok()) return st;
  Error e = st.error().with_context(option);
  if (e.code != ErrorCode::kIo) e.code = ErrorCode::kInvalidArgument;
  return e;
}

}  // namespace

std::vector<OptionSpec> card_access_option_specs() {
  return {{"can", true},    {"mrz", true},    {"doc", true},         {"dob", true},
          {"expiry", true}, {"access", true}, {"trust", true, true}, {"crl", true, true}};
}

Status apply_card_access(const Args& args, reader::ReadRequest& request, auth::TrustStore& trust) {
  const bool has_fields = args.has("doc") || args.has("dob") || args.has("expiry");
  const int keys = int(args.has("can")) + int(args.has("mrz")) + int(has_fields);
  if (keys != 1) return usage("give exactly one access key: --can, --mrz, or --doc/--dob/--expiry");
  if (args.has("can")) {
    auto can = auth::Password::can(*args.get("can"));
    if (!can.ok()) return usage(can.error().context);
    request.can = std::move(can).value();
  } else if (args.has("mrz")) {
    auto mrz = auth::MrzKey::from_mrz(*args.get("mrz"));
    if (!mrz.ok()) return usage("--mrz: " + mrz.error().context);
    request.mrz = std::move(mrz).value();
  } else {
    if (!args.has("doc") || !args.has("dob") || !args.has("expiry")) return usage("--doc, --dob and --expiry go together");
    auto mrz = auth::MrzKey::from_fields(*args.get("doc"), *args.get("dob"), *args.get("expiry"));
    if (!mrz.ok()) return usage(mrz.error().context);
    request.mrz = std::move(mrz).value();
  }
  if (auto access = args.get("access")) {
    if (*access == "auto") request.access = reader::AccessMethod::kAuto;
    else if (*access == "pace") request.access = reader::AccessMethod::kPace;
    else if (*access == "bac") request.access = reader::AccessMethod::kBac;
    else return usage("--access takes auto, pace or bac");
  }
  // A CRL is checked against the CSCAs it revokes for: without --trust there is no chain to check,
  // and silently ignoring it would look like a revocation check that passed.
  if (args.has("crl") && !args.has("trust")) return usage("--crl needs --trust (the CSCAs the CRL is checked against)");
  for (const auto& path : args.all("trust")) IDTAP_TRY(add_trust(trust, path, "--trust"));
  for (const auto& path : args.all("crl")) IDTAP_TRY(add_trust(trust, path, "--crl"));
  // What a --trust directory scan passed over (a Document Signer's certificate, a key file), for -v.
  if (!args.all("verbose").empty())
    for (const auto& note : trust.skipped()) std::fprintf(stderr, "idtap: --trust: skipped %s\n", note.c_str());
  if (args.has("trust")) request.trust = &trust;
  return ok_status();
}

}  // namespace idtap::cli
