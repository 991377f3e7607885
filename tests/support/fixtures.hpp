// PyTorch fixtures: small safetensors files a chapter's make_fixtures.py writes with Debian's
// python3-torch and commits, so the tests compare against PyTorch without needing it. The chapter's
// meson.build points DLFS_FIXTURES at its fixtures folder.
#pragma once

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "common/safetensors.hpp"

namespace dlfs::test {

// The committed fixture `file`, read with common's reader.
inline SafetensorsFile read_fixture(const std::string& file) {
  const char* dir = std::getenv("DLFS_FIXTURES");
  if (!dir || !*dir) FAIL("DLFS_FIXTURES is not set: run the tests with meson test, which sets it");
  return read_safetensors(std::string(dir) + "/" + file);
}

inline const Tensor& fixture_tensor(const SafetensorsFile& file, const std::string& name) {
  const auto it = file.tensors.find(name);
  if (it == file.tensors.end()) FAIL("the fixture has no tensor \"" << name << "\"");
  return it->second;
}

}  // namespace dlfs::test
