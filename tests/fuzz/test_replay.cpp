// The ordinary suite's half of fuzzing: every committed input, the seed corpus and every input a
// fuzzer once crashed on (fixed since, kept in tests/fuzz/regressions/<target>/), goes through its
// target again, the same code libFuzzer runs, built with g++ and no fuzzer. A crash fails the test
// by killing it; a Finding (an exception that breaks the rule of fuzz_input.hpp) fails the input's
// check, named. Under ./dlfs test's sanitizer build, a memory error or a leak fails it as well.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <vector>

#include "tests/fuzz/targets.hpp"

using namespace dlfs::fuzz;
namespace fs = std::filesystem;

namespace {

const fs::path& fuzz_dir() {
  static const fs::path dir = [] {
    const char* d = std::getenv("DLFS_FUZZ_DIR");
    return fs::path(d && *d ? d : "tests/fuzz");
  }();
  return dir;
}

// The files of dir (none if it does not exist), in name order.
std::set<fs::path> inputs_in(const fs::path& dir) {
  std::set<fs::path> files;
  if (fs::is_directory(dir))
    for (const fs::directory_entry& e : fs::directory_iterator(dir))
      if (e.is_regular_file()) files.insert(e.path());
  return files;
}

std::vector<std::uint8_t> read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs every input of dir through the target; counts them, and those that loaded.
struct Replayed {
  std::size_t inputs = 0, loaded = 0;
};
Replayed replay(const Target& target, const fs::path& dir) {
  Replayed r;
  for (const fs::path& input : inputs_in(dir)) {
    const std::vector<std::uint8_t> bytes = read_all(input);
    INFO("fuzz target " << target.name << ", input " << input.string());
    bool loaded = false;
    try {
      loaded = target.run(bytes);
    } catch (const Finding& finding) {
      FAIL_CHECK(finding.what());
    }
    // A seed that does not load would start the fuzzer at the loader's door, not in its depths: the
    // valid seeds must stay valid as the formats evolve (rerun make_corpus when one changes).
    if (input.filename().string().rfind("broken-", 0) != 0 && dir.parent_path().filename() == "corpus")
      CHECK(loaded);
    ++r.inputs;
    r.loaded += loaded;
  }
  return r;
}

}  // namespace

TEST_CASE("Every seed and every regression input loads or gives an error naming the file", "[fuzz][replay]") {
  Replayed seeds, regressions;
  for (const Target& target : targets()) {
    const Replayed s = replay(target, fuzz_dir() / "corpus" / target.name);
    INFO("fuzz target " << target.name);
    CHECK(s.inputs > 0);  // every target has a committed corpus (make_corpus writes it)
    const Replayed r = replay(target, fuzz_dir() / "regressions" / target.name);
    seeds.inputs += s.inputs, seeds.loaded += s.loaded;
    regressions.inputs += r.inputs, regressions.loaded += r.loaded;
  }
  WARN("replayed through " << targets().size() << " fuzz targets: " << seeds.inputs << " seed inputs ("
                           << seeds.loaded << " loaded, the others gave clean errors) and " << regressions.inputs
                           << " regression inputs (" << regressions.loaded << " loaded)");
}

TEST_CASE("Every folder of regressions and of the corpus belongs to a fuzz target", "[fuzz][replay]") {
  // A folder named after no target would never be replayed.
  for (const char* kind : {"corpus", "regressions"}) {
    if (!fs::is_directory(fuzz_dir() / kind)) continue;
    for (const fs::directory_entry& e : fs::directory_iterator(fuzz_dir() / kind)) {
      INFO(e.path().string());
      CHECK_NOTHROW(target(e.path().filename().string()));
    }
  }
}
