// The IDX file format (LeCun et al., used by MNIST and Fashion-MNIST):
//
//   bytes 0-1   0x00 0x00           magic
//   byte  2     data type           0x08 = unsigned byte (the only type these sets use)
//   byte  3     number of dims n    1 for labels, 3 for images
//   n x 4 bytes big-endian sizes    e.g. 60000, 28, 28
//   then prod(sizes) bytes of data, row-major
//
// Files may be gzipped (as Debian ships them) or plain; zlib reads both transparently.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dlfs {

struct IdxArray {
  std::vector<std::uint32_t> dims;  // e.g. {60000, 28, 28}
  std::vector<std::uint8_t> data;   // prod(dims) bytes
};

// Reads and validates an IDX file. Every problem (missing, empty, wrong magic, unsupported type,
// truncated header or data, trailing bytes, corrupt or cut gzip) throws std::runtime_error
// "<path>: <what is wrong>". A header that claims more data than the file holds is reported as
// truncated; memory grows only as data actually arrives, so a lying header never triggers a
// huge allocation.
IdxArray read_idx(const std::string& path);

}  // namespace dlfs
