#include "idtap/base/file_io.h"

#include <doctest/doctest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "support/scratch_dir.h"

using namespace idtap;
namespace fs = std::filesystem;

namespace {

// entries: the names in `dir`, to see that no temporary file is left behind.
std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("write_file_atomic writes, replaces whole, sets the mode, and leaves no temporary") {
  test::ScratchDir tmp("file-io");
  const std::string path = tmp.path() + "/out.bin";
  REQUIRE(write_file_atomic(path, bytes_of("first")).ok());
  REQUIRE(write_file_atomic(path, bytes_of("second, longer"), 0600).ok());
  auto back = read_file(path);
  REQUIRE(back.ok());
  CHECK(*back == bytes_of("second, longer"));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(entries(tmp.path()) == std::vector<std::string>{"out.bin"});
  auto secure = read_file_secure(path);
  REQUIRE(secure.ok());
  CHECK(secure->size() == 14);
}

TEST_CASE("rename_no_replace_durable moves onto a free name and never replaces a file that is there") {
  struct Case {
    const char* why;
    bool target_exists;
  };
  const Case cases[] = {
      {"target absent: moved", false},
      // rename_durable would replace it; the no-replace move refuses and leaves both files.
      {"target present: refused", true},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.why));
    test::ScratchDir tmp("file-io-noreplace");
    const std::string from = tmp.path() + "/from", to = tmp.path() + "/to";
    REQUIRE(write_file_atomic(from, bytes_of("new")).ok());
    if (c.target_exists) REQUIRE(write_file_atomic(to, bytes_of("old")).ok());
    auto moved = rename_no_replace_durable(from, to);
    CHECK(moved.ok() != c.target_exists);
    if (c.target_exists) {
      CHECK(moved.error().code == ErrorCode::kState);
      CHECK(moved.error().context.find("already exists (not overwritten)") != std::string::npos);
    }
    CHECK(read_file(to).value() == bytes_of(c.target_exists ? "old" : "new"));
    CHECK(fs::exists(from) == c.target_exists);
  }
  // A source that is not there: kIo naming it.
  test::ScratchDir tmp("file-io-noreplace");
  auto missing = rename_no_replace_durable(tmp.path() + "/absent", tmp.path() + "/to");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ErrorCode::kIo);
  CHECK(missing.error().context.find("absent") != std::string::npos);
}

TEST_CASE("file errors are typed and name the path") {
  test::ScratchDir tmp("file-io");
  auto missing = read_file(tmp.path() + "/nope");
  CHECK(missing.error().code == ErrorCode::kNotFound);
  REQUIRE(write_file_atomic(tmp.path() + "/big", Bytes(1000, 0x41)).ok());
  auto big = read_file(tmp.path() + "/big", 999);
  CHECK(big.error().code == ErrorCode::kInvalidArgument);
  auto no_dir = write_file_atomic(tmp.path() + "/no/such/dir/x", bytes_of("x"));
  CHECK(no_dir.error().code == ErrorCode::kIo);
  CHECK(no_dir.error().context.find("/no/such/dir/x") != std::string::npos);
  // write_new_file_durable never replaces.
  REQUIRE(write_new_file_durable(tmp.path() + "/once", bytes_of("a"), 0644).ok());
  CHECK(write_new_file_durable(tmp.path() + "/once", bytes_of("b"), 0644).error().code == ErrorCode::kIo);
  CHECK(read_file(tmp.path() + "/once").value() == bytes_of("a"));
  CHECK(directory_of("a/b/c") == "a/b");
  CHECK(directory_of("c") == ".");
  CHECK(directory_of("/c") == "/");
}

TEST_CASE("a full disk: kIo, the old file intact, no temporary left") {
  // A 64 KiB tmpfs in a private mount namespace of a child process (the test runs as root, as
  // the pcscd fixture does); the child reports through its exit code.
  test::ScratchDir tmp("file-io-full");
  const std::string mnt = tmp.path();
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (::unshare(CLONE_NEWNS) != 0) ::_exit(10);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(11);
    if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=64k") != 0) ::_exit(12);
    const std::string path = mnt + "/credential.cbor";
    if (!write_file_atomic(path, Bytes(1000, 0x01)).ok()) ::_exit(13);
    auto full = write_file_atomic(path, Bytes(512 * 1024, 0x02));
    if (full.ok() || full.error().code != ErrorCode::kIo) ::_exit(14);
    auto old = read_file(path);
    if (!old.ok() || *old != Bytes(1000, 0x01)) ::_exit(15);
    if (entries(mnt) != std::vector<std::string>{"credential.cbor"}) ::_exit(16);
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
