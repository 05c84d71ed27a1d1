// `idtap sim personalize` through the built binary: the --json summary, --help, and a bad --mrz.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "idtap/lds/dg14.h"
#include "idtap/lds/oid.h"
#include "idtap/sim/card.h"
#include "idtap/sim/card_image.h"
#include "idtap/sim/personalize.h"
#include "support/scratch_dir.h"

using namespace idtap;
using namespace idtap::sim;
namespace fs = std::filesystem;

TEST_CASE("idtap sim personalize: --json summary, --help, and a bad --mrz") {
  test::ScratchDir dir("personalize-cli");
  const std::string idtap = std::string(IDTAP_BUILD_DIR) + "/bin/idtap";
  auto run = [](const std::string& cmd, std::string* out) {
    FILE* p = popen((cmd + " 2>&1").c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  std::string out;
  CHECK(run(idtap + " sim personalize --out " + dir.path() + "/c --today 2024-03-15 --hash sha512 --tamper dg2 --json", &out) == 0);
  CHECK(out.find("\"profile\": \"resident\"") != std::string::npos);
  CHECK(out.find("\"sod_hash\": \"SHA-512\"") != std::string::npos);
  CHECK(out.find("\"dg2.bin\"") != std::string::npos);
  CHECK(out.find("123456") == std::string::npos);  // the CAN is not printed
  CHECK(fs::exists(dir.path() + "/c/files/ef_sod.bin"));
  out.clear();
  CHECK(run(idtap + " sim personalize --help", &out) == 0);
  CHECK(out.find("--tamper") != std::string::npos);
  out.clear();
  CHECK(run(idtap + " sim personalize --out " + dir.path() + "/d --profile passport --mrz "
                "'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408123F1204159ZE184226B<<<<<10'",
            &out) == 2);
  CHECK(out.find("date of birth") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.path() + "/d"));  // never half a card
  out.clear();
  CHECK(run(idtap + " sim personalize --out " + dir.path() + "/e --tamper dg99", &out) == 2);
  // The chip options: a DH CA key with 3DES, an unsigned DG16; PACE-CAM without EF.CardSecurity.
  out.clear();
  CHECK(run(idtap + " sim personalize --out " + dir.path() + "/dh --today 2024-03-15 --ca-key dh --ca-cipher 3des --unsigned-dg dg16 --json",
            &out) == 0);
  CHECK(out.find("\"ca_curve\": \"DH dh_2048_256 (RFC 5114)\"") != std::string::npos);
  CHECK(out.find("\"ca_cipher\": \"3des\"") != std::string::npos);
  CHECK(out.find("\"dg16.bin\"") != std::string::npos);
  auto dh = load_card_image(dir.path() + "/dh");
  REQUIRE(dh.ok());
  CHECK(lds::parse_dg14(dh->files.data_groups.at(14))->chip_authentication_public_keys[0].protocol == lds::oid::kPkDh);
  CHECK(dh->config.ca_ciphers == std::vector<crypto::CipherAlg>{crypto::CipherAlg::kTdes});
  CHECK(SimCard::create(*dh).ok());  // chip/ca_key.pem: the DH key, as written to disk
  out.clear();
  CHECK(run(idtap + " sim personalize --out " + dir.path() + "/cam --today 2024-03-15 --cam --no-card-security", &out) == 0);
  CHECK_FALSE(fs::exists(dir.path() + "/cam/files/ef_cardsecurity.bin"));
  CHECK(fs::exists(dir.path() + "/cam/files/ef_cardaccess.bin"));
  struct Bad {
    const char* options;
    const char* names;
  } bad[] = {
      {"--no-card-security", "--cam"},                  // EF.CardSecurity exists only with PACE-CAM
      {"--ca-key dh --ca-curve P-256", "--ca-curve"},  // a curve for a DH key
      {"--ca-key rsa", "--ca-key"},                    // not a CA key type
      {"--ca-cipher des", "--ca-cipher"},               // not a cipher
      {"--unsigned-dg dg3", "--unsigned-dg"},           // DG3 cannot be added unsigned
      {"--unsigned-dg 16", "--unsigned-dg"},            // dgN, not N
  };
  for (const auto& b : bad) {
    CAPTURE(b.options);
    out.clear();
    CHECK(run(idtap + " sim personalize --out " + dir.path() + "/bad " + b.options, &out) == 2);
    CHECK(out.find(b.names) != std::string::npos);
  }
  CHECK_FALSE(fs::exists(dir.path() + "/bad"));
  out.clear();
  CHECK(run(idtap + " sim personalize", &out) == 2);  // --out is required
}
