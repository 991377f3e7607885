// require_close: compares two tensors elementwise, |actual - expected| <= atol + rtol * |expected|,
// and on failure prints the worst few mismatches (index, both values, error) before failing
// through Catch2, so a failing test says where and by how much.
#pragma once

#include "common/tensor.hpp"

namespace dlfs::test {

void require_close(const Tensor& actual, const Tensor& expected, double atol = 1e-5,
                   double rtol = 1e-4);

}  // namespace dlfs::test
