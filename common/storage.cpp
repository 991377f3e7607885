#include "common/storage.hpp"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace dlfs {

namespace {

constexpr std::size_t kAlign = 64;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCache = false;
#else
constexpr bool kCache = true;
#endif

struct Cache {
  std::mutex mutex;
  std::unordered_map<std::size_t, std::vector<float*>> free_blocks;  // bytes -> blocks of exactly that size
  StorageStats stats;
};

// Never destroyed: a tensor that outlives main's statics (a static tensor) still has a cache to go to.
Cache& cache() {
  static Cache* c = new Cache;
  return *c;
}

std::size_t rounded(std::size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

}  // namespace

float* allocate_storage(std::size_t bytes) {
  bytes = rounded(bytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    c.stats.live_bytes += bytes;
    c.stats.peak_live_bytes = std::max(c.stats.peak_live_bytes, c.stats.live_bytes);
    auto it = c.free_blocks.find(bytes);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      float* block = it->second.back();
      it->second.pop_back();
      c.stats.cached_bytes -= bytes;
      ++c.stats.reused;
      return block;
    }
  }
  void* block = std::aligned_alloc(kAlign, bytes);  // wants a multiple of the alignment: rounded above
  if (!block) {
    std::lock_guard<std::mutex> lock(c.mutex);
    c.stats.live_bytes -= bytes;
    throw std::bad_alloc();
  }
  return static_cast<float*>(block);
}

void release_storage(float* block, std::size_t bytes) {
  if (!block) return;
  bytes = rounded(bytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    c.stats.live_bytes -= bytes;
    if (kCache && bytes >= kMinCachedBytes && c.stats.cached_bytes + bytes <= c.stats.peak_live_bytes) {
      c.free_blocks[bytes].push_back(block);
      c.stats.cached_bytes += bytes;
      return;
    }
  }
  std::free(block);
}

StorageStats storage_stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.stats;
}

bool storage_cache_enabled() { return kCache; }

}  // namespace dlfs
