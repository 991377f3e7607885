// Eigen helpers for the cells' reference forward passes: the parameters as double matrices, and
// sigma. Each test file writes its cell's equations with them, in matrix form.
#pragma once

#include "04-rnn/recurrent.hpp"
#include "tests/support/eigen.hpp"

namespace dlfs::test {

using ArrayD = Eigen::ArrayXXd;

// A 2-D tensor as a double matrix (a copy).
inline MatrixD to_double(const Tensor& t) { return as_eigen(t).cast<double>(); }

// A bias (n) as a double row vector.
inline Eigen::RowVectorXd row_vector(const Tensor& bias) {
  Eigen::RowVectorXd v(Eigen::Index(bias.size()));
  for (std::size_t i = 0; i < bias.size(); ++i) v(Eigen::Index(i)) = bias[i];
  return v;
}

inline ArrayD sigmoid(const ArrayD& a) { return 1.0 / (1.0 + (-a).exp()); }

// The two affine maps of a step: x W_ih^T + b_ih and h W_hh^T + b_hh, (B, G*H) each.
struct Affine {
  MatrixD xw, hw;
};
inline Affine affine_maps(RecurrentCell& cell, const Tensor& x, const Tensor& h) {
  MatrixD xw = to_double(x) * to_double(cell.weight_ih().value).transpose();
  xw.rowwise() += row_vector(cell.bias_ih().value);
  MatrixD hw = to_double(h) * to_double(cell.weight_hh().value).transpose();
  hw.rowwise() += row_vector(cell.bias_hh().value);
  return {xw, hw};
}

}  // namespace dlfs::test
