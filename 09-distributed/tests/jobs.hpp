// Whole MPI jobs, started the way a learner starts them (mpirun -np 2 ...) and judged from outside:
// exit status, messages, how long they took. A job that hung would hold its test until meson's
// timeout (meson.build) fails it. Used by test_faults.cpp and test_train.cpp.
#pragma once

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "common/system.hpp"
#include "tests/support/tmp.hpp"

#if !defined(DLFS_MPIRUN) || !defined(DLFS_FAULT_EXE) || !defined(DLFS_TRAIN_EXE)
#error "09-distributed/meson.build passes the paths of mpirun, the fault program and the example"
#endif

namespace dlfs::test {

struct Job {
  int status = -1;  // the exit status, or -1 when killed by a signal
  std::string out, err;
  double seconds = 0.0;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `mpirun -np <processes> <program> <args>` (processes 0: the program alone, without mpirun).
inline Job run(const std::string& dir, std::size_t processes, const std::string& program, const std::string& args) {
  std::string command = "'" + program + "' " + args;
  if (processes > 0)
    command = std::string("'") + DLFS_MPIRUN + "' --oversubscribe --bind-to none -np " + std::to_string(processes) +
              " " + command;
  command += " >'" + dir + "/out' 2>'" + dir + "/err'";
  dlfs::Stopwatch clock;
  const int raw = std::system(command.c_str());
  Job job;
  job.seconds = clock.seconds();
  job.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  job.out = slurp(dir + "/out");
  job.err = slurp(dir + "/err");
  return job;
}

inline std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The key=value pairs of the line starting "result: ".
inline std::map<std::string, std::string> result_line(const std::string& out) {
  const std::size_t start = out.rfind("\nresult: ");
  REQUIRE(start != std::string::npos);
  std::istringstream words(out.substr(start + 9, out.find('\n', start + 1) - start - 9));
  std::map<std::string, std::string> pairs;
  for (std::string word; words >> word;) pairs[word.substr(0, word.find('='))] = word.substr(word.find('=') + 1);
  return pairs;
}

// A failed job: a non-zero status, in seconds (mpirun's start takes about half of one here).
inline void require_quick_failure(const Job& job) {
  INFO("stdout: " << job.out << "\nstderr: " << job.err);
  CHECK(job.status != 0);
  CHECK(job.seconds < 10.0);
}

}  // namespace dlfs::test
