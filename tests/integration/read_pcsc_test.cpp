// idtap read end to end through real pcscd + vpcd + the simulated card served by
// `idtap sim serve`: the JSON report compared field by field with what the card holds.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "idtap/base/hex.h"
#include "idtap/crypto/hash.h"
#include "idtap/sim/card_image.h"
#include "support/pcscd_fixture.h"
#include "support/scratch_dir.h"
#include "support/test_card.h"

using namespace idtap;
using namespace std::chrono_literals;

namespace {

struct Run {
  int exit_code = -1;
  std::string out;
};

// run: the command's stdout and exit code (stderr goes to the test's stderr).
Run run(const std::string& command) {
  Run r;
  FILE* p = popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("idtap read --json through pcscd and vpcd matches the card field by field") {
  test::ScratchDir tmp("read-pcsc");
  test::TestCard card = test::make_test_card(test::TestCardOptions{.pace = false});
  const std::string card_dir = tmp.path() + "/card";
  REQUIRE(sim::write_card_image(card_dir, card.image).ok());
  const std::string csca = tmp.path() + "/csca.pem";
  std::ofstream(csca) << card.csca_pem;

  test::PcscdFixture pcscd;
  REQUIRE_MESSAGE(pcscd.ok(), pcscd.error());
  test::SimServeProcess serve(card_dir, pcscd.vpcd_port());
  REQUIRE_MESSAGE(serve.ok(), serve.error());
  REQUIRE_MESSAGE(pcscd.wait_card(true, 10000ms), (std::string("card never appeared: ") + serve.log()));

  const std::string base = test::idtap_binary() + " read --reader 'pcsc:" + pcscd.reader_name() + "' --doc " +
                           test::kCardDocumentNumber + " --dob " + test::kCardDateOfBirth + " --expiry " + test::kCardDateOfExpiry;
  const std::string out_dir = tmp.path() + "/out";
  Run r = run(base + " --trust " + csca + " --json --out " + out_dir);
  CAPTURE(r.out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("\"genuine\": true") != std::string::npos);
  CHECK(r.out.find("\"passive\": \"valid\"") != std::string::npos);
  CHECK(r.out.find("\"chip\": \"passed\"") != std::string::npos);
  CHECK(r.out.find("\"active\": \"passed\"") != std::string::npos);
  CHECK(r.out.find("\"access\": \"BAC\"") != std::string::npos);
  CHECK(r.out.find("\"document_number\": \"M12345678\"") != std::string::npos);
  CHECK(r.out.find("\"primary_identifier\": \"HONG\"") != std::string::npos);
  CHECK(r.out.find("\"full_name\": \"홍길동\"") != std::string::npos);
  CHECK(r.out.find("\"personal_number\": \"900101-1******\"") != std::string::npos);
  CHECK(r.out.find(test::kCardResidentNumber) == std::string::npos);  // never whole without --reveal
  for (const auto& [n, raw] : card.image.files.data_groups) {
    CAPTURE(n);
    const std::string sha = to_hex(crypto::digest(crypto::HashAlg::kSha256, raw).value());
    CHECK(r.out.find("\"sha256\": \"" + sha + "\"") != std::string::npos);
    CHECK(read_file(out_dir + "/dg" + std::to_string(n) + ".bin") == raw);
  }
  CHECK(read_file(out_dir + "/ef_sod.bin") == *card.image.files.sod);
  const Bytes png = read_file(out_dir + "/photo.png");
  REQUIRE(png.size() > 8);
  CHECK(to_hex(ByteView(png).first(8)) == "89504e470d0a1a0a");
  CHECK(read_file(out_dir + "/face.jpg").size() > 100);

  // A wrong date of birth: access denied (exit 3), nothing else.
  Run wrong = run(test::idtap_binary() + " read --reader 'pcsc:" + pcscd.reader_name() + "' --doc " + test::kCardDocumentNumber +
                  " --dob 900102 --expiry " + test::kCardDateOfExpiry + " 2>/dev/null");
  CHECK(wrong.exit_code == 3);
  // Without a trust anchor: exit 7.
  Run untrusted = run(base + " 2>/dev/null");
  CHECK(untrusted.exit_code == 7);
  CHECK(untrusted.out.find("no_trust_anchor") != std::string::npos);
}
