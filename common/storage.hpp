// Where tensors keep their numbers: 64-byte aligned blocks, and a cache of freed blocks for reuse.
//
// A training step allocates the same activations, caches and gradients in the same sizes every
// time (ResNet-20 at a batch of 128: hundreds of blocks, about 300 MB) and frees them at its end.
// Handed back to the C library, big blocks either go back to the kernel (the next step then faults
// every page in anew, and the kernel zeroes each one) or stay in the heap in pieces the next
// step's pattern of sizes does not fit, so the heap grows step after step: the ResNet's resident
// memory crept from 410 to 680 MB over an epoch that never had more than about 410 MB live.
// Instead a freed block of at least kMinCachedBytes waits in a list of blocks of its exact size,
// and the next request for that size takes it: after the first step, every block a step needs is
// one it had before, and the peak is the step's own.
//
// The cache never holds more than the most the program ever had live at once (peak_live_bytes).
// When a released block does not fit under that, blocks of other sizes are freed to make room: a
// program whose sizes change (another batch size, a longer sequence) keeps the sizes it uses now,
// and at most peak_live_bytes of them. Built with AddressSanitizer, nothing is cached, so that
// every use of a freed tensor is still caught.
#pragma once

#include <cstddef>

namespace dlfs {

// At least `bytes` (rounded up to a multiple of 64), 64-byte aligned; throws std::bad_alloc.
float* allocate_storage(std::size_t bytes);
// Gives back a block from allocate_storage with the same `bytes`: cached, or freed.
void release_storage(float* block, std::size_t bytes);

// Counted over blocks of at least kMinCachedBytes, the only ones the cache deals with.
struct StorageStats {
  std::size_t live_bytes = 0;       // in blocks allocated and not yet released
  std::size_t peak_live_bytes = 0;  // the most live_bytes has been
  std::size_t cached_bytes = 0;     // in released blocks waiting for reuse
  std::size_t reused = 0;           // requests served from the cache so far
};
StorageStats storage_stats();
// Frees every cached block (a program done with one phase of work, or a test that needs the cache empty).
void release_cached_storage();
// Whether released blocks are cached at all (not under AddressSanitizer).
bool storage_cache_enabled();
// Blocks smaller than this go straight back to the C library, whose own free lists serve small
// sizes well.
constexpr std::size_t kMinCachedBytes = std::size_t(64) << 10;

}  // namespace dlfs
