#include "tests/fuzz/fuzz_input.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace dlfs::fuzz {

namespace {

// The directory, removed with what is in it when the process exits normally.
struct ScratchDir {
  std::string path;
  ScratchDir() {
    const char* base = std::getenv("TMPDIR");
    path = (std::filesystem::path(base && *base ? base : "/tmp") / ("dlfs-fuzz-" + std::to_string(::getpid()))).string();
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

}  // namespace

const std::string& scratch_dir() {
  static const ScratchDir dir;
  return dir.path;
}

void write_bytes(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
  if (!out.flush()) throw std::logic_error("fuzz: cannot write " + path);  // the machine's fault, not the input's
}

std::string write_file(const std::string& name, Bytes bytes) {
  const std::string path = scratch_dir() + "/" + name;
  write_bytes(path, {reinterpret_cast<const char*>(bytes.data()), bytes.size()});
  return path;
}

}  // namespace dlfs::fuzz
