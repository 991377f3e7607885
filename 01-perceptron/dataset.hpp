// From a CSV table to a data set: a matrix of numbers and a vector of class codes.
//
// A column is one of three kinds, and we are told which rather than guessing:
//   - the label column (the class to predict), label-encoded over the whole table;
//   - categorical feature columns, one-hot encoded with categories learned from the training rows;
//   - every other column, which must hold numbers (otherwise: "file:line:col: expected a number").
// Guessing the kind from the values would turn a typo ("5,1" for 5.1) into a new category
// silently; asking makes it an error that points at the cell.
//
// Why the label's classes may come from all rows: the list of classes is the question being
// asked ("which of these species?"), not a statistic of the data. Category lists of *features*,
// like means and ranges, are learned from the training rows only (see preprocessing.hpp).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "01-perceptron/csv.hpp"
#include "01-perceptron/preprocessing.hpp"
#include "common/tensor.hpp"

namespace dlfs {

struct Dataset {
  Tensor x;                                // (N, F) features
  std::vector<std::size_t> y;              // (N) class codes in [0, K)
  std::vector<std::string> feature_names;  // F names; a one-hot column is named "column=category"
  std::vector<std::string> class_names;    // K names: class_names[y[i]] is row i's label

  std::size_t size() const { return y.size(); }
  std::size_t num_features() const { return feature_names.size(); }
  std::size_t num_classes() const { return class_names.size(); }
};

// The rows of a data set listed in rows (e.g. a Split's train or test list), in that order.
Dataset take(const Dataset& d, const std::vector<std::size_t>& rows);

class TableEncoder {
 public:
  // Throws std::invalid_argument when a named column does not exist, the label is also listed
  // as categorical, or the table has no data rows.
  TableEncoder(const CsvTable& table, const std::string& label, const std::vector<std::string>& categorical = {});

  // The class code of every row: (N). Codes follow class_names() (sorted label values).
  const std::vector<std::size_t>& labels() const { return labels_; }
  const std::vector<std::string>& class_names() const { return classes_.classes(); }

  // Learns the categories of each categorical column from these rows only.
  void fit(const std::vector<std::size_t>& train_rows);
  // These rows as numbers: numeric columns parsed (throws CsvError at a bad cell), categorical
  // columns one-hot. Columns keep their order in the file. x: (rows.size(), F).
  Dataset transform(const std::vector<std::size_t>& rows) const;

 private:
  const CsvTable& table_;
  std::size_t label_column_;
  std::vector<bool> categorical_;           // per table column
  LabelEncoder classes_;
  std::vector<std::size_t> labels_;          // (N)
  std::vector<OneHotEncoder> encoders_;      // per table column (used for categorical ones)
  bool fitted_ = false;
};

// The directory holding the shipped data sets (iris.csv, breast_cancer.csv). Meson compiles in
// the repository's data/ folder as DLFS_DATA_DIR, so the programs find it from any working
// directory.
std::string default_data_dir();

}  // namespace dlfs
