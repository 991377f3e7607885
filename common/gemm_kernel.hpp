// The innermost piece of the fast GEMM: the register-tiled micro-kernel (see gemm.md, step 5).
//
// The micro-kernel computes one small tile of C, R rows by V vectors of columns, entirely in
// registers:
//
//     for k in 0..kc:                      (one rank-1 update of the tile per k)
//       b_v   = op(B)[k, v*W .. v*W+W)     V vector loads
//       for r in 0..R:
//         a   = op(A)[r, k]                one broadcast
//         acc[r][v] += a * b_v             V fused multiply-adds
//
// R*V accumulators stay in registers for the whole k loop, so C is read and written once per
// tile, and every value loaded from A or B feeds V or R multiply-adds. The code is written once
// against a small vector type, Vec (common/simd.hpp); only Vec and the tile shape change with the
// instruction set, chosen at compile time:
//
//   AVX-512 (32 registers of 16 floats):  8 x 48 tile = 24 accumulators + 3 B vectors + 1 broadcast
//   AVX2+FMA (16 registers of 8 floats):   6 x 16 tile = 12 accumulators + 2 B vectors + 1 broadcast
//   portable (a GCC/Clang vector of 4):     4 x 8 tile, which compilers map onto SSE2 or NEON
//
// This is an internal header of common/gemm.cpp; chapters call dlfs::sgemm (common/gemm.hpp).
#pragma once

#include <algorithm>
#include <cstddef>

#include "common/simd.hpp"

namespace dlfs::gemm_detail {

using namespace simd;

// The register tile per instruction set (gemm.md, step 5): kMR rows by kNV vectors of columns.
// And the tile of the long dot products (gemm.cpp): kDotR rows of A by kDotQ rows of B, one
// sixteen-lane accumulator (Sum16: one AVX-512 register, two AVX2 ones) per pair plus the loads.
#if defined(__AVX512F__)
constexpr int kMR = 8;  // 8 x 48: 24 accumulators + 3 B vectors + 1 broadcast of 32 registers
constexpr int kNV = 3;
constexpr int kMCTiles = 21;  // row tiles in a packed A block (gemm.cpp, kMC): 168 rows
constexpr int kDotR = 5, kDotQ = 5;  // 25 accumulators + 5 rows of A + 1 of B (gemm.md: why 5 x 5)
#elif defined(__AVX2__) && defined(__FMA__)
constexpr int kMR = 6;  // 6 x 16: 12 accumulators + 2 B vectors + 1 broadcast of 16 registers
constexpr int kNV = 2;
constexpr int kMCTiles = 12;  // 72 rows
constexpr int kDotR = 2, kDotQ = 3;  // 6 sixteen-lane accumulators (12 registers) + the loads of 16
#else
constexpr int kMR = 4;  // 4 x 8
constexpr int kNV = 2;
constexpr int kMCTiles = 12;  // 48 rows
constexpr int kDotR = 1, kDotQ = 3;  // 3 sixteen-lane accumulators: 12 of the 16 SSE registers
#endif

constexpr int kNR = kNV * kW;  // columns of the register tile; packed B micro-panels are this wide

// Packing helper: dst[k * dst_stride + r] = row(r)[k] for r < rows, k < kc; that is, a block of
// at most kW rows read along k and written k-major (the transpose the packed panels need when the
// source runs the other way). row(r) is where row r starts: src + r * ld for a strided matrix, or
// anywhere at all (sgemm_rows). Lanes rows..lanes-1 of each written run are zero, so a B panel
// comes out zero-padded; lanes <= dst_stride.
#if defined(__AVX512F__)

// Sixteen rows of sixteen floats, transposed in registers: three rounds of shuffles, each
// interleaving pairs at a coarser grain (single floats, pairs of floats, 128-bit lanes, twice),
// 64 shuffles for 256 floats, instead of 256 scalar loads and stores to scattered addresses.
// (GCC 12 warns falsely inside its own shuffle intrinsics, which start from an "undefined"
// register; the pragma silences that, and only that, here.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
inline void transpose16x16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; ++i) {  // t[2i] = r[2i][0] r[2i+1][0] r[2i][1] r[2i+1][1] per 128-bit lane
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int g = 0; g < 4; ++g) {  // r[4g+c], lane L: rows 4g..4g+3 at column 4L+c
    r[4 * g + 0] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
    r[4 * g + 1] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
    r[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
    r[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
  }
  for (int c = 0; c < 4; ++c) {  // a 4x4 transpose of 128-bit lanes among r[c], r[4+c], r[8+c], r[12+c]
    const __m512 x0 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x88);
    const __m512 x1 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xDD);
    const __m512 y0 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x88);
    const __m512 y1 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xDD);
    t[c] = _mm512_shuffle_f32x4(x0, y0, 0x88);
    t[4 + c] = _mm512_shuffle_f32x4(x1, y1, 0x88);
    t[8 + c] = _mm512_shuffle_f32x4(x0, y0, 0xDD);
    t[12 + c] = _mm512_shuffle_f32x4(x1, y1, 0xDD);
  }
  for (int i = 0; i < 16; ++i) r[i] = t[i];
}

template <class Row>
inline void pack_transposed(const Row& row, int rows, std::size_t kc, float* dst, std::size_t dst_stride, int lanes) {
  for (std::size_t k0 = 0; k0 < kc; k0 += 16) {
    const int kt = int(std::min<std::size_t>(16, kc - k0));
    __m512 r[16];
    for (int i = 0; i < 16; ++i)
      r[i] = i < rows ? _mm512_maskz_loadu_ps(Vec::mask(kt), row(i) + k0) : _mm512_setzero_ps();
    transpose16x16(r);
    for (int k = 0; k < kt; ++k) _mm512_mask_storeu_ps(dst + (k0 + k) * dst_stride, Vec::mask(lanes), r[k]);
  }
}
#pragma GCC diagnostic pop

#elif defined(__AVX2__) && defined(__FMA__)

// Eight rows of eight floats, transposed in registers the same way in three rounds: 24 shuffles
// for 64 floats. (Scalar, packing a convolution's cols for its weight gradient took longer than
// the multiply-adds that use them.)
inline void transpose8x8(__m256 r[8]) {
  __m256 t[8];
  for (int i = 0; i < 4; ++i) {  // t[2i] = r[2i][0] r[2i+1][0] r[2i][1] r[2i+1][1] per 128-bit lane
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int g = 0; g < 2; ++g) {  // r[4g+c], lane L: rows 4g..4g+3 at column 4L+c
    r[4 * g + 0] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
    r[4 * g + 1] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
    r[4 * g + 2] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
    r[4 * g + 3] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
  }
  for (int c = 0; c < 4; ++c) {  // rows 0-3 from r[c]'s 128-bit lanes, rows 4-7 from r[4+c]'s
    t[c] = _mm256_permute2f128_ps(r[c], r[4 + c], 0x20);
    t[4 + c] = _mm256_permute2f128_ps(r[c], r[4 + c], 0x31);
  }
  for (int i = 0; i < 8; ++i) r[i] = t[i];
}

template <class Row>
inline void pack_transposed(const Row& row, int rows, std::size_t kc, float* dst, std::size_t dst_stride, int lanes) {
  const float* src[8];
  for (int i = 0; i < rows; ++i) src[i] = row(i);
  std::size_t k0 = 0;
  if (rows == 8 && lanes == 8)  // whole blocks of 8 x 8, the common case: no masks
    for (; k0 + 8 <= kc; k0 += 8) {
      __m256 r[8];
      for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src[i] + k0);
      transpose8x8(r);
      for (int k = 0; k < 8; ++k) _mm256_storeu_ps(dst + (k0 + k) * dst_stride, r[k]);
    }
  for (; k0 < kc; k0 += 8) {  // the ragged rest
    const int kt = int(std::min<std::size_t>(8, kc - k0));
    __m256 r[8];
    for (int i = 0; i < 8; ++i) r[i] = i < rows ? Vec::load(src[i] + k0, kt).v : _mm256_setzero_ps();
    transpose8x8(r);
    for (int k = 0; k < kt; ++k) Vec{r[k]}.store(dst + (k0 + k) * dst_stride, lanes);
  }
}

#else

template <class Row>
inline void pack_transposed(const Row& row, int rows, std::size_t kc, float* dst, std::size_t dst_stride, int lanes) {
  for (std::size_t k = 0; k < kc; ++k)
    for (int r = rows; r < lanes; ++r) dst[k * dst_stride + r] = 0.0f;
  for (int r = 0; r < rows; ++r)
    for (std::size_t k = 0; k < kc; ++k) dst[k * dst_stride + r] = row(r)[k];
}

#endif

// How the micro-kernel finds op(A)[r, k] for the R rows of its tile.
//   kKMajor: a[k * a_stride + r]: the R values of one k are adjacent. This is a packed A
//            micro-panel (a_stride = kMR) and also A^T read in place (a_stride = lda).
//   kRows:   a[r * a_stride + k]: row r of op(A) is contiguous. This is A read in place
//            (a_stride = lda), used when packing would not pay for itself (see gemm.cpp).
enum class ALayout { kKMajor, kRows };

// Where the micro-kernel finds row k of its tile's B (V * kW floats from b.row(k)); gemm.cpp's dot
// tiles read their rows of B through the same two types.
//   StridedB: rows `stride` apart: a packed B micro-panel (stride kNR, zero-padded past the last
//             column) or B itself (stride ldb, only where the tile is whole).
//   RowsB:    row k from rows[k] + col: B given row by row (sgemm_rows, a convolution's shifted
//             rows), read where it lies; only where the tile is whole.
// Either way the loads are whole vectors.
struct StridedB {
  const float* p;
  std::size_t stride;
  const float* row(std::size_t k) const { return p + k * stride; }
};
struct RowsB {
  const float* const* rows;
  std::size_t col;
  const float* row(std::size_t k) const { return rows[k] + col; }
};

// C[0:R, 0:n] = alpha * (op(A) op(B))[tile] + beta * C[0:R, 0:n]       (n <= V * kW)
//
// beta == 0 never reads C (C may hold NaN, as BLAS allows).
template <int R, int V, ALayout L, class BSource>
inline void micro_kernel(std::size_t kc, const float* a, std::size_t a_stride, const BSource& b, float* c,
                         std::size_t ldc, int n, float alpha, float beta) {
  // Ask for the tile of C now, so its cache lines arrive while the k loop runs instead of
  // stalling the write-back (C's rows are far apart: each is a separate stream).
  // One prefetch per vector, and the last float: an unaligned row of V vectors spans V + 1 lines.
  for (int r = 0; r < R; ++r) {
    for (int v = 0; v < V; ++v) __builtin_prefetch(c + r * ldc + v * kW, 1);
    __builtin_prefetch(c + r * ldc + V * kW - 1, 1);
  }
  Vec acc[R][V];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) acc[r][v] = Vec::zero();

  // In the kRows layout the R rows are R different addresses. From a second base pointer half-way
  // down, rows r and r + H share the offset r * a_stride, which halves the registers the addressing
  // needs: x86-64 has 16, and 14 row offsets (the tile's height before 8 x 48) plus the loop's own
  // pointers spilled (186 -> 207 GFLOPS on the 4096 x 150 x 16 im2col product).
  constexpr int H = (R + 1) / 2;
  const float* a_hi = a + (L == ALayout::kRows ? H * a_stride : 0);

  // The hot loop: R*V independent multiply-add chains keep both FMA units busy despite each FMA's
  // 4-cycle latency (that takes at least 2 units x 4 cycles = 8 chains in flight).
  for (std::size_t k = 0; k < kc; ++k) {
    const float* bk = b.row(k);
    Vec bv[V];
    for (int v = 0; v < V; ++v) bv[v] = Vec::load(bk + v * kW);
    for (int r = 0; r < R; ++r) {
      const float x = L == ALayout::kKMajor ? a[r] : r < H ? a[r * a_stride] : a_hi[(r - H) * a_stride];
      const Vec ar = Vec::broadcast(x);
      for (int v = 0; v < V; ++v) acc[r][v] = fma(ar, bv[v], acc[r][v]);
    }
    a += L == ALayout::kKMajor ? a_stride : 1;
    a_hi += 1;
  }

  // Write back: C = alpha * acc + beta * C, whole vectors where the tile is full, masked at the
  // right edge of C.
  const Vec va = Vec::broadcast(alpha), vb = Vec::broadcast(beta);
  for (int r = 0; r < R; ++r) {
    float* cr = c + r * ldc;
    for (int v = 0; v < V; ++v) {
      const int cols = std::min(n - v * kW, kW);  // columns of C this vector covers
      if (cols <= 0) break;
      const Vec product = mul(va, acc[r][v]);
      if (cols == kW) {
        (beta == 0.0f ? product : fma(vb, Vec::load(cr + v * kW), product)).store(cr + v * kW);
      } else {
        (beta == 0.0f ? product : fma(vb, Vec::load(cr + v * kW, cols), product)).store(cr + v * kW, cols);
      }
    }
  }
}

}  // namespace dlfs::gemm_detail
