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
//
// Several runs in one figure: name each CSV (name=path) and its columns name:column; runs of
// different lengths (one that stopped early) simply end sooner.
//
//   build/common/plot_csv p0=runs/a/metrics.csv p5=runs/b/metrics.csv --out gap.svg
//       --panel "Test accuracy;accuracy;p0:test_accuracy=no dropout,p5:test_accuracy=dropout 0.5"
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/flags.hpp"
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

// A CSV as given on the command line: "path", or "name=path" when a figure draws several.
struct NamedTable {
  std::string name, path;
  Table table;
};

std::vector<NamedTable> read_tables(const std::vector<std::string>& arguments) {
  std::vector<NamedTable> tables;
  for (const std::string& argument : arguments) {
    // A name is what comes before the first '=', unless the argument is a file as it stands (a
    // directory such as runs/lr=0.1/ must not turn a single path into a name).
    const std::size_t eq = argument.find('=');
    NamedTable t;
    if (eq != std::string::npos && !std::filesystem::is_regular_file(argument))
      t.name = argument.substr(0, eq), t.path = argument.substr(eq + 1);
    else t.path = argument;
    if (arguments.size() > 1 && t.name.empty())
      throw std::invalid_argument("'" + argument + "': with several CSVs, name each one (name=path)");
    for (const NamedTable& other : tables)
      if (other.name == t.name) throw std::invalid_argument("two CSVs are named '" + t.name + "'");
    t.table = read_metrics(t.path);
    tables.push_back(std::move(t));
  }
  return tables;
}

// "title;y label;col[=name],col[=name]" -> a Panel with one Series per column. A column is
// "csv-name:column" when the CSVs are named, or just "column" when there is one.
Panel parse_panel(const std::string& spec, const std::vector<NamedTable>& tables) {
  const std::vector<std::string> parts = split(spec, ';');
  if (parts.size() != 3 || parts[2].empty())
    throw std::invalid_argument("--panel '" + spec + "': expected \"title;y-axis title;column[=name],...\"");
  Panel panel(parts[0], parts[1]);
  for (const std::string& item : split(parts[2], ',')) {
    const std::size_t eq = item.find('=');
    std::string column = item.substr(0, eq);
    const std::string name = eq == std::string::npos ? column : item.substr(eq + 1);
    const NamedTable* source = &tables[0];
    if (const std::size_t colon = column.find(':'); colon != std::string::npos) {
      const std::string csv = column.substr(0, colon);
      source = nullptr;
      for (const NamedTable& t : tables)
        if (t.name == csv) source = &t;
      if (!source) throw std::invalid_argument("no CSV named '" + csv + "' (--panel '" + spec + "')");
      column = column.substr(colon + 1);
    } else if (tables.size() > 1) {
      throw std::invalid_argument("'" + column + "': with several CSVs, say whose column (name:column) (--panel '" +
                                  spec + "')");
    }
    const Table& table = source->table;
    const std::string& path = source->path;
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
  std::string out_path, x_label = "epoch";
  std::vector<std::string> csv_paths, panel_specs;
  app.add_option("csv", csv_paths, "the metrics CSV, or several as name=path")->required();
  app.add_option("--out", out_path, "the SVG to write")->required();
  app.add_option("--panel", panel_specs, "\"title;y-axis title;column[=legend name],...\", once per panel")->required();
  app.add_option("--x-label", x_label, "the x axis title (row i is plotted at x = i + 1)");
  check_flag_values(app);  // common/flags.hpp: no empty, negative unsigned or non-finite values
  CLI11_PARSE(app, argc, argv);
  try {
    const std::vector<NamedTable> tables = read_tables(csv_paths);
    std::vector<Panel> panels;
    for (const std::string& spec : panel_specs) panels.push_back(parse_panel(spec, tables));
    write_line_charts(out_path, panels, x_label);
    std::size_t rows = 0;
    for (const NamedTable& t : tables) rows = std::max(rows, t.table.rows.size());
    std::printf("wrote %s\nresult: csvs=%zu rows=%zu panels=%zu\n", out_path.c_str(), tables.size(), rows,
                panels.size());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "plot_csv: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
