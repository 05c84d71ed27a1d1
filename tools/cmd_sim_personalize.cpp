// idtap sim personalize: writes a complete simulated card image (README: "The simulated card
// image").
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli.h"
#include "commands.h"
#include "exit_codes.h"
#include "json.h"
#include "idtap/base/redact.h"
#include "idtap/base/date.h"
#include "idtap/sim/personalize.h"

namespace idtap::cli {
namespace {

constexpr const char* kUsage =
    "usage: idtap sim personalize --out DIR [OPTIONS]\n\n"
    "Writes a complete card image to DIR (atomically: a temporary directory renamed into place;\n"
    "an existing DIR is replaced only if it is a card image): DG1 (MRZ), DG2 (a synthetic face),\n"
    "DG11 (Hangul name, resident registration number, address), DG12, DG14 and DG15 with fresh\n"
    "chip keys, EF.COM, EF.CardAccess, EF.SOD signed by a throw-away Document Signer, and under\n"
    "DIR/pki/ the test CSCA, Document Signer, their keys and a CRL (PEM). The sample holder and\n"
    "all numbers are made up.\n\n"
    "document:\n"
    "  --profile P          resident (TD1, PACE with the CAN; default), passport (TD3, BAC\n"
    "                       only), both (TD3, PACE and BAC)\n"
    "  --mrz MRZ            a whole TD1 or TD3 MRZ (lines joined, or separated by newlines);\n"
    "                       its check digits must hold; replaces the composed one\n"
    "  --can NNNNNN         the card access number (default 123456)\n"
    "  --document-number N  (default KR1234567)      --issuing-state XXX (default KOR)\n"
    "  --issue-date DATE    (default today)          --expiry-date DATE (default issue + 10 y)\n"
    "  --authority TEXT     issuing authority (DG12)\n"
    "holder:\n"
    "  --surname S --given-names S   Latin names for the MRZ (default HONG, GILDONG)\n"
    "  --full-name TEXT     DG11 full name, UTF-8, FAMILY<<GIVEN as ICAO 9303-10 writes it\n"
    "                       (default 홍<<길동; without '<<' readers must guess the split)\n"
    "  --personal-number N  DG11 personal number (default 900101-1234567, made up)\n"
    "  --birth DATE         date of birth (default 1990-01-01)   --sex M|F|X\n"
    "  --nationality XXX    --place-of-birth TEXT   --address TEXT ('<' separates lines)\n"
    "  --telephone TEXT\n"
    "chip:\n"
    "  --face-format F      jpeg (default, about 15-20 KB) or jp2 (JPEG 2000)\n"
    "  --face-bytes N       make the face image about N bytes (1000..200000), e.g. 20000\n"
    "  --pace-mapping M     gm (default), im, cam (PACE-CAM; adds EF.CardSecurity)\n"
    "  --cam                the same as --pace-mapping cam\n"
    "  --no-card-security   PACE-CAM without EF.CardSecurity: the chip's key only in DG14\n"
    "  --pace-cipher C      aes128 (default), aes192, aes256\n"
    "  --pace-curve C       brainpoolP256r1 (default), P-256, or an ICAO parameter ID\n"
    "  --ca-curve C         the Chip Authentication key's curve (default brainpoolP256r1)\n"
    "  --ca-key K           the Chip Authentication key: ecdh (default, on --ca-curve), or DH\n"
    "                       in an RFC 5114 group: dh (2048-bit, 256-bit subgroup), dh-2048-224,\n"
    "                       dh-1024-160 (DG14 then names id-PK-DH / id-CA-DH-*)\n"
    "  --ca-cipher C        the CA cipher: aes128 (default), aes192, aes256, 3des\n"
    "  --aa T               Active Authentication key: ecdsa (default), rsa (2048), none\n"
    "  --aa-hash H          sha1, sha224, sha256 (default), sha384, sha512\n"
    "signing:\n"
    "  --ds-key T           Document Signer: ecdsa (P-256, default), rsa, rsa-pss (2048)\n"
    "  --hash H             EF.SOD digest: sha1, sha224, sha256 (default), sha384, sha512\n"
    "negative tests and quirks:\n"
    "  --tamper dgN         change data group N after signing (repeatable: dg1, dg2, dg11,\n"
    "                       dg12, dg14, dg15)\n"
    "  --cloned             chip keys that do not match DG14 / DG15\n"
    "  --unsigned-dg dgN    add data group N (dg13 or dg16) to the card and EF.COM without\n"
    "                       signing it in EF.SOD (repeatable)\n"
    "  --no-extended        refuse extended-length APDUs\n"
    "  --max-response N     largest response data field (e.g. 223)\n"
    "  --mse-rejects-le     answer MSE commands carrying Le with 6700\n"
    "  --no-sfi             refuse READ BINARY by short file identifier (plain 6A82)\n"
    "  --leave-after N      leave the field after N APDUs\n"
    "output:\n"
    "  --today DATE         the personalization date (default: today, UTC)\n"
    "  --json               print the summary as JSON\n"
    "  --help               this text\n\n"
    "DATE is YYYY-MM-DD. The CAN and MRZ are written to DIR/card.conf (mode 0600) and not printed.\n";

const std::vector<OptionSpec> kSpecs = {
    {"out", true},          {"profile", true},       {"mrz", true},          {"can", true},
    {"document-number", true}, {"issuing-state", true}, {"issue-date", true}, {"expiry-date", true},
    {"authority", true},    {"surname", true},       {"given-names", true},  {"full-name", true},
    {"personal-number", true}, {"birth", true},      {"sex", true},          {"nationality", true},
    {"place-of-birth", true}, {"address", true},     {"telephone", true},    {"face-format", true}, {"face-bytes", true},
    {"pace-mapping", true}, {"cam", false},          {"pace-cipher", true},  {"pace-curve", true},
    {"ca-curve", true},     {"ca-key", true},        {"ca-cipher", true},    {"no-card-security", false},
    {"unsigned-dg", true, true},                     {"aa", true},            {"aa-hash", true},      {"ds-key", true},
    {"hash", true},         {"tamper", true, true},  {"cloned", false},      {"no-extended", false},
    {"max-response", true}, {"mse-rejects-le", false}, {"no-sfi", false}, {"leave-after", true}, {"today", true},
    {"json", false},        {"help", false, false, 'h'},
};

Error usage_error(const std::string& what) { return make_error(ErrorCode::kInvalidArgument, what); }

// date_option: the date of option `option` ("YYYY-MM-DD" or "YYYYMMDD"); kInvalidArgument.
Result<Date> date_option(const std::string& option, const std::string& text) {
  auto d = parse_date(text);
  if (!d.ok()) return usage_error("--" + option + " needs a date YYYY-MM-DD, got '" + text + "'");
  return *d;
}

Result<crypto::HashAlg> parse_hash(const std::string& option, const std::string& text) {
  if (text == "sha1") return crypto::HashAlg::kSha1;
  if (text == "sha224") return crypto::HashAlg::kSha224;
  if (text == "sha256") return crypto::HashAlg::kSha256;
  if (text == "sha384") return crypto::HashAlg::kSha384;
  if (text == "sha512") return crypto::HashAlg::kSha512;
  return usage_error("--" + option + " must be sha1, sha224, sha256, sha384 or sha512, not '" + text + "'");
}

Result<int> parse_curve(const std::string& option, const std::string& text) {
  if (text == "brainpoolP256r1") return 13;
  if (text == "P-256" || text == "secp256r1" || text == "prime256v1") return 12;
  if (text == "brainpoolP384r1") return 16;
  if (text == "P-384" || text == "secp384r1") return 15;
  if (text == "brainpoolP512r1") return 17;
  if (text == "P-521" || text == "secp521r1") return 18;
  if (!text.empty() && text.size() <= 2 && text.find_first_not_of("0123456789") == std::string::npos) {
    int id = std::stoi(text);
    if (id >= 8 && id <= 18) return id;
  }
  return usage_error("--" + option + ": unknown curve '" + text + "' (brainpoolP256r1, P-256, ... or an ID 8..18)");
}

Result<size_t> parse_count(const std::string& option, const std::string& text, size_t max) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    return usage_error("--" + option + " needs a number, got '" + text + "'");
  const size_t n = std::stoul(text);
  if (n > max) return usage_error("--" + option + " must be at most " + std::to_string(max));
  return n;
}

// options_from: the PersonalizeOptions a command line asks for.
Result<sim::PersonalizeOptions> options_from(const Args& a) {
  sim::PersonalizeOptions o;
  o.out_dir = a.get("out").value_or("");
  if (o.out_dir.empty()) return usage_error("--out DIR is required");
  if (auto v = a.get("profile")) {
    IDTAP_ASSIGN_OR_RETURN(o.profile, sim::parse_card_profile(*v));
  }
  if (auto v = a.get("mrz")) o.mrz = *v;
  if (auto v = a.get("can")) o.can = secure_copy(ByteView(reinterpret_cast<const uint8_t*>(v->data()), v->size()));
  if (auto v = a.get("document-number")) o.document.document_number = *v;
  if (auto v = a.get("issuing-state")) o.document.issuing_state = *v;
  if (auto v = a.get("authority")) o.document.issuing_authority = *v;
  if (auto v = a.get("issue-date")) {
    IDTAP_ASSIGN_OR_RETURN(o.document.date_of_issue, date_option("issue-date", *v));
  }
  if (auto v = a.get("expiry-date")) {
    IDTAP_ASSIGN_OR_RETURN(o.document.date_of_expiry, date_option("expiry-date", *v));
  }
  if (auto v = a.get("surname")) o.holder.primary_identifier = *v;
  if (auto v = a.get("given-names")) o.holder.secondary_identifier = *v;
  if (auto v = a.get("full-name")) o.holder.full_name = *v;
  if (auto v = a.get("personal-number")) o.holder.personal_number = lds::PersonalNumber(*v);
  if (auto v = a.get("birth")) {
    IDTAP_ASSIGN_OR_RETURN(o.holder.date_of_birth, date_option("birth", *v));
  }
  if (auto v = a.get("sex")) {
    if (*v != "M" && *v != "F" && *v != "X") return usage_error("--sex must be M, F or X");
    o.holder.sex = *v == "X" ? '<' : (*v)[0];
  }
  if (auto v = a.get("nationality")) o.holder.nationality = *v;
  if (auto v = a.get("place-of-birth")) o.holder.place_of_birth = *v;
  if (auto v = a.get("address")) o.holder.address = *v;
  if (auto v = a.get("telephone")) o.holder.telephone = *v;
  if (auto v = a.get("face-format")) {
    if (*v == "jpeg" || *v == "jpg") o.face_format = sim::FaceFormat::kJpeg;
    else if (*v == "jp2" || *v == "jpeg2000") o.face_format = sim::FaceFormat::kJpeg2000;
    else return usage_error("--face-format must be jpeg or jp2");
  }
  if (auto v = a.get("face-bytes")) {
    char* end = nullptr;
    const unsigned long n = std::strtoul(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0' || n < 1000 || n > 200000) return usage_error("--face-bytes must be a number from 1000 to 200000");
    o.face_bytes = n;
  }
  if (o.profile == sim::CardProfile::kPassport)
    for (const char* pace_option : {"can", "pace-mapping", "cam", "pace-cipher", "pace-curve", "no-card-security"})
      if (a.has(pace_option))
        return usage_error(std::string("--") + pace_option + " needs a card with PACE (--profile resident or both)");
  if (auto v = a.get("pace-mapping")) {
    if (*v == "gm") o.pace_mapping = sim::PaceMapping::kGeneric;
    else if (*v == "im") o.pace_mapping = sim::PaceMapping::kIntegrated;
    else if (*v == "cam") o.pace_mapping = sim::PaceMapping::kChipAuthentication;
    else return usage_error("--pace-mapping must be gm, im or cam");
  }
  if (a.has("cam")) {
    if (a.has("pace-mapping") && o.pace_mapping != sim::PaceMapping::kChipAuthentication)
      return usage_error("--cam contradicts --pace-mapping");
    o.pace_mapping = sim::PaceMapping::kChipAuthentication;
  }
  if (auto v = a.get("pace-cipher")) {
    if (*v == "aes128") o.pace_cipher = crypto::CipherAlg::kAes128;
    else if (*v == "aes192") o.pace_cipher = crypto::CipherAlg::kAes192;
    else if (*v == "aes256") o.pace_cipher = crypto::CipherAlg::kAes256;
    else return usage_error("--pace-cipher must be aes128, aes192 or aes256");
  }
  if (auto v = a.get("pace-curve")) {
    IDTAP_ASSIGN_OR_RETURN(o.pace_parameter_id, parse_curve("pace-curve", *v));
  }
  if (auto v = a.get("ca-curve")) {
    IDTAP_ASSIGN_OR_RETURN(o.ca_parameter_id, parse_curve("ca-curve", *v));
  }
  if (auto v = a.get("ca-key")) {
    // DH: the RFC 5114 groups, standardized domain parameter IDs 0-2 (ICAO 9303-11 §9.5.1).
    if (*v == "dh" || *v == "dh-2048-256") o.ca_parameter_id = 2;
    else if (*v == "dh-2048-224") o.ca_parameter_id = 1;
    else if (*v == "dh-1024-160") o.ca_parameter_id = 0;
    else if (*v != "ecdh") return usage_error("--ca-key must be ecdh, dh, dh-2048-224 or dh-1024-160");
    if (*v != "ecdh" && a.has("ca-curve")) return usage_error("--ca-curve names an ECDH curve: it contradicts --ca-key " + *v);
  }
  if (auto v = a.get("ca-cipher")) {
    if (*v == "aes128") o.ca_cipher = crypto::CipherAlg::kAes128;
    else if (*v == "aes192") o.ca_cipher = crypto::CipherAlg::kAes192;
    else if (*v == "aes256") o.ca_cipher = crypto::CipherAlg::kAes256;
    else if (*v == "3des") o.ca_cipher = crypto::CipherAlg::kTdes;
    else return usage_error("--ca-cipher must be aes128, aes192, aes256 or 3des");
  }
  if (a.has("no-card-security")) {
    if (o.pace_mapping != sim::PaceMapping::kChipAuthentication) return usage_error("--no-card-security needs --cam (PACE-CAM)");
    o.card_security = false;
  }
  if (auto v = a.get("aa")) {
    if (*v == "ecdsa") o.aa_key = sim::AaKeyType::kEcdsa;
    else if (*v == "rsa") o.aa_key = sim::AaKeyType::kRsa2048;
    else if (*v == "none") o.aa_key = sim::AaKeyType::kNone;
    else return usage_error("--aa must be ecdsa, rsa or none");
  }
  if (auto v = a.get("aa-hash")) {
    IDTAP_ASSIGN_OR_RETURN(o.aa_hash, parse_hash("aa-hash", *v));
  }
  if (o.aa_key == sim::AaKeyType::kRsa2048 && !a.has("aa-hash")) o.aa_hash = crypto::HashAlg::kSha1;  // 9796-2 trailer BC
  if (auto v = a.get("ds-key")) {
    if (*v == "ecdsa") o.ds_key = sim::DsKeyType::kEcdsa;
    else if (*v == "rsa") o.ds_key = sim::DsKeyType::kRsa;
    else if (*v == "rsa-pss") o.ds_key = sim::DsKeyType::kRsaPss;
    else return usage_error("--ds-key must be ecdsa, rsa or rsa-pss");
  }
  if (auto v = a.get("hash")) {
    IDTAP_ASSIGN_OR_RETURN(o.sod_hash, parse_hash("hash", *v));
  }
  for (const auto& t : a.all("tamper")) {
    size_t start = 0;
    while (start <= t.size()) {
      size_t comma = t.find(',', start);
      if (comma == std::string::npos) comma = t.size();
      std::string word = t.substr(start, comma - start);
      if (word.size() < 3 || word.substr(0, 2) != "dg") return usage_error("--tamper takes dgN (dg1, dg2, ...), not '" + word + "'");
      IDTAP_ASSIGN_OR_RETURN(size_t n, parse_count("tamper", word.substr(2), 16));
      o.tamper.push_back(static_cast<int>(n));
      start = comma + 1;
    }
  }
  for (const auto& word : a.all("unsigned-dg")) {
    if (word.size() < 3 || word.substr(0, 2) != "dg") return usage_error("--unsigned-dg takes dg13 or dg16, not '" + word + "'");
    IDTAP_ASSIGN_OR_RETURN(size_t n, parse_count("unsigned-dg", word.substr(2), 16));
    o.unsigned_data_groups.push_back(static_cast<int>(n));
  }
  o.cloned = a.has("cloned");
  if (a.has("no-extended")) o.quirks.extended_length = false;
  if (auto v = a.get("max-response")) {
    IDTAP_ASSIGN_OR_RETURN(o.quirks.max_response, parse_count("max-response", *v, 65536));
  }
  if (a.has("mse-rejects-le")) o.quirks.mse_rejects_le = true;
  if (a.has("no-sfi")) o.quirks.no_sfi = true;
  if (auto v = a.get("leave-after")) {
    IDTAP_ASSIGN_OR_RETURN(o.quirks.leave_after, parse_count("leave-after", *v, 1000000));
  }
  if (auto v = a.get("today")) {
    IDTAP_ASSIGN_OR_RETURN(o.today, date_option("today", *v));
  }
  return o;
}

void print_summary(const sim::PersonalizeSummary& s, bool json) {
  if (json) {
    JsonWriter w(true);
    w.begin_object();
    w.field("card", s.out_dir);
    w.field("profile", sim::card_profile_name(s.profile));
    w.field("mrz_format", lds::mrz_format_name(s.mrz_format));
    w.key("files").begin_object();
    for (const auto& [name, size] : s.files) w.field(name, static_cast<uint64_t>(size));
    w.end_object();
    w.key("face").begin_object().field("format", lds::image_format_name(s.face_format)).field("bytes", static_cast<uint64_t>(s.face_bytes)).end_object();
    if (s.pace.empty()) w.key("pace").null();
    else w.field("pace", s.pace);
    w.field("ca_curve", s.ca_curve);
    w.field("ca_cipher", s.ca_cipher);
    w.field("aa", s.aa);
    w.field("document_signer", s.ds);
    w.field("sod_hash", s.sod_hash);
    w.key("tampered").begin_array();
    for (int dg : s.tampered) w.value(dg);
    w.end_array();
    w.key("unsigned_data_groups").begin_array();
    for (int dg : s.unsigned_data_groups) w.value(dg);
    w.end_array();
    w.field("cloned", s.cloned);
    w.end_object();
    print_json_document(w.str());
    return;
  }
  std::printf("card image written to %s\n", s.out_dir.c_str());
  std::printf("  profile        %s (%s MRZ)\n", sim::card_profile_name(s.profile), lds::mrz_format_name(s.mrz_format));
  std::printf("  access         %s\n", s.pace.empty() ? "BAC" : (s.profile == sim::CardProfile::kBoth ? ("PACE " + s.pace + ", BAC").c_str() : ("PACE " + s.pace).c_str()));
  std::printf("  face (DG2)     %s, %zu bytes\n", lds::image_format_name(s.face_format), s.face_bytes);
  std::printf("  chip           CA %s %s, AA %s%s\n", s.ca_curve.c_str(), s.ca_cipher.c_str(), s.aa.c_str(),
              s.cloned ? ", cloned (keys do not match)" : "");
  std::printf("  EF.SOD         %s, Document Signer %s\n", s.sod_hash.c_str(), s.ds.c_str());
  if (!s.tampered.empty()) {
    std::printf("  tampered       ");
    for (size_t i = 0; i < s.tampered.size(); ++i) std::printf("%sDG%d", i ? ", " : "", s.tampered[i]);
    std::printf(" (changed after signing)\n");
  }
  if (!s.unsigned_data_groups.empty()) {
    std::printf("  unsigned       ");
    for (size_t i = 0; i < s.unsigned_data_groups.size(); ++i) std::printf("%sDG%d", i ? ", " : "", s.unsigned_data_groups[i]);
    std::printf(" (in EF.COM, not in EF.SOD)\n");
  }
  std::printf("  files         ");
  for (const auto& [name, size] : s.files) std::printf(" %s (%zu)", name.c_str(), size);
  std::printf("\n  pki/           csca_cert.pem csca_key.pem ds_cert.pem ds_key.pem csca_crl.pem\n");
  std::printf("the CAN and MRZ key are in %s/card.conf\n", s.out_dir.c_str());
}

}  // namespace

int cmd_sim_personalize(const std::vector<std::string>& argv) {
  const CommandLine cmd("sim personalize", "sim personalize", kUsage);
  auto parsed = cmd.parse(argv, kSpecs);
  if (!parsed.args) return parsed.exit_code;
  const Args& args = *parsed.args;
  if (!args.positional().empty()) return cmd.usage("unexpected argument '" + args.positional()[0] + "'");
  auto options = options_from(args);
  if (!options.ok()) {
    print_error("sim personalize", options.error());
    return kExitUsage;
  }
  sim::PersonalizeSummary summary;
  Status s = sim::personalize(*options, &summary);
  if (!s.ok()) return cmd.fail(s.error());
  print_summary(summary, args.has("json"));
  return kExitOk;
}

}  // namespace idtap::cli
