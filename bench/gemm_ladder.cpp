// The GEMM ladder of common/gemm.md, one rung per function, each timed on the same n x n product:
//
//   1 naive        i-j-k: a dot product per element; B is walked down a column (stride n)
//   2 loop order   i-k-j: the inner loop streams a row of B and a row of C; it vectorizes
//   3 blocking     i-k-j over slabs of B's rows, so each slab is reused from L2
//   4 packing      A and B copied into tile order, a small plain-C++ 4 x 16 tile kernel
//   5 micro-kernel dlfs::sgemm on one thread: the 8 x 48 register tile with SIMD intrinsics
//   6 threads      dlfs::sgemm on every core
//
//   build/bench/gemm_ladder [--n 1024] [--reps 3]
//
// prints one line per rung: `ladder: rung=2 name=loop_order n=1024 gflops=... seconds=...`, plus
// Eigen for scale. Rungs 1-4 are written for clarity, not squeezed: each shows what one idea buys.
#include <omp.h>

#include <CLI/CLI.hpp>
#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include "common/gemm.hpp"
#include "common/random.hpp"

namespace {

using std::size_t;

// C = A B, all n x n row-major. Every rung computes exactly this.

// 1. The definition: C_ij = sum_k A_ik B_kj. The k loop walks B down a column, n floats apart,
// so every multiply-add touches a new cache line of B.
void naive(size_t n, const float* A, const float* B, float* C) {
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) {
      float acc = 0.0f;
      for (size_t k = 0; k < n; ++k) acc += A[i * n + k] * B[k * n + j];
      C[i * n + j] = acc;
    }
}

// 2. Same arithmetic, loops swapped: C_i. += A_ik B_k. (a row of B scaled into a row of C). The
// inner loop is unit-stride in B and C, so it runs from cache lines fully used, and the compiler
// turns it into SIMD multiply-adds.
void loop_order(size_t n, const float* A, const float* B, float* C) {
  std::fill(C, C + n * n, 0.0f);
  for (size_t i = 0; i < n; ++i)
    for (size_t k = 0; k < n; ++k) {
      const float a = A[i * n + k];
      for (size_t j = 0; j < n; ++j) C[i * n + j] += a * B[k * n + j];
    }
}

// 3. Rung 2 re-reads all of B (4 MiB at n = 1024) for every row of C, from L3. Cut B into slabs of
// kb whole rows (64 x 1024 x 4 B = 256 KiB, which fits in L2) and run every row of C over one slab
// before moving to the next: each slab comes from L3 once, then n times from L2. (Cutting the
// columns too would make the slab smaller still, but the inner loop shorter, and here its start
// and finish cost more than the smaller slab saves: 512 columns: 42 GFLOPS, all 1024: 60.)
void blocking(size_t n, const float* A, const float* B, float* C) {
  constexpr size_t kb = 64;
  std::fill(C, C + n * n, 0.0f);
  for (size_t k0 = 0; k0 < n; k0 += kb) {
    const size_t k1 = std::min(n, k0 + kb);
    for (size_t i = 0; i < n; ++i)
      for (size_t k = k0; k < k1; ++k) {
        const float a = A[i * n + k];
        for (size_t j = 0; j < n; ++j) C[i * n + j] += a * B[k * n + j];
      }
  }
}

// 4. Rung 3 still loads and stores a row of C for every single k. Compute a small tile of C (4 rows
// x 16 columns) over all k in a local accumulator instead, which the compiler keeps in registers,
// and feed it from packed copies: the tile's 4 values of A for each k side by side, its 16 values
// of B for each k side by side, so both stream contiguously. (n must be a multiple of 16 here.)
void packing(size_t n, const float* A, const float* B, float* C) {
  constexpr size_t mr = 4, nr = 16, kc = 256;
  static_assert(mr == 4, "the tile below is written out for four rows");
  std::vector<float> ap(mr * kc), bp(kc * n);
  std::fill(C, C + n * n, 0.0f);
  for (size_t k0 = 0; k0 < n; k0 += kc) {
    const size_t kn = std::min(kc, n - k0);
    // B[k0:k0+kn, :] as n/nr panels, each kn rows of nr floats.
    for (size_t j0 = 0; j0 < n; j0 += nr)
      for (size_t k = 0; k < kn; ++k)
        for (size_t j = 0; j < nr; ++j) bp[j0 * kn + k * nr + j] = B[(k0 + k) * n + j0 + j];
    for (size_t i0 = 0; i0 < n; i0 += mr) {
      for (size_t k = 0; k < kn; ++k)
        for (size_t r = 0; r < mr; ++r) ap[k * mr + r] = A[(i0 + r) * n + k0 + k];
      for (size_t j0 = 0; j0 < n; j0 += nr) {
        // One accumulator row per row of the tile; the j loop becomes one SIMD multiply-add each.
        float c0[nr] = {}, c1[nr] = {}, c2[nr] = {}, c3[nr] = {};
        for (size_t k = 0; k < kn; ++k) {
          const float* a = &ap[k * mr];
          const float* b = &bp[j0 * kn + k * nr];
          for (size_t j = 0; j < nr; ++j) {
            c0[j] += a[0] * b[j];
            c1[j] += a[1] * b[j];
            c2[j] += a[2] * b[j];
            c3[j] += a[3] * b[j];
          }
        }
        float* c = &C[i0 * n + j0];
        for (size_t j = 0; j < nr; ++j) {
          c[j] += c0[j];
          c[n + j] += c1[j];
          c[2 * n + j] += c2[j];
          c[3 * n + j] += c3[j];
        }
      }
    }
  }
}

// 5 and 6: the library.
void library(size_t n, const float* A, const float* B, float* C) {
  dlfs::sgemm(dlfs::Trans::No, dlfs::Trans::No, n, n, n, 1.0f, A, n, B, n, 0.0f, C, n);
}

double seconds(const std::function<void()>& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The GEMM ladder of common/gemm.md: each optimisation step, timed"};
  size_t n = 1024;
  int reps = 3;
  app.add_option("--n", n, "matrix size (a multiple of 16)")->check(CLI::PositiveNumber);
  app.add_option("--reps", reps, "timed runs per rung; the best is reported");
  CLI11_PARSE(app, argc, argv);
  if (n % 16 != 0) {
    std::fprintf(stderr, "gemm_ladder: --n must be a multiple of 16\n");
    return 2;
  }

  dlfs::Rng rng(1);
  std::vector<float> A(n * n), B(n * n), C(n * n), R(n * n);
  for (float& x : A) x = rng.uniform(-1.0f, 1.0f);
  for (float& x : B) x = rng.uniform(-1.0f, 1.0f);
  const int cores = omp_get_max_threads();
  omp_set_num_threads(1);
  Eigen::setNbThreads(1);
  library(n, A.data(), B.data(), R.data());  // the answer every rung is checked against

  struct Rung {
    int number;
    const char* name;
    void (*run)(size_t, const float*, const float*, float*);
    int threads;
  };
  const Rung rungs[] = {{1, "naive", naive, 1},           {2, "loop_order", loop_order, 1},
                        {3, "blocking", blocking, 1},     {4, "packing", packing, 1},
                        {5, "micro_kernel", library, 1},  {6, "threads", library, cores}};
  const double flops = 2.0 * double(n) * double(n) * double(n);
  for (const Rung& r : rungs) {
    omp_set_num_threads(r.threads);
    double best = 1e30;
    // The naive rung is slow (seconds at n = 1024): once is enough to see it.
    for (int i = 0; i < (r.number == 1 ? 1 : reps); ++i)
      best = std::min(best, seconds([&] { r.run(n, A.data(), B.data(), C.data()); }));
    double err = 0.0;
    for (size_t i = 0; i < n * n; ++i) err = std::max(err, double(std::abs(C[i] - R[i])));
    std::printf("ladder: rung=%d name=%s n=%zu threads=%d gflops=%.1f seconds=%.4f max_abs_diff=%.1e\n",
                r.number, r.name, n, r.threads, flops / best * 1e-9, best, err);
    std::fflush(stdout);
  }

  using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<const Matrix> a(A.data(), n, n), b(B.data(), n, n);
  Matrix c(n, n);
  for (int t : {1, cores}) {
    Eigen::setNbThreads(t);
    double best = 1e30;
    for (int i = 0; i < reps; ++i) best = std::min(best, seconds([&] { c.noalias() = a * b; }));
    std::printf("ladder: rung=eigen name=eigen n=%zu threads=%d gflops=%.1f seconds=%.4f\n", n, t,
                flops / best * 1e-9, best);
  }
}
