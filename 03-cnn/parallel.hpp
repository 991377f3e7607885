// parallel_for: the one OpenMP loop this chapter uses, over the images of a batch.
//
// im2col, col2im, the layout changes around the GEMM and pooling all treat each image of the
// batch independently (image b reads and writes only its own slices), so splitting the batch
// among threads needs no locks. Waking a thread costs microseconds, so small loops stay on the
// calling thread. Nothing nests: a GEMM called inside one of these loops (Conv2d's chunks) stays on
// its thread, and when the caller already runs on several threads (a copy of the network per
// thread, chapter 02's TrainOptions::replicas) the loop stays on the calling thread, whatever the
// OpenMP settings say about nesting: threads x threads workers on the cores would only wait.
#pragma once

#include <omp.h>

#include <cstddef>

namespace dlfs {

// Calls body(i) for i = 0 .. n-1, spread over the OpenMP threads when n * work_per_item (roughly:
// floats touched) is worth it. body must not throw.
template <class Body>
void parallel_for(std::size_t n, std::size_t work_per_item, const Body& body) {
  // 256K floats is about a hundred microseconds of copying. A sleeping thread (OMP_WAIT_POLICY=
  // passive) takes tens of microseconds to wake, so smaller loops gain nothing from a second one;
  // LeNet's epoch at 2 passive threads went from 3.64 s to 3.27-3.40 s raising this from 32K.
  constexpr std::size_t kMinParallelWork = std::size_t(1) << 18;
  const bool worth_it = n > 1 && n * work_per_item >= kMinParallelWork && !omp_in_parallel();
  // Not `#pragma omp parallel if (worth_it)`: a region that is not worth it would still open a team
  // of one, and every parallel region inside the body (the GEMM's) would then be a nested one, which
  // libgomp serves with freshly created threads instead of its pool (a 1x1 convolution's backward
  // pass went from 2.2 to 5.0 ms that way).
  if (!worth_it) {
    for (std::size_t i = 0; i < n; ++i) body(i);
    return;
  }
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < n; ++i) body(i);
}

}  // namespace dlfs
