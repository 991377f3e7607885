#include "common/gemm.hpp"

#include <stdexcept>
#include <string>

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

void sgemm(Trans trans_a, Trans trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha,
           const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
           std::size_t ldc) {
  // Cache-friendly i-k-j order: the innermost loop streams one row of op(B) and one row of C,
  // which the compiler vectorizes. (The blocked, packed kernel replaces this; see gemm.md.)
  const bool ta = trans_a == Trans::Yes, tb = trans_b == Trans::Yes;
  for (std::size_t i = 0; i < M; ++i) {
    float* c = C + i * ldc;
    for (std::size_t j = 0; j < N; ++j) c[j] = beta == 0.0f ? 0.0f : beta * c[j];
    for (std::size_t k = 0; k < K; ++k) {
      float a = alpha * (ta ? A[k * lda + i] : A[i * lda + k]);
      if (tb) {
        for (std::size_t j = 0; j < N; ++j) c[j] += a * B[j * ldb + k];
      } else {
        const float* b = B + k * ldb;
        for (std::size_t j = 0; j < N; ++j) c[j] += a * b[j];
      }
    }
  }
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
