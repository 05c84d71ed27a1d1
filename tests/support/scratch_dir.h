// support/scratch_dir.h: a private temporary directory for one test, removed with everything in
// it when the ScratchDir goes out of scope.
#pragma once

#include <string>

namespace idtap::test {

// ScratchDir: mkdtemp under $TMPDIR (or /tmp) named "idtap-PREFIX-XXXXXX". Aborts the test
// binary if the directory cannot be made (nothing useful can run without it).
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix = "test");
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  // ScratchDir::path: the absolute directory path (no trailing slash).
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace idtap::test
