// The docs suite: runs every checked transcript of the READMEs it is given and compares the
// output with the README's (the convention: tests/docs/transcript.hpp).
//
//   check_transcripts BUILD_DIR SOURCE_DIR README.md...     (meson test --suite docs runs it)
//
// Prints one line per command (ok or FAIL, with the seconds it took), the expected and the actual
// output of every mismatch, and a last line counting the transcripts checked and those marked as
// measured (too long to check). Exit status 1 if any transcript failed or a README breaks the
// convention.
#include <sys/wait.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/system.hpp"
#include "tests/docs/transcript.hpp"

namespace fs = std::filesystem;
using namespace dlfs;
using namespace dlfs::docs;

namespace {

// The path the READMEs were recorded under: the repository's own path in an output reads as this.
constexpr const char* kRecordedRoot = "/work/main";

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot open");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A scratch directory that looks like the repository's root to a command: `build` is the build
// directory under test, every other top-level entry links to the source tree's. Outputs (runs/,
// model files) land in the scratch directory, never in the source tree.
fs::path make_scratch(const fs::path& build, const fs::path& source, const std::string& name) {
  const fs::path dir = build / "tests" / "docs" / "scratch" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::create_directory_symlink(build, dir / "build");
  for (const fs::directory_entry& entry : fs::directory_iterator(source)) {
    const std::string leaf = entry.path().filename().string();
    if (leaf.rfind("build", 0) == 0 || leaf == "runs" || leaf == ".git") continue;
    fs::create_symlink(entry.path(), dir / leaf);
  }
  return dir;
}

struct Output {
  std::vector<std::string> lines;
  int status = -1;
};

// Runs one command with bash in `dir`, stdout and stderr together, stdin empty. stdbuf makes
// every program's stdout line-buffered, as on a terminal, so the lines interleave with stderr's
// in the order a learner sees them.
Output run(const std::string& command, const fs::path& dir, const std::string& source_root) {
  const std::string script = "cd " + shell_quote(dir.string()) + " && " + command;
  FILE* pipe = popen(("stdbuf -oL -eL bash -c " + shell_quote(script) + " 2>&1 </dev/null").c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot start bash");
  std::string text;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) text.append(buf, n);
  const int raw = pclose(pipe);
  Output out;
  out.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  for (std::size_t at = 0; (at = text.find(source_root, at)) != std::string::npos; at += std::strlen(kRecordedRoot))
    text.replace(at, source_root.size(), kRecordedRoot);
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.lines.push_back(line);
  return out;
}

void print_lines(const char* heading, const std::vector<std::string>& lines) {
  std::printf("    %s\n", heading);
  for (const std::string& line : lines) std::printf("      | %s\n", line.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: check_transcripts BUILD_DIR SOURCE_DIR README.md...\n");
    return 2;
  }
  const fs::path build = fs::canonical(argv[1]), source = fs::canonical(argv[2]);
  std::size_t checked = 0, measured = 0, commands = 0, failed = 0;
  bool broken = false;
  for (int a = 3; a < argc; ++a) {
    const std::string readme = argv[a];  // relative to the source tree, as it is printed
    std::vector<Transcript> transcripts;
    try {
      transcripts = parse_transcripts(slurp(source / readme), readme);
    } catch (const std::exception& e) {
      std::printf("ERROR %s\n", e.what());
      broken = true;
      continue;
    }
    const fs::path scratch = make_scratch(build, source, fs::path(readme).parent_path().string());
    std::size_t here_checked = 0, here_measured = 0;
    for (const Transcript& t : transcripts) {
      if (t.measured) {
        ++here_measured;
        std::printf("measured %s:%zu  $ %s  (%s)\n", readme.c_str(), t.line, t.commands.front().text.c_str(), t.note.c_str());
        continue;
      }
      bool ok = true;
      for (const Command& c : t.commands) {
        Stopwatch clock;
        const Output out = run(c.text, scratch, source.string());
        const bool same = output_matches(c.expected, out.lines);
        ++commands;
        std::printf("%s %s:%zu  %.1f s  $ %s\n", same ? "ok  " : "FAIL", readme.c_str(), c.line, clock.seconds(), c.text.c_str());
        if (!same) {
          print_lines("the README shows:", c.expected);
          print_lines(("the command printed (exit status " + std::to_string(out.status) + "):").c_str(), out.lines);
          ok = false;
        }
        std::fflush(stdout);
      }
      ++here_checked;
      if (!ok) ++failed;
    }
    std::printf("%s: %zu checked, %zu marked measured (too long to check)\n", readme.c_str(), here_checked,
                here_measured);
    checked += here_checked, measured += here_measured;
  }
  std::printf("docs: %zu transcripts checked (%zu commands), %zu failed; %zu marked measured (too long to check)\n",
              checked, commands, failed, measured);
  return failed || broken ? 1 : 0;
}
