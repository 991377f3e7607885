// Elementwise arithmetic and reductions: the small vocabulary every chapter speaks.
// Every binary op checks shapes and throws std::invalid_argument naming both shapes.
#pragma once

#include <cstddef>
#include <vector>

#include "common/tensor.hpp"

namespace dlfs {

// Elementwise, shapes must match: z = x (op) y.
Tensor operator+(const Tensor& x, const Tensor& y);
Tensor operator-(const Tensor& x, const Tensor& y);
Tensor operator*(const Tensor& x, const Tensor& y);  // Hadamard product
Tensor operator*(const Tensor& x, float s);
Tensor operator*(float s, const Tensor& x);
Tensor& operator+=(Tensor& y, const Tensor& x);
Tensor& operator-=(Tensor& y, const Tensor& x);
Tensor& operator*=(Tensor& y, float s);

// y += a * x  (the update at the heart of every optimizer)
void axpy(float a, const Tensor& x, Tensor& y);

// Whole-tensor reductions.
double sum(const Tensor& x);  // accumulated in double
float max(const Tensor& x);   // throws on an empty tensor

// Reductions along one axis: the result has that axis removed,
// e.g. sum over axis 0 of a (B, N) tensor has shape (N).
Tensor sum(const Tensor& x, std::size_t axis);
Tensor max(const Tensor& x, std::size_t axis);
// Index of the largest element along axis (the first one on ties), in row-major order
// of the remaining axes: argmax over axis 1 of (B, classes) logits gives B predictions.
std::vector<std::size_t> argmax(const Tensor& x, std::size_t axis);

// Rows along the first axis: the rows of x (N, ...) at `indices`, in that order (a batch drawn from
// a data set), and rows [begin, end) (a slice of a batch). Both copy.
Tensor gather_rows(const Tensor& x, const std::vector<std::size_t>& indices);  // (indices.size(), ...)
Tensor slice_rows(const Tensor& x, std::size_t begin, std::size_t end);        // (end - begin, ...)

}  // namespace dlfs
