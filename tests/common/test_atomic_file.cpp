#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "common/atomic_file.hpp"
#include "tests/support/example_runs.hpp"
#include "tests/support/tmp.hpp"

using namespace dlfs;
namespace fs = std::filesystem;

TEST_CASE("write_file_atomically replaces a file with its parts, leaving no temporary file", "[common][atomic]") {
  const std::string dir = test::scratch_dir("atomic-replace");
  std::ofstream(dir + "/report.md") << "the previous report, longer than the next one\n";
  write_file_atomically(dir + "/report.md", {"# Title\n", "", "| a |\n"});
  CHECK(test::slurp(dir + "/report.md") == "# Title\n| a |\n");
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) files += entry.is_regular_file();
  CHECK(files == 1);
  write_file_atomically(dir + "/new/sub/figure.svg", {"<svg/>\n"});  // missing directories are made
  CHECK(test::slurp(dir + "/new/sub/figure.svg") == "<svg/>\n");
}

TEST_CASE("write_file_atomically writes through a symbolic link and names a path it cannot write",
          "[common][atomic]") {
  const std::string dir = test::scratch_dir("atomic-link");
  std::ofstream(dir + "/target.csv") << "old\n";
  fs::create_symlink(dir + "/target.csv", dir + "/link.csv");
  write_file_atomically(dir + "/link.csv", {"new\n"});
  CHECK(fs::is_symlink(dir + "/link.csv"));
  CHECK(test::slurp(dir + "/target.csv") == "new\n");

  std::ofstream(dir + "/file") << "x";  // a file where a directory should be
  CHECK_THROWS_WITH(write_file_atomically(dir + "/file/out.md", {"y"}), Catch::StartsWith(dir + "/file/out.md: cannot save"));
  CHECK(test::slurp(dir + "/file") == "x");
}
