// What the examples report about the machine: wall time, peak memory, threads.
#pragma once

#include <chrono>

namespace dlfs {

// Peak resident set size of this process so far, in MiB (getrusage's ru_maxrss).
double peak_rss_mb();

// Sets the number of OpenMP threads the kernels use (0 keeps OpenMP's default) and
// returns the number in effect.
int set_threads(int threads);

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  void restart() { start_ = std::chrono::steady_clock::now(); }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace dlfs
