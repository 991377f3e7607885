#include "01-perceptron/dataset.hpp"

#include <stdexcept>

#ifndef DLFS_DATA_DIR
#error "DLFS_DATA_DIR must be defined (01-perceptron/meson.build passes the repository's data/ folder)"
#endif

namespace dlfs {

Dataset take(const Dataset& d, const std::vector<std::size_t>& rows) {
  Dataset out;
  out.x = take_rows(d.x, rows);  // (rows, F)
  out.y = take(d.y, rows);       // (rows)
  out.feature_names = d.feature_names;
  out.class_names = d.class_names;
  return out;
}

TableEncoder::TableEncoder(const CsvTable& table, const std::string& label, const std::vector<std::string>& categorical)
    : table_(table), label_column_(table.column_index(label)), categorical_(table.num_columns(), false),
      encoders_(table.num_columns()) {
  if (table.num_rows() == 0) throw std::invalid_argument(table.source + ": no data rows after the header");
  for (const std::string& name : categorical) {
    const std::size_t c = table.column_index(name);
    if (c == label_column_)
      throw std::invalid_argument("'" + name + "' is the label column; it cannot also be a categorical feature");
    categorical_[c] = true;
  }
  // Check every numeric cell now, in reading order, so a bad file is reported at its first bad
  // cell rather than at whichever one the shuffled split happens to reach first.
  for (std::size_t r = 0; r < table.num_rows(); ++r)
    for (std::size_t c = 0; c < table.num_columns(); ++c)
      if (c != label_column_ && !categorical_[c]) (void)table.number(r, c);  // throws at a bad cell
  // A blank label is a missing one, not a class named "" (it would train a perceptron of its own).
  for (const CsvRow& row : table.rows)
    if (const CsvField& f = row.fields[label_column_]; f.text.find_first_not_of(" \t") == std::string::npos)
      throw CsvError(table.source, f.line, f.column, "the label column '" + table.header[label_column_] + "' is empty");
  const std::vector<std::string> names = table.text_column(label_column_);
  classes_.fit(names);
  labels_ = classes_.transform(names);
}

void TableEncoder::fit(const std::vector<std::size_t>& train_rows) {
  for (std::size_t c = 0; c < table_.num_columns(); ++c) {
    if (!categorical_[c]) continue;
    std::vector<std::string> values;
    values.reserve(train_rows.size());
    for (std::size_t r : train_rows) values.push_back(table_.rows.at(r).fields[c].text);
    encoders_[c].fit(values);
  }
  fitted_ = true;
}

Dataset TableEncoder::transform(const std::vector<std::size_t>& rows) const {
  if (!fitted_) throw std::logic_error("TableEncoder::transform called before fit()");
  Dataset d;
  d.class_names = classes_.classes();
  d.y = dlfs::take(labels_, rows);
  // Each feature column becomes one block of columns: a numeric column one, a categorical
  // column one per category. Build the blocks, then lay them side by side.
  std::vector<Tensor> blocks;  // each (rows, width)
  for (std::size_t c = 0; c < table_.num_columns(); ++c) {
    if (c == label_column_) continue;
    if (categorical_[c]) {
      std::vector<std::string> values;
      values.reserve(rows.size());
      for (std::size_t r : rows) values.push_back(table_.rows.at(r).fields[c].text);
      blocks.push_back(encoders_[c].transform(values));  // (rows, K_c)
      for (const std::string& category : encoders_[c].categories())
        d.feature_names.push_back(table_.header[c] + "=" + category);
    } else {
      blocks.push_back(Tensor({rows.size(), 1}, table_.numeric_column(c, rows)));  // (rows, 1)
      d.feature_names.push_back(table_.header[c]);
    }
  }
  const std::size_t f = d.feature_names.size();
  d.x = Tensor({rows.size(), f});  // (rows, F)
  std::size_t offset = 0;
  for (const Tensor& block : blocks) {
    const std::size_t width = block.dim(1);
    for (std::size_t i = 0; i < rows.size(); ++i)
      for (std::size_t j = 0; j < width; ++j) d.x(i, offset + j) = block(i, j);
    offset += width;
  }
  return d;
}

std::string default_data_dir() { return DLFS_DATA_DIR; }

}  // namespace dlfs
