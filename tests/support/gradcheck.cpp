#include "tests/support/gradcheck.hpp"

namespace dlfs::test {

Tensor numerical_gradient(const std::function<double()>& loss, Tensor& x, double h) {
  Tensor grad(x.shape());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float saved = x[i];
    x[i] = float(saved + h);
    const double plus = loss();
    x[i] = float(saved - h);
    const double minus = loss();
    x[i] = saved;
    // Divide by the step actually taken in float, not the h we asked for.
    const double step = double(float(saved + h)) - double(float(saved - h));
    grad[i] = float((plus - minus) / step);
  }
  return grad;
}

double dot(const Tensor& a, const Tensor& b) {
  require_same_shape(a, b, "dot");
  double s = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) s += double(a[i]) * double(b[i]);
  return s;
}

Tensor random_tensor(Shape shape, Rng& rng, float stddev) {
  Tensor t(std::move(shape));
  rng.fill_normal(t, 0.0f, stddev);
  return t;
}

}  // namespace dlfs::test
