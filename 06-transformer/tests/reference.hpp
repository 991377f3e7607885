// Eigen references for chapter 06's tests: attention, multi-head attention and the pre-LN block
// written with explicit matrices, one sequence and one head at a time, in double.
#pragma once

#include <cmath>
#include <limits>
#include <vector>

#include "02-mlp/layer.hpp"
#include "tests/support/eigen.hpp"

namespace dlfs::test {

// Row-major (rows, cols) double matrix of a tensor's values, viewed as (rows, size / rows).
inline MatrixD to_matrix(const Tensor& t, std::size_t rows) {
  return as_eigen(t.reshaped({rows, t.size() / rows})).cast<double>();
}

// One head: P = softmax(Q K^T / sqrt(d)) with the future masked when causal; returns P V.
inline MatrixD attention_head(const MatrixD& Q, const MatrixD& K, const MatrixD& V, bool causal, MatrixD* P = nullptr) {
  const Eigen::Index T = Q.rows();
  MatrixD S = Q * K.transpose() / std::sqrt(double(Q.cols()));
  MatrixD weights(T, K.rows());
  for (Eigen::Index i = 0; i < T; ++i) {
    double m = -std::numeric_limits<double>::infinity();
    for (Eigen::Index j = 0; j < K.rows(); ++j)
      if (!causal || j <= i) m = std::max(m, S(i, j));
    double total = 0.0;
    for (Eigen::Index j = 0; j < K.rows(); ++j) total += weights(i, j) = (!causal || j <= i) ? std::exp(S(i, j) - m) : 0.0;
    weights.row(i) /= total;
  }
  if (P) *P = weights;
  return weights * V;
}

// Attention over qkv (B, T, 3D) with H heads, the heads merged: (B * T, D). weights, when given,
// receives P for [b][h].
inline MatrixD attention_reference(const Tensor& qkv, std::size_t H, bool causal,
                                   std::vector<std::vector<MatrixD>>* weights = nullptr) {
  const std::size_t B = qkv.dim(0), T = qkv.dim(1), D = qkv.dim(2) / 3, d = D / H;
  const MatrixD X = to_matrix(qkv, B * T);  // (B T, 3D)
  MatrixD out(B * T, D);
  if (weights) weights->assign(B, std::vector<MatrixD>(H));
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t h = 0; h < H; ++h) {
      const auto rows = Eigen::Index(b * T), n = Eigen::Index(T), w = Eigen::Index(d);
      const MatrixD Q = X.block(rows, Eigen::Index(h * d), n, w);
      const MatrixD K = X.block(rows, Eigen::Index(D + h * d), n, w);
      const MatrixD V = X.block(rows, Eigen::Index(2 * D + h * d), n, w);
      out.block(rows, Eigen::Index(h * d), n, w) = attention_head(Q, K, V, causal, weights ? &(*weights)[b][h] : nullptr);
    }
  return out;
}

// x W^T + b for a (rows, in) matrix, W (out, in), b (out).
inline MatrixD affine(const MatrixD& x, const Tensor& weight, const Tensor& bias) {
  const MatrixD W = to_matrix(weight, weight.dim(0));
  const Eigen::RowVectorXd b = to_matrix(bias, 1);
  return (x * W.transpose()).rowwise() + b;
}

// LayerNorm over each row: gamma (x - mu) / sqrt(var + 1e-5) + beta.
inline MatrixD layer_norm(const MatrixD& x, const Tensor& gamma, const Tensor& beta) {
  MatrixD y(x.rows(), x.cols());
  const Eigen::RowVectorXd g = to_matrix(gamma, 1), b = to_matrix(beta, 1);
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    const double mu = x.row(r).mean();
    const double var = (x.row(r).array() - mu).square().mean();
    y.row(r) = ((x.row(r).array() - mu) / std::sqrt(var + 1e-5)).matrix().cwiseProduct(g) + b;
  }
  return y;
}

inline MatrixD gelu(const MatrixD& x) {
  return x.unaryExpr([](double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); });
}

}  // namespace dlfs::test
