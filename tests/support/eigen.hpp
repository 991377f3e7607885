// Tensor <-> Eigen adapters. Eigen is the test oracle: it computes the reference every layer's
// forward and backward are compared against. (Never included outside tests/ and bench/.)
#pragma once

#include <Eigen/Dense>
#include <stdexcept>

#include "common/tensor.hpp"

namespace dlfs::test {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// A 2-D tensor viewed as a row-major Eigen matrix (no copy). Any tensor can be viewed as
// (rows, size / rows) by passing rows.
inline Eigen::Map<const Matrix> as_eigen(const Tensor& t) {
  if (t.ndim() != 2) throw std::invalid_argument("as_eigen: needs a 2-D tensor, got " + shape_to_string(t.shape()));
  return {t.data(), Eigen::Index(t.dim(0)), Eigen::Index(t.dim(1))};
}
inline Eigen::Map<Matrix> as_eigen(Tensor& t) {
  if (t.ndim() != 2) throw std::invalid_argument("as_eigen: needs a 2-D tensor, got " + shape_to_string(t.shape()));
  return {t.data(), Eigen::Index(t.dim(0)), Eigen::Index(t.dim(1))};
}

// A copy of an Eigen matrix (float or double) as a (rows, cols) tensor.
template <class Derived>
Tensor from_eigen(const Eigen::MatrixBase<Derived>& m) {
  Tensor t({std::size_t(m.rows()), std::size_t(m.cols())});
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j) t(i, j) = float(m(i, j));
  return t;
}

}  // namespace dlfs::test
