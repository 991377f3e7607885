#include "common/metrics_csv.hpp"

#include <cmath>
#include <filesystem>
#include <iterator>
#include <stdexcept>

namespace dlfs {

namespace {

// The cells of one line (the file holds numbers and plain column names: no quoting).
std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out(1);
  for (char ch : line) {
    if (ch == ',') out.emplace_back();
    else out.back() += ch;
  }
  return out;
}

// A cell as a number: NaN when it is empty or not a number.
double number(const std::string& cell) {
  std::size_t used = 0;
  try {
    const double value = std::stod(cell, &used);
    return used == cell.size() ? value : NAN;
  } catch (const std::exception&) {
    return NAN;
  }
}

}  // namespace

MetricsCsv::MetricsCsv(const std::string& path, std::vector<std::string> columns)
    : path_(path), columns_(std::move(columns)) {
  const auto parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  const bool existed = std::filesystem::exists(path, ec);
  if (std::ifstream old(path); old) previous_.assign(std::istreambuf_iterator<char>(old), {});
  // Opened for appending, which changes nothing, only to learn now (not after an epoch of
  // training) that the file cannot be written.
  if (!std::ofstream(path, std::ios::app)) throw std::runtime_error(path + ": cannot open metrics file for writing");
  if (!existed) std::filesystem::remove(path, ec);
}

void MetricsCsv::start() {
  if (out_.is_open()) return;
  out_.open(path_, std::ios::trunc);
  if (!out_) throw std::runtime_error(path_ + ": cannot open metrics file for writing");
  for (std::size_t i = 0; i < columns_.size(); ++i) out_ << (i ? "," : "") << columns_[i];
  out_ << '\n' << std::flush;
}

std::vector<std::vector<double>> MetricsCsv::resume(std::size_t done) {
  if (out_.is_open()) return {};  // rows written already (a second fit() of one run): nothing to restore
  start();
  std::vector<std::vector<double>> kept;
  // Complete lines only: the last one may have been cut short by the interruption.
  std::vector<std::string> lines;
  for (std::size_t begin = 0, end; (end = previous_.find('\n', begin)) != std::string::npos; begin = end + 1)
    lines.push_back(previous_.substr(begin, end - begin));
  previous_.clear();
  if (lines.empty()) return kept;
  const std::vector<std::string> header = cells(lines[0]);
  if (header[0] != columns_[0]) return kept;  // counts something else: not this run's file
  // where[i]: the earlier file's cell for column i, or none.
  std::vector<std::size_t> where(columns_.size(), header.size());
  for (std::size_t i = 0; i < columns_.size(); ++i)
    for (std::size_t j = 0; j < header.size(); ++j)
      if (header[j] == columns_[i]) where[i] = j;
  for (std::size_t l = 1; l < lines.size(); ++l) {
    const std::vector<std::string> old = cells(lines[l]);
    const double count = number(old[0]);
    if (old.size() != header.size() || !(count >= 1 && count <= double(done))) continue;
    std::vector<double> values;
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      const std::string cell = where[i] < old.size() ? old[where[i]] : "";
      out_ << (i ? "," : "") << cell;
      values.push_back(number(cell));
    }
    out_ << '\n';
    kept.push_back(std::move(values));
  }
  out_ << std::flush;
  if (!out_) throw std::runtime_error(path_ + ": write failed");
  return kept;
}

void MetricsCsv::write_row(const std::vector<double>& values) {
  if (values.size() != columns_.size())
    throw std::invalid_argument(path_ + ": row has " + std::to_string(values.size()) +
                                " values for " + std::to_string(columns_.size()) + " columns");
  start();
  previous_.clear();
  out_.precision(6);
  for (std::size_t i = 0; i < values.size(); ++i) out_ << (i ? "," : "") << values[i];
  out_ << '\n' << std::flush;
  if (!out_) throw std::runtime_error(path_ + ": write failed");
}

}  // namespace dlfs
