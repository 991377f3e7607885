// Eigen's unsupported modules the oracles need: SpecialFunctions (erf, for GELU) and the
// Tensor module (its convolution checks Conv2d). Kept out of eigen.hpp: the Tensor module is
// heavy to compile, and only the tests that use it should pay for it.
#pragma once

#include <unsupported/Eigen/CXX11/Tensor>
#include <unsupported/Eigen/SpecialFunctions>

#include "tests/support/eigen.hpp"
