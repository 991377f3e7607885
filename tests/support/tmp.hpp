// A fresh scratch directory for tests that write files (under the build tree, see tests/meson.build).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace dlfs::test {

inline std::string scratch_dir(const std::string& name) {
  const char* base = std::getenv("DLFS_TEST_TMP");
  std::filesystem::path dir = std::filesystem::path(base && *base ? base : "/tmp/dlfs-test") / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace dlfs::test
