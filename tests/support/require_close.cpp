#include "tests/support/require_close.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <sstream>
#include <vector>

namespace dlfs::test {

namespace {

std::string index_of(const Shape& shape, std::size_t flat) {
  Shape idx(shape.size());
  for (std::size_t k = shape.size(); k-- > 0;) {
    idx[k] = shape[k] ? flat % shape[k] : 0;
    flat = shape[k] ? flat / shape[k] : 0;
  }
  return shape_to_string(idx);
}

}  // namespace

void require_close(const Tensor& actual, const Tensor& expected, double atol, double rtol) {
  INFO("actual shape " << shape_to_string(actual.shape()) << ", expected shape "
                       << shape_to_string(expected.shape()));
  REQUIRE(actual.shape() == expected.shape());
  struct Miss {
    std::size_t i;
    double excess;
  };
  std::vector<Miss> misses;
  double max_err = 0.0;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    const double a = actual[i], e = expected[i], err = std::fabs(a - e);
    const double allowed = atol + rtol * std::fabs(e);
    if (!(err <= allowed)) misses.push_back({i, std::isnan(err) ? INFINITY : err - allowed});  // NaN fails too
    if (!(err <= max_err)) max_err = err;
  }
  if (misses.empty()) return;
  std::sort(misses.begin(), misses.end(), [](const Miss& x, const Miss& y) { return x.excess > y.excess; });
  std::ostringstream msg;
  msg.precision(8);
  msg << misses.size() << " of " << actual.size() << " elements differ (atol " << atol << ", rtol "
      << rtol << "), max |error| " << max_err << "; worst:\n";
  for (std::size_t k = 0; k < std::min<std::size_t>(5, misses.size()); ++k) {
    const std::size_t i = misses[k].i;
    msg << "  at " << index_of(actual.shape(), i) << ": actual " << actual[i] << ", expected "
        << expected[i] << ", error " << std::fabs(double(actual[i]) - expected[i]) << "\n";
  }
  FAIL(msg.str());
}

}  // namespace dlfs::test
