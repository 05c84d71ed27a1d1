// tests/tools/read_cli_fixture.h: what the tests of `idtap read` share: running the binary on
// personalized simulated cards, reading what it wrote, and checking JSON and PNG output.
#pragma once

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


namespace idtap::test::read_cli {


inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline Bytes read_bytes(const std::string& path) {
  const std::string text = read_text(path);
  return Bytes(text.begin(), text.end());
}

inline bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// Split: a command's exit code, stdout and stderr apart.
struct Split {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// run_split: `command` with stderr captured into a file of `scratch` (stdout stays clean JSON).
inline Split run_split(const std::string& command, const test::ScratchDir& scratch) {
  const std::string err = scratch.path() + "/stderr.txt";
  auto r = run_shell(command + " 2>" + err + "; exit $?");
  return Split{r.exit_code, r.out, read_text(err)};
}

// personalize: `idtap sim personalize --out TMP/NAME OPTIONS`; the card directory.
inline std::string personalize(const test::ScratchDir& tmp, const std::string& name, const std::string& options = "") {
  const std::string dir = tmp.path() + "/" + name;
  auto made = run_shell(idtap_binary() + " sim personalize --out " + dir + " " + options);
  REQUIRE_MESSAGE(made.exit_code == 0, made.out);
  return dir;
}

// answer_on_pty: runs `command` (with /bin/sh) on a new pseudo-terminal, types `answer` once the
// output shows `prompt`, and collects everything the terminal showed until the command exits.
// Bounded: gives up (exit -1) after 60 s without the command ending.
inline test::ShellRun answer_on_pty(const std::string& command, const std::string& prompt, const std::string& answer) {
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
inline std::string read_command(const std::string& card, const std::string& options) {
  return idtap_binary() + " read --reader sim:" + card + " " + options;
}

inline Json parse_or_fail(const std::string& text) {
  std::string error;
  auto v = test::parse_json(text, &error);
  REQUIRE_MESSAGE(v.has_value(), error << "\n" << text);
  return *v;
}

inline std::string sha256_hex(ByteView data) { return to_hex(crypto::digest(crypto::HashAlg::kSha256, data).value()); }

inline uint32_t be32(const Bytes& b, size_t at) {
  return (uint32_t(b[at]) << 24) | (uint32_t(b[at + 1]) << 16) | (uint32_t(b[at + 2]) << 8) | uint32_t(b[at + 3]);
}

// check_png: `png` is a PNG file (signature, then IHDR first) of `width` x `height`.
inline void check_png(const Bytes& png, uint32_t width, uint32_t height) {
  REQUIRE(png.size() > 33);
  CHECK(to_hex(ByteView(png).first(8)) == "89504e470d0a1a0a");
  CHECK(be32(png, 8) == 13);  // IHDR's length
  CHECK(std::string(png.begin() + 12, png.begin() + 16) == "IHDR");
  CHECK(be32(png, 16) == width);
  CHECK(be32(png, 20) == height);
}

inline std::vector<std::string> strings_of(const Json& array) {
  std::vector<std::string> out;
  for (const auto& v : array) out.push_back(v.get<std::string>());
  return out;
}

// make_card_with_undecodable_face: a genuine card (signed EF.SOD, chip keys that match) whose DG2
// holds a "JPEG" cut after its first 64 bytes: its magic bytes say JPEG, its hash matches EF.SOD
// (re-signed by a fresh Document Signer under a fresh CSCA, written as pki/csca_cert.der), and
// it does not decode. Returns the cut image.
inline Bytes make_card_with_undecodable_face(const std::string& dir) {
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
inline void write_revoking_crl(const std::string& card, const std::string& path) {
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


}  // namespace idtap::test::read_cli
