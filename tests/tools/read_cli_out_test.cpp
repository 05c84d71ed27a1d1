// `idtap read --out`: the files a read leaves (a face that does not decode, a directory an
// earlier read used, one that cannot be written, a JPEG 2000 face, modes whatever the umask).
#include <doctest/doctest.h>

#include "tools/read_cli_fixture.h"

using namespace idtap;
using namespace idtap::test::read_cli;
using test::idtap_binary;
using test::Json;
using test::run_shell;

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
