// Draw the curves of a metrics CSV (one header row, one row of numbers per epoch or evaluation),
// as the examples draw them while they train: a figure can be redrawn from a run's CSV without
// training again.
//
//   build/common/plot_csv runs/02-mlp/metrics.csv --out curves.svg
//       --panel "Loss;cross-entropy;train_loss=train,test_loss=test"
//       --panel "Accuracy;accuracy;train_accuracy=train,test_accuracy=test"      (one command)
//
// A panel is "title;y-axis title;column[=legend name],..." and row i of the CSV is plotted at
// x = i + 1, as write_line_charts plots a Series. "nan" cells leave a gap. Ends with a `result:` line.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/plot_svg.hpp"

using namespace dlfs;

namespace {

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;  // rows[i][j]: row i, column j
};

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, separator);) parts.push_back(part);
  if (!text.empty() && text.back() == separator) parts.emplace_back();
  return parts;
}

// A metrics CSV: numbers only (or nan), no quoting. Errors name the file, the line and the cell.
Table read_metrics(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open");
  Table t;
  std::string line;
  if (!std::getline(in, line) || line.empty()) throw std::runtime_error(path + ":1: empty file: expected a header row");
  t.columns = split(line, ',');
  for (std::size_t n = 2; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    const std::vector<std::string> cells = split(line, ',');
    if (cells.size() != t.columns.size())
      throw std::runtime_error(path + ":" + std::to_string(n) + ": " + std::to_string(cells.size()) +
                               " cells but the header has " + std::to_string(t.columns.size()));
    std::vector<double> row;
    for (std::size_t j = 0; j < cells.size(); ++j) {
      char* end = nullptr;
      const double v = std::strtod(cells[j].c_str(), &end);
      if (cells[j].empty() || *end != '\0')
        throw std::runtime_error(path + ":" + std::to_string(n) + ": column '" + t.columns[j] + "' holds '" +
                                 cells[j] + "', not a number");
      row.push_back(v);
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

// "title;y label;col[=name],col[=name]" -> a Panel with one Series per column.
Panel parse_panel(const std::string& spec, const Table& table, const std::string& path) {
  const std::vector<std::string> parts = split(spec, ';');
  if (parts.size() != 3 || parts[2].empty())
    throw std::invalid_argument("--panel '" + spec + "': expected \"title;y-axis title;column[=name],...\"");
  Panel panel(parts[0], parts[1]);
  for (const std::string& item : split(parts[2], ',')) {
    const std::size_t eq = item.find('=');
    const std::string column = item.substr(0, eq), name = eq == std::string::npos ? column : item.substr(eq + 1);
    std::size_t j = 0;
    while (j < table.columns.size() && table.columns[j] != column) ++j;
    if (j == table.columns.size()) throw std::invalid_argument(path + ": no column '" + column + "' (--panel '" + spec + "')");
    Series s{name, {}};
    for (const auto& row : table.rows) s.y.push_back(row[j]);
    panel.series.push_back(std::move(s));
  }
  return panel;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Draw the curves of a metrics CSV as an SVG (common/plot_svg.hpp)"};
  std::string csv_path, out_path, x_label = "epoch";
  std::vector<std::string> panel_specs;
  app.add_option("csv", csv_path, "the metrics CSV")->required();
  app.add_option("--out", out_path, "the SVG to write")->required();
  app.add_option("--panel", panel_specs, "\"title;y-axis title;column[=legend name],...\", once per panel")->required();
  app.add_option("--x-label", x_label, "the x axis title (row i is plotted at x = i + 1)");
  CLI11_PARSE(app, argc, argv);
  try {
    const Table table = read_metrics(csv_path);
    std::vector<Panel> panels;
    for (const std::string& spec : panel_specs) panels.push_back(parse_panel(spec, table, csv_path));
    write_line_charts(out_path, panels, x_label);
    std::printf("wrote %s\nresult: rows=%zu panels=%zu\n", out_path.c_str(), table.rows.size(), panels.size());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "plot_csv: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
