// The corruption matrix: one good file, broken in every way disks, downloads and people break files,
// each broken copy handed to the real loader. Every case must end in one of two ways:
//   a clear error    a std::runtime_error whose message names the file;
//   an intact load   what was loaded is exactly what the good file holds: allowed for a changed
//                    byte only (one of JSON whitespace, or of a field nobody reads), never for a cut
//                    file or an absurd header, which must be errors even when the data survived.
// Anything else fails the test, naming the case: a crash (the test dies), another exception, an
// error that does not name the file, or a load that returned something else: a silent wrong load.
// A format without a checksum cannot tell a changed value from a real one, so a test may allow
// changed loads in the region it says (the pixels of an uncompressed IDX file): they are counted
// apart and never allowed elsewhere.
//
// Header-only, used by tests/common/test_*_corruption.cpp.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/random.hpp"

namespace dlfs::test {

struct Corruption {
  std::string what;   // "cut to 7 bytes", "byte 130: 0x22 -> 0x9b", "shape [-1, 3]"
  std::string bytes;  // the broken file
  bool may_load_intact = false;  // a load of the good content is allowed (a changed byte that means nothing)
  bool may_change = false;       // a load with other content is allowed (no checksum covers this byte)
};

// What a loader returned, compared with the good file's content.
enum class Loaded { intact, changed };

struct MatrixCounts {
  std::size_t tried = 0, clear_errors = 0, intact_loads = 0;
  std::size_t loads_of_broken_files = 0;  // not allowed: a cut or absurd file that loaded (fails a check)
  std::size_t changed_loads = 0;       // allowed: in a region no checksum covers
  std::size_t silent_wrong_loads = 0;  // not allowed: each one also fails a check
};

// The file cut at every byte of [0, header_end] (an empty file first) and at `data_points` points
// spread over the rest.
inline std::vector<Corruption> truncations(const std::string& good, std::size_t header_end, std::size_t data_points) {
  std::vector<Corruption> out;
  for (std::size_t n = 0; n <= header_end && n < good.size(); ++n)
    out.push_back({"cut to " + std::to_string(n) + " bytes (header)", good.substr(0, n)});
  for (std::size_t i = 1; i <= data_points; ++i) {
    const std::size_t n = header_end + (good.size() - header_end) * i / (data_points + 1);
    if (n > header_end && n < good.size()) out.push_back({"cut to " + std::to_string(n) + " bytes (data)", good.substr(0, n)});
  }
  out.push_back({"cut by its last byte", good.substr(0, good.size() - 1)});
  return out;
}

// Every byte of the file replaced, `per_byte` times, by another value drawn from a seeded stream
// (so a failure names a case that reruns the same). Bytes at or after `payload_begin` may change
// what loads when `payload_unchecked` (no checksum covers them).
inline std::vector<Corruption> byte_flips(const std::string& good, std::size_t per_byte, std::uint64_t seed,
                                          std::size_t payload_begin = std::string::npos, bool payload_unchecked = false) {
  std::vector<Corruption> out;
  Rng rng(seed);
  for (std::size_t at = 0; at < good.size(); ++at)
    for (std::size_t k = 0; k < per_byte; ++k) {
      const unsigned char before = static_cast<unsigned char>(good[at]);
      const unsigned char after = static_cast<unsigned char>(before ^ (1 + rng.below(255)));  // never the same
      char what[64];
      std::snprintf(what, sizeof what, "byte %zu: 0x%02x -> 0x%02x", at, before, after);
      Corruption c{what, good, true, payload_unchecked && at >= payload_begin};
      c.bytes[at] = char(after);
      out.push_back(std::move(c));
    }
  return out;
}

// Writes each case to dir/case.<extension> and loads it; counts the outcomes, and fails a check for
// every case that breaks the rule above.
inline MatrixCounts run_matrix(const std::string& dir, const std::string& extension, const std::vector<Corruption>& cases,
                               const std::function<Loaded(const std::string& path)>& load) {
  MatrixCounts counts;
  const std::string path = dir + "/case" + extension;
  for (const Corruption& c : cases) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << c.bytes;
    INFO("corruption: " << c.what);
    ++counts.tried;
    try {
      const Loaded loaded = load(path);
      if (loaded == Loaded::intact && c.may_load_intact) {
        ++counts.intact_loads;
      } else if (loaded == Loaded::intact) {
        ++counts.loads_of_broken_files;
        FAIL_CHECK("a broken file loaded as if it were whole: the loader missed what is wrong with it");
      } else if (c.may_change) {
        ++counts.changed_loads;
      } else {
        ++counts.silent_wrong_loads;
        FAIL_CHECK("a silent wrong load: the file loaded, with other content than the good file's");
      }
    } catch (const std::runtime_error& e) {
      const std::string message = e.what();
      if (message.find(path) == std::string::npos) FAIL_CHECK("an error that does not name the file: " << message);
      else ++counts.clear_errors;
    } catch (const std::exception& e) {
      FAIL_CHECK("not a std::runtime_error: " << e.what());
    }
  }
  return counts;
}

}  // namespace dlfs::test
