#include "tests/support/example_runs.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "common/safetensors.hpp"

namespace dlfs::test {

namespace {

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  std::istringstream in(line);
  for (std::string field; std::getline(in, field, ',');) fields.push_back(field);
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

}  // namespace

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Run run_program(const std::string& command, const std::string& dir) {
  const int raw = std::system(("{ " + command + "; } >'" + dir + "/out' 2>'" + dir + "/err'").c_str());
  Run r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = slurp(dir + "/out");
  r.err = slurp(dir + "/err");
  return r;
}

std::map<std::string, std::string> result_line(const std::string& out) {
  INFO("output: " << out);
  REQUIRE(out.size() > 1);
  REQUIRE(out.back() == '\n');
  const std::size_t start = out.rfind('\n', out.size() - 2) + 1;  // 0 when there is one line
  const std::string line = out.substr(start, out.size() - 1 - start);
  REQUIRE(line.rfind("result: ", 0) == 0);
  std::map<std::string, std::string> pairs;
  std::istringstream words(line.substr(8));
  for (std::string word; words >> word;) {
    const std::size_t eq = word.find('=');
    INFO("word: " << word);
    REQUIRE(eq != std::string::npos);
    pairs[word.substr(0, eq)] = word.substr(eq + 1);
  }
  return pairs;
}

void kill_when_file_exists(const std::string& command, const std::string& until, double timeout_seconds) {
  INFO("command: " << command << "\nwaiting for: " << until);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Its own process group, so that the kill reaches the program and anything it started; `exec`
    // makes the shell become the program instead of waiting for it.
    setpgid(0, 0);
    execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  setpgid(pid, pid);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  int status = 0;
  bool ended_by_itself = false;
  while (!std::filesystem::exists(until)) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      ended_by_itself = true;
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (!ended_by_itself) {
    kill(-pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  INFO("exit status " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  REQUIRE_FALSE(ended_by_itself);  // it finished (or failed) before the file appeared: no kill mid-run
  REQUIRE(std::filesystem::exists(until));  // the timeout passed first
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);
}

std::string file_difference(const std::string& a, const std::string& b) {
  if (!std::filesystem::is_regular_file(a)) return a + " is missing";
  if (!std::filesystem::is_regular_file(b)) return b + " is missing";
  const std::string x = slurp(a), y = slurp(b);
  if (x == y) return "";
  std::size_t at = 0;
  while (at < x.size() && at < y.size() && x[at] == y[at]) ++at;
  return a + " (" + std::to_string(x.size()) + " bytes) and " + b + " (" + std::to_string(y.size()) +
         " bytes) differ from byte " + std::to_string(at) + " on";
}

std::string metrics_without_timings(const std::string& csv_path) {
  std::ifstream in(csv_path, std::ios::binary);
  INFO("metrics file: " << csv_path);
  REQUIRE(in);
  std::string line, out;
  REQUIRE(std::getline(in, line));
  std::set<std::size_t> timings;  // the columns to leave out
  const std::vector<std::string> header = split_fields(line);
  for (std::size_t c = 0; c < header.size(); ++c)
    if (header[c] == "seconds") timings.insert(c);
  do {
    const std::vector<std::string> fields = split_fields(line);
    bool first = true;
    for (std::size_t c = 0; c < fields.size(); ++c) {
      if (timings.count(c)) continue;
      out += (first ? "" : ",") + fields[c];
      first = false;
    }
    out += '\n';
  } while (std::getline(in, line));
  return out;
}

ResumeRuns check_kill_and_resume(const std::string& command, const std::string& dir, int epochs) {
  const std::string checkpoint = dir + "/c.safetensors";
  ResumeRuns runs;
  runs.whole = run_program(command + "--out '" + dir + "/whole' --save '" + dir + "/whole.safetensors'", dir);
  INFO(command << "\n" << runs.whole.out << runs.whole.err);
  REQUIRE(runs.whole.status == 0);
  // Killed as a crash or the out-of-memory killer would, once the first epoch's checkpoint exists.
  kill_when_file_exists(command + "--out '" + dir + "/cut' --checkpoint '" + checkpoint + "' >/dev/null", checkpoint);
  const std::string epoch = read_safetensors(checkpoint).metadata.at("epoch");
  INFO("killed after epoch " << epoch);
  REQUIRE(std::stoi(epoch) < epochs);
  {  // A resume the program refuses (not a checkpoint) must leave the killed run's files as they are.
    const std::string metrics = slurp(dir + "/cut/metrics.csv"), junk = dir + "/junk.safetensors";
    REQUIRE(!metrics.empty());
    std::ofstream(junk) << "not a checkpoint";
    const Run refused = run_program(command + "--out '" + dir + "/cut' --resume '" + junk + "'", dir);
    INFO(refused.out << refused.err);
    CHECK(refused.status == 1);
    CHECK(refused.err.find(junk) != std::string::npos);
    CHECK(slurp(dir + "/cut/metrics.csv") == metrics);
  }
  runs.resumed = run_program(command + "--out '" + dir + "/cut' --checkpoint '" + checkpoint + "' --resume '" +
                                 checkpoint + "' --save '" + dir + "/resumed.safetensors'",
                             dir);
  INFO(runs.resumed.out << runs.resumed.err);
  REQUIRE(runs.resumed.status == 0);
  CHECK(file_difference(dir + "/resumed.safetensors", dir + "/whole.safetensors") == "");
  // The resumed run's metrics.csv is the whole run's, digit for digit (learning rates and running
  // losses included): the killed run's rows up to the checkpoint kept, the rest written again.
  const std::string whole_rows = metrics_without_timings(dir + "/whole/metrics.csv");
  REQUIRE(std::count(whole_rows.begin(), whole_rows.end(), '\n') > 2);  // a header, rows before and after the kill
  CHECK(metrics_without_timings(dir + "/cut/metrics.csv") == whole_rows);
  // And its learning curves are the whole run's, from the first epoch (or evaluation) on: the
  // same figure, its points within a hundredth of a pixel (the earlier epochs' values come back
  // from metrics.csv, written to six digits).
  if (std::filesystem::exists(dir + "/whole/curves.svg"))
    CHECK(figure_difference(dir + "/cut/curves.svg", dir + "/whole/curves.svg", 0.01) == "");
  return runs;
}

std::string figure_difference(const std::string& a, const std::string& b, double tolerance) {
  // Each text as its numbers and the pieces of text around them: the pieces must be equal, the
  // numbers within tolerance.
  static const std::regex number(R"(-?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?)");
  auto pieces = [](const std::string& text) {
    std::vector<std::string> out;  // text, number, text, number, ..., text
    std::copy(std::sregex_token_iterator(text.begin(), text.end(), number, {-1, 0}), std::sregex_token_iterator(),
              std::back_inserter(out));
    return out;
  };
  const std::vector<std::string> pa = pieces(slurp(a)), pb = pieces(slurp(b));
  if (pa.empty() || pb.empty()) return a + " or " + b + " is empty or missing";
  for (std::size_t k = 0; k < std::min(pa.size(), pb.size()); ++k) {
    const bool is_number = k % 2 == 1;
    if (is_number ? std::fabs(std::stod(pa[k]) - std::stod(pb[k])) > tolerance : pa[k] != pb[k])
      return a + " and " + b + " differ at piece " + std::to_string(k + 1) + ": '" + pa[k] + "' against '" + pb[k] + "'";
  }
  if (pa.size() != pb.size()) return a + " and " + b + " differ in length";
  return "";
}

void check_same_bits_on_one_thread_or_two(const std::function<std::string(int threads)>& command,
                                          const std::string& dir, std::size_t rows) {
  const std::pair<const char*, int> runs[] = {{"one", 1}, {"two", 2}, {"again", 2}};
  for (const auto& [name, threads] : runs) {
    const std::string line = command(threads) + "--out '" + dir + "/" + name + "' --save '" + dir + "/" + name +
                             ".safetensors'";
    const Run r = run_program(line, dir);
    INFO(line << "\n" << r.out << r.err);
    REQUIRE(r.status == 0);
  }
  const std::string one = metrics_without_timings(dir + "/one/metrics.csv");
  CHECK(std::size_t(std::count(one.begin(), one.end(), '\n')) == rows + 1);
  for (const char* other : {"two", "again"}) {
    INFO(other);
    CHECK(metrics_without_timings(dir + "/" + other + "/metrics.csv") == one);
    CHECK(file_difference(dir + "/" + other + ".safetensors", dir + "/one.safetensors") == "");
  }
}

}  // namespace dlfs::test
