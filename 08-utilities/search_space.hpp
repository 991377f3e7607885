// A hyperparameter search space: named dimensions, each a way to draw a value and a short list of
// values for a grid. A point in the space is a Config: name -> value as text, so one type carries
// numbers ("0.0316"), sizes ("128"), layer lists ("512,256") and names ("adam") alike, prints as
// it was used, and lands in a CSV unchanged.
//
//   log_uniform(lo, hi):  x = exp(u), u ~ U(log lo, log hi). Learning rates matter by their order
//                         of magnitude: 0.001 vs 0.01 is as big a step as 0.01 vs 0.1, and a
//                         log-uniform draw spends equal effort on each decade (Bergstra & Bengio 2012).
//   uniform(lo, hi):      x ~ U(lo, hi), for values that matter additively (dropout rates).
//   choice(options):      one of a list, equally likely (batch sizes, widths, optimizers).
//   log_uniform_given(on, ranges): log-uniform with a range that depends on an earlier choice.
//                         Good learning rates for SGD (~0.1) and Adam (~0.001) are two decades
//                         apart; one range for both would waste most samples on mismatched pairs.
//
// Later chapters extend a space by adding a dimension (05: dropout, 07: optimizers); the tuner
// passes whatever the space holds to the objective, which reads the names it knows.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/random.hpp"

namespace dlfs {

class Config {
 public:
  Config() = default;
  Config(std::initializer_list<std::pair<std::string, std::string>> items);

  void set(const std::string& name, const std::string& value);  // replaces, or appends in order
  bool has(const std::string& name) const;
  const std::string& text(const std::string& name) const;  // throws std::out_of_range naming the key
  double number(const std::string& name) const;            // throws unless the value is a number
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }
  // "lr=0.0316 batch=128 hidden=512,256": names in the order they were set.
  std::string to_string(const std::string& separator = " ") const;
  bool operator==(const Config& other) const { return items_ == other.items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

class SearchSpace {
 public:
  enum class Kind { LogUniform, Uniform, Choice };
  struct Dimension {
    std::string name;
    Kind kind;
    double lo = 0, hi = 0;             // LogUniform, Uniform
    std::size_t grid_points = 0;       // LogUniform, Uniform: values on the grid
    std::vector<std::string> options;  // Choice
    std::string given;                 // LogUniform: the earlier Choice its range depends on, or ""
    std::map<std::string, std::pair<double, double>> ranges;  // that choice's option -> (lo, hi)
  };

  // Each throws std::invalid_argument for an empty or reversed range, a non-positive log bound,
  // an empty option list or a repeated name.
  SearchSpace& log_uniform(const std::string& name, double lo, double hi, std::size_t grid_points = 3);
  SearchSpace& uniform(const std::string& name, double lo, double hi, std::size_t grid_points = 3);
  SearchSpace& choice(const std::string& name, std::vector<std::string> options);
  // Log-uniform in ranges.at(value of `on`), where `on` is a choice declared earlier; every one of
  // its options needs a range.
  SearchSpace& log_uniform_given(const std::string& name, const std::string& on,
                                 std::map<std::string, std::pair<double, double>> ranges, std::size_t grid_points = 3);

  // One random point: every dimension drawn in declaration order from rng, so a seed fixes the
  // whole sequence of samples. Numbers are rounded to 4 significant digits (what gets printed is
  // what gets used).
  Config sample(Rng& rng) const;
  // Every combination of the dimensions' grid values (the last dimension varies fastest). A
  // continuous dimension contributes grid_points values evenly spaced from lo to hi (in log space
  // for log_uniform), both ends included.
  std::vector<Config> grid() const;
  std::size_t grid_size() const;

  const std::vector<Dimension>& dimensions() const { return dims_; }

 private:
  SearchSpace& add(Dimension d);
  std::vector<Dimension> dims_;
};

// A number as the search space writes it: 4 significant digits ("0.03162", "128", "1e-05").
std::string format_value(double value);

}  // namespace dlfs
