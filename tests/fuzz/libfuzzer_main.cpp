// The entry point libFuzzer calls, once per input, for the target named by DLFS_FUZZ_TARGET (set by
// tests/fuzz/meson.build: one executable per target, build-fuzz/tests/fuzz/fuzz-<name>).
//
// libFuzzer mutates the inputs, keeps those that reach new code (clang's coverage instrumentation,
// -fsanitize=fuzzer) and stops at the first crash, saving the input that caused it. A Finding (an
// exception that breaks the rule of fuzz_input.hpp) is made a crash here, so it is saved the same way.
#include <cstdio>
#include <cstdlib>

#include "tests/fuzz/targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const dlfs::fuzz::Target& target = dlfs::fuzz::target(DLFS_FUZZ_TARGET);
  try {
    target.run({data, size});
  } catch (const dlfs::fuzz::Finding& finding) {
    std::fprintf(stderr, "fuzz target %s: finding: %s\n", target.name, finding.what());
    std::abort();
  }
  return 0;  // libFuzzer's convention: 0 keeps the input eligible for the corpus
}
