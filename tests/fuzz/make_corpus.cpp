// Writes the seed corpus: tests/fuzz/corpus/<target>/ for every target (or those named).
//
//   build/tests/fuzz/make_corpus tests/fuzz/corpus            all targets
//   build/tests/fuzz/make_corpus tests/fuzz/corpus gpt idx    two
//
// A seed is where the fuzzer starts. Valid files take it straight to the deep checks (a model's
// names and shapes, a CSV's numbers) that random bytes would almost never reach; each target's
// seed_<name> writes them with the book's own writers. Three broken copies of the first valid one
// give it a head start on the error paths: empty, cut in half, and one byte in the middle flipped.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "common/system.hpp"
#include "tests/fuzz/targets.hpp"

using namespace dlfs::fuzz;
namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_corpus(const Target& target, const fs::path& out) {
  const fs::path dir = out / target.name;
  fs::remove_all(dir);  // the corpus is exactly what this program writes
  fs::create_directories(dir);
  target.seed(dir.string());
  std::set<fs::path> valid;  // sorted: the same first file on every run
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) valid.insert(e.path());
  if (valid.empty()) throw std::logic_error(std::string("seed_") + target.name + " wrote no file");
  const std::string first = read_all(*valid.begin());
  std::string flipped = first;
  flipped[flipped.size() / 2] ^= 0x5a;
  write_bytes((dir / "broken-empty").string(), "");
  write_bytes((dir / "broken-half").string(), first.substr(0, first.size() / 2));
  write_bytes((dir / "broken-flipped").string(), flipped);
  std::uintmax_t bytes = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) bytes += e.file_size();
  std::printf("%-14s %zu valid + 3 broken inputs, %ju bytes\n", target.name, valid.size(), bytes);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: make_corpus DIR [target ...]\n");
    return 2;
  }
  try {
    dlfs::set_threads(1);  // the seeds that train (checkpoints) come out the same on every machine
    if (argc == 2)
      for (const Target& t : targets()) write_corpus(t, argv[1]);
    for (int i = 2; i < argc; ++i) write_corpus(target(argv[i]), argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_corpus: %s\n", e.what());
    return 1;
  }
  return 0;
}
