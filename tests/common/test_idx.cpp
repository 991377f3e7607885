#include <zlib.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <vector>

#include "common/idx.hpp"
#include "tests/support/tmp.hpp"

using namespace dlfs;

namespace {

using Bytes = std::vector<unsigned char>;

Bytes idx_header(unsigned char type, std::vector<std::uint32_t> dims) {
  Bytes b = {0, 0, type, (unsigned char)dims.size()};
  for (auto d : dims) b.insert(b.end(), {(unsigned char)(d >> 24), (unsigned char)(d >> 16), (unsigned char)(d >> 8), (unsigned char)d});
  return b;
}

std::string write_plain(const std::string& path, const Bytes& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return path;
}

std::string write_gz(const std::string& path, const Bytes& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), unsigned(bytes.size()));
  gzclose(f);
  return path;
}

Bytes valid_images() {
  Bytes b = idx_header(0x08, {2, 2, 3});
  for (int i = 0; i < 12; ++i) b.push_back((unsigned char)(i * 20));
  return b;
}

}  // namespace

TEST_CASE("read_idx reads plain and gzipped files alike", "[common][idx]") {
  const std::string dir = test::scratch_dir("idx-valid");
  for (const std::string& path : {write_plain(dir + "/a.idx", valid_images()), write_gz(dir + "/a.idx.gz", valid_images())}) {
    IdxArray a = read_idx(path);
    CHECK(a.dims == std::vector<std::uint32_t>{2, 2, 3});
    REQUIRE(a.data.size() == 12);
    CHECK(a.data[11] == 220);
  }
}

TEST_CASE("read_idx names the file and the problem for every bad file", "[common][idx]") {
  const std::string dir = test::scratch_dir("idx-bad");
  const Bytes valid = valid_images();
  const Bytes truncated(valid.begin(), valid.end() - 5);
  Bytes wrong_magic = valid_images();
  wrong_magic[0] = 0x1f;
  Bytes bad_type = valid_images();
  bad_type[2] = 0x0D;
  Bytes oversized = idx_header(0x08, {4000000000u, 28, 28});  // claims ~3 TB, holds 4 bytes
  oversized.insert(oversized.end(), {1, 2, 3, 4});
  // 65536 x 2^24 x 2^24 = 2^64: a product that wraps around to 0 and looked like an empty file.
  const Bytes wrapping = idx_header(0x08, {65536, 16777216, 16777216});
  Bytes huge_claim = idx_header(0x08, {60000, 28, 28});  // claims 47 MB, holds 4 bytes
  huge_claim.insert(huge_claim.end(), {1, 2, 3, 4});
  Bytes trailing = valid_images();
  trailing.push_back(0);
  const Bytes full_header = idx_header(0x08, {2, 2, 3});
  const Bytes short_header(full_header.begin(), full_header.begin() + 9);

  struct Case {
    std::string file;
    Bytes bytes;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"empty.idx", {}, "file is empty"},
      {"tiny.idx", {0, 0}, "truncated IDX header"},
      {"short-header.idx", short_header, "truncated IDX header (dimension 1 of 3 is missing)"},
      {"truncated.idx", truncated, "truncated data: header claims 12 bytes, file holds 7"},
      {"wrong-magic.idx", wrong_magic, "wrong magic"},
      {"bad-type.idx", bad_type, "unsupported IDX data type 0x0D"},
      {"oversized.idx", oversized, "absurd size"},
      {"wrapping.idx", wrapping, "absurd size"},
      {"huge-claim.idx", huge_claim, "truncated data: header claims 47040000 bytes, file holds 4"},
      {"trailing.idx", trailing, "trailing bytes"},
  };
  for (const Case& c : cases) {
    for (bool gz : {false, true}) {
      const std::string path = dir + "/" + c.file + (gz ? ".gz" : "");
      gz ? write_gz(path, c.bytes) : write_plain(path, c.bytes);
      INFO(path);
      CHECK_THROWS_WITH(read_idx(path), Catch::StartsWith(path + ": ") && Catch::Contains(c.message));
    }
  }
}

TEST_CASE("read_idx reports a missing file and a corrupt gzip stream", "[common][idx]") {
  const std::string dir = test::scratch_dir("idx-missing");
  CHECK_THROWS_WITH(read_idx(dir + "/nope.gz"), Catch::Contains(dir + "/nope.gz: cannot open file"));
  // A gzip header followed by garbage.
  Bytes corrupt = {0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  const std::string path = write_plain(dir + "/corrupt.gz", corrupt);
  CHECK_THROWS_WITH(read_idx(path), Catch::StartsWith(path + ": ") && Catch::Contains("corrupt gzip"));
}

TEST_CASE("read_idx reports a gzipped file cut in its trailer, whose data all arrived unverified", "[common][idx]") {
  const std::string dir = test::scratch_dir("idx-cut-gzip");
  const std::string whole = write_gz(dir + "/whole.gz", valid_images());
  std::ifstream in(whole, std::ios::binary);
  Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  bytes.pop_back();  // the last byte of the trailer's size field
  const std::string cut = write_plain(dir + "/cut.gz", bytes);
  CHECK_THROWS_WITH(read_idx(cut), Catch::StartsWith(cut + ": truncated gzip stream"));
}
