// The matrix multiply. Read sgemm_reference first (the definition), then gemm.md (why the fast
// one looks the way it does), then sgemm at the bottom of this file and down the call tree:
//
//   sgemm            special cases, thin products, then splits C among threads
//   thin_product     matrix-vector products (M == 1 or N == 1) and products 2-3 columns thin
//   long_dot_products  A B^T with few outputs and a long k (a convolution's weight gradient)
//   gemm_block       one thread's part of C: the loops over cache blocks, packing what pays
//   tile_block       the loops over register tiles of one block
//   pack_a, pack_b   copy blocks of A and B into the order the micro-kernel reads them
//   micro_kernel     (gemm_kernel.hpp) one register tile of C, in SIMD registers
#include "common/gemm.hpp"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "common/gemm_kernel.hpp"

namespace dlfs {

void sgemm_reference(Trans trans_a, Trans trans_b, std::size_t M, std::size_t N, std::size_t K,
                     float alpha, const float* A, std::size_t lda, const float* B, std::size_t ldb,
                     float beta, float* C, std::size_t ldc) {
  const bool ta = trans_a == Trans::Yes, tb = trans_b == Trans::Yes;
  for (std::size_t i = 0; i < M; ++i)
    for (std::size_t j = 0; j < N; ++j) {
      // C_ij = alpha * sum_k op(A)_ik op(B)_kj + beta * C_ij
      double acc = 0.0;
      for (std::size_t k = 0; k < K; ++k) {
        float a = ta ? A[k * lda + i] : A[i * lda + k];
        float b = tb ? B[j * ldb + k] : B[k * ldb + j];
        acc += double(a) * double(b);
      }
      // beta == 0 overwrites: C may hold garbage (even NaN) on entry, as in BLAS.
      C[i * ldc + j] = float(alpha * acc) + (beta == 0.0f ? 0.0f : beta * C[i * ldc + j]);
    }
}

namespace {

using namespace gemm_detail;

// Cache blocking (gemm.md, step 3). This CPU (AMD EPYC, Zen 5) has per core a 48 KiB L1d and a
// 1 MiB L2, and a 32 MiB L3 shared by both cores.
//   kKC: depth of one rank-kc update. C is read and written once per slice of k, so a deep slice
//        means fewer trips of C through the caches. 512 is measured best here (2048^2: 218 GFLOPS
//        at kKC = 256, 234 at 512, with the 14 x 32 tile of the time): the B micro-panel (512 x 48
//        x 4 B = 96 KiB) is twice L1 and streams from L2, which keeps up, since each 192-byte row
//        of it feeds 24 FMAs.
//   kMC: rows of the packed A block, kMC x kKC floats, which stays in L2 while every column tile
//        passes over it: 168 x 512 x 4 B = 336 KiB, a third of L2, leaving room for the B panel's
//        lines and C. A multiple of kMR (21 tiles of 8 on AVX-512; gemm_kernel.hpp sets the count
//        per instruction set) so only the last block of C has a ragged tile.
//   kNC: columns of the packed B panel, kKC x kNC floats, which lives in L3 and is reused by
//        every A block: 512 x 2016 x 4 B = 4 MiB, an eighth of L3. 2016 = 42 tiles of 48: a
//        multiple of kNR, so only the last panel of C has a ragged tile.
constexpr std::size_t kKC = 512;
constexpr std::size_t kMC = std::size_t(kMR) * kMCTiles;
constexpr std::size_t kNC = 2048 / kNR * kNR;
// B given row by row (sgemm_rows) is read in place, not packed, by a thread whose part of C has at
// most this many rows.
constexpr std::size_t kRowsInPlaceMaxM = 64;
// Products of at most this many rows with a wider transposed B are solved transposed (below).
constexpr std::size_t kShortRows = 64;

// A grow-only, 64-byte aligned scratch buffer per thread for the packed blocks. OpenMP keeps its
// worker threads alive between parallel regions, so after the first call no GEMM allocates.
class Scratch {
 public:
  ~Scratch() { release(); }
  float* get(std::size_t floats) {
    if (floats > capacity_) {
      release();
      data_ = static_cast<float*>(::operator new(floats * sizeof(float), std::align_val_t(64)));
      capacity_ = floats;
    }
    return data_;
  }

 private:
  void release() {
    if (data_) ::operator delete(data_, std::align_val_t(64));
    data_ = nullptr;
    capacity_ = 0;
  }
  float* data_ = nullptr;
  std::size_t capacity_ = 0;
};

thread_local Scratch scratch_a, scratch_b, scratch_c;

// Everything about one GEMM call that does not change while we split it up.
struct Problem {
  bool ta, tb;
  std::size_t K;
  float alpha;
  const float* A;
  std::size_t lda;
  const float* B;
  std::size_t ldb;
  float beta;
  float* C;
  std::size_t ldc;
  const float* const* b_rows = nullptr;  // sgemm_rows: where each row of B starts (B and ldb unused)

  // op(A)[i, k] and op(B)[k, j], wherever they sit in memory.
  const float* a_at(std::size_t i, std::size_t k) const { return ta ? A + k * lda + i : A + i * lda + k; }
  const float* b_at(std::size_t k, std::size_t j) const {
    if (b_rows) return tb ? b_rows[j] + k : b_rows[k] + j;
    return tb ? B + j * ldb + k : B + k * ldb + j;
  }
};

// ---- Packing (gemm.md, step 4) ----

static_assert(kMR <= kW, "pack_a copies a panel's kMR values for one k as one vector");

// Packs op(A)[i0 : i0+mc, k0 : k0+kc] as micro-panels of kMR rows: panel p holds, for k = 0..kc-1,
// the kMR values op(A)[i, k] of its rows side by side, which is exactly the order the micro-kernel
// broadcasts them in. The last panel may have only R < kMR rows; it keeps the stride kMR and its
// unused slots are never read.
void pack_a(const Problem& p, std::size_t i0, std::size_t mc, std::size_t k0, std::size_t kc,
            float* dst) {
  for (std::size_t ip = 0; ip < mc; ip += kMR) {
    const std::size_t R = std::min<std::size_t>(kMR, mc - ip);
    if (p.ta) {
      // A^T: the R values for one k are already adjacent in memory (R <= kMR <= one vector).
      for (std::size_t k = 0; k < kc; ++k)
        Vec::load(p.a_at(i0 + ip, k0 + k), int(R)).store(dst + k * kMR, int(R));
    } else {
      // A: each row runs along k, the panel across rows: a transpose.
      const float* rows = p.a_at(i0 + ip, k0);
      pack_transposed([&](int r) { return rows + r * p.lda; }, int(R), kc, dst, kMR, int(R));
    }
    dst += kc * kMR;
  }
}

// Packs op(B)[k0 : k0+kc, j0 : j0+nc] as micro-panels of kNR columns: panel q holds, for each k,
// the kNR values op(B)[k, j] of its columns, zero-padded past nc so the kernel always loads
// whole vectors.
void pack_b(const Problem& p, std::size_t k0, std::size_t kc, std::size_t j0, std::size_t nc,
            float* dst) {
  for (std::size_t jp = 0; jp < nc; jp += kNR) {
    const std::size_t n = std::min<std::size_t>(kNR, nc - jp);
    if (!p.tb) {
      // B: each row segment is contiguous: a copy. Whole panels without masks: AVX2's masked
      // loads are slow on AMD's cores (the copy took half of all packing, the convolutions' im2col
      // products on the 2-core EPYC).
      if (n == std::size_t(kNR)) {
        for (std::size_t k = 0; k < kc; ++k) {
          const float* src = p.b_at(k0 + k, j0 + jp);
          for (int v = 0; v < kNV; ++v) Vec::load(src + v * kW).store(dst + k * kNR + v * kW);
        }
      } else {
        for (std::size_t k = 0; k < kc; ++k) {
          const float* src = p.b_at(k0 + k, j0 + jp);
          for (int v = 0; v < kNV; ++v) {
            const int cols = std::clamp(int(n) - v * kW, 0, kW);
            Vec::load(src + v * kW, cols).store(dst + k * kNR + v * kW);  // zero past the edge
          }
        }
      }
    } else {
      // B^T: column j of op(B) is row j of B, running along k: a transpose, kW columns at a time.
      for (int v = 0; v < kNV; ++v) {
        const int cols = std::clamp(int(n) - v * kW, 0, kW);
        const std::size_t j = j0 + jp + v * kW;
        pack_transposed([&](int r) { return p.b_at(k0, j + r); }, cols, kc, dst + v * kW, kNR, kW);
      }
    }
    dst += kc * kNR;
  }
}

// ---- The loops around the micro-kernel (gemm.md, steps 3-5) ----

// Where op(A)'s block sits, packed or in place: register tile t of rows starts at
// p + t * tile_step, and stride is the a_stride the micro-kernel takes.
struct Operand {
  const float* p;
  std::size_t stride, tile_step;
};

// The micro-kernel for a tile of R rows (1..kMR) and V vectors of columns (1..kNV), picked at run
// time for the ragged edges of C. Full tiles call micro_kernel<kMR, kNV> directly.
template <class BSource>
using KernelFn = void (*)(std::size_t, const float*, std::size_t, const BSource&, float*, std::size_t, int, float,
                          float);

template <ALayout L, class BSource, int R = kMR, int V = kNV>
KernelFn<BSource> edge_kernel(int rows, int vecs) {
  if constexpr (R == 0 || V == 0)
    return nullptr;
  else if (rows != R)
    return edge_kernel<L, BSource, R - 1, V>(rows, vecs);
  else if (vecs != V)
    return edge_kernel<L, BSource, R, V - 1>(rows, vecs);
  else
    return &micro_kernel<R, V, L, BSource>;
}

// C[0 : mc, 0 : nc] = alpha * (an mc x kc block of op(A)) (a kc x nc block of op(B)) + beta * C,
// one register tile at a time; b_tile(j) is where the tile of columns j .. j + kNR - 1 of the
// block of op(B) sits (a StridedB or RowsB). Column tiles outside, row tiles inside: a B
// micro-panel is reused by every row tile of the A block while it is hot in L1/L2.
template <ALayout L, class BTile>
void tile_block(std::size_t mc, std::size_t nc, std::size_t kc, const Operand& a, const BTile& b_tile, float* c,
                std::size_t ldc, float alpha, float beta) {
  for (std::size_t jr = 0; jr < nc; jr += kNR) {
    const int n = int(std::min<std::size_t>(kNR, nc - jr));
    const int vecs = (n + kW - 1) / kW;
    const auto bj = b_tile(jr);
    using BSource = std::remove_cv_t<decltype(bj)>;
    for (std::size_t ir = 0; ir < mc; ir += kMR) {
      const int rows = int(std::min<std::size_t>(kMR, mc - ir));
      const float* ai = a.p + ir * a.tile_step;
      float* cij = c + ir * ldc + jr;
      if (rows == kMR && vecs == kNV)
        micro_kernel<kMR, kNV, L>(kc, ai, a.stride, bj, cij, ldc, n, alpha, beta);
      else
        edge_kernel<L, BSource>(rows, vecs)(kc, ai, a.stride, bj, cij, ldc, n, alpha, beta);
    }
  }
}

// C[i0 : i0+M, j0 : j0+N] (one thread's part of C) by the blocked algorithm: the loops over
// cache blocks, packing what pays to pack.
void gemm_block(const Problem& p, std::size_t i0, std::size_t M, std::size_t j0, std::size_t N) {
  // Packing A costs a pass over it. It buys contiguous reads, but op(A) read where it lies is
  // just as fast while its rows (or, for A^T, its k-steps) are under 4 KiB apart. From 4 KiB on,
  // the rows of a tile fall into one set of the 12-way L1 and each sits on its own page (with the
  // 14-row tile of the time, more rows than ways: 1024 x 1024 228 GFLOPS in place, 238 packed;
  // the 8-row tile measures the same either way). And when N fits in one column tile, A is used
  // once, so packing it would only add a pass: a skinny im2col product (36864 x 25 times 25 x 6)
  // then costs one pass over A, not three.
  const bool pack_a_block = N > std::size_t(kNR) && p.lda >= 1024;
  // Likewise B: with one row tile at most (M <= kMR) each value of B is used once, so B is read
  // where it lies, when it runs along the columns (B, not B^T). Only a ragged last strip is
  // packed, so that the kernel's loads stay whole vectors. (2 x 256 x 784: 42 -> 110 GFLOPS.)
  // Rows given one by one (sgemm_rows: a convolution's shifted rows of an image) are read in place
  // for a few more row tiles: they overlap (the taps of one channel are the same plane shifted), so
  // a column tile of them is a few cache lines per channel, hot for every row tile, and packing
  // them cost as much as the multiply-adds (16 or 32 output channels per value).
  const std::size_t in_place_rows = p.b_rows ? kRowsInPlaceMaxM : std::size_t(kMR);
  const bool pack_b_panel = p.tb || M > in_place_rows;
  float* bp = scratch_b.get(kKC * ((std::min(N, kNC) + kNR - 1) / kNR * kNR));
  float* ap = pack_a_block ? scratch_a.get(kMC * kKC) : nullptr;

  for (std::size_t jc = 0; jc < N; jc += kNC) {
    const std::size_t nc = std::min(kNC, N - jc);
    for (std::size_t pc = 0; pc < p.K; pc += kKC) {
      const std::size_t kc = std::min(kKC, p.K - pc);
      // C = alpha A B + beta C: beta applies once, to the first slice of k; later slices add on.
      const float beta = pc == 0 ? p.beta : 1.0f;
      // Columns [0, in_place) of this slice of op(B) are read from B itself; the rest is packed.
      const std::size_t in_place = pack_b_panel ? 0 : nc / kNR * kNR;
      if (in_place < nc) pack_b(p, pc, kc, j0 + jc + in_place, nc - in_place, bp);

      for (std::size_t ic = 0; ic < M; ic += kMC) {
        const std::size_t mc = std::min(kMC, M - ic);
        float* c = p.C + (i0 + ic) * p.ldc + j0 + jc;
        // op(A)'s block: packed panels of kMR rows (kc * kMR floats apart, stride kMR within), or
        // A^T in place (k-major like a panel), or A in place (row by row).
        Operand a{p.a_at(i0 + ic, pc), p.lda, p.ta ? 1 : p.lda};
        if (pack_a_block) {
          pack_a(p, i0 + ic, mc, pc, kc, ap);
          a = {ap, kMR, kc};
        }
        auto tiles = [&](const auto& b_tile, std::size_t col, std::size_t ncols) {
          if (pack_a_block || p.ta)
            tile_block<ALayout::kKMajor>(mc, ncols, kc, a, b_tile, c + col, p.ldc, p.alpha, beta);
          else
            tile_block<ALayout::kRows>(mc, ncols, kc, a, b_tile, c + col, p.ldc, p.alpha, beta);
        };
        const std::size_t j = j0 + jc;  // op(B)'s column where this panel starts
        if (in_place > 0 && p.b_rows)
          tiles([&](std::size_t jr) { return RowsB{p.b_rows + pc, j + jr}; }, 0, in_place);
        else if (in_place > 0)
          tiles([&](std::size_t jr) { return StridedB{p.b_at(pc, j + jr), p.ldb}; }, 0, in_place);
        if (in_place < nc)
          tiles([&](std::size_t jr) { return StridedB{bp + jr * kc, kNR}; }, in_place, nc - in_place);
      }
    }
  }
}

// ---- Matrix-vector products: M == 1 or N == 1 ----
//
// Here nothing is reused: every element of the matrix is used exactly once. Register tiles,
// packing and threads are pure overhead, and the speed limit is reading the matrix once at full
// vector width (1 x 784 x 256: 20 GFLOPS through the tiles, 60+ this way). Which of two loops
// does that depends on which way the matrix's rows run.

// y[q * incy] = alpha * (X[q, :] . x) + beta * y[q * incy] for q < Q: dot products, for rows that
// run along k. The Q rows share each load of x. Each sum is kept in sixteen lanes (Sum16,
// common/simd.hpp) so that it has the same bits on every machine.
template <int Q>
void dot_rows(std::size_t cols, const float* X, std::size_t ldx, const float* x, float alpha,
              float beta, float* y, std::size_t incy) {
  constexpr int L = Sum16::kLanes;
  Sum16 acc[Q];
  for (int q = 0; q < Q; ++q) acc[q] = Sum16::zero();
  std::size_t k = 0;
  for (; k + L <= cols; k += L) {
    const Sum16 xk = Sum16::load(x + k);
    for (int q = 0; q < Q; ++q) acc[q] = fma(Sum16::load(X + q * ldx + k), xk, acc[q]);
  }
  if (k < cols) {
    const int n = int(cols - k);
    const Sum16 xk = Sum16::load(x + k, n);
    for (int q = 0; q < Q; ++q) acc[q] = fma(Sum16::load(X + q * ldx + k, n), xk, acc[q]);
  }
  for (int q = 0; q < Q; ++q) {
    float& out = y[q * incy];
    out = alpha * hsum(acc[q]) + (beta == 0.0f ? 0.0f : beta * out);
  }
}

void gemv_dot(std::size_t rows, std::size_t cols, const float* X, std::size_t ldx, const float* x,
              float alpha, float beta, float* y, std::size_t incy) {
  std::size_t r = 0;
  for (; r + 4 <= rows; r += 4) dot_rows<4>(cols, X + r * ldx, ldx, x, alpha, beta, y + r * incy, incy);
  for (; r < rows; ++r) dot_rows<1>(cols, X + r * ldx, ldx, x, alpha, beta, y + r * incy, incy);
}

// y[j * incy] = alpha * sum_r x[r] X[r, j] + beta * y[j * incy] for j < cols: rows of X scaled
// and summed, for rows that run along the output. Four rows per pass, so the running sum is
// loaded and stored once per four rows of X. (Summing a strip of columns over all rows in
// registers instead measured no faster: either way the matrix streams from L2 at its speed.)
void gemv_axpy(std::size_t rows, std::size_t cols, const float* X, std::size_t ldx, const float* x,
               float alpha, float beta, float* y, std::size_t incy) {
  float* sum = scratch_a.get(cols);
  std::fill(sum, sum + cols, 0.0f);
  std::size_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    const Vec x0 = Vec::broadcast(x[r]), x1 = Vec::broadcast(x[r + 1]);
    const Vec x2 = Vec::broadcast(x[r + 2]), x3 = Vec::broadcast(x[r + 3]);
    const float* X0 = X + r * ldx;
    for (std::size_t j = 0; j < cols; j += kW) {
      const int n = int(std::min<std::size_t>(kW, cols - j));
      Vec s = Vec::load(sum + j, n);
      s = fma(x0, Vec::load(X0 + j, n), s);
      s = fma(x1, Vec::load(X0 + ldx + j, n), s);
      s = fma(x2, Vec::load(X0 + 2 * ldx + j, n), s);
      s = fma(x3, Vec::load(X0 + 3 * ldx + j, n), s);
      s.store(sum + j, n);
    }
  }
  for (; r < rows; ++r) {
    const Vec xr = Vec::broadcast(x[r]);
    for (std::size_t j = 0; j < cols; j += kW) {
      const int n = int(std::min<std::size_t>(kW, cols - j));
      fma(xr, Vec::load(X + r * ldx + j, n), Vec::load(sum + j, n)).store(sum + j, n);
    }
  }
  for (std::size_t j = 0; j < cols; ++j)
    y[j * incy] = alpha * sum[j] + (beta == 0.0f ? 0.0f : beta * y[j * incy]);
}

// The vector operand, contiguous: v itself when its stride is 1, else a copy.
const float* contiguous(const float* v, std::size_t stride, std::size_t n) {
  if (stride == 1) return v;
  float* copy = scratch_b.get(n);
  for (std::size_t i = 0; i < n; ++i) copy[i] = v[i * stride];
  return copy;
}

// Products one to three vectors thin: computes C and returns true, or returns false.
bool thin_product(const Problem& p, std::size_t M, std::size_t N) {
  if (N == 1) {
    // C[:, 0] = op(A) x with x = op(B)[:, 0]. A's rows run along k (dot products); A^T's rows,
    // the columns of op(A), run along C's column (scaled rows).
    const float* x = contiguous(p.B, p.tb ? 1 : p.ldb, p.K);
    if (!p.ta) gemv_dot(M, p.K, p.A, p.lda, x, p.alpha, p.beta, p.C, p.ldc);
    else gemv_axpy(p.K, M, p.A, p.lda, x, p.alpha, p.beta, p.C, p.ldc);
  } else if (M == 1) {
    // C[0, :] = x op(B) with x = op(A)[0, :]. B^T's rows run along k; B's along C's row.
    const float* x = contiguous(p.A, p.ta ? p.lda : 1, p.K);
    if (p.tb) gemv_dot(N, p.K, p.B, p.ldb, x, p.alpha, p.beta, p.C, 1);
    else gemv_axpy(p.K, N, p.B, p.ldb, x, p.alpha, p.beta, p.C, 1);
  } else if (N <= 3 && !p.ta && p.tb && p.K >= 64) {
    // Two or three columns of long dot products (A B^T with a thin B): a register tile would use
    // 2 or 3 of its 16 lanes, so each column is its own matrix-vector product instead, reading A
    // N times from cache (256 x 784 x 2: 12 -> 70 GFLOPS).
    for (std::size_t j = 0; j < N; ++j)
      gemv_dot(M, p.K, p.A, p.lda, p.B + j * p.ldb, p.alpha, p.beta, p.C + j, p.ldc);
  } else {
    return false;
  }
  return true;
}

// ---- Long dot products: A B^T, few outputs, long k ----
//
// C[i, j] = alpha * (A[i, :] . B[j, :]) + beta * C[i, j], where both operands' rows run along k
// and there are few of them: a convolution's weight gradient, dW = dy . cols^T, is 6 x 25 outputs
// summed over k = 20384 output positions in LeNet's first layer. The register tiles would first
// transpose all of B into panels, a pass over megabytes for 150 numbers. Instead a tile of R x Q
// dot products keeps one sixteen-lane accumulator per output (Sum16: the same bits on every
// machine), reading sixteen values of k from each of its R rows of A and Q rows of B at a time
// (R + Q loads for R*Q multiply-adds), and sums each accumulator's lanes once, at the end. (On one
// core: 6 x 25 x 50176 from 75 to 122 GFLOPS, 16 x 150 x 6400 from 129 to 157.) The tile,
// kDotR x kDotQ, is in gemm_kernel.hpp.
//
// The rows of B may also be given one by one (sgemm_rows): the 16 -> 16 channel 3x3 convolutions'
// weight gradient reads its shifted rows in place this way (16 x 144 outputs over a chunk's
// positions: 10.1 -> 8.3 ms per layer and batch of 128 on one Zen 5 core, against transposing the
// rows into panels).

template <int R, int Q, class BSource>
void dot_tile(std::size_t K, const float* A, std::size_t lda, const BSource& B, float alpha, float beta, float* C,
              std::size_t ldc) {
  constexpr int L = Sum16::kLanes;
  Sum16 acc[R][Q];
  for (int r = 0; r < R; ++r)
    for (int q = 0; q < Q; ++q) acc[r][q] = Sum16::zero();
  auto step = [&](std::size_t k, int n) {  // acc[r][q] += A[r, k : k+n] * B[q, k : k+n], lane by lane
    Sum16 a[R], b[Q];
    for (int r = 0; r < R; ++r) a[r] = n == L ? Sum16::load(A + r * lda + k) : Sum16::load(A + r * lda + k, n);
    for (int q = 0; q < Q; ++q) b[q] = n == L ? Sum16::load(B.row(q) + k) : Sum16::load(B.row(q) + k, n);
    for (int r = 0; r < R; ++r)
      for (int q = 0; q < Q; ++q) acc[r][q] = fma(a[r], b[q], acc[r][q]);
  };
  std::size_t k = 0;
  for (; k + L <= K; k += L) step(k, L);  // whole runs of sixteen, then one partial
  if (k < K) step(k, int(K - k));
  for (int r = 0; r < R; ++r)
    for (int q = 0; q < Q; ++q) {
      float& out = C[r * ldc + q];
      out = alpha * hsum(acc[r][q]) + (beta == 0.0f ? 0.0f : beta * out);
    }
}

template <class BSource>
using DotTileFn = void (*)(std::size_t, const float*, std::size_t, const BSource&, float, float, float*, std::size_t);

// dot_tile<rows, cols> for the ragged edges, picked at run time.
template <class BSource, int R = kDotR, int Q = kDotQ>
DotTileFn<BSource> dot_tile_for(int rows, int cols) {
  if constexpr (R == 0 || Q == 0) {
    return nullptr;
  } else {
    if (rows < R) return dot_tile_for<BSource, R - 1, Q>(rows, cols);
    if (cols < Q) return dot_tile_for<BSource, R, Q - 1>(rows, cols);
    return &dot_tile<R, Q, BSource>;
  }
}

// Long enough for the lane sums at the end to be noise (64 vector steps of AVX-512 per
// accumulator), and few enough outputs that the operands are read a handful of times, not once per
// tile. (Measured on AVX-512 only: LeNet's 6 x 25 and 16 x 150 outputs over k = 1600 to 50176.)
constexpr std::size_t kDotMinK = 1024, kDotMaxOutputs = 8192;
bool is_long_dot_product(const Problem& p, std::size_t M, std::size_t N) {
  return !p.ta && p.tb && p.K >= kDotMinK && M * N <= kDotMaxOutputs;
}

void long_dot_products(const Problem& p, std::size_t M, std::size_t N, int threads) {
  const std::size_t row_tiles = (M + kDotR - 1) / kDotR, col_tiles = (N + kDotQ - 1) / kDotQ;
  // k in slices, so that one slice of every row of A and B (kDotKC floats each) stays in L2 while
  // all the tiles read it: unsliced, B is streamed from memory once per row tile. Each slice's
  // dot products are added to C (beta applies to the first).
  constexpr std::size_t kDotKC = 1024;
#pragma omp parallel num_threads(threads) if (threads > 1)
  for (std::size_t k0 = 0; k0 < p.K; k0 += kDotKC) {
    const std::size_t kc = std::min(kDotKC, p.K - k0);
    const float beta = k0 == 0 ? p.beta : 1.0f;
    // A static schedule gives each thread the same tiles in every slice: no two threads ever
    // write the same output, and every output is summed in the same order on any thread count.
#pragma omp for schedule(static) nowait
    for (std::size_t t = 0; t < row_tiles * col_tiles; ++t) {
      const std::size_t i = t / col_tiles * kDotR, j = t % col_tiles * kDotQ;
      const int rows = int(std::min<std::size_t>(kDotR, M - i)), cols = int(std::min<std::size_t>(kDotQ, N - j));
      const float* a = p.A + i * p.lda + k0;
      float* c = p.C + i * p.ldc + j;
      if (p.b_rows)  // B's rows j, j + 1, ... from where they lie
        dot_tile_for<RowsB>(rows, cols)(kc, a, p.lda, RowsB{p.b_rows + j, k0}, p.alpha, beta, c, p.ldc);
      else
        dot_tile_for<StridedB>(rows, cols)(kc, a, p.lda, StridedB{p.B + j * p.ldb + k0, p.ldb}, p.alpha, beta, c,
                                           p.ldc);
    }
  }
}

// ---- A few rows times a wide transposed matrix: C = A B^T, M small ----
//
// A layer's forward pass, y = x W^T, is this shape: x is a (micro-)batch of a few dozen rows, W a
// (out, in) weight matrix of hundreds of thousands; so is a recurrent layer's step, h W_hh^T. The
// register tiles want op(B) = W^T packed, which is a transpose of all of W, and that costs as much
// as multiplying a few dozen rows by it (at M = 32: 94 of 233 us for 32 x 784 x 256 here). The same
// numbers come out of the transposed problem, C^T = W A^T, where W is the left operand, read in
// place row by row, and the packed operand is x: small. So we solve that into a scratch C^T and
// copy its transpose into C (at 32 x 784 x 256: 233 -> 151 us).
//
// Only for B^T. With op(B) = B (a convolution's W . cols, or dx = dy W) packing B is a plain copy,
// while the transposed problem would read A^T = B^T in place or pack it one short strided run per
// k: on the 2-core AMD EPYC (Zen 3, AVX2) of a later session, W . cols at 32 x 1568 x 288 went from
// 26 to 57-69 GFLOPS solved directly, 64 x 1568 x 576 from 44-47 to 63, 6 x 6272 x 25 (LeNet's
// first layer) from 20 to 54; 16-row products and dy W (32 x 784 x 256) stayed within the noise.
bool is_short_times_wide(const Problem& p, std::size_t M, std::size_t N) {
  return !p.ta && p.tb && M < N && M <= kShortRows;
}

void via_transposed_product(const Problem& p, std::size_t M, std::size_t N) {
  // C^T in scratch (N, M), holding C's values when beta uses them, so that the transposed product
  // applies alpha and beta exactly as the direct one would: every sum runs over k in the same
  // order, so the result is the same to the bit.
  float* ct = scratch_c.get(N * M);
  if (p.beta != 0.0f)
    for (std::size_t i = 0; i < M; ++i)
      for (std::size_t j = 0; j < N; ++j) ct[j * M + i] = p.C[i * p.ldc + j];
  // op(B)^T is B itself when op(B) = B^T, and B read transposed when op(B) = B.
  sgemm(p.tb ? Trans::No : Trans::Yes, Trans::Yes, N, M, p.K, p.alpha, p.B, p.ldb, p.A, p.lda, p.beta, ct, M);
  for (std::size_t i = 0; i < M; ++i)
    for (std::size_t j = 0; j < N; ++j) p.C[i * p.ldc + j] = ct[j * M + i];
}

// ---- Threads and the entry point ----

// C = beta * C (the whole product vanishes when K == 0 or alpha == 0).
void scale_c(std::size_t M, std::size_t N, float beta, float* C, std::size_t ldc) {
  for (std::size_t i = 0; i < M; ++i)
    for (std::size_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
}

// How many threads a product of this size deserves. Waking a thread and packing a second copy of
// the shared operand cost microseconds, so each thread gets at least 2^20 multiply-adds (about
// 10 us); at that size two threads still paid off here (128^3: 190 -> 313 GFLOPS). Inside a
// parallel region (a caller already using the cores) we stay on the calling thread: nesting would
// put threads^2 workers on the cores.
int threads_for(std::size_t M, std::size_t N, std::size_t K) {
  if (omp_in_parallel()) return 1;
  constexpr double kMinWorkPerThread = 1 << 20;
  const double deserved = double(M) * double(N) * double(K) / kMinWorkPerThread;
  return int(std::clamp(deserved, 1.0, double(omp_get_max_threads())));
}

// The blocked algorithm on `threads` threads: C split into a grid of tm x tn rectangles, one per
// thread, each an independent GEMM with its own packed blocks. Pick the grid whose rectangles are
// closest to square (least packing per multiply-add), cutting on register-tile boundaries so only
// C's true edges are ragged.
void blocked_product(const Problem& p, std::size_t M, std::size_t N, int threads) {
  if (threads == 1) return gemm_block(p, 0, M, 0, N);

  const std::size_t row_tiles = (M + kMR - 1) / kMR, col_tiles = (N + kNR - 1) / kNR;
  int tm = 1, tn = threads;
  double best = 1e300;
  for (int m = 1; m <= threads; ++m) {
    if (threads % m != 0) continue;
    const int n = threads / m;
    const double rows = double(M) / m, cols = double(N) / n;
    const bool fits = std::size_t(m) <= row_tiles && std::size_t(n) <= col_tiles;
    if (fits && rows + cols < best) best = rows + cols, tm = m, tn = n;
  }
  if (best == 1e300) return gemm_block(p, 0, M, 0, N);  // too thin to split either way
  const std::size_t rows_per = (row_tiles + tm - 1) / tm * kMR;
  const std::size_t cols_per = (col_tiles + tn - 1) / tn * kNR;

  // A loop rather than one rectangle per thread id, so that every rectangle is still computed
  // if OpenMP grants fewer threads than asked for.
#pragma omp parallel for num_threads(tm * tn) schedule(static, 1)
  for (int t = 0; t < tm * tn; ++t) {
    const std::size_t i0 = std::size_t(t / tn) * rows_per, j0 = std::size_t(t % tn) * cols_per;
    if (i0 < M && j0 < N) gemm_block(p, i0, std::min(rows_per, M - i0), j0, std::min(cols_per, N - j0));
  }
}

}  // namespace

void sgemm(Trans trans_a, Trans trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha,
           const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
           std::size_t ldc) {
  if (M == 0 || N == 0) return;
  if (K == 0 || alpha == 0.0f) return scale_c(M, N, beta, C, ldc);
  const Problem p{trans_a == Trans::Yes, trans_b == Trans::Yes, K, alpha, A, lda, B, ldb, beta, C, ldc};

  if (thin_product(p, M, N)) return;

  const int threads = threads_for(M, N, K);
  if (is_long_dot_product(p, M, N)) return long_dot_products(p, M, N, threads);
  if (is_short_times_wide(p, M, N)) return via_transposed_product(p, M, N);
  blocked_product(p, M, N, threads);
}

void sgemm_rows(Trans trans_a, Trans trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha,
                const float* A, std::size_t lda, const float* const* b_rows, float beta, float* C, std::size_t ldc) {
  if (M == 0 || N == 0) return;
  if (K == 0 || alpha == 0.0f) return scale_c(M, N, beta, C, ldc);
  const Problem p{trans_a == Trans::Yes, trans_b == Trans::Yes, K, alpha, A, lda, nullptr, 0, beta, C, ldc, b_rows};
  const int threads = threads_for(M, N, K);
  if (is_long_dot_product(p, M, N)) return long_dot_products(p, M, N, threads);
  blocked_product(p, M, N, threads);
}

void matmul(const Tensor& A, const Tensor& B, Tensor& C, Trans trans_a, Trans trans_b, float alpha,
            float beta) {
  if (A.ndim() != 2 || B.ndim() != 2)
    throw std::invalid_argument("matmul: needs 2-D tensors, got " + shape_to_string(A.shape()) +
                                " and " + shape_to_string(B.shape()));
  const std::size_t M = trans_a == Trans::Yes ? A.dim(1) : A.dim(0);
  const std::size_t K = trans_a == Trans::Yes ? A.dim(0) : A.dim(1);
  const std::size_t Kb = trans_b == Trans::Yes ? B.dim(1) : B.dim(0);
  const std::size_t N = trans_b == Trans::Yes ? B.dim(0) : B.dim(1);
  auto describe = [&] {
    return std::string(trans_a == Trans::Yes ? "A^T" : "A") + shape_to_string(A.shape()) + " . " +
           (trans_b == Trans::Yes ? "B^T" : "B") + shape_to_string(B.shape());
  };
  if (K != Kb) throw std::invalid_argument("matmul: inner dimensions differ in " + describe());
  if (C.empty() && beta == 0.0f) C = Tensor({M, N});
  if (C.shape() != Shape{M, N})
    throw std::invalid_argument("matmul: output has shape " + shape_to_string(C.shape()) + " but " +
                                describe() + " is " + shape_to_string({M, N}));
  sgemm(trans_a, trans_b, M, N, K, alpha, A.data(), A.dim(1), B.data(), B.dim(1), beta, C.data(),
        N);
}

Tensor matmul(const Tensor& A, const Tensor& B, Trans trans_a, Trans trans_b) {
  Tensor C;
  matmul(A, B, C, trans_a, trans_b);
  return C;
}

}  // namespace dlfs
