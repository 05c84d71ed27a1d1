#include "idtap/sim/card_image.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "idtap/base/hex.h"
#include "support/scratch_dir.h"

using namespace idtap;
using namespace idtap::sim;
namespace fs = std::filesystem;

namespace {

SecureBytes sb(std::string_view s) { return secure_copy(bytes_of(s)); }

CardImage sample_image() {
  CardImage image;
  image.config.can = sb("123456");
  image.config.mrz.document_number = sb("L898902C<");
  image.config.mrz.date_of_birth = sb("690806");
  image.config.mrz.date_of_expiry = sb("940623");
  image.config.pace_offers = {{PaceMapping::kGeneric, crypto::CipherAlg::kAes128, 13},
                              {PaceMapping::kChipAuthentication, crypto::CipherAlg::kAes256, 12}};
  image.config.ca_ciphers = {crypto::CipherAlg::kTdes, crypto::CipherAlg::kAes128};
  image.config.quirks.max_response = 223;
  image.config.quirks.leave_after = 7;
  image.config.quirks.no_sfi = true;
  image.files.card_access = hex_or_die("3100");
  image.files.com = hex_or_die("60055F0104303130");
  image.files.sod = Bytes(3000, 0x77);
  image.files.data_groups[1] = hex_or_die("6103 5F1F00");
  image.files.data_groups[16] = Bytes{};  // an empty file is still a file
  image.chip.ca_key_pem = sb("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  image.pki["csca.pem"] = bytes_of("cert");
  return image;
}

std::string string_of_secure(const SecureBytes& s) { return std::string(s.begin(), s.end()); }

void write_text(const fs::path& p, std::string_view text) {
  std::ofstream f(p, std::ios::binary);
  f << text;
}

}  // namespace

TEST_CASE("a card image survives write and load unchanged") {
  test::ScratchDir tmp;
  std::string dir = tmp.path() + "/card";
  CardImage image = sample_image();
  REQUIRE(write_card_image(dir, image).ok());

  auto loaded = load_card_image(dir);
  REQUIRE(loaded.ok());
  CHECK(loaded->config.atr == image.config.atr);
  CHECK(loaded->config.uid == image.config.uid);
  CHECK(string_of_secure(loaded->config.can) == "123456");
  CHECK(string_of_secure(loaded->config.mrz.document_number) == "L898902C<");
  CHECK(string_of_secure(loaded->config.mrz.date_of_expiry) == "940623");
  CHECK(loaded->config.pace_offers == image.config.pace_offers);
  CHECK(loaded->config.ca_ciphers == image.config.ca_ciphers);
  CHECK(loaded->config.quirks == image.config.quirks);
  CHECK(loaded->files.card_access == image.files.card_access);
  CHECK_FALSE(loaded->files.card_security.has_value());
  CHECK(loaded->files.sod == image.files.sod);
  CHECK(loaded->files.data_groups == image.files.data_groups);
  CHECK(string_of_secure(loaded->chip.ca_key_pem) == string_of_secure(image.chip.ca_key_pem));
  CHECK(loaded->chip.aa_key_pem.empty());
  // pki/ is written but the card never reads it, unless asked.
  CHECK(loaded->pki.empty());
  auto with_pki = load_card_image(dir, LoadOptions{.include_pki = true});
  REQUIRE(with_pki.ok());
  CHECK(with_pki->pki == image.pki);

  struct stat st {};
  REQUIRE(::stat((dir + "/chip/ca_key.pem").c_str(), &st) == 0);
  CHECK((st.st_mode & 0077) == 0);  // the chip keys are private to the owner
  REQUIRE(::stat((dir + "/card.conf").c_str(), &st) == 0);
  CHECK((st.st_mode & 0077) == 0);  // card.conf holds the CAN and MRZ
}

TEST_CASE("rewriting an image replaces it whole, leaving no temporary directories") {
  test::ScratchDir tmp;
  std::string dir = tmp.path() + "/card";
  CardImage image = sample_image();
  REQUIRE(write_card_image(dir, image).ok());
  image.files.data_groups.erase(16);
  image.files.data_groups[2] = Bytes(20000, 0xFF);
  REQUIRE(write_card_image(dir + "/", image).ok());  // a trailing slash names the same image
  auto loaded = load_card_image(dir);
  REQUIRE(loaded.ok());
  CHECK(loaded->files.data_groups.count(16) == 0);
  CHECK(loaded->files.data_groups.at(2).size() == 20000);
  size_t entries = 0;
  for (const auto& e : fs::directory_iterator(tmp.path())) {
    (void)e;
    ++entries;
  }
  CHECK(entries == 1);
}

TEST_CASE("load_card_image: typed errors for missing and corrupt images") {
  test::ScratchDir tmp;
  // No such directory.
  auto missing = load_card_image(tmp.path() + "/nope");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ErrorCode::kNotFound);

  // A directory without card.conf.
  fs::create_directories(tmp.path() + "/empty");
  auto no_conf = load_card_image(tmp.path() + "/empty");
  REQUIRE_FALSE(no_conf.ok());
  CHECK(no_conf.error().code == ErrorCode::kNotFound);
  CHECK(no_conf.error().context.find("card.conf") != std::string::npos);

  // A corrupt card.conf names its path and line.
  fs::create_directories(tmp.path() + "/bad");
  write_text(tmp.path() + "/bad/card.conf", "format = 1\npace = ???\n");
  auto bad = load_card_image(tmp.path() + "/bad");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::kMalformed);
  CHECK(bad.error().context.find("bad/card.conf:2") != std::string::npos);

  // A misnamed file under files/ is reported, not ignored.
  fs::create_directories(tmp.path() + "/typo/files");
  write_text(tmp.path() + "/typo/card.conf", "format = 1\n");
  write_text(tmp.path() + "/typo/files/dg01.bin", "x");
  auto typo = load_card_image(tmp.path() + "/typo");
  REQUIRE_FALSE(typo.ok());
  CHECK(typo.error().code == ErrorCode::kMalformed);
  CHECK(typo.error().context.find("dg01.bin") != std::string::npos);

  // DG17 does not exist.
  fs::remove(tmp.path() + "/typo/files/dg01.bin");
  write_text(tmp.path() + "/typo/files/dg17.bin", "x");
  CHECK(load_card_image(tmp.path() + "/typo").error().code == ErrorCode::kMalformed);

  // A stray file in chip/.
  fs::remove(tmp.path() + "/typo/files/dg17.bin");
  fs::create_directories(tmp.path() + "/typo/chip");
  write_text(tmp.path() + "/typo/chip/key.pem", "x");
  CHECK(load_card_image(tmp.path() + "/typo").error().code == ErrorCode::kMalformed);
  fs::remove(tmp.path() + "/typo/chip/key.pem");
  CHECK(load_card_image(tmp.path() + "/typo").ok());
}

TEST_CASE("write_card_image refuses images that would not load back") {
  test::ScratchDir tmp;
  struct Case {
    const char* what;
    CardImage image;
  };
  std::vector<Case> cases;
  // DG0 is not a data group
  cases.push_back({"dg0", sample_image()});
  cases.back().image.files.data_groups[0] = Bytes{1};
  // a pki name that would escape pki/
  cases.push_back({"pki escape", sample_image()});
  cases.back().image.pki["../card.conf"] = Bytes{1};
  // a CAN the loader would reject
  cases.push_back({"bad can", sample_image()});
  cases.back().image.config.can = sb("12 34");
  for (const auto& tc : cases) {
    CAPTURE(tc.what);
    Status s = write_card_image(tmp.path() + "/card", tc.image);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code == ErrorCode::kInvalidArgument);
    CHECK_FALSE(fs::exists(tmp.path() + "/card"));
  }
}
