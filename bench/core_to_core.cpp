// How far apart the two cores are: the round trip of one cache line between two threads, in ns.
//
//   build/bench/core_to_core            one line: "core_to_core_round_trip_ns=... (median of 15)"
//
// Two threads take turns writing a counter that the other spins on, so every turn moves the line
// from one core's cache to the other's. On a VM the host may place the two virtual cores in one
// core complex (a shared L3: about 110-180 ns on the Zen 5 of 2026-12-01) or in two (about 430-800
// ns; a 256 KiB buffer the other core wrote then read at 5.3 GB/s, half the local 10.5), and may move
// them every few minutes. Any two-thread row that
// shares data every step (the MLP's gradient sum, its replica reading the weights) moves with it,
// so bench/run prints this line before and after each training benchmark.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

int main() {
  if (std::thread::hardware_concurrency() < 2) {  // spinning on one core would wait out time slices
    std::printf("core_to_core_round_trip_ns=none (one core)\n");
    return 0;
  }
  alignas(64) static std::atomic<long> turn{0};
  constexpr long kTrips = 20000;
  std::vector<double> ns;
  for (int sample = 0; sample < 15; ++sample) {
    turn = 0;
    // The partner answers every odd value with the next even one.
    std::thread partner([] {
      for (long i = 0; i < kTrips; ++i) {
        while (turn.load(std::memory_order_acquire) != 2 * i + 1) {
        }
        turn.store(2 * i + 2, std::memory_order_release);
      }
    });
    const auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < kTrips; ++i) {
      turn.store(2 * i + 1, std::memory_order_release);
      while (turn.load(std::memory_order_acquire) != 2 * i + 2) {
      }
    }
    const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
    partner.join();
    ns.push_back(took.count() / double(kTrips));
  }
  std::nth_element(ns.begin(), ns.begin() + 7, ns.end());
  std::printf("core_to_core_round_trip_ns=%.0f (median of 15)\n", ns[7]);
}
