// Small SVG charts for the examples: learning curves, confusion matrices, image grids.
//
// Why SVG written by hand and not a library or gnuplot: an SVG is plain text (a few
// <polyline>/<rect>/<text> elements) that any browser opens and that diffs cleanly in git, and
// writing it needs no program at run time (common/README.md, "Plots"). What a plotting library
// would otherwise do for us is here and tested (tests/common/test_plot_svg.cpp):
// - round tick values ("nice numbers": 1, 2 or 5 times a power of ten), the axis spanning whole
//   steps, labels with as many decimals as the step needs;
// - margins computed from the text they hold (tick labels, wrapped titles, axis titles), so
//   nothing is clipped and the axis titles stay clear of the ticks;
// - one legend for the whole figure, below the panels, never on the data: a series name has
//   one colour in every panel of a figure;
// - a zero line when the y axis crosses zero.
// Images (filters, feature maps) are grids of gray <rect>s, so they need no PNG encoder either.
#pragma once

#include <string>
#include <vector>

#include "common/tensor.hpp"

namespace dlfs {

struct Series {
  std::string name;
  std::vector<double> y;  // y[i] is plotted at x = i + 1 (epochs count from 1); NaN leaves a gap
};

// One panel: a title, axis titles, lines. An empty x_label takes the figure's.
struct Panel {
  Panel(std::string title = {}, std::string y_label = {}, std::vector<Series> series = {}, std::string x_label = {})
      : title(std::move(title)), y_label(std::move(y_label)), series(std::move(series)), x_label(std::move(x_label)) {}
  std::string title, y_label;
  std::vector<Series> series;
  std::string x_label;
};

// Writes panels side by side into one SVG (e.g. loss | accuracy), with one legend below them.
// Throws std::runtime_error naming the path if it cannot be written.
void write_line_charts(const std::string& path, const std::vector<Panel>& panels,
                       const std::string& x_label = "epoch");

// A matrix as a heat map with the count in every cell (confusion matrix: rows = true class,
// columns = predicted class).
void write_heatmap(const std::string& path, const std::string& title,
                   const std::vector<std::vector<double>>& matrix,
                   const std::vector<std::string>& labels, const std::string& row_axis = "true",
                   const std::string& col_axis = "predicted");

// Grayscale images in a grid: images is (N, H, W) (or (N, 1, H, W)); each image is scaled to
// its own min..max. Titles (optional) go under each image.
void write_image_grid(const std::string& path, const std::string& title, const Tensor& images,
                      std::size_t columns, const std::vector<std::string>& titles = {});

// The pieces of the layout, exposed for the tests.
namespace plot {

// Ticks at round values covering [lo, hi]: step = 1, 2 or 5 times a power of ten, the fewest
// ticks no more than max_ticks; first and last are the axis ends (first <= lo, last >= hi).
struct Ticks {
  double first = 0, last = 0, step = 1;
  std::vector<double> values;
  int decimals = 0;  // digits after the point that every label needs
};
Ticks nice_ticks(double lo, double hi, std::size_t max_ticks = 7);
// Integer ticks for x = 1 .. n: round multiples of a step within [1, n] (1 itself when n is 1).
Ticks integer_ticks(std::size_t n, std::size_t max_ticks = 10);
std::string tick_label(double value, int decimals);

// Estimated width in pixels of a text in the chart's font (sans-serif, DejaVu Sans' advance
// widths), rounded up; bold is wider. No font is measured, so this errs on the wide side.
double text_width(const std::string& text, double font_size, bool bold = false);
// Words of `text` in lines no wider than max_width (a single word longer than that stays whole).
std::vector<std::string> wrap(const std::string& text, double max_width, double font_size, bool bold = false);

struct Box {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // left, top, right, bottom
  bool overlaps(const Box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
  bool contains(const Box& o) const { return x0 <= o.x0 && o.x1 <= x1 && y0 <= o.y0 && o.y1 <= y1; }
};

enum class Anchor { start, middle, end };
struct Text {
  Text(std::string text = {}, double x = 0, double y = 0, Anchor anchor = Anchor::middle, bool bold = false)
      : text(std::move(text)), x(x), y(y), anchor(anchor), bold(bold) {}
  std::string text;
  double x, y;  // the anchor point on the baseline
  Anchor anchor;
  bool bold, vertical = false;  // vertical: rotated -90 degrees about (x, y)
  std::string fill;             // empty: black
  Box box() const;              // the space it covers, from text_width and the font's height
};

// Where everything of a set of line-chart panels goes; write_line_charts draws exactly this.
struct LinePanelLayout {
  Box plot;               // the data area
  Ticks x_ticks, y_ticks;
  std::vector<Text> texts;  // title lines, tick labels, axis titles
};
struct LegendEntry {
  std::string name, color, dash;
  double x = 0, y = 0;  // the swatch's left end, on the text's middle line
  Text label;
};
struct LineChartLayout {
  double width = 0, height = 0;
  std::vector<LinePanelLayout> panels;
  std::vector<LegendEntry> legend;
};
LineChartLayout layout_line_charts(const std::vector<Panel>& panels, const std::string& x_label);

}  // namespace plot

}  // namespace dlfs
