#include <omp.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <tuple>
#include <vector>

#include "common/gemm.hpp"
#include "common/random.hpp"
#include "tests/support/eigen.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

using Strided = Eigen::Map<const Matrix, 0, Eigen::OuterStride<>>;

const Trans kBoth[] = {Trans::No, Trans::Yes};

// The top-left rows x cols block of a (possibly wider) row-major buffer, as a tensor.
Tensor block(const Tensor& t, std::size_t rows, std::size_t cols) {
  Tensor out({rows, cols});
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) out(i, j) = t[i * t.dim(1) + j];
  return out;
}

// Runs sgemm on C = alpha op(A) op(B) + beta C and checks it against Eigen and (unless the product
// is big enough to make the three-loop reference slow) against sgemm_reference. Every matrix is
// stored with `pad` spare columns (leading dimension = columns + pad), which must stay untouched.
void check_sgemm(std::size_t M, std::size_t N, std::size_t K, Trans ta, Trans tb, float alpha,
                 float beta, std::size_t pad = 0, bool with_reference = true) {
  INFO("M=" << M << " N=" << N << " K=" << K << " transA=" << (ta == Trans::Yes) << " transB="
            << (tb == Trans::Yes) << " alpha=" << alpha << " beta=" << beta << " pad=" << pad);
  Rng rng(M * 131 + N * 17 + K);
  const std::size_t a_rows = ta == Trans::Yes ? K : M, a_cols = ta == Trans::Yes ? M : K;
  const std::size_t b_rows = tb == Trans::Yes ? N : K, b_cols = tb == Trans::Yes ? K : N;
  const std::size_t lda = a_cols + pad, ldb = b_cols + pad, ldc = N + pad;
  Tensor A = random_tensor({a_rows, lda}, rng), B = random_tensor({b_rows, ldb}, rng);
  Tensor C0 = random_tensor({M, ldc}, rng);

  // Eigen, on strided views of the same buffers.
  const Strided a(A.data(), a_rows, a_cols, Eigen::OuterStride<>(lda));
  const Strided b(B.data(), b_rows, b_cols, Eigen::OuterStride<>(ldb));
  const Strided c0(C0.data(), M, N, Eigen::OuterStride<>(ldc));
  Matrix opa = ta == Trans::Yes ? Matrix(a.transpose()) : Matrix(a);
  Matrix opb = tb == Trans::Yes ? Matrix(b.transpose()) : Matrix(b);
  Matrix product = Matrix::Zero(Eigen::Index(M), Eigen::Index(N));
  if (K > 0) product = opa * opb;
  const Tensor expected = from_eigen((alpha * product + beta * c0).eval());

  Tensor fast = C0;
  sgemm(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, fast.data(), ldc);
  const double tol = 1e-5 * double(K + 1);
  require_close(block(fast, M, N), expected, tol, 1e-4);
  std::size_t padding_written = 0;  // the padding columns of C are not ours to write
  for (std::size_t i = 0; i < M; ++i)
    for (std::size_t j = N; j < ldc; ++j) padding_written += fast[i * ldc + j] != C0[i * ldc + j];
  REQUIRE(padding_written == 0);

  if (with_reference) {
    Tensor reference = C0;
    sgemm_reference(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, reference.data(), ldc);
    require_close(block(reference, M, N), expected, tol, 1e-4);
    require_close(block(fast, M, N), block(reference, M, N), tol, 1e-4);
  }
}

// Every transpose, with alpha/beta pairs that overwrite, accumulate, and scale both ways.
void check_all_variants(std::size_t M, std::size_t N, std::size_t K) {
  for (Trans ta : kBoth)
    for (Trans tb : kBoth)
      for (auto [alpha, beta] : {std::pair{1.0f, 0.0f}, {0.5f, 1.0f}, {-2.0f, 0.25f}})
        check_sgemm(M, N, K, ta, tb, alpha, beta);
}

}  // namespace

TEST_CASE("sgemm matches the reference and Eigen for every transpose at sizes 0, 1, 7, 63, 65", "[common][gemm]") {
  for (std::size_t n : {0, 1, 7, 63, 65}) check_all_variants(n, n, n);
}

TEST_CASE("sgemm matches the reference and Eigen at 257, past one register tile and one A block", "[common][gemm]") {
  // 257 = 32 tiles of 8 rows + 1, = 5 tiles of 48 columns + 17, and more than one 168-row A block.
  for (Trans ta : kBoth)
    for (Trans tb : kBoth) {
      check_sgemm(257, 257, 257, ta, tb, -0.5f, 0.75f);
      check_sgemm(257, 257, 257, ta, tb, 1.0f, 0.0f, 0, false);
    }
}

TEST_CASE("sgemm matches the reference and Eigen for mixed odd sizes", "[common][gemm]") {
  const std::size_t sizes[][3] = {{7, 65, 63}, {65, 7, 257}, {63, 257, 1}, {257, 1, 7},
                                  {1, 63, 65}, {65, 257, 7}, {2, 3, 1}, {15, 33, 17}};
  for (auto [M, N, K] : sizes) check_all_variants(M, N, K);
}

TEST_CASE("sgemm handles tall-skinny products such as a convolution's im2col", "[common][gemm]") {
  // (patches, taps) x (taps, channels): N below one column tile, so A is read in place.
  const std::size_t sizes[][3] = {{2000, 6, 25}, {1031, 3, 17}, {300, 16, 150}, {517, 33, 9}};
  for (auto [M, N, K] : sizes) check_all_variants(M, N, K);
}

TEST_CASE("sgemm handles short-wide products, including more columns than one B panel", "[common][gemm]") {
  const std::size_t sizes[][3] = {{6, 2000, 25}, {3, 1031, 17}, {1, 2100, 30}, {20, 2100, 9}};
  for (auto [M, N, K] : sizes) check_all_variants(M, N, K);
}

TEST_CASE("sgemm handles matrix-vector shapes and products two or three columns thin", "[common][gemm]") {
  const std::size_t sizes[][3] = {{1, 1000, 300}, {1000, 1, 300}, {1, 1, 500}, {1, 37, 5}, {37, 1, 5},
                                  {300, 2, 100}, {50, 3, 64}, {40, 3, 63}};
  for (auto [M, N, K] : sizes) check_all_variants(M, N, K);
  for (Trans ta : kBoth)
    for (Trans tb : kBoth) {
      check_sgemm(1, 70, 40, ta, tb, 1.5f, 0.5f, 3);
      check_sgemm(70, 1, 40, ta, tb, 1.5f, 0.5f, 3);
    }
}

TEST_CASE("sgemm with at most one row tile reads B in place, ragged columns included", "[common][gemm]") {
  const std::size_t sizes[][3] = {{8, 100, 70}, {3, 2100, 40}, {5, 70, 1100}, {2, 64, 9}};
  for (auto [M, N, K] : sizes) check_all_variants(M, N, K);
}

TEST_CASE("sgemm with K deeper than one cache slice applies beta once", "[common][gemm]") {
  // K = 1100 is two full slices of 512 and a ragged one; beta must scale C only on the first.
  for (Trans ta : kBoth)
    for (Trans tb : kBoth) check_sgemm(33, 40, 1100, ta, tb, 1.0f, 0.5f);
}

TEST_CASE("sgemm computes A B^T with few outputs and a long k as dot products", "[common][gemm]") {
  // A convolution's weight gradient (dy . cols^T): whole dot-product tiles and ragged ones (rows
  // and columns not multiples of the tile), k not a multiple of the vector width, several k
  // slices (beta applied once), and leading dimensions past the matrix.
  const std::size_t sizes[][3] = {{6, 25, 3000}, {16, 150, 1100}, {5, 7, 1037}, {2, 4, 2049}, {9, 6, 4100}, {3, 9, 1031}};
  for (auto [M, N, K] : sizes) check_all_variants(M, N, K);
  check_sgemm(5, 7, 1037, Trans::No, Trans::Yes, 1.0f, 0.5f, 3);
}

TEST_CASE("sgemm solves a few rows times a wide B or B^T as the transposed product", "[common][gemm]") {
  // A layer's forward pass y = x W^T and input gradient dx = dy W: at most 64 rows, more columns
  // than rows (C^T = op(B)^T A^T inside); K = 1031 crosses a cache slice, so beta applies once.
  const std::size_t sizes[][3] = {{32, 256, 784}, {64, 65, 100}, {7, 300, 33}, {1, 2, 5}, {63, 1031, 17}, {32, 256, 1031}};
  for (auto [M, N, K] : sizes)
    for (Trans tb : {Trans::No, Trans::Yes})
      for (auto [alpha, beta] : {std::pair{1.0f, 0.0f}, {0.5f, 1.0f}, {-2.0f, 0.25f}})
        check_sgemm(M, N, K, Trans::No, tb, alpha, beta, 3);
}

TEST_CASE("sgemm respects leading dimensions larger than the matrix", "[common][gemm]") {
  for (Trans ta : kBoth)
    for (Trans tb : kBoth) {
      check_sgemm(65, 70, 63, ta, tb, 1.0f, 0.5f, 5);
      check_sgemm(30, 7, 40, ta, tb, 2.0f, 0.0f, 3);
    }
}

TEST_CASE("sgemm packs A when its rows are 4 KiB or more apart and still matches", "[common][gemm]") {
  for (Trans tb : kBoth) {
    check_sgemm(65, 100, 1030, Trans::No, tb, 1.0f, 0.5f);  // lda = K = 1030
    check_sgemm(1030, 70, 9, Trans::Yes, tb, 1.0f, 0.5f);   // lda = M = 1030
    check_sgemm(40, 50, 20, Trans::No, tb, 1.0f, 0.0f, 1100);  // lda = 1120 by padding
  }
}

TEST_CASE("sgemm with K = 0 scales C by beta", "[common][gemm]") {
  check_sgemm(4, 3, 0, Trans::No, Trans::No, 1.0f, 0.5f);
  check_sgemm(40, 33, 0, Trans::Yes, Trans::Yes, 1.0f, 0.0f);
}

TEST_CASE("sgemm with alpha = 0 scales C by beta without reading A or B", "[common][gemm]") {
  Tensor A({3, 3}, std::numeric_limits<float>::quiet_NaN()), B = A;
  Tensor C({3, 3}, 2.0f);
  sgemm(Trans::No, Trans::No, 3, 3, 3, 0.0f, A.data(), 3, B.data(), 3, 0.5f, C.data(), 3);
  require_close(C, Tensor({3, 3}, 1.0f));
}

TEST_CASE("sgemm with beta = 0 ignores NaN already in C", "[common][gemm]") {
  Tensor A({2, 2}, {1, 2, 3, 4}), B({2, 2}, {1, 0, 0, 1});
  Tensor C({2, 2}, std::numeric_limits<float>::quiet_NaN());
  matmul(A, B, C);
  require_close(C, A);

  // The same through full and ragged register tiles of every transpose.
  Rng rng(7);
  Tensor X = random_tensor({65, 65}, rng), Y = random_tensor({65, 65}, rng);
  for (Trans ta : kBoth)
    for (Trans tb : kBoth) {
      Tensor fast({65, 65}, std::numeric_limits<float>::quiet_NaN()), reference({65, 65});
      sgemm(ta, tb, 65, 65, 65, 1.0f, X.data(), 65, Y.data(), 65, 0.0f, fast.data(), 65);
      sgemm_reference(ta, tb, 65, 65, 65, 1.0f, X.data(), 65, Y.data(), 65, 0.0f, reference.data(), 65);
      require_close(fast, reference, 1e-4, 1e-4);
    }
}

TEST_CASE("sgemm gives bitwise the same result on one thread and on two", "[common][gemm][threads]") {
  // Threads split C, never the sum over k, so each element is summed in the same order.
  Rng rng(11);
  // The register tiles (300 x 200 x 700) and the long dot products (16 x 150 x 20000).
  const std::size_t sizes[][3] = {{300, 200, 700}, {16, 150, 20000}};
  for (auto [M, N, K] : sizes) {
    INFO("M=" << M << " N=" << N << " K=" << K);
    Tensor A = random_tensor({M, K}, rng), B = random_tensor({N, K}, rng);
    Tensor one({M, N}), two({M, N});
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    sgemm(Trans::No, Trans::Yes, M, N, K, 1.0f, A.data(), K, B.data(), K, 0.0f, one.data(), N);
    omp_set_num_threads(2);
    sgemm(Trans::No, Trans::Yes, M, N, K, 1.0f, A.data(), K, B.data(), K, 0.0f, two.data(), N);
    omp_set_num_threads(saved);
    std::size_t differ = 0;
    for (std::size_t i = 0; i < one.size(); ++i) differ += one[i] != two[i];
    REQUIRE(differ == 0);
  }
}


namespace {

// a . b in the order every machine uses (Sum16, common/simd.hpp): lane l takes the products of
// terms l, l + 16, l + 32, ... by fused multiply-adds, then the lanes are added by halving.
float dot_in_sixteen_lanes(const float* a, const float* b, std::size_t n) {
  float lanes[16] = {};
  for (std::size_t k = 0; k < n; ++k) lanes[k % 16] = std::fma(a[k], b[k], lanes[k % 16]);
  for (int half = 8; half >= 1; half /= 2)
    for (int l = 0; l < half; ++l) lanes[l] += lanes[l + half];
  return lanes[0];
}

}  // namespace

TEST_CASE("sgemm's dot products add in the same order on every machine (AVX2, AVX-512)", "[common][gemm]") {
  // A sum kept in SIMD lanes rounds according to the lane count; the dot-product paths keep
  // sixteen lanes on every instruction set, so their results equal this one order to the bit,
  // wherever the test runs. The long dot products (M N <= 8192, K >= 1024) sum k in slices of
  // 1024, each slice's lanes reduced and added to C in turn; the matrix-vector paths sum all of k.
  Rng rng(5);
  SECTION("long dot products, in slices of 1024") {
    const std::size_t M = 5, N = 7, K = 3001, slice = 1024;
    Tensor A = random_tensor({M, K}, rng), B = random_tensor({N, K}, rng), C({M, N});
    sgemm(Trans::No, Trans::Yes, M, N, K, 1.0f, A.data(), K, B.data(), K, 0.0f, C.data(), N);
    std::size_t differ = 0;
    for (std::size_t i = 0; i < M; ++i)
      for (std::size_t j = 0; j < N; ++j) {
        float expected = 0.0f;
        for (std::size_t k0 = 0; k0 < K; k0 += slice)
          expected += dot_in_sixteen_lanes(&A[i * K + k0], &B[j * K + k0], std::min(slice, K - k0));
        differ += C[i * N + j] != expected;
      }
    REQUIRE(differ == 0);
  }
  SECTION("matrix-vector products and two columns thin") {
    for (std::size_t N : {1, 2}) {
      const std::size_t M = 9, K = 1000;
      Tensor A = random_tensor({M, K}, rng), B = random_tensor({N, K}, rng), C({M, N});
      sgemm(Trans::No, Trans::Yes, M, N, K, 1.0f, A.data(), K, B.data(), K, 0.0f, C.data(), N);
      std::size_t differ = 0;
      for (std::size_t i = 0; i < M; ++i)
        for (std::size_t j = 0; j < N; ++j) differ += C[i * N + j] != dot_in_sixteen_lanes(&A[i * K], &B[j * K], K);
      REQUIRE(differ == 0);
    }
  }
}
TEST_CASE("sgemm called from inside an OpenMP parallel region gives right results", "[common][gemm][threads]") {
  // Each thread of the caller's region runs its own product; sgemm must not nest more threads
  // (it sees omp_in_parallel()) and must not share scratch space between the callers.
  Rng rng(5);
  const std::size_t M = 200, N = 150, K = 300;
  Tensor A = random_tensor({M, K}, rng), B = random_tensor({K, N}, rng);
  Tensor results[4];
#pragma omp parallel for num_threads(2)
  for (int t = 0; t < 4; ++t) {
    results[t] = Tensor({M, N});
    sgemm(Trans::No, Trans::No, M, N, K, float(t + 1), A.data(), K, B.data(), N, 0.0f,
          results[t].data(), N);
  }
  Tensor reference({M, N});
  sgemm_reference(Trans::No, Trans::No, M, N, K, 1.0f, A.data(), K, B.data(), N, 0.0f, reference.data(), N);
  for (int t = 0; t < 4; ++t) {
    Tensor expected = reference;
    for (float& x : expected) x *= float(t + 1);
    require_close(results[t], expected, 1e-5 * double(K + 1), 1e-4);
  }
}

TEST_CASE("sgemm_rows reads B row by row from anywhere, like sgemm on the rows gathered", "[common][gemm]") {
  // The rows overlap and come in no order, as a convolution's shifted rows do: each starts at a
  // random offset into one buffer. Up to M = 64 rows B is read in place (whole column tiles; the
  // ragged strip packed), beyond that packed: 16, 6 and 64 in place (6 x 300: one ragged row
  // tile), 64 x 100 x 600 on two threads, 70 and 96 packed; 600 is deeper than one cache slice;
  // 13 and 7 leave ragged edges everywhere;
  // A B^T with K >= 1024 and few outputs (16 x 40 x 1500, and 15 x 37 x 1500 for ragged tiles) is
  // the dot-product path.
  for (auto [M, N, K] : {std::tuple<std::size_t, std::size_t, std::size_t>{1, 1, 1}, {5, 17, 9}, {16, 300, 144},
                         {6, 300, 25}, {13, 7, 29}, {64, 100, 600}, {70, 33, 600}, {96, 300, 600}, {16, 40, 1500},
                         {15, 37, 1500}})
    for (Trans ta : kBoth)
      for (Trans tb : kBoth)
        for (auto [alpha, beta] : {std::pair{1.0f, 0.0f}, {-2.0f, 0.25f}}) {
          INFO("M=" << M << " N=" << N << " K=" << K << " transA=" << (ta == Trans::Yes)
                    << " transB=" << (tb == Trans::Yes) << " beta=" << beta);
          Rng rng(M + N + K);
          const std::size_t rows = tb == Trans::Yes ? N : K, length = tb == Trans::Yes ? K : N;
          const Tensor buffer = random_tensor({2 * length + rows}, rng);
          std::vector<const float*> starts(rows);
          Tensor gathered({rows, length});  // B: the rows, copied out
          for (std::size_t r = 0; r < rows; ++r) {
            starts[r] = buffer.data() + rng.below(length + rows);
            std::copy(starts[r], starts[r] + length, gathered.data() + r * length);
          }
          const Tensor A = ta == Trans::Yes ? random_tensor({K, M}, rng) : random_tensor({M, K}, rng);
          const Tensor C0 = random_tensor({M, N}, rng);
          Tensor expected = C0, actual = C0;
          sgemm_reference(ta, tb, M, N, K, alpha, A.data(), A.dim(1), gathered.data(), length, beta,
                          expected.data(), N);
          sgemm_rows(ta, tb, M, N, K, alpha, A.data(), A.dim(1), starts.data(), beta, actual.data(), N);
          require_close(actual, expected, 1e-5 * double(K + 1), 1e-4);
        }
}

TEST_CASE("matmul allocates its output and checks shapes", "[common][gemm]") {
  Tensor A({2, 3}, {1, 2, 3, 4, 5, 6}), B({2, 3}, {1, 0, 0, 0, 1, 0});
  Tensor C = matmul(A, B, Trans::No, Trans::Yes);  // (2, 3) . (3, 2)
  require_close(C, Tensor({2, 2}, {1, 2, 4, 5}));
  CHECK_THROWS_WITH(matmul(A, B), Catch::Contains("inner dimensions differ in A(2, 3) . B(2, 3)"));
  Tensor wrong({3, 3});
  CHECK_THROWS_WITH(matmul(A, B, wrong, Trans::No, Trans::Yes), Catch::Contains("output has shape (3, 3)"));
  CHECK_THROWS_WITH(matmul(Tensor({2, 2, 2}), B), Catch::Contains("needs 2-D tensors"));
}
