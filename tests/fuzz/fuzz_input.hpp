// What every fuzz target shares: the fuzzer's bytes made into a file, and the rule that tells a
// clean rejection from a finding.
//
// The rule is the book's: bad input gets a clear error naming the file and what is wrong; never a
// crash, a hang or a silent wrong result. A target hands one input to a real loader and then:
//   - the loader returns                     fine (many random inputs are valid files);
//   - it throws std::runtime_error or
//     std::invalid_argument naming the file  fine: a clean rejection;
//   - it throws anything else, or an error
//     that does not name the file            a Finding (std::bad_alloc, std::out_of_range from an
//                                            unchecked .at(), an error a user could not act on);
//   - it crashes, hangs, leaks, or allocates
//     more than libFuzzer's -malloc_limit_mb  a finding too, reported by libFuzzer and the
//                                            sanitizers rather than by this code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dlfs::fuzz {

using Bytes = std::span<const std::uint8_t>;

// A rejection that breaks the rule. libfuzzer_main.cpp turns it into a crash (so libFuzzer saves the
// input); the replay test turns it into a failed check naming the input.
class Finding : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// This process's scratch directory ($TMPDIR or /tmp, then dlfs-fuzz-<pid>), created on first use.
// A process runs one input at a time, so each target reuses its few file names.
const std::string& scratch_dir();

// Writes bytes to scratch_dir()/name (replacing it) and returns the path.
std::string write_file(const std::string& name, Bytes bytes);
// Writes bytes to path (replacing it): for the seeds.
void write_bytes(const std::string& path, std::string_view bytes);

// Runs load(). True when it returned, false when it threw a clean rejection: a std::runtime_error
// or std::invalid_argument whose message contains `name` (the path, or the directory or source name
// the loader was given). Anything else it throws becomes a Finding that says what was thrown.
template <class Load>
bool loads(const std::string& name, Load&& load) {
  try {
    load();
    return true;
  } catch (const Finding&) {
    throw;
  } catch (const std::runtime_error& e) {
    if (std::string(e.what()).find(name) == std::string::npos)
      throw Finding("an error that does not name " + name + ": " + e.what());
  } catch (const std::invalid_argument& e) {
    if (std::string(e.what()).find(name) == std::string::npos)
      throw Finding("an error that does not name " + name + ": " + e.what());
  } catch (const std::exception& e) {
    throw Finding("not an error about the input (" + name + "): " + e.what());
  }
  return false;
}

}  // namespace dlfs::fuzz
