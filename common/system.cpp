#include "common/system.hpp"

#include <malloc.h>
#include <omp.h>
#include <sys/resource.h>

namespace dlfs {

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

int set_threads(int threads) {
  if (threads > 0) omp_set_num_threads(threads);
  return omp_get_max_threads();
}

void keep_freed_memory() {
  // Blocks up to 1 GiB come from the heap (not mmap), and the heap is never trimmed below 1 GiB.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

}  // namespace dlfs
