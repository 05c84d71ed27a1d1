// `idtap read` on simulated cards, through the binary: the JSON document value by value (data
// groups against the --out files, stats, verdict reasons), --out when the face does not decode
// or the directory cannot be written, the options (--files, --crl, --mrz, --doc/--dob/--expiry,
// --access, --aa-challenge), the readable summary, the progress bar only on a terminal, and the
// README's JSON schema against the real output.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <string>

#include "idtap/auth/active_auth.h"
#include "idtap/base/hex.h"
#include "idtap/crypto/hash.h"
#include "idtap/lds/dg14.h"
#include "idtap/lds/dg15.h"
#include "idtap/lds/dg2.h"
#include "idtap/lds/oid.h"
#include "idtap/lds/ef_sod.h"
#include "idtap/sim/card_image.h"
#include "idtap/sim/personalize.h"
#include "support/pcscd_fixture.h"
#include "support/run_shell.h"
#include "support/scratch_dir.h"
#include "support/test_pki.h"
#include "tools/json.h"

using namespace idtap;
using test::idtap_binary;
using test::Json;
using test::run_shell;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Bytes read_bytes(const std::string& path) {
  const std::string text = read_text(path);
  return Bytes(text.begin(), text.end());
}

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// Split: a command's exit code, stdout and stderr apart.
struct Split {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// run_split: `command` with stderr captured into a file of `scratch` (stdout stays clean JSON).
Split run_split(const std::string& command, const test::ScratchDir& scratch) {
  const std::string err = scratch.path() + "/stderr.txt";
  auto r = run_shell(command + " 2>" + err + "; exit $?");
  return Split{r.exit_code, r.out, read_text(err)};
}

// personalize: `idtap sim personalize --out TMP/NAME OPTIONS`; the card directory.
std::string personalize(const test::ScratchDir& tmp, const std::string& name, const std::string& options = "") {
  const std::string dir = tmp.path() + "/" + name;
  auto made = run_shell(idtap_binary() + " sim personalize --out " + dir + " " + options);
  REQUIRE_MESSAGE(made.exit_code == 0, made.out);
  return dir;
}

// answer_on_pty: runs `command` (with /bin/sh) on a new pseudo-terminal, types `answer` once the
// output shows `prompt`, and collects everything the terminal showed until the command exits.
// Bounded: gives up (exit -1) after 60 s without the command ending.
test::ShellRun answer_on_pty(const std::string& command, const std::string& prompt, const std::string& answer) {
  test::ShellRun r;
  int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  REQUIRE(master >= 0);
  REQUIRE(::grantpt(master) == 0);
  REQUIRE(::unlockpt(master) == 0);
  const std::string slave_name = ::ptsname(master);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::setsid();
    int slave = ::open(slave_name.c_str(), O_RDWR);  // the first terminal opened: the controlling one
    if (slave < 0) ::_exit(126);
    ::dup2(slave, 0);
    ::dup2(slave, 1);
    ::dup2(slave, 2);
    ::close(master);
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  bool answered = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 200) > 0) {
      char buf[4096];
      ssize_t n = ::read(master, buf, sizeof buf);
      if (n <= 0) break;  // EIO: the command and everything it started closed the terminal
      r.out.append(buf, static_cast<size_t>(n));
    }
    if (!answered && r.out.find(prompt) != std::string::npos) {
      (void)!::write(master, answer.data(), answer.size());
      answered = true;
    }
  }
  ::close(master);
  int status = 0;
  pid_t done = 0;
  for (int i = 0; i < 100 && (done = ::waitpid(pid, &status, WNOHANG)) == 0; ++i) ::usleep(100 * 1000);
  if (done != pid) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return r;
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// read_command: `idtap read --reader sim:CARD OPTIONS`.
std::string read_command(const std::string& card, const std::string& options) {
  return idtap_binary() + " read --reader sim:" + card + " " + options;
}

Json parse_or_fail(const std::string& text) {
  std::string error;
  auto v = test::parse_json(text, &error);
  REQUIRE_MESSAGE(v.has_value(), error << "\n" << text);
  return *v;
}

std::string sha256_hex(ByteView data) { return to_hex(crypto::digest(crypto::HashAlg::kSha256, data).value()); }

uint32_t be32(const Bytes& b, size_t at) {
  return (uint32_t(b[at]) << 24) | (uint32_t(b[at + 1]) << 16) | (uint32_t(b[at + 2]) << 8) | uint32_t(b[at + 3]);
}

// check_png: `png` is a PNG file (signature, then IHDR first) of `width` x `height`.
void check_png(const Bytes& png, uint32_t width, uint32_t height) {
  REQUIRE(png.size() > 33);
  CHECK(to_hex(ByteView(png).first(8)) == "89504e470d0a1a0a");
  CHECK(be32(png, 8) == 13);  // IHDR's length
  CHECK(std::string(png.begin() + 12, png.begin() + 16) == "IHDR");
  CHECK(be32(png, 16) == width);
  CHECK(be32(png, 20) == height);
}

std::vector<std::string> strings_of(const Json& array) {
  std::vector<std::string> out;
  for (const auto& v : array) out.push_back(v.get<std::string>());
  return out;
}

// make_card_with_undecodable_face: a genuine card (signed EF.SOD, chip keys that match) whose DG2
// holds a "JPEG" cut after its first 64 bytes: its magic bytes say JPEG, its hash matches EF.SOD
// (re-signed by a fresh Document Signer under a fresh CSCA, written as pki/csca_cert.der), and
// it does not decode. Returns the cut image.
Bytes make_card_with_undecodable_face(const std::string& dir) {
  sim::PersonalizeOptions options;
  auto made = sim::personalize_card(options);
  REQUIRE_MESSAGE(made.ok(), made.error().message());
  sim::CardImage& image = made->image;
  auto dg2 = lds::parse_dg2(image.files.data_groups.at(2));
  REQUIRE(dg2.ok());
  REQUIRE(dg2->infos.at(0).iso19794.has_value());
  Bytes& face = dg2->infos.at(0).iso19794->images.at(0).image;
  REQUIRE(face.size() > 1000);
  face.resize(64);
  const Bytes cut = face;
  auto encoded = lds::encode_dg2(*dg2);
  REQUIRE(encoded.ok());
  image.files.data_groups[2] = *encoded;

  auto sod = lds::parse_ef_sod(*image.files.sod);
  REQUIRE(sod.ok());
  lds::LdsSecurityObject lso = sod->security_object;
  REQUIRE(lso.hash_alg() == crypto::HashAlg::kSha256);
  bool replaced = false;
  for (auto& h : lso.hashes) {
    if (h.number != 2) continue;
    h.hash = crypto::digest(crypto::HashAlg::kSha256, *encoded).value();
    replaced = true;
  }
  REQUIRE(replaced);
  auto pki = sim::create_test_pki(sim::PkiOptions{});
  REQUIRE(pki.ok());
  auto signed_sod = lds::create_ef_sod(lso, sim::cms_signer(*pki, crypto::HashAlg::kSha256));
  REQUIRE(signed_sod.ok());
  image.files.sod = *signed_sod;
  image.pki = {{"csca_cert.der", pki->csca_cert}};
  auto written = sim::write_card_image(dir, image);
  REQUIRE_MESSAGE(written.ok(), written.error().message());
  return cut;
}

// write_revoking_crl: a CRL signed by the card's CSCA (pki/csca_key.pem) that revokes the card's
// Document Signer (pki/ds_cert.pem), written as PEM to `path`.
void write_revoking_crl(const std::string& card, const std::string& path) {
  auto load_cert = [](const std::string& file) {
    FILE* f = std::fopen(file.c_str(), "r");
    REQUIRE(f != nullptr);
    X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    REQUIRE(x != nullptr);
    return testing::Cert(x, X509_free);
  };
  testing::Cert csca = load_cert(card + "/pki/csca_cert.pem");
  testing::Cert ds = load_cert(card + "/pki/ds_cert.pem");
  FILE* f = std::fopen((card + "/pki/csca_key.pem").c_str(), "r");
  REQUIRE(f != nullptr);
  testing::EvpKey key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr), EVP_PKEY_free);
  std::fclose(f);
  REQUIRE(key != nullptr);
  const long serial = ASN1_INTEGER_get(X509_get0_serialNumber(ds.get()));
  REQUIRE(serial > 0);
  testing::write_file(path, testing::make_crl(csca.get(), key.get(), {serial}, true));
}

}  // namespace

TEST_CASE("idtap read --json: data groups keyed by number, each SHA-256 that of the --out file; stats; reasons empty") {
  test::ScratchDir tmp("read-json");
  const std::string card = personalize(tmp, "card");
  const std::string out = tmp.path() + "/out";
  auto r = run_split(read_command(card, "--can 123456 --trust " + card + "/pki/csca_cert.pem --json --out " + out), tmp);
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  const Json doc = parse_or_fail(r.out);

  const Json& groups = doc.at("data_groups");
  REQUIRE(groups.is_object());
  // Every data group EF.SOD lists but DG3/DG4; the card has 1, 2, 11, 12, 14, 15.
  CHECK(test::keys_of(groups) == std::vector<std::string>{"1", "2", "11", "12", "14", "15"});
  const std::regex hex64("^[0-9a-f]{64}$");
  for (const auto& [number, group] : groups.items()) {
    CAPTURE(number);
    const Bytes file = read_bytes(out + "/dg" + number + ".bin");
    REQUIRE_FALSE(file.empty());
    CHECK(std::regex_match(group.at("sha256").get<std::string>(), hex64));
    CHECK(group.at("sha256").get<std::string>() == sha256_hex(file));
    CHECK(group.at("bytes").get<uint64_t>() == file.size());
    REQUIRE(group.at("hash_ok").is_boolean());
    CHECK(group.at("hash_ok").get<bool>());
    CHECK(!group.contains("error"));
  }

  const Json& stats = doc.at("stats");
  for (const char* field : {"apdus", "apdus_after_access", "bytes_sent", "bytes_received", "ms", "recoveries", "chunk_size"}) {
    CAPTURE(field);
    CHECK(stats.at(field).is_number_unsigned());
  }
  CHECK(stats.at("apdus").get<uint64_t>() > 0);
  CHECK(stats.at("apdus_after_access").get<uint64_t>() < stats.at("apdus").get<uint64_t>());
  CHECK(stats.at("bytes_sent").get<uint64_t>() > 0);
  CHECK(stats.at("bytes_received").get<uint64_t>() > 17000);  // at least the face image came in

  const Json& v = doc.at("verification");
  for (const char* field : {"access", "passive", "chip", "active", "genuine", "reasons"}) {
    CAPTURE(field);
    CHECK(v.contains(field));
  }
  CHECK(v.at("genuine").is_boolean());
  CHECK(v.at("genuine").get<bool>());
  REQUIRE(v.at("reasons").is_array());
  CHECK(v.at("reasons").empty());
  // The simulated card's EF.SOD is strict DER, ICAO content type, named curves: no leniency.
  REQUIRE(v.contains("passive_leniencies"));
  REQUIRE(v.at("passive_leniencies").is_array());
  CHECK(v.at("passive_leniencies").empty());
  CHECK(v.at("access").get<std::string>() == "PACE-CAN id-PACE-ECDH-GM-AES-CBC-CMAC-128 brainpoolP256r1");

  // The files --out lists are there, byte for byte what the report hashes.
  const Json& written = doc.at("out");
  CHECK(written.at("dir").get<std::string>() == out);
  CHECK(written.at("error").get<std::string>().empty());
  CHECK(strings_of(written.at("files")) == std::vector<std::string>{"ef_cardaccess.bin", "ef_com.bin", "ef_sod.bin", "dg1.bin", "dg2.bin",
                                                                 "dg11.bin", "dg12.bin", "dg14.bin", "dg15.bin", "face.jpg",
                                                                 "photo.png"});
  CHECK(written.at("photo").at("written").get<bool>());
  CHECK(written.at("photo").at("face_file").get<std::string>() == "face.jpg");
  CHECK(written.at("photo").at("error").get<std::string>().empty());
  for (const auto& f : written.at("files")) CHECK(std::filesystem::is_regular_file(out + "/" + f.get<std::string>()));
  CHECK(read_bytes(out + "/face.jpg").size() == doc.at("document").at("face_image").at("bytes").get<uint64_t>());
}

TEST_CASE("idtap read --json: a failed check is named in reasons and hash_ok, with its exit code") {
  test::ScratchDir tmp("read-reasons");
  const struct {
    const char* options;
    int exit_code;
    const char* first_reason;  // the start of reasons[0]
    const char* why;
  } cases[] = {
      {"--tamper dg11", 5, "passive: invalid: DG11 does not match its hash", "DG11 changed after signing"},
      {"--cloned --aa none", 6, "chip: failed: ", "a clone: copied data, its own chip key, no AA"},
      {"--cloned", 6, "chip: failed: ", "a clone with AA: both checks fail"},
  };
  int n = 0;
  for (const auto& c : cases) {
    CAPTURE(c.why);
    const std::string card = personalize(tmp, "card" + std::to_string(n++), c.options);
    auto r = run_split(read_command(card, "--can 123456 --trust " + card + "/pki/csca_cert.pem --json"), tmp);
    CAPTURE(r.out);
    CHECK(r.exit_code == c.exit_code);
    const Json doc = parse_or_fail(r.out);
    const Json& v = doc.at("verification");
    CHECK_FALSE(v.at("genuine").get<bool>());
    const std::vector<std::string> reasons = strings_of(v.at("reasons"));
    REQUIRE(reasons.size() >= 2);
    CHECK(reasons.front().rfind(c.first_reason, 0) == 0);
    CHECK(reasons.back() == "genuine: " + v.at("genuine_reason").get<std::string>());  // the verdict's own, last
    for (const auto& reason : reasons) CHECK_FALSE(contains(reason, "passed"));
    // hash_ok: false exactly for the tampered group.
    for (const auto& [number, group] : doc.at("data_groups").items()) {
      CAPTURE(number);
      const bool tampered = c.exit_code == 5 && number == "11";
      CHECK(group.at("hash_ok").get<bool>() == !tampered);
    }
  }
}

TEST_CASE("idtap read --out: a face that passes its hash but does not decode loses neither the report nor the other files") {
  test::ScratchDir tmp("read-badface");
  const std::string card = tmp.path() + "/card";
  const Bytes cut = make_card_with_undecodable_face(card);
  const std::string trust = " --trust " + card + "/pki/csca_cert.der";

  const std::string out = tmp.path() + "/out";
  auto json = run_split(read_command(card, "--can 123456" + trust + " --json --out " + out), tmp);
  CAPTURE(json.out);
  CAPTURE(json.err);
  CHECK(json.exit_code == 0);  // the verdict's: the card is genuine
  const Json doc = parse_or_fail(json.out);
  CHECK(doc.at("verification").at("genuine").get<bool>());
  CHECK(doc.at("data_groups").at("2").at("hash_ok").get<bool>());
  const Json& photo = doc.at("out").at("photo");
  CHECK_FALSE(photo.at("written").get<bool>());
  CHECK(photo.at("face_file").get<std::string>() == "face.jpg");
  CHECK(contains(photo.at("error").get<std::string>(), "does not decode"));
  CHECK(doc.at("out").at("error").get<std::string>().empty());
  const std::vector<std::string> files = strings_of(doc.at("out").at("files"));
  CHECK(std::find(files.begin(), files.end(), "photo.png") == files.end());
  for (const char* f : {"ef_cardaccess.bin", "ef_com.bin", "ef_sod.bin", "dg1.bin", "dg2.bin", "dg11.bin", "dg12.bin", "dg14.bin", "dg15.bin"}) {
    CAPTURE(f);
    CHECK(std::find(files.begin(), files.end(), f) != files.end());
    CHECK(std::filesystem::is_regular_file(out + "/" + f));
  }
  CHECK(read_bytes(out + "/face.jpg") == cut);  // the image as stored
  CHECK_FALSE(std::filesystem::exists(out + "/photo.png"));
  CHECK(contains(json.err, "photo.png not written"));

  // The readable summary says the same, and is printed whole.
  auto text = run_split(read_command(card, "--can 123456" + trust + " --out " + tmp.path() + "/out2"), tmp);
  CAPTURE(text.out);
  CHECK(text.exit_code == 0);
  CHECK(contains(text.out, "Genuine       YES"));
  CHECK(contains(text.out, "Photo file    not written: the face image (face.jpg) does not convert to PNG"));
  CHECK(contains(text.err, "idtap read: --out: photo.png not written"));
}

TEST_CASE("idtap read --out into a directory an earlier read used: only this read's files remain") {
  test::ScratchDir tmp("read-reuse");
  const std::string good = personalize(tmp, "good");
  const std::string bad_face = tmp.path() + "/bad-face";
  const Bytes cut = make_card_with_undecodable_face(bad_face);
  const std::string out = tmp.path() + "/out";
  std::filesystem::create_directories(out);
  { std::ofstream(out + "/notes.txt") << "the kiosk's own file"; }
  auto exists = [&](const char* name) { return std::filesystem::exists(out + "/" + name); };

  auto first = run_shell(read_command(good, "--can 123456 --trust " + good + "/pki/csca_cert.pem --out " + out));
  REQUIRE(first.exit_code == 0);
  REQUIRE(exists("photo.png"));
  REQUIRE(exists("dg12.bin"));
  // The next card's face does not decode: the first holder's photo.png must not stay beside it.
  auto second = run_shell(read_command(bad_face, "--can 123456 --trust " + bad_face + "/pki/csca_cert.der --out " + out));
  CAPTURE(second.out);
  CHECK(second.exit_code == 0);
  CHECK_FALSE(exists("photo.png"));
  CHECK(read_bytes(out + "/face.jpg") == cut);
  CHECK(exists("dg12.bin"));
  // A read of DG1 and DG11 only: DG2, DG12 and the face of the earlier read go.
  auto third = run_shell(read_command(good, "--can 123456 --files 1,11 --trust " + good + "/pki/csca_cert.pem --out " + out));
  CHECK(third.exit_code == 0);
  for (const char* gone : {"dg2.bin", "dg12.bin", "face.jpg", "photo.png"}) {
    CAPTURE(gone);
    CHECK_FALSE(exists(gone));
  }
  for (const char* kept : {"dg1.bin", "dg11.bin", "ef_sod.bin", "notes.txt"}) {
    CAPTURE(kept);
    CHECK(exists(kept));
  }
  CHECK(read_text(out + "/notes.txt") == "the kiosk's own file");
}

TEST_CASE("idtap read --out where nothing can be written: the report is still printed, exit 9") {
  test::ScratchDir tmp("read-noout");
  const std::string card = personalize(tmp, "card");
  const std::string blocker = tmp.path() + "/a-file";
  { std::ofstream(blocker) << "not a directory"; }
  const struct {
    std::string dir;
    const char* why;
  } cases[] = {
      {"/proc/idtap-cannot-write", "a directory that cannot be made"},
      {blocker, "a file where the directory should be"},
      {blocker + "/sub", "a path through a file"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto json = run_split(read_command(card, "--can 123456 --trust " + card + "/pki/csca_cert.pem --json --out " + c.dir), tmp);
    CAPTURE(json.out);
    CHECK(json.exit_code == 9);
    const Json doc = parse_or_fail(json.out);
    CHECK(doc.at("verification").at("genuine").get<bool>());
    CHECK_FALSE(doc.at("out").at("error").get<std::string>().empty());
    CHECK_FALSE(doc.at("out").at("photo").at("written").get<bool>());
    CHECK(contains(json.err, "--out"));
    auto text = run_split(read_command(card, "--can 123456 --trust " + card + "/pki/csca_cert.pem --out " + c.dir), tmp);
    CHECK(text.exit_code == 9);
    CHECK(contains(text.out, "Genuine       YES"));
    CHECK(contains(text.out, "Saved         FAILED"));
  }
}

TEST_CASE("idtap read --out on a JPEG 2000 card: face.jp2 as stored and photo.png, a 240x320 PNG") {
  test::ScratchDir tmp("read-jp2");
  const std::string card = personalize(tmp, "card", "--face-format jp2");
  const std::string out = tmp.path() + "/out";
  auto r = run_split(read_command(card, "--can 123456 --trust " + card + "/pki/csca_cert.pem --json --out " + out), tmp);
  CAPTURE(r.out);
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  const Json doc = parse_or_fail(r.out);
  CHECK(doc.at("document").at("face_image").at("format").get<std::string>() == "jpeg2000");
  CHECK(doc.at("out").at("photo").at("written").get<bool>());
  CHECK(doc.at("out").at("photo").at("face_file").get<std::string>() == "face.jp2");
  const Bytes jp2 = read_bytes(out + "/face.jp2");
  CHECK(jp2.size() == doc.at("document").at("face_image").at("bytes").get<uint64_t>());
  CHECK(to_hex(ByteView(jp2).first(12)) == "0000000c6a5020200d0a870a");  // the JP2 signature box
  CHECK_FALSE(std::filesystem::exists(out + "/face.jpg"));
  check_png(read_bytes(out + "/photo.png"), 240, 320);
}

TEST_CASE("idtap read --crl: checked against --trust, a revoked Document Signer fails, --crl alone is a usage error") {
  test::ScratchDir tmp("read-crl");
  const std::string card = personalize(tmp, "card");
  const std::string csca = " --trust " + card + "/pki/csca_cert.pem";
  const std::string revoked = tmp.path() + "/revoked.pem";
  write_revoking_crl(card, revoked);
  const std::string garbage = tmp.path() + "/garbage.pem";
  { std::ofstream(garbage) << "-----BEGIN X509 CRL-----\nnot base64 at all\n-----END X509 CRL-----\n"; }
  const std::string other = personalize(tmp, "other");
  const struct {
    std::string options;
    int exit_code;
    const char* says;
    const char* why;
  } cases[] = {
      {csca + " --crl " + card + "/pki/csca_crl.pem", 0, "\"crl_checked\": true", "the CSCA's current CRL revokes nothing"},
      {csca, 0, "\"crl_checked\": false", "no CRL given: none checked"},
      {csca + " --crl " + revoked, 5, "revoked", "a CRL that revokes the Document Signer"},
      {csca + " --crl " + garbage, 2, "--crl", "a CRL file that does not parse"},
      {csca + " --crl " + tmp.path() + "/none.pem", 2, "--crl", "a CRL file that is not there"},
      {" --crl " + card + "/pki/csca_crl.pem", 2, "--crl needs --trust", "--crl without --trust would be ignored"},
      // another card's CSCA (same name, other key) signed this CRL: a set-up error said at once,
      // not "passive authentication failed" on a genuine card (issue 14 item 16)
      {csca + " --crl " + other + "/pki/csca_crl.pem", 2, "is signed by none of the trusted CSCAs",
       "a CRL of another CSCA"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto r = run_shell(read_command(card, "--can 123456 --json" + c.options));
    CAPTURE(r.out);
    CHECK(r.exit_code == c.exit_code);
    CHECK(contains(r.out, c.says));
  }
}

TEST_CASE("idtap read: the access options on passports (BAC) and cards that offer both") {
  test::ScratchDir tmp("read-access");
  // ICAO 9303-4 Appendix B's TD3 specimen (check digits hold).
  const std::string mrz = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10";
  std::string bad_check_digit = mrz;
  bad_check_digit[44 + 9] = '7';  // L898902C3's check digit is 6
  const std::string specimen = personalize(tmp, "specimen", "--profile passport --mrz '" + mrz + "'");
  const std::string passport = personalize(tmp, "passport", "--profile passport --document-number M12345678 --expiry-date 2030-12-31");
  const std::string both = personalize(tmp, "both", "--profile both --document-number M12345678 --expiry-date 2030-12-31");
  const std::string fields = " --doc M12345678 --dob 900101 --expiry 301231";
  const struct {
    std::string card;
    std::string options;
    int exit_code;
    const char* says;
    const char* why;
  } cases[] = {
      {specimen, "--mrz '" + mrz + "'", 0, "Access        BAC", "the whole TD3 MRZ opens BAC"},
      {specimen, "--doc L898902C3 --dob 740812 --expiry 120415", 0, "Name          ERIKSSON, ANNA MARIA", "the three MRZ fields"},
      {specimen, "--mrz '" + bad_check_digit + "'", 2, "--mrz", "an MRZ whose document number check digit fails"},
      {passport, fields, 0, "Access        BAC", "document number, birth, expiry"},
      {passport, fields + " --access bac", 0, "Access        BAC", "BAC asked for and offered"},
      {passport, fields + " --access pace", 1, "PACE was asked for, but the card does not offer it", "PACE asked for, only BAC offered"},
      {passport, "--doc M12345678 --dob 900102 --expiry 301231", 3, "", "a wrong date of birth"},
      {passport, "--can 123456", 2, "a CAN cannot open it", "a CAN on a BAC-only card"},
      {both, fields + " --access bac", 0, "Access        BAC", "BAC forced on a card that offers PACE too"},
      {both, fields, 0, "Access        PACE-MRZ", "auto prefers PACE, with the MRZ"},
      {both, "--can 123456", 0, "Access        PACE-CAN", "the CAN on a card that offers both"},
      {both, fields + " --access foo", 2, "--access takes auto, pace or bac", "an unknown access method"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto r = run_shell(read_command(c.card, c.options + " --trust " + c.card + "/pki/csca_cert.pem"));
    CAPTURE(r.out);
    CHECK(r.exit_code == c.exit_code);
    CHECK(contains(r.out, c.says));
  }
}

TEST_CASE("idtap read --files 1,11: only those (and the chip-check groups), reported alone") {
  test::ScratchDir tmp("read-files");
  const std::string card = personalize(tmp, "card");
  const std::string out = tmp.path() + "/out";
  auto r = run_split(read_command(card, "--can 123456 --trust " + card + "/pki/csca_cert.pem --files 1,11 --json --out " + out), tmp);
  CAPTURE(r.out);
  REQUIRE(r.exit_code == 0);
  const Json doc = parse_or_fail(r.out);
  // DG14 and DG15 come too: Chip and Active Authentication need their keys.
  CHECK(test::keys_of(doc.at("data_groups")) == std::vector<std::string>{"1", "11", "14", "15"});
  CHECK(doc.at("verification").at("genuine").get<bool>());
  const Json& d = doc.at("document");
  CHECK(d.at("document_number").get<std::string>() == "KR1234567");
  CHECK(d.at("full_name").get<std::string>() == "홍<<길동");
  CHECK(!d.contains("face_image"));         // DG2 not read
  CHECK(!d.contains("issuing_authority"));  // DG12 not read
  CHECK(strings_of(doc.at("out").at("files")) ==
        std::vector<std::string>{"ef_cardaccess.bin", "ef_com.bin", "ef_sod.bin", "dg1.bin", "dg11.bin", "dg14.bin", "dg15.bin"});
  CHECK_FALSE(doc.at("out").at("photo").at("written").get<bool>());
  CHECK(doc.at("out").at("photo").at("error").get<std::string>() == "DG2 was not read");
  CHECK(r.err.empty());  // nothing to complain about: no face was asked for
  CHECK_FALSE(std::filesystem::exists(out + "/dg2.bin"));
  CHECK_FALSE(std::filesystem::exists(out + "/photo.png"));

  const struct {
    const char* list;
    const char* why;
  } bad[] = {
      {"0", "no DG0"},
      {"17", "DG17 does not exist"},
      {"1,,2", "an empty item"},
      {"1x", "not a number"},
      {"dgx", "a 'dg' prefix without a number"},
  };
  for (const auto& b : bad) {
    CAPTURE(b.why);
    auto e = run_shell(read_command(card, "--can 123456 --files '" + std::string(b.list) + "'"));
    CAPTURE(e.out);
    CHECK(e.exit_code == 2);
    CHECK(contains(e.out, "--files"));
  }
}

TEST_CASE("idtap read --aa-challenge: 8 bytes in hex accepted; anything else is a usage error") {
  test::ScratchDir tmp("read-aa");
  const std::string card = personalize(tmp, "card");
  const std::string trust = " --trust " + card + "/pki/csca_cert.pem";
  const struct {
    const char* challenge;
    int exit_code;
    const char* why;
  } cases[] = {
      {"0102030405060708", 0, "8 bytes"},
      {"A1B2C3D4E5F60718", 0, "upper-case hex"},
      {"01020304050607", 2, "7 bytes"},
      {"010203040506070809", 2, "9 bytes"},
      {"010203040506070", 2, "an odd number of digits"},
      {"01020304050607zz", 2, "not hex"},
      {"''", 2, "empty"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    auto r = run_shell(read_command(card, "--can 123456 --json" + trust + " --aa-challenge " + c.challenge));
    CAPTURE(r.out);
    CHECK(r.exit_code == c.exit_code);
    if (c.exit_code == 0) {
      CHECK(contains(r.out, "\"active\": \"passed\""));
    } else {
      CHECK(contains(r.out, "--aa-challenge takes 8 bytes in hex"));
    }
  }
}

TEST_CASE("idtap read: the readable summary names the holder, masks the resident number, and says why a card is not genuine") {
  test::ScratchDir tmp("read-summary");
  const std::string personal = "--document-number M12345678 --expiry-date 2030-12-31 ";
  const std::string good = personalize(tmp, "good", personal);
  auto r = run_split(read_command(good, "--can 123456 --trust " + good + "/pki/csca_cert.pem"), tmp);
  CAPTURE(r.out);
  CHECK(r.exit_code == 0);
  for (const char* line : {"Document      ID KOR M12345678 (TD1)\n", "Name          HONG, GILDONG\n", "Full name     홍길동 (surname 홍)\n",
                           "Nationality   KOR\n", "Sex           M\n", "Born          1990-01-01\n", "Expires       2030-12-31\n",
                           "Resident no.  900101-1******\n", "Passive       valid\n", "Genuine       YES\n"}) {
    CAPTURE(line);
    CHECK(contains(r.out, line));
  }
  CHECK_FALSE(contains(r.out, "-1234567"));  // the resident number's secret half, nowhere
  CHECK(r.err.empty());
  auto revealed = run_shell(read_command(good, "--can 123456 --reveal --trust " + good + "/pki/csca_cert.pem"));
  CHECK(contains(revealed.out, "Resident no.  900101-1234567\n"));

  const struct {
    const char* options;
    int exit_code;
    std::vector<const char*> lines;
    const char* why;
  } cases[] = {
      {"--tamper dg11", 5,
       {"Passive       invalid: DG11 does not match its hash in EF.SOD", "Chip          passed",
        "Genuine       NO: passive authentication invalid: DG11 does not match its hash"},
       "DG11 changed after signing"},
      {"--cloned --aa none", 6,
       {"Passive       valid\n", "Chip          failed (CA id-CA-ECDH-AES-CBC-CMAC-128): ", "Active        not_supported",
        "Genuine       NO: the chip did not prove the key its signed data names"},
       "a cloned chip"},
  };
  int n = 0;
  for (const auto& c : cases) {
    CAPTURE(c.why);
    const std::string card = personalize(tmp, "bad" + std::to_string(n++), personal + c.options);
    auto bad = run_shell(read_command(card, "--can 123456 --trust " + card + "/pki/csca_cert.pem"));
    CAPTURE(bad.out);
    CHECK(bad.exit_code == c.exit_code);
    CHECK(contains(bad.out, "Name          HONG, GILDONG\n"));  // the data is still shown
    for (const char* line : c.lines) {
      CAPTURE(line);
      CHECK(contains(bad.out, line));
    }
  }
}

TEST_CASE("idtap read: the progress bar is drawn on a terminal's stderr, never into a file, a pipe or with --json") {
  // script (bsdutils, in DEB_PACKAGES) gives the command a pseudo-terminal: required, not skipped.
  REQUIRE_MESSAGE(run_shell("command -v script").exit_code == 0, "script (bsdutils) is not installed: run make deps");
  test::ScratchDir tmp("read-progress");
  const std::string card = personalize(tmp, "card");
  const std::string read = read_command(card, "--can 123456 --trust " + card + "/pki/csca_cert.pem");
  // script -qec CMD /dev/null: CMD on a new pseudo-terminal; what it writes there comes out here.
  auto on_tty = [&](const std::string& command) { return run_shell("script -qec \"" + command + "\" /dev/null"); };

  auto tty = on_tty(read + " >/dev/null");  // stdout away: only stderr is on the terminal
  CAPTURE(tty.out);
  CHECK(tty.exit_code == 0);
  CHECK(contains(tty.out, "\rDG2"));
  CHECK(contains(tty.out, "] 100%"));
  CHECK(contains(tty.out, "#####"));

  const struct {
    std::string redirect;
    const char* why;
  } quiet[] = {
      {" >/dev/null 2>" + tmp.path() + "/err.txt; cat " + tmp.path() + "/err.txt", "stderr is a file"},
      {" 2>&1 >/dev/null | cat", "stderr is a pipe"},
      {" --json >/dev/null", "--json, even on a terminal"},
  };
  for (const auto& q : quiet) {
    CAPTURE(q.why);
    auto r = on_tty(read + q.redirect);
    CAPTURE(r.out);
    CHECK(r.exit_code == 0);
    CHECK_FALSE(contains(r.out, "%"));
    CHECK_FALSE(contains(r.out, "\r"));
    CHECK_FALSE(contains(r.out, "DG2"));
  }
}

namespace {

// readme_json_example: the ```json block under README.md's "### `idtap read --json`".
std::string readme_json_example() {
  const std::string readme = read_text(std::string(IDTAP_SOURCE_DIR) + "/README.md");
  const size_t section = readme.find("### `idtap read --json`");
  REQUIRE(section != std::string::npos);
  const size_t open = readme.find("```json\n", section);
  REQUIRE(open != std::string::npos);
  const size_t close = readme.find("\n```", open + 8);
  REQUIRE(close != std::string::npos);
  return readme.substr(open + 8, close - open - 8);
}

// compare_schema: the README's example `doc` against the real output `real` at `path`: the same
// kind everywhere; objects with the same keys in the same order (data_groups: the README shows
// some of the real ones); booleans equal; strings equal unless the README elides them ("…",
// "...") or they are a path of this run; numbers only by kind; arrays by their first element.
void compare_schema(const Json& doc, const Json& real, const std::string& path) {
  CAPTURE(path);
  REQUIRE(std::string(doc.type_name()) == real.type_name());
  if (doc.is_object()) {
    if (path == "/data_groups") {
      for (const auto& [k, v] : doc.items()) {
        REQUIRE(real.contains(k));
        compare_schema(v, real.at(k), path + "/" + k);
      }
    } else {
      CHECK(test::keys_of(doc) == test::keys_of(real));
      for (const auto& [k, v] : doc.items())
        if (real.contains(k)) compare_schema(v, real.at(k), path + "/" + k);
    }
  } else if (doc.is_array()) {
    if (!doc.empty() && !real.empty()) compare_schema(doc.front(), real.front(), path + "/0");
  } else if (doc.is_boolean()) {
    CHECK(doc.get<bool>() == real.get<bool>());
  } else if (doc.is_string()) {
    const std::string text = doc.get<std::string>();
    if (!contains(text, "…") && !contains(text, "...") && path != "/out/dir") CHECK(text == real.get<std::string>());
  }
}

}  // namespace

TEST_CASE("README's idtap read --json example is the real output's schema, key for key") {
  test::ScratchDir tmp("read-readme");
  // The README's example card: the sample holder, M12345678, issued 2025-01-02, expiring 2030-12-31.
  const std::string card =
      personalize(tmp, "card", "--document-number M12345678 --issue-date 2025-01-02 --expiry-date 2030-12-31");
  auto r = run_split(read_command(card, "--can 123456 --trust " + card + "/pki/csca_cert.pem --crl " + card +
                                            "/pki/csca_crl.pem --aa-challenge 0102030405060708 --json --out " + tmp.path() + "/out"),
                     tmp);
  REQUIRE(r.exit_code == 0);
  const Json real = parse_or_fail(r.out);
  const Json doc = parse_or_fail(readme_json_example());
  compare_schema(doc, real, "");
}

TEST_CASE("tests' JSON parsing (nlohmann-json, strict): what RFC 8259 allows, and what it does not") {
  auto v = test::parse_json(R"( {"a": [1, -2.5e3, true, false, null], "b": {"c": "x\"\\\/\n\u00e9\ud83d\ude00"}, "d": 0} )");
  REQUIRE(v.has_value());
  CHECK(test::keys_of(*v) == std::vector<std::string>{"a", "b", "d"});
  CHECK(v->at("a").size() == 5);
  CHECK(v->at("a").at(0).is_number_unsigned());
  CHECK(v->at("a").at(0).get<uint64_t>() == 1);
  CHECK_FALSE(v->at("a").at(1).is_number_unsigned());
  CHECK(v->at("a").at(1).get<double>() == -2500.0);
  CHECK(v->at("a").at(4).is_null());
  CHECK(v->at("b").at("c").get<std::string>() == "x\"\\/\n\xC3\xA9\xF0\x9F\x98\x80");
  CHECK(v->at("d").is_number_unsigned());
  CHECK_FALSE(v->contains("missing"));
  const struct {
    const char* text;
    const char* why;
  } bad[] = {
      {"", "nothing"},
      {"{", "unterminated object"},
      {"{\"a\" 1}", "no colon"},
      {"{\"a\": 1,}", "trailing comma"},
      {"[1 2]", "no comma"},
      {"{\"a\": 1, \"a\": 2}", "a repeated key"},
      {"01", "a leading zero"},
      {"1.", "a fraction without digits"},
      {"\"a\nb\"", "a raw newline in a string"},
      {"\"\\x\"", "an unknown escape"},
      {"\"\\ud83d\"", "a lone surrogate"},
      {"tru", "a cut literal"},
      {"{} {}", "two documents"},
  };
  for (const auto& b : bad) {
    CAPTURE(b.why);
    std::string error;
    CHECK_FALSE(test::parse_json(b.text, &error).has_value());
    CHECK_FALSE(error.empty());
  }
}

TEST_CASE("idtap read --json: the AA challenge and signature, which a server checks itself with DG15's key") {
  test::ScratchDir tmp("read-aa-json");
  const struct {
    const char* card_options;
    const char* read_options;
    bool present;
    const char* why;
  } cases[] = {
      {"", " --aa-challenge 0102030405060708", true, "ECDSA AA with the server's challenge"},
      {"--aa rsa", " --aa-challenge 0102030405060708", true, "RSA AA (ISO/IEC 9796-2) with the server's challenge"},
      {"", "", true, "ECDSA AA with a random challenge"},
      {"", " --aa-challenge 0102030405060708 --no-active-auth", false, "AA not run"},
      {"--aa none", " --aa-challenge 0102030405060708", false, "a card without AA"},
      {"--cloned", " --aa-challenge 0102030405060708", false, "a clone: AA ran and failed"},
  };
  int n = 0;
  for (const auto& c : cases) {
    CAPTURE(c.why);
    const std::string card = personalize(tmp, "card" + std::to_string(n), c.card_options);
    const std::string out = tmp.path() + "/out" + std::to_string(n++);
    auto r = run_split(read_command(card, "--can 123456 --json --trust " + card + "/pki/csca_cert.pem --out " + out + c.read_options), tmp);
    CAPTURE(r.out);
    const Json doc = parse_or_fail(r.out);
    const Json& v = doc.at("verification");
    CHECK((v.contains("active_challenge")) == c.present);
    CHECK((v.contains("active_signature")) == c.present);
    if (!c.present) continue;
    CHECK(v.at("active").get<std::string>() == "passed");
    const std::string challenge_hex = v.at("active_challenge").get<std::string>();
    CHECK(std::regex_match(challenge_hex, std::regex("^[0-9A-F]{16}$")));  // JSON bytes: upper-case hex
    if (contains(c.read_options, "--aa-challenge")) CHECK(challenge_hex == "0102030405060708");
    const std::string signature_hex = v.at("active_signature").get<std::string>();
    CHECK(std::regex_match(signature_hex, std::regex("^([0-9A-F]{2})+$")));
    // The server's side: DG15's key (from the signed dg15.bin) verifies the signature over its challenge.
    auto dg15 = lds::parse_dg15(read_bytes(out + "/dg15.bin"));
    REQUIRE(dg15.ok());
    auto dg14 = lds::parse_dg14(read_bytes(out + "/dg14.bin"));
    REQUIRE(dg14.ok());
    std::optional<std::string> ecdsa_oid;
    if (!dg14->active_authentication.empty())
      ecdsa_oid = lds::oid_to_string(dg14->active_authentication.front().signature_algorithm).value();
    const Bytes challenge = from_hex(challenge_hex).value();
    Bytes signature = from_hex(signature_hex).value();
    auto verified = auth::verify_aa_signature(dg15->key.der, challenge, signature, ecdsa_oid);
    CHECK_MESSAGE(verified.ok(), (verified.ok() ? "" : verified.error().message()));
    signature.back() ^= 0x01;  // and it is that signature: one bit off does not verify
    CHECK_FALSE(auth::verify_aa_signature(dg15->key.der, challenge, signature, ecdsa_oid).ok());
  }
}

TEST_CASE("idtap read: the CAN comes from --can-file, IDTAP_CAN or a prompt without echo, and a malformed one sends nothing") {
  test::ScratchDir tmp("read-can-input");
  const std::string card = personalize(tmp, "card");
  const std::string trust = " --trust " + card + "/pki/csca_cert.pem";

  // A CAN that is not six digits is refused before the card is touched: no APDU in the -vv trace
  // (a wrong CAN sent to a card costs one of its PACE tries).
  struct Bad {
    const char* can;
    const char* why;
  } bad[] = {
      {"1", "too short"},
      {"1234567", "too long"},
      {"12345a", "not digits"},
      {"12 456", "a space"},
  };
  for (const auto& b : bad) {
    CAPTURE(b.why);
    auto r = run_shell("IDTAP_CAN= " + read_command(card, "-vv --can '" + std::string(b.can) + "'" + trust));
    CHECK(r.exit_code == 2);
    CHECK(contains(r.out, "--can: a CAN is the 6 digits printed on the card"));
    CHECK_FALSE(contains(r.out, "> "));  // no command APDU went out
  }

  // --can-file: the first line of a file (a trailing newline is not part of the CAN).
  const std::string can_file = tmp.path() + "/can.txt";
  std::ofstream(can_file) << "123456\n";
  auto from_file = run_shell(read_command(card, "--can-file " + can_file + trust));
  CAPTURE(from_file.out);
  CHECK(from_file.exit_code == 0);
  CHECK(contains(from_file.out, "Genuine       YES"));
  // a file that is not there is a usage error naming the option
  auto no_file = run_shell(read_command(card, "--can-file " + tmp.path() + "/nope" + trust));
  CHECK(no_file.exit_code == 2);
  CHECK(contains(no_file.out, "--can-file " + tmp.path() + "/nope"));
  // a file holding a malformed CAN is refused the same way, naming the file, not the value
  std::ofstream(tmp.path() + "/bad.txt") << "99\n";
  auto bad_file = run_shell(read_command(card, "--can-file " + tmp.path() + "/bad.txt" + trust));
  CHECK(bad_file.exit_code == 2);
  CHECK(contains(bad_file.out, "--can-file " + tmp.path() + "/bad.txt: a CAN is the 6 digits"));

  // IDTAP_CAN: used when no access key is on the command line.
  auto from_env = run_shell("IDTAP_CAN=123456 " + read_command(card, trust.substr(1)));
  CAPTURE(from_env.out);
  CHECK(from_env.exit_code == 0);
  // --can and --can-file together are two keys
  auto both = run_shell(read_command(card, "--can 123456 --can-file " + can_file + trust));
  CHECK(both.exit_code == 2);

  // No key and no terminal: a usage error that names every way to give one.
  auto none = run_shell("IDTAP_CAN= " + read_command(card, trust.substr(1)) + " </dev/null");
  CHECK(none.exit_code == 2);
  CHECK(contains(none.out, "--can-file FILE, IDTAP_CAN"));

  // On a terminal the CAN is asked for and not echoed: the command runs on a pseudo-terminal, and
  // the CAN is typed once the prompt is there.
  auto typed = answer_on_pty("IDTAP_CAN= " + read_command(card, trust.substr(1)), "printed on the card): ", "123456\n");
  CAPTURE(typed.out);
  CHECK(typed.exit_code == 0);
  CHECK(contains(typed.out, "CAN (the 6 digits printed on the card): "));
  CHECK(contains(typed.out, "Genuine       YES"));
  // never echoed (the document number KR1234567 holds the same digits, so look at the prompt's line)
  CHECK_FALSE(contains(typed.out, "card): 123456"));
  CHECK_FALSE(contains(typed.out, "123456\r\n"));
}

TEST_CASE("idtap read --out: the directory is created 0700 and every file in it is 0600, whatever the umask") {
  // DG11 holds the resident number whole and DG2 the face: nothing of it is readable by others.
  test::ScratchDir tmp("read-out-modes");
  const std::string card = personalize(tmp, "card");
  const std::string out = tmp.path() + "/new/out";
  auto r = run_shell("umask 022; " +
                     read_command(card, "--can 123456 --trust " + card + "/pki/csca_cert.pem --out " + out));
  CAPTURE(r.out);
  REQUIRE(r.exit_code == 0);
  namespace fs = std::filesystem;
  CHECK((fs::status(out).permissions() & fs::perms::all) == fs::perms::owner_all);
  int files = 0;
  for (const auto& e : fs::directory_iterator(out)) {
    CAPTURE(e.path().string());
    CHECK((e.status().permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
    ++files;
  }
  CHECK(files >= 8);  // the raw files, the face as stored and photo.png
  CHECK(fs::exists(out + "/dg11.bin"));
}

TEST_CASE("idtap read shows a Hangul full name whole, with its surname named, never with the card's fillers") {
  struct Case {
    const char* full_name;  // as personalized into DG11 (5F0E)
    const char* shown;
  } cases[] = {
      {"남궁<<민수", "Full name     남궁민수 (surname 남궁)\n"},  // the card's structure: a two-syllable surname
      {"남궁민수", "Full name     남궁민수 (surname 남궁)\n"},    // no structure: the compound-surname table
      {"홍<<길동", "Full name     홍길동 (surname 홍)\n"},
  };
  test::ScratchDir tmp("read-full-name");
  int i = 0;
  for (const auto& c : cases) {
    CAPTURE(c.full_name);
    const std::string card = personalize(tmp, "card" + std::to_string(i++), std::string("--full-name '") + c.full_name + "'");
    auto r = run_shell(read_command(card, "--can 123456 --trust " + card + "/pki/csca_cert.pem"));
    CAPTURE(r.out);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, c.shown));
  }
}

TEST_CASE("idtap read --trust DIR: one corrupt file is passed over with a warning, the rest still serves (issue 14 item 16)") {
  test::ScratchDir tmp("read-trust-dir");
  const std::string card = personalize(tmp, "card");
  const std::string dir = tmp.path() + "/trust";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(card + "/pki/csca_cert.pem", dir + "/csca.pem");
  { std::ofstream(dir + "/broken.der") << "this is no certificate"; }                      // corrupt
  { std::ofstream(dir + "/cut.pem") << "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"; }  // truncated
  auto r = run_shell(read_command(card, "--can 123456 --trust " + dir));
  CAPTURE(r.out);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "Genuine       YES"));
  CHECK(contains(r.out, "idtap: --trust: warning: " + dir + "/broken.der: passed over"));
  CHECK(contains(r.out, "idtap: --trust: warning: " + dir + "/cut.pem: passed over"));
}
