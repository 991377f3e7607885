// Matrix multiply: C = alpha * op(A) * op(B) + beta * C, with op(X) = X or X^T.
//
// Backprop needs exactly three products (for a Dense layer y = x W^T + b):
//   forward        y  = x  . W^T      (A.B^T)
//   input grad     dx = dy . W        (A.B)
//   weight grad    dW += dy^T . x     (A^T.B, beta = 1 accumulates)
// so the transposes and the accumulate (beta) are part of the API from the start.
//
// Matrices are row-major: element (i, j) of a matrix with leading dimension ld sits at [i * ld + j].
// op(A) is M x K, op(B) is K x N, C is M x N.
#pragma once

#include <cstddef>

#include "common/tensor.hpp"

namespace dlfs {

enum class Trans { No, Yes };

// The fast one: every chapter calls this.
void sgemm(Trans trans_a, Trans trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha,
           const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
           std::size_t ldc);

// The same product with B given row by row: row r of B (K x N, or N x K for B^T) is the floats
// from b_rows[r] on, wherever that is. A convolution's im2col matrix is rows of this kind (row
// (c, u, v) is channel c of the image shifted by the tap (u, v)), so the GEMM can read it straight
// from a padded image instead of from a copy nine times its size (03-cnn/padded_planes.hpp).
void sgemm_rows(Trans trans_a, Trans trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha,
                const float* A, std::size_t lda, const float* const* b_rows, float beta, float* C, std::size_t ldc);

// The readable one: the definition, three loops. Tests compare sgemm against it.
void sgemm_reference(Trans trans_a, Trans trans_b, std::size_t M, std::size_t N, std::size_t K,
                     float alpha, const float* A, std::size_t lda, const float* B, std::size_t ldb,
                     float beta, float* C, std::size_t ldc);

// Tensor form for 2-D tensors. Checks that the inner dimensions agree and that C is M x N
// (C is allocated when it is empty and beta == 0), throwing std::invalid_argument otherwise.
void matmul(const Tensor& A, const Tensor& B, Tensor& C, Trans trans_a = Trans::No,
            Trans trans_b = Trans::No, float alpha = 1.0f, float beta = 0.0f);
Tensor matmul(const Tensor& A, const Tensor& B, Trans trans_a = Trans::No, Trans trans_b = Trans::No);

}  // namespace dlfs
