#include "common/ops.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace dlfs {

namespace {

template <class F>
Tensor zip(const Tensor& x, const Tensor& y, const char* what, F f) {
  require_same_shape(x, y, what);
  Tensor z(x.shape());
  for (std::size_t i = 0; i < z.size(); ++i) z[i] = f(x[i], y[i]);
  return z;
}

// View x as (outer, n, inner) around `axis`: every reduction below walks that box.
struct AxisBox {
  std::size_t outer = 1, n = 1, inner = 1;
  Shape reduced;
};

AxisBox box_around(const Tensor& x, std::size_t axis, const char* what) {
  if (axis >= x.ndim())
    throw std::invalid_argument(std::string(what) + ": axis " + std::to_string(axis) +
                                " is out of range for shape " + shape_to_string(x.shape()));
  AxisBox box;
  for (std::size_t k = 0; k < x.ndim(); ++k) {
    if (k < axis) box.outer *= x.shape()[k];
    if (k > axis) box.inner *= x.shape()[k];
    if (k != axis) box.reduced.push_back(x.shape()[k]);
  }
  box.n = x.shape()[axis];
  return box;
}

}  // namespace

Tensor operator+(const Tensor& x, const Tensor& y) { return zip(x, y, "add", [](float a, float b) { return a + b; }); }
Tensor operator-(const Tensor& x, const Tensor& y) { return zip(x, y, "subtract", [](float a, float b) { return a - b; }); }
Tensor operator*(const Tensor& x, const Tensor& y) { return zip(x, y, "multiply", [](float a, float b) { return a * b; }); }

Tensor operator*(const Tensor& x, float s) {
  Tensor z(x);
  z *= s;
  return z;
}
Tensor operator*(float s, const Tensor& x) { return x * s; }

Tensor& operator+=(Tensor& y, const Tensor& x) {
  axpy(1.0f, x, y);
  return y;
}
Tensor& operator-=(Tensor& y, const Tensor& x) {
  axpy(-1.0f, x, y);
  return y;
}
Tensor& operator*=(Tensor& y, float s) {
  for (float& v : y) v *= s;
  return y;
}

void axpy(float a, const Tensor& x, Tensor& y) {
  require_same_shape(y, x, "axpy");
  const float* xs = x.data();
  float* ys = y.data();
  for (std::size_t i = 0; i < y.size(); ++i) ys[i] += a * xs[i];
}

double sum(const Tensor& x) {
  double s = 0.0;
  for (float v : x) s += v;
  return s;
}

float max(const Tensor& x) {
  if (x.empty()) throw std::invalid_argument("max: empty tensor of shape " + shape_to_string(x.shape()));
  return *std::max_element(x.begin(), x.end());
}

Tensor sum(const Tensor& x, std::size_t axis) {
  AxisBox b = box_around(x, axis, "sum");
  Tensor out(b.reduced);
  for (std::size_t o = 0; o < b.outer; ++o)
    for (std::size_t k = 0; k < b.n; ++k)
      for (std::size_t i = 0; i < b.inner; ++i) out[o * b.inner + i] += x[(o * b.n + k) * b.inner + i];
  return out;
}

Tensor max(const Tensor& x, std::size_t axis) {
  AxisBox b = box_around(x, axis, "max");
  if (b.n == 0) throw std::invalid_argument("max: axis " + std::to_string(axis) + " of shape " +
                                            shape_to_string(x.shape()) + " is empty");
  Tensor out(b.reduced);
  std::vector<std::size_t> idx = argmax(x, axis);
  for (std::size_t o = 0; o < b.outer; ++o)
    for (std::size_t i = 0; i < b.inner; ++i)
      out[o * b.inner + i] = x[(o * b.n + idx[o * b.inner + i]) * b.inner + i];
  return out;
}

std::vector<std::size_t> argmax(const Tensor& x, std::size_t axis) {
  AxisBox b = box_around(x, axis, "argmax");
  if (b.n == 0) throw std::invalid_argument("argmax: axis " + std::to_string(axis) + " of shape " +
                                            shape_to_string(x.shape()) + " is empty");
  std::vector<std::size_t> out(b.outer * b.inner, 0);
  for (std::size_t o = 0; o < b.outer; ++o)
    for (std::size_t i = 0; i < b.inner; ++i) {
      std::size_t best = 0;
      for (std::size_t k = 1; k < b.n; ++k)
        if (x[(o * b.n + k) * b.inner + i] > x[(o * b.n + best) * b.inner + i]) best = k;
      out[o * b.inner + i] = best;
    }
  return out;
}

Tensor gather_rows(const Tensor& x, const std::vector<std::size_t>& indices) {
  Shape shape = x.shape();
  const std::size_t n = shape.at(0), row = x.size() / std::max<std::size_t>(n, 1);
  shape[0] = indices.size();
  Tensor out = Tensor::uninitialized(shape);  // (indices.size(), ...)
  for (std::size_t b = 0; b < indices.size(); ++b) {
    if (indices[b] >= n)
      throw std::out_of_range("gather_rows: index " + std::to_string(indices[b]) + " of " + std::to_string(n));
    std::memcpy(out.data() + b * row, x.data() + indices[b] * row, row * sizeof(float));
  }
  return out;
}

Tensor slice_rows(const Tensor& x, std::size_t begin, std::size_t end) {
  Shape shape = x.shape();
  if (begin > end || end > shape.at(0))
    throw std::out_of_range("slice_rows: rows [" + std::to_string(begin) + ", " + std::to_string(end) + ") of " +
                            shape_to_string(shape));
  const std::size_t row = x.size() / std::max<std::size_t>(shape[0], 1);
  shape[0] = end - begin;
  Tensor out = Tensor::uninitialized(shape);  // (end - begin, ...)
  if (out.size()) std::memcpy(out.data(), x.data() + begin * row, out.size() * sizeof(float));
  return out;
}

}  // namespace dlfs
