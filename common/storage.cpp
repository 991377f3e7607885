#include "common/storage.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace dlfs {

namespace {

constexpr std::size_t kAlign = 64;

// Off under AddressSanitizer (GCC defines the macro; Clang answers __has_feature).
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCache = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kCache = false;
#else
constexpr bool kCache = true;
#endif
#else
constexpr bool kCache = true;
#endif

struct Cache {
  struct Cached {
    float* block;
    std::uint64_t released;  // when: the count of releases cached before it
  };
  std::mutex mutex;
  std::unordered_map<std::size_t, std::vector<Cached>> free_blocks;  // bytes -> blocks of exactly that size
  std::uint64_t releases = 0;
  StorageStats stats;

  void count_live(std::size_t bytes) {
    stats.live_bytes += bytes;
    stats.peak_live_bytes = std::max(stats.peak_live_bytes, stats.live_bytes);
  }

  // Frees the longest-cached blocks until `room` more bytes fit under the cap (or none are left):
  // the sizes a program has released lately win over those it used to. Each list is in release
  // order (reuse takes its newest), so the oldest block overall is the oldest of the lists' fronts.
  void make_room(std::size_t room) {
    while (stats.cached_bytes > 0 && stats.cached_bytes + room > stats.peak_live_bytes) {
      auto oldest = free_blocks.end();
      for (auto it = free_blocks.begin(); it != free_blocks.end(); ++it)
        if (!it->second.empty() &&
            (oldest == free_blocks.end() || it->second.front().released < oldest->second.front().released))
          oldest = it;
      std::free(oldest->second.front().block);
      oldest->second.erase(oldest->second.begin());
      stats.cached_bytes -= oldest->first;
    }
  }
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
  auto fresh = [bytes] {
    void* block = std::aligned_alloc(kAlign, bytes);  // wants a multiple of the alignment: rounded
    if (!block) throw std::bad_alloc();
    return static_cast<float*>(block);
  };
  if (bytes < kMinCachedBytes) return fresh();  // small: the C library's own free lists, no lock
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free_blocks.find(bytes);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      float* block = it->second.back().block;
      it->second.pop_back();
      c.stats.cached_bytes -= bytes;
      ++c.stats.reused;
      c.count_live(bytes);
      return block;
    }
  }
  float* block = fresh();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.count_live(bytes);
  return block;
}

void release_storage(float* block, std::size_t bytes) {
  if (!block) return;
  bytes = rounded(bytes);
  if (bytes >= kMinCachedBytes) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    c.stats.live_bytes -= bytes;
    if (kCache && bytes <= c.stats.peak_live_bytes) {
      c.make_room(bytes);
      try {
        c.free_blocks[bytes].push_back({block, c.releases++});  // may allocate: a deleter must not
        c.stats.cached_bytes += bytes;                           // throw, so then the block is freed
        return;
      } catch (const std::bad_alloc&) {
      }
    }
  }
  std::free(block);
}

void release_cached_storage() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto& [bytes, blocks] : c.free_blocks)
    for (const Cache::Cached& cached : blocks) std::free(cached.block);
  c.free_blocks.clear();
  c.stats.cached_bytes = 0;
}

StorageStats storage_stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.stats;
}

bool storage_cache_enabled() { return kCache; }

}  // namespace dlfs
