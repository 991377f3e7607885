// Preprocessing: turning columns of text into numbers a model can use, and splitting the rows
// into the part we learn from and the part we judge on.
//
// The one rule of this file: whatever is *learned from data* (a category list, a mean, a
// standard deviation, a minimum) is learned from the training rows only, then applied unchanged
// to the test rows. Fitting on all rows lets the test set leak into training: the model would
// be judged on data it has, in part, already seen. So every transformer here has fit() and
// transform(), and the examples call fit() on the training split alone.
//
// Dimension letters: N rows (samples), F features, K classes or categories.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/random.hpp"
#include "common/tensor.hpp"

namespace dlfs {

// Label encoding: category names -> 0, 1, ..., K-1, in sorted order (so the codes do not depend
// on the order rows happen to come in).
class LabelEncoder {
 public:
  void fit(const std::vector<std::string>& values);
  // Throws std::invalid_argument naming a value that fit() never saw.
  std::vector<std::size_t> transform(const std::vector<std::string>& values) const;
  std::size_t code(const std::string& value) const;  // throws like transform
  // Returns K (and not npos) for a value fit() never saw.
  std::size_t code_or_unknown(const std::string& value) const;
  const std::vector<std::string>& classes() const { return classes_; }
  std::size_t size() const { return classes_.size(); }

 private:
  std::vector<std::string> classes_;  // sorted, distinct
};

// One-hot: code k of K becomes the row e_k, a 1 in column k and 0 elsewhere. A code >= K (an
// unknown category) becomes a row of zeros. Returns (N, K).
Tensor one_hot(const std::vector<std::size_t>& codes, std::size_t k);

// One-hot for a categorical feature column: categories are learned by fit() (training rows);
// transform() maps a category the training rows never had to all zeros rather than failing,
// because a test row must still get a prediction.
class OneHotEncoder {
 public:
  void fit(const std::vector<std::string>& values) { labels_.fit(values); }
  Tensor transform(const std::vector<std::string>& values) const;  // (N, K)
  const std::vector<std::string>& categories() const { return labels_.classes(); }

 private:
  LabelEncoder labels_;
};

// Z-score standardization, per feature column j:
//   z_ij = (x_ij - mean_j) / std_j,   mean_j = (1/N) sum_i x_ij,   std_j = sqrt((1/N) sum_i (x_ij - mean_j)^2)
// (the population std, as scikit-learn's StandardScaler). Every feature then has mean 0 and
// variance 1 on the training rows, so no feature dominates w.x merely by its units. A constant
// column (std_j = 0) is centred but not divided (std_j is taken as 1).
class StandardScaler {
 public:
  void fit(const Tensor& x);                 // x: (N, F); statistics accumulated in double
  Tensor transform(const Tensor& x) const;   // (N, F) -> (N, F); F must match fit()'s
  Tensor fit_transform(const Tensor& x) { fit(x); return transform(x); }
  const Tensor& mean() const { return mean_; }  // (F)
  const Tensor& stddev() const { return std_; }  // (F), zeros replaced by 1

 private:
  Tensor mean_;  // (F)
  Tensor std_;   // (F)
};

// Min-max scaling to [0, 1], per feature column j:
//   x'_ij = (x_ij - min_j) / (max_j - min_j)
// Test rows may land outside [0, 1]: that is what an unseen value looks like, not a bug. A
// constant column maps to 0.
class MinMaxScaler {
 public:
  void fit(const Tensor& x);                 // x: (N, F)
  Tensor transform(const Tensor& x) const;   // (N, F) -> (N, F)
  Tensor fit_transform(const Tensor& x) { fit(x); return transform(x); }
  const Tensor& min() const { return min_; }  // (F)
  const Tensor& max() const { return max_; }  // (F)

 private:
  Tensor min_;  // (F)
  Tensor max_;  // (F)
};

// Row indices of a train/test split. Both lists are in shuffled order.
struct Split {
  std::vector<std::size_t> train;
  std::vector<std::size_t> test;
};

// A seeded random split of n rows: round(test_fraction * n) rows go to test. Throws
// std::invalid_argument unless 0 < test_fraction < 1 and both parts end up non-empty.
Split train_test_split(std::size_t n, double test_fraction, Rng& rng);

// A stratified split: each class is split on its own, round(test_fraction * n_k) of class k's
// rows to test, so both parts keep the class proportions of the whole (a plain random split of
// 150 Iris rows can, by bad luck, leave a class nearly absent from test). labels: (N) codes.
Split stratified_split(const std::vector<std::size_t>& labels, double test_fraction, Rng& rng);

// The rows of x listed in rows, in that order: (N, F) -> (rows.size(), F).
Tensor take_rows(const Tensor& x, const std::vector<std::size_t>& rows);

template <class T>
std::vector<T> take(const std::vector<T>& v, const std::vector<std::size_t>& rows) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (std::size_t r : rows) out.push_back(v.at(r));
  return out;
}

}  // namespace dlfs
