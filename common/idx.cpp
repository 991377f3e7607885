#include "common/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace dlfs {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

struct GzFile {
  gzFile f;
  explicit GzFile(const std::string& path) : f(gzopen(path.c_str(), "rb")) {}
  ~GzFile() {
    if (f) gzclose(f);
  }
};

// Reads up to n bytes; returns how many arrived. Throws on a decompression error.
std::size_t read_some(GzFile& in, const std::string& path, std::uint8_t* out, std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    const unsigned chunk = unsigned(std::min<std::size_t>(n - got, 1u << 30));
    const int r = gzread(in.f, out + got, chunk);
    if (r < 0) {
      int err = 0;
      const char* msg = gzerror(in.f, &err);
      fail(path, std::string("corrupt gzip stream (") + msg + ")");
    }
    if (r == 0) break;
    got += std::size_t(r);
  }
  return got;
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  GzFile in(path);
  if (!in.f) fail(path, std::string("cannot open file (") + std::strerror(errno) + ")");

  std::uint8_t magic[4];
  const std::size_t got_magic = read_some(in, path, magic, 4);
  if (got_magic == 0) fail(path, "file is empty (expected an IDX header)");
  if (got_magic < 4) fail(path, "truncated IDX header (" + std::to_string(got_magic) + " of 4 magic bytes)");
  if (magic[0] != 0 || magic[1] != 0)
    fail(path, "wrong magic: not an IDX file (first bytes are not 0x00 0x00)");
  if (magic[2] != 0x08) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", magic[2]);
    fail(path, std::string("unsupported IDX data type ") + hex + " (only 0x08, unsigned byte, is supported)");
  }
  const unsigned ndims = magic[3];
  if (ndims == 0) fail(path, "IDX header declares 0 dimensions");

  IdxArray array;
  std::uint64_t count = 1;
  for (unsigned d = 0; d < ndims; ++d) {
    std::uint8_t be[4];
    if (read_some(in, path, be, 4) < 4)
      fail(path, "truncated IDX header (dimension " + std::to_string(d) + " of " + std::to_string(ndims) + " is missing)");
    const std::uint32_t size = std::uint32_t(be[0]) << 24 | std::uint32_t(be[1]) << 16 |
                               std::uint32_t(be[2]) << 8 | std::uint32_t(be[3]);
    array.dims.push_back(size);
    // Checked before multiplying: 65536 x 2^24 x 2^24 wraps around 2^64 to 0 and would pass.
    if (size != 0 && count > (std::uint64_t(1) << 40) / size)
      fail(path, "IDX header claims an absurd size (over 2^40 bytes)");
    count *= size;
  }

  // Grow the buffer only as bytes arrive (at most doubling), so a header that lies about
  // its size costs no more memory than the file really holds.
  std::size_t have = 0;
  array.data.resize(std::min<std::uint64_t>(count, 1 << 20));
  while (have < count) {
    if (have == array.data.size()) array.data.resize(std::min<std::uint64_t>(count, 2 * have));
    const std::size_t got = read_some(in, path, array.data.data() + have, array.data.size() - have);
    if (got == 0) break;
    have += got;
  }
  if (have < count)
    fail(path, "truncated data: header claims " + std::to_string(count) + " bytes, file holds " +
                   std::to_string(have));
  std::uint8_t extra;
  if (read_some(in, path, &extra, 1) != 0)
    fail(path, "trailing bytes after the " + std::to_string(count) + " bytes the header declares");
  // zlib reports a gzip stream that stops short (a file still being written, or cut) not as an error
  // but as Z_BUF_ERROR, to be asked for. Cut in its 8-byte trailer, a file would even yield all of
  // its data, unverified: the trailer holds the CRC-32 that proves it.
  int err = Z_OK;
  gzerror(in.f, &err);
  if (err == Z_BUF_ERROR) fail(path, "truncated gzip stream: the file ends before its gzip trailer (CRC-32 and size)");
  return array;
}

}  // namespace dlfs
