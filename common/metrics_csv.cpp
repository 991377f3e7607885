#include "common/metrics_csv.hpp"

#include <filesystem>
#include <iterator>
#include <sstream>
#include <stdexcept>

namespace dlfs {

MetricsCsv::MetricsCsv(const std::string& path, std::vector<std::string> columns)
    : path_(path), columns_(std::move(columns)) {
  const auto parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (std::ifstream old(path); old) previous_.assign(std::istreambuf_iterator<char>(old), {});
  out_.open(path, std::ios::trunc);
  if (!out_) throw std::runtime_error(path + ": cannot open metrics file for writing");
  for (std::size_t i = 0; i < columns_.size(); ++i) out_ << (i ? "," : "") << columns_[i];
  out_ << '\n' << std::flush;
}

void MetricsCsv::resume(std::size_t done) {
  std::string header;
  for (std::size_t i = 0; i < columns_.size(); ++i) header += (i ? "," : "") + columns_[i];
  std::istringstream lines(previous_);
  std::string line;
  if (!std::getline(lines, line) || line != header) return;
  while (std::getline(lines, line)) {
    std::size_t used = 0;
    double count = 0;
    try {
      count = std::stod(line, &used);
    } catch (const std::exception&) {
      continue;  // a line cut short by the interruption
    }
    if (used < line.size() && line[used] == ',' && count >= 1 && count <= double(done)) out_ << line << '\n';
  }
  out_ << std::flush;
  previous_.clear();
}

void MetricsCsv::write_row(const std::vector<double>& values) {
  if (values.size() != columns_.size())
    throw std::invalid_argument(path_ + ": row has " + std::to_string(values.size()) +
                                " values for " + std::to_string(columns_.size()) + " columns");
  out_.precision(6);
  for (std::size_t i = 0; i < values.size(); ++i) out_ << (i ? "," : "") << values[i];
  out_ << '\n' << std::flush;
  if (!out_) throw std::runtime_error(path_ + ": write failed");
}

}  // namespace dlfs
