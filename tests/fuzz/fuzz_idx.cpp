// common's IDX reader, read_idx: the input is the file as it is on disk, gzipped or plain (zlib tells
// them apart by the gzip magic), so the fuzzer mutates both the IDX header and the gzip stream.
#include <zlib.h>

#include "common/idx.hpp"
#include "tests/fuzz/targets.hpp"

namespace dlfs::fuzz {

bool fuzz_idx(Bytes bytes) {
  const std::string path = write_file("input.idx", bytes);
  IdxArray array;
  if (!loads(path, [&] { array = read_idx(path); })) return false;
  // A file that loads holds exactly what its header declares.
  std::uint64_t count = 1;
  for (std::uint32_t d : array.dims) count *= d;
  if (array.data.size() != count)
    throw Finding(path + ": loaded " + std::to_string(array.data.size()) + " bytes for a header of " + std::to_string(count));
  return true;
}

namespace {

std::string idx_bytes(const std::vector<std::uint32_t>& dims) {
  std::string b = {0, 0, 0x08, char(dims.size())};
  std::size_t count = 1;
  for (std::uint32_t d : dims) {
    b += {char(d >> 24), char(d >> 16), char(d >> 8), char(d)};  // big-endian
    count *= d;
  }
  for (std::size_t i = 0; i < count; ++i) b += char(i * 37 % 256);
  return b;
}

void write_gzip(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb9");
  if (!f || gzwrite(f, bytes.data(), unsigned(bytes.size())) != int(bytes.size()) || gzclose(f) != Z_OK)
    throw std::logic_error("fuzz: cannot write " + path);
}

}  // namespace

void seed_idx(const std::string& dir) {
  // Labels (N) and images (N, rows, cols), as Fashion-MNIST's files are, small; plain and gzipped.
  write_bytes(dir + "/labels.idx", idx_bytes({10}));
  write_bytes(dir + "/images.idx", idx_bytes({3, 4, 5}));
  write_gzip(dir + "/labels.idx.gz", idx_bytes({10}));
  write_gzip(dir + "/images.idx.gz", idx_bytes({2, 28, 28}));
}

}  // namespace dlfs::fuzz
