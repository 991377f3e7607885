#include "01-perceptron/preprocessing.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace dlfs {

namespace {

void require_matrix(const Tensor& x, const char* what) {
  if (x.ndim() != 2) throw std::invalid_argument(std::string(what) + ": needs (N, F), got " + shape_to_string(x.shape()));
}

void require_features(const Tensor& x, const Tensor& fitted, const char* what) {
  require_matrix(x, what);
  if (fitted.empty()) throw std::logic_error(std::string(what) + ": transform() called before fit()");
  if (x.dim(1) != fitted.dim(0))
    throw std::invalid_argument(std::string(what) + ": fitted on " + std::to_string(fitted.dim(0)) +
                                " features, got " + shape_to_string(x.shape()));
}

}  // namespace

// ---- label encoding and one-hot ----

void LabelEncoder::fit(const std::vector<std::string>& values) {
  classes_ = values;
  std::sort(classes_.begin(), classes_.end());
  classes_.erase(std::unique(classes_.begin(), classes_.end()), classes_.end());
}

std::size_t LabelEncoder::code_or_unknown(const std::string& value) const {
  // classes_ is sorted, so a binary search finds the code.
  const auto it = std::lower_bound(classes_.begin(), classes_.end(), value);
  if (it == classes_.end() || *it != value) return classes_.size();
  return std::size_t(it - classes_.begin());
}

std::size_t LabelEncoder::code(const std::string& value) const {
  const std::size_t c = code_or_unknown(value);
  if (c == classes_.size()) throw std::invalid_argument("unknown label '" + value + "' (not seen by fit)");
  return c;
}

std::vector<std::size_t> LabelEncoder::transform(const std::vector<std::string>& values) const {
  std::vector<std::size_t> codes;
  codes.reserve(values.size());
  for (const std::string& v : values) codes.push_back(code(v));
  return codes;
}

Tensor one_hot(const std::vector<std::size_t>& codes, std::size_t k) {
  Tensor out({codes.size(), k});  // (N, K), zero-filled
  for (std::size_t i = 0; i < codes.size(); ++i)
    if (codes[i] < k) out(i, codes[i]) = 1.0f;
  return out;
}

Tensor OneHotEncoder::transform(const std::vector<std::string>& values) const {
  std::vector<std::size_t> codes;
  codes.reserve(values.size());
  for (const std::string& v : values) codes.push_back(labels_.code_or_unknown(v));  // unknown -> K -> zeros
  return one_hot(codes, labels_.size());  // (N, K)
}

// ---- scalers ----

void StandardScaler::fit(const Tensor& x) {
  require_matrix(x, "StandardScaler::fit");
  const std::size_t n = x.dim(0), f = x.dim(1);
  if (n == 0) throw std::invalid_argument("StandardScaler::fit: no rows");
  mean_ = Tensor({f});  // (F)
  std_ = Tensor({f});   // (F)
  for (std::size_t j = 0; j < f; ++j) {
    // Two passes (mean, then squared deviations) in double: the one-pass E[x^2] - E[x]^2
    // cancels catastrophically when the mean is large next to the spread.
    double s = 0.0;
    for (std::size_t i = 0; i < n; ++i) s += x(i, j);
    const double mean = s / double(n);
    double ss = 0.0;
    for (std::size_t i = 0; i < n; ++i) ss += (x(i, j) - mean) * (x(i, j) - mean);
    const double sd = std::sqrt(ss / double(n));
    mean_[j] = float(mean);
    std_[j] = sd > 0.0 ? float(sd) : 1.0f;
  }
}

Tensor StandardScaler::transform(const Tensor& x) const {
  require_features(x, mean_, "StandardScaler::transform");
  Tensor z(x.shape());  // (N, F)
  for (std::size_t i = 0; i < x.dim(0); ++i)
    for (std::size_t j = 0; j < x.dim(1); ++j) z(i, j) = (x(i, j) - mean_[j]) / std_[j];
  return z;
}

void MinMaxScaler::fit(const Tensor& x) {
  require_matrix(x, "MinMaxScaler::fit");
  const std::size_t n = x.dim(0), f = x.dim(1);
  if (n == 0) throw std::invalid_argument("MinMaxScaler::fit: no rows");
  min_ = Tensor({f});  // (F)
  max_ = Tensor({f});  // (F)
  for (std::size_t j = 0; j < f; ++j) {
    float lo = x(0, j), hi = x(0, j);
    for (std::size_t i = 1; i < n; ++i) {
      lo = std::min(lo, x(i, j));
      hi = std::max(hi, x(i, j));
    }
    min_[j] = lo;
    max_[j] = hi;
  }
}

Tensor MinMaxScaler::transform(const Tensor& x) const {
  require_features(x, min_, "MinMaxScaler::transform");
  Tensor out(x.shape());  // (N, F)
  for (std::size_t i = 0; i < x.dim(0); ++i)
    for (std::size_t j = 0; j < x.dim(1); ++j) {
      const float range = max_[j] - min_[j];
      out(i, j) = range > 0.0f ? (x(i, j) - min_[j]) / range : 0.0f;
    }
  return out;
}

// ---- splits ----

namespace {

std::string format(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

void require_fraction(double test_fraction) {
  if (!(test_fraction > 0.0 && test_fraction < 1.0))
    throw std::invalid_argument("test fraction must be between 0 and 1 (exclusive), got " + format(test_fraction));
}

void require_both_parts(const Split& s, std::size_t n, double test_fraction) {
  if (s.train.empty() || s.test.empty())
    throw std::invalid_argument("a test fraction of " + format(test_fraction) + " of " + std::to_string(n) +
                                " rows leaves the " + (s.test.empty() ? "test" : "training") + " split empty");
}

}  // namespace

Split train_test_split(std::size_t n, double test_fraction, Rng& rng) {
  require_fraction(test_fraction);
  // Shuffle first: files are often sorted by class (Iris is), and taking the last rows
  // as test would then test on one class only.
  const std::vector<std::size_t> order = rng.permutation(n);
  const auto n_test = std::size_t(std::llround(test_fraction * double(n)));
  Split s;
  s.test.assign(order.begin(), order.begin() + std::ptrdiff_t(n_test));
  s.train.assign(order.begin() + std::ptrdiff_t(n_test), order.end());
  require_both_parts(s, n, test_fraction);
  return s;
}

Split stratified_split(const std::vector<std::size_t>& labels, double test_fraction, Rng& rng) {
  require_fraction(test_fraction);
  std::size_t k = 0;
  for (std::size_t y : labels) k = std::max(k, y + 1);
  std::vector<std::vector<std::size_t>> by_class(k);
  for (std::size_t i = 0; i < labels.size(); ++i) by_class[labels[i]].push_back(i);
  Split s;
  for (std::vector<std::size_t>& rows : by_class) {
    rng.shuffle(rows);
    const auto n_test = std::size_t(std::llround(test_fraction * double(rows.size())));
    s.test.insert(s.test.end(), rows.begin(), rows.begin() + std::ptrdiff_t(n_test));
    s.train.insert(s.train.end(), rows.begin() + std::ptrdiff_t(n_test), rows.end());
  }
  // Mix the classes again so the lists are not grouped by class.
  rng.shuffle(s.train);
  rng.shuffle(s.test);
  require_both_parts(s, labels.size(), test_fraction);
  return s;
}

Tensor take_rows(const Tensor& x, const std::vector<std::size_t>& rows) {
  require_matrix(x, "take_rows");
  const std::size_t f = x.dim(1);
  Tensor out({rows.size(), f});  // (rows, F)
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] >= x.dim(0))
      throw std::out_of_range("take_rows: row " + std::to_string(rows[i]) + " of " + shape_to_string(x.shape()));
    std::copy_n(x.data() + rows[i] * f, f, out.data() + i * f);
  }
  return out;
}

}  // namespace dlfs
