#include "card_access.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "idtap/base/file_io.h"
#include "idtap/base/secure_bytes.h"

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

// kCanDigits: the card access number printed on the card is six digits (the Korean resident
// card, the German eID; ICAO 9303-11 §3.3 leaves the length to the issuer). Checked before
// anything is sent: a mistyped CAN costs one of the card's PACE tries (63C2, 63C1, then blocked).
constexpr size_t kCanDigits = 6;

// check_can_form: kInvalidArgument naming `source` unless `can` is six decimal digits; the
// message never repeats the value.
Status check_can_form(const std::string& can, const std::string& source) {
  bool digits = can.size() == kCanDigits;
  for (char c : can) digits = digits && c >= '0' && c <= '9';
  if (!digits) return usage(source + ": a CAN is the " + std::to_string(kCanDigits) + " digits printed on the card");
  return ok_status();
}

// trim_line_end: `s` without a trailing newline (and carriage return), as a file or a prompt gives it.
void trim_line_end(std::string& s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
}

// prompt_can: the CAN typed at the terminal, without echo; kInvalidArgument when there is no
// terminal to ask (the message names the other ways to give it).
Result<std::string> prompt_can() {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0 || !::isatty(STDIN_FILENO)) {
    if (fd >= 0) ::close(fd);
    return usage("give an access key: --can-file FILE, IDTAP_CAN, --can N, --mrz, or --doc/--dob/--expiry "
                 "(a CAN is asked for only on a terminal)");
  }
  // Echo goes off before the prompt is shown, so nothing typed after it is echoed.
  termios saved{};
  const bool have_termios = ::tcgetattr(fd, &saved) == 0;
  if (have_termios) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    ::tcsetattr(fd, TCSANOW, &quiet);
  }
  static const char prompt[] = "CAN (the 6 digits printed on the card): ";
  (void)!::write(fd, prompt, sizeof prompt - 1);
  std::string line;
  char c;
  while (line.size() < 64 && ::read(fd, &c, 1) == 1 && c != '\n') line.push_back(c);
  if (have_termios) ::tcsetattr(fd, TCSANOW, &saved);
  ::close(fd);
  trim_line_end(line);
  return line;
}

// can_text: the CAN from the first source given: --can, --can-file, IDTAP_CAN, then a prompt on
// the terminal. The caller wipes the returned text.
Result<std::pair<std::string, std::string>> can_text(const Args& args) {
  if (auto can = args.get("can")) return std::pair<std::string, std::string>{*can, "--can"};
  if (auto file = args.get("can-file")) {
    auto bytes = read_file_secure(*file, 256);
    if (!bytes.ok()) return usage("--can-file " + *file + ": " + bytes.error().message());
    std::string text(bytes.value().begin(), bytes.value().end());
    wipe(bytes.value());
    trim_line_end(text);
    return std::pair<std::string, std::string>{std::move(text), "--can-file " + *file};
  }
  if (const char* env = std::getenv("IDTAP_CAN"); env && *env) return std::pair<std::string, std::string>{env, "IDTAP_CAN"};
  IDTAP_ASSIGN_OR_RETURN(std::string typed, prompt_can());
  return std::pair<std::string, std::string>{std::move(typed), "the CAN typed"};
}

}  // namespace

std::vector<OptionSpec> card_access_option_specs() {
  return {{"can", true},    {"can-file", true}, {"mrz", true},    {"doc", true},         {"dob", true},
          {"expiry", true}, {"access", true},   {"trust", true, true}, {"crl", true, true}};
}

Status apply_card_access(const Args& args, reader::ReadRequest& request, auth::TrustStore& trust) {
  const bool has_fields = args.has("doc") || args.has("dob") || args.has("expiry");
  const int keys = int(args.has("can")) + int(args.has("can-file")) + int(args.has("mrz")) + int(has_fields);
  if (keys > 1) return usage("give exactly one access key: --can, --can-file, --mrz, or --doc/--dob/--expiry");
  if (keys == 0 || args.has("can") || args.has("can-file")) {
    // No key on the command line: the CAN comes from IDTAP_CAN or a prompt (keeping it out of
    // shell history and ps).
    IDTAP_ASSIGN_OR_RETURN(auto text, can_text(args));
    Status form = check_can_form(text.first, text.second);
    if (form.ok()) {
      auto can = auth::Password::can(text.first);
      if (!can.ok()) form = usage(text.second + ": " + can.error().context);
      else request.can = std::move(can).value();
    }
    secure_zero(text.first.data(), text.first.size());
    IDTAP_TRY(form);
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
  IDTAP_TRY(load_trust_anchors(args, trust));
  if (args.has("trust")) request.trust = &trust;
  return ok_status();
}

Status load_trust_anchors(const Args& args, auth::TrustStore& trust) {
  // A CRL is checked against the CSCAs it revokes for: without --trust there is no chain to check,
  // and silently ignoring it would look like a revocation check that passed.
  if (args.has("crl") && !args.has("trust")) return usage("--crl needs --trust (the CSCAs the CRL is checked against)");
  for (const auto& path : args.all("trust")) IDTAP_TRY(add_trust(trust, path, "--trust"));
  for (const auto& path : args.all("crl")) IDTAP_TRY(add_trust(trust, path, "--crl"));
  // Files of a --trust directory that could not be loaded: said always (the rest still serves).
  for (const auto& warning : trust.warnings()) std::fprintf(stderr, "idtap: --trust: warning: %s\n", warning.c_str());
  // What a --trust directory scan passed over (a Document Signer's certificate, a key file), for -v.
  if (!args.all("verbose").empty())
    for (const auto& note : trust.skipped()) std::fprintf(stderr, "idtap: --trust: skipped %s\n", note.c_str());
  return ok_status();
}

}  // namespace idtap::cli
