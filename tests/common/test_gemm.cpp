#include <catch2/catch.hpp>

#include "common/gemm.hpp"
#include "common/random.hpp"
#include "tests/support/eigen.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

// op(X) as an Eigen matrix.
Matrix op(const Tensor& x, Trans t) {
  return t == Trans::Yes ? Matrix(as_eigen(x).transpose()) : Matrix(as_eigen(x));
}

void check_sgemm(std::size_t M, std::size_t N, std::size_t K, Trans ta, Trans tb, float alpha, float beta) {
  INFO("M=" << M << " N=" << N << " K=" << K << " transA=" << (ta == Trans::Yes) << " transB="
            << (tb == Trans::Yes) << " alpha=" << alpha << " beta=" << beta);
  Rng rng(M * 131 + N * 17 + K);
  Tensor A = random_tensor(ta == Trans::Yes ? Shape{K, M} : Shape{M, K}, rng);
  Tensor B = random_tensor(tb == Trans::Yes ? Shape{N, K} : Shape{K, N}, rng);
  Tensor C0 = random_tensor({M, N}, rng);
  Tensor expected = from_eigen((alpha * (op(A, ta) * op(B, tb)) + beta * as_eigen(C0)).eval());
  if (M * N == 0) expected = Tensor({M, N});

  Tensor fast = C0, reference = C0;
  sgemm(ta, tb, M, N, K, alpha, A.data(), A.dim(1), B.data(), B.dim(1), beta, fast.data(), N);
  sgemm_reference(ta, tb, M, N, K, alpha, A.data(), A.dim(1), B.data(), B.dim(1), beta,
                  reference.data(), N);
  const double tol = 1e-5 * double(K + 1);
  require_close(reference, expected, tol, 1e-4);
  require_close(fast, expected, tol, 1e-4);
}

}  // namespace

TEST_CASE("sgemm matches Eigen for every transpose, alpha and beta", "[common][gemm]") {
  const std::size_t sizes[][3] = {{1, 1, 1}, {7, 5, 3}, {63, 65, 17}, {64, 31, 100}};
  for (auto [M, N, K] : sizes)
    for (Trans ta : {Trans::No, Trans::Yes})
      for (Trans tb : {Trans::No, Trans::Yes})
        for (auto [alpha, beta] : {std::pair{1.0f, 0.0f}, {0.5f, 1.0f}, {-2.0f, 0.25f}})
          check_sgemm(M, N, K, ta, tb, alpha, beta);
}

TEST_CASE("sgemm with K = 0 scales C by beta", "[common][gemm]") {
  check_sgemm(4, 3, 0, Trans::No, Trans::No, 1.0f, 0.5f);
}

TEST_CASE("sgemm with beta = 0 ignores NaN already in C", "[common][gemm]") {
  Tensor A({2, 2}, {1, 2, 3, 4}), B({2, 2}, {1, 0, 0, 1});
  Tensor C({2, 2}, std::numeric_limits<float>::quiet_NaN());
  matmul(A, B, C);
  require_close(C, A);
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
