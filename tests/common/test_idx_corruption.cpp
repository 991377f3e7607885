// The corruption matrix (tests/support/corruption_matrix.hpp) for IDX files, through read_idx, the
// reader behind every Fashion-MNIST example: plain and gzipped (as Debian ships them), cut at every
// byte of the header and at points of the data, every header field set to absurd values, and every
// byte of the file replaced by other values.
//
// An uncompressed IDX file has no checksum: a changed pixel is a valid file holding another pixel,
// and no reader can tell. So byte changes in its pixels may load (counted as "changed, unavoidable");
// a change anywhere in its 16-byte header may not. A gzipped file carries gzip's CRC-32 of what it
// holds, so there every change must be an error, or a load of exactly the good content (a byte of
// the gzip header that nobody reads, such as the modification time).
#include <zlib.h>

#include <catch2/catch.hpp>
#include <iostream>

#include "common/idx.hpp"
#include "tests/support/corruption_matrix.hpp"
#include "tests/support/tmp.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

constexpr std::size_t kHeaderBytes = 4 + 3 * 4;  // magic, type, ndims; three big-endian sizes

std::string be32(std::uint32_t v) { return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }

// Three images of 5 x 4 pixels.
const IdxArray& good_array() {
  static const IdxArray a = [] {
    IdxArray x{{3, 5, 4}, {}};
    for (int i = 0; i < 60; ++i) x.data.push_back(std::uint8_t(i * 29 % 256));
    return x;
  }();
  return a;
}

std::string idx_file(unsigned char type, unsigned char ndims, const std::vector<std::uint32_t>& dims, const std::string& data) {
  std::string b = {0, 0, char(type), char(ndims)};
  for (std::uint32_t d : dims) b += be32(d);
  return b + data;
}

std::string good_pixels() { return {good_array().data.begin(), good_array().data.end()}; }
std::string good_plain() { return idx_file(0x08, 3, good_array().dims, good_pixels()); }

std::string gzipped(const std::string& bytes) {
  const std::string path = scratch_dir("idx-corruption-gzip") + "/good.gz";
  gzFile f = gzopen(path.c_str(), "wb9");
  gzwrite(f, bytes.data(), unsigned(bytes.size()));
  gzclose(f);
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Loaded load(const std::string& path) {
  const IdxArray a = read_idx(path);
  return a.dims == good_array().dims && a.data == good_array().data ? Loaded::intact : Loaded::changed;
}

// Every header field set to values no real file has.
std::vector<Corruption> absurd_headers() {
  const std::string pixels = good_pixels();
  std::vector<Corruption> out = {
      {"empty file", ""},
      {"wrong magic: a gzip magic on a plain file", "\x1f\x8b" + good_plain().substr(2)},
      {"wrong magic: a PGM image", "P5\n4 5\n255\n" + pixels},
      {"wrong magic: 00 01", std::string("\x00\x01", 2) + good_plain().substr(2)},
      {"type 0x09 (signed byte)", idx_file(0x09, 3, {3, 5, 4}, pixels)},
      {"type 0x0D (float)", idx_file(0x0D, 3, {3, 5, 4}, pixels)},
      {"type 0xFF", idx_file(0xFF, 3, {3, 5, 4}, pixels)},
      {"0 dimensions", idx_file(0x08, 0, {}, pixels)},
      {"4 dimensions declared, 3 given", idx_file(0x08, 4, {3, 5, 4}, pixels)},
      {"255 dimensions declared", idx_file(0x08, 255, {3, 5, 4}, pixels)},
      {"2 dimensions declared, 3 given", idx_file(0x08, 2, {3, 5, 4}, pixels)},
      {"a size of 2^32 - 1", idx_file(0x08, 3, {0xFFFFFFFF, 5, 4}, pixels)},
      {"every size 2^32 - 1 (2^96 bytes)", idx_file(0x08, 3, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, pixels)},
      {"a size of 2^31 - 1", idx_file(0x08, 3, {3, 0x7FFFFFFF, 4}, pixels)},
      {"a size of 0 (no data, 60 bytes follow)", idx_file(0x08, 3, {0, 5, 4}, pixels)},
      {"one image more than the data holds", idx_file(0x08, 3, {4, 5, 4}, pixels)},
      {"one image fewer than the data holds", idx_file(0x08, 3, {2, 5, 4}, pixels)},
      {"one trailing byte", good_plain() + "x"},
      {"a second file appended", good_plain() + good_plain()},
  };
  return out;
}

void report(const char* what, const MatrixCounts& c) {
  std::cout << "corruption matrix, " << what << ": " << c.tried << " cases: " << c.clear_errors << " clear errors naming the file, "
            << c.intact_loads << " loads of exactly the good content, " << c.changed_loads
            << " loads of changed pixels (unavoidable: no checksum covers them), " << c.silent_wrong_loads
            << " silent wrong loads, " << c.loads_of_broken_files << " loads of cut or absurd files\n";
}

}  // namespace

TEST_CASE("The good IDX file loads, plain and gzipped: the matrix starts from a file that works", "[common][idx][corruption]") {
  const std::string dir = scratch_dir("idx-corruption-good");
  for (const std::string& bytes : {good_plain(), gzipped(good_plain())}) {
    std::ofstream(dir + "/good.idx", std::ios::binary) << bytes;
    CHECK(load(dir + "/good.idx") == Loaded::intact);
  }
}

TEST_CASE("Every cut, absurd header and changed header byte of a plain IDX file is a clear error naming it",
          "[common][idx][corruption]") {
  const std::string good = good_plain();
  std::vector<Corruption> cases = truncations(good, kHeaderBytes, 8);
  for (Corruption& c : absurd_headers()) cases.push_back(std::move(c));
  for (Corruption& c : byte_flips(good, 4, 17, kHeaderBytes, /*payload_unchecked=*/true)) cases.push_back(std::move(c));
  const MatrixCounts counts = run_matrix(scratch_dir("idx-corruption-plain"), ".idx", cases, load);
  report("plain IDX", counts);
  // Every change outside the pixels was an error; every case was either an error or a load.
  CHECK(counts.silent_wrong_loads == 0);
  CHECK(counts.clear_errors + counts.intact_loads + counts.changed_loads == counts.tried);
  CHECK(counts.changed_loads == 4 * (good.size() - kHeaderBytes));  // each changed pixel loads as that pixel
}

TEST_CASE("Every cut and every changed byte of a gzipped IDX file is a clear error naming it, or loads the good content",
          "[common][idx][corruption]") {
  const std::string good = gzipped(good_plain());
  std::vector<Corruption> cases = truncations(good, 10, 8);  // a gzip header is 10 bytes
  for (Corruption& c : byte_flips(good, 4, 18)) cases.push_back(std::move(c));
  for (Corruption& c : absurd_headers())
    if (!c.bytes.empty()) cases.push_back({c.what + ", gzipped", gzipped(c.bytes)});
  const MatrixCounts counts = run_matrix(scratch_dir("idx-corruption-gzip-cases"), ".idx.gz", cases, load);
  report("gzipped IDX", counts);
  CHECK(counts.changed_loads == 0);
  CHECK(counts.silent_wrong_loads == 0);
  CHECK(counts.clear_errors > counts.tried * 9 / 10);  // gzip's CRC-32 leaves no changed content unnoticed
}
