#include "common/plot_svg.hpp"

#include "common/atomic_file.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <stdexcept>

namespace dlfs {

namespace plot {

namespace {

constexpr double kFont = 12;                  // every text, in px
constexpr double kAscent = 0.93 * kFont;      // DejaVu Sans: ascent 0.93 em,
constexpr double kDescent = 0.24 * kFont;     // descent 0.24 em
constexpr double kLine = 16;                  // baseline to baseline
constexpr double kPad = 10;                   // around the figure and between blocks
constexpr double kPlotWidth = 330, kPlotHeight = 210;

// DejaVu Sans advance widths of ASCII 32..126, in 1/2048 em (the font Debian's "sans-serif" is).
constexpr int kAdvance[95] = {
    651,  821,  942,  1716, 1303, 1946, 1597, 563,  799,  799,  1024, 1716, 651,  739,  651,  690,   //  !"#$%&'()*+,-./
    1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 690,  690,  1716, 1716, 1716, 1087,  // 0-9 :;<=>?
    2048, 1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604,  604,  1343, 1141, 1767, 1532, 1612,  // @A-O
    1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403, 799,  690,  799,  1716, 1024,  // P-Z [\]^_
    1024, 1255, 1300, 1126, 1300, 1260, 721,  1300, 1298, 569,  569,  1186, 569,  1995, 1298, 1253,  // `a-o
    1300, 1300, 842,  1067, 803,  1298, 1212, 1675, 1212, 1212, 1075, 1303, 690,  1303, 1716};       // p-z {|}~

}  // namespace

double text_width(const std::string& text, double font_size, bool bold) {
  double units = 0;
  for (unsigned char c : text) {
    if (c >= 32 && c < 127) units += kAdvance[c - 32];
    else if (c >= 0xC0) units += 1716;  // the first byte of a non-ASCII character: as wide as "+"
    // UTF-8 continuation bytes (0x80..0xBF) add nothing.
  }
  // Bold glyphs are about 10% wider; 3% more on top, since we estimate rather than measure.
  return std::ceil(units / 2048.0 * font_size * (bold ? 1.12 : 1.0) * 1.03);
}

std::vector<std::string> wrap(const std::string& text, double max_width, double font_size, bool bold) {
  std::vector<std::string> lines;
  std::istringstream words(text);
  std::string line;
  for (std::string word; words >> word;) {
    const std::string longer = line.empty() ? word : line + " " + word;
    if (!line.empty() && text_width(longer, font_size, bold) > max_width) {
      lines.push_back(line);
      line = word;
    } else {
      line = longer;
    }
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}

Box Text::box() const {
  const double w = text_width(text, kFont, bold);
  const double before = anchor == Anchor::start ? 0 : anchor == Anchor::middle ? w / 2 : w;
  if (!vertical) return {x - before, y - kAscent, x - before + w, y + kDescent};
  // Rotated -90 degrees: the text runs upward from (x, y), its glyphs to the left of x.
  return {x - kAscent, y - (w - before), x + kDescent, y + before};
}

Ticks nice_ticks(double lo, double hi, std::size_t max_ticks) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (hi < lo) std::swap(lo, hi);
  if (hi - lo <= 1e-12 * std::max(1.0, std::abs(hi))) {  // one value: a range around it
    const double pad = lo == 0 ? 0.5 : 0.1 * std::abs(lo);
    lo -= pad, hi += pad;
  }
  max_ticks = std::max<std::size_t>(max_ticks, 2);
  // The smallest step of 1, 2 or 5 times a power of ten with at most max_ticks ticks.
  const int start = int(std::floor(std::log10((hi - lo) / double(max_ticks)))) - 1;
  for (int e = start;; ++e)
    for (double m : {1.0, 2.0, 5.0}) {
      const double step = m * std::pow(10.0, e);
      // Index of the first and last tick (a little slack, so 0.3 / 0.05 counts as 6, not 5.9999).
      const double i0 = std::floor(lo / step + 1e-9), i1 = std::ceil(hi / step - 1e-9);
      if (i1 - i0 + 1 > double(max_ticks)) continue;
      Ticks t;
      t.step = step;
      t.first = i0 * step, t.last = i1 * step;
      for (double i = i0; i <= i1; ++i) t.values.push_back(i * step == 0 ? 0.0 : i * step);
      t.decimals = std::max(0, -int(std::floor(std::log10(step) + 1e-9)));
      return t;
    }
}

Ticks integer_ticks(std::size_t n, std::size_t max_ticks) {
  Ticks t;
  if (n <= 1) {
    t.first = t.last = 1, t.values = {1};
    return t;
  }
  max_ticks = std::max<std::size_t>(max_ticks, 1);
  for (double scale = 1;; scale *= 10)
    for (double m : {1.0, 2.0, 5.0}) {
      const double step = m * scale;
      if (std::floor(double(n) / step) > double(max_ticks)) continue;
      t.step = step, t.first = 1, t.last = double(n);
      for (double v = step; v <= double(n); v += step) t.values.push_back(v);
      return t;
    }
}

std::string tick_label(double value, int decimals) {
  char buf[32];
  if (decimals <= 4) {
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  } else {  // tiny steps: as many significant digits as the step needs, in e-notation
    const double magnitude = value == 0 ? 0 : std::floor(std::log10(std::abs(value)));
    const int digits = std::clamp(decimals + int(magnitude) + 1, 1, 10);
    std::snprintf(buf, sizeof buf, "%.*g", digits, value);
  }
  std::string s = buf;
  if (s.find_first_not_of("-0.") == std::string::npos) s.erase(0, s[0] == '-');  // "-0.00" reads "0.00"
  return s;
}

namespace {

// The range of the finite values of a panel's series, and its longest series.
void data_range(const Panel& panel, double& lo, double& hi, std::size_t& n) {
  lo = INFINITY, hi = -INFINITY, n = 0;
  for (const Series& s : panel.series) {
    n = std::max(n, s.y.size());
    for (double v : s.y)
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  if (!std::isfinite(lo)) lo = 0, hi = 1;
}

// The most x ticks whose labels keep a gap of one "00" between neighbours.
Ticks fitting_x_ticks(std::size_t n) {
  for (std::size_t max_ticks = 10;; --max_ticks) {
    Ticks t = integer_ticks(n, max_ticks);
    const double spacing = t.values.size() > 1 ? kPlotWidth * t.step / (t.last - t.first) : kPlotWidth;
    const double widest = text_width(tick_label(t.last, 0), kFont);
    if (max_ticks == 1 || spacing >= widest + text_width("00", kFont)) return t;
  }
}

}  // namespace

LineChartLayout layout_line_charts(const std::vector<Panel>& panels, const std::string& x_label) {
  LineChartLayout out;
  // Every panel's ticks first: the left margin holds the widest y label.
  struct Sizes {
    Ticks x, y;
    double left = 0, right = 0;
  };
  std::vector<Sizes> sizes(panels.size());
  for (std::size_t p = 0; p < panels.size(); ++p) {
    double lo, hi;
    std::size_t n;
    data_range(panels[p], lo, hi, n);
    sizes[p].y = nice_ticks(lo, hi, 7);
    sizes[p].x = fitting_x_ticks(std::max<std::size_t>(n, 1));
    double widest = 0;
    for (double v : sizes[p].y.values) widest = std::max(widest, text_width(tick_label(v, sizes[p].y.decimals), kFont));
    // pad, the rotated y title (one line high), a gap, the tick labels, a gap to the axis
    sizes[p].left = kPad + kAscent + kDescent + 8 + widest + 6;
    sizes[p].right = std::max(kPad + 6, text_width(tick_label(sizes[p].x.last, 0), kFont) / 2 + kPad);
  }
  // Titles wrap to their panel's width; all panels share the tallest title's top margin.
  std::vector<std::vector<std::string>> titles(panels.size());
  std::size_t title_lines = 1;
  for (std::size_t p = 0; p < panels.size(); ++p) {
    const double width = sizes[p].left + kPlotWidth + sizes[p].right;
    titles[p] = wrap(panels[p].title, width - 2 * kPad, kFont, true);
    title_lines = std::max(title_lines, titles[p].size());
  }
  const double top = kPad + kAscent + kLine * double(title_lines - 1) + kDescent + 10;
  const double tick_labels_bottom = top + kPlotHeight + 6 + kAscent + kDescent;
  const double x_title_baseline = tick_labels_bottom + 6 + kAscent;
  const double panels_bottom = x_title_baseline + kDescent;

  double x0 = 0;
  for (std::size_t p = 0; p < panels.size(); ++p) {
    const Sizes& s = sizes[p];
    LinePanelLayout L;
    L.plot = {x0 + s.left, top, x0 + s.left + kPlotWidth, top + kPlotHeight};
    L.x_ticks = s.x, L.y_ticks = s.y;
    const double width = s.left + kPlotWidth + s.right;
    for (std::size_t i = 0; i < titles[p].size(); ++i)
      L.texts.push_back({titles[p][i], x0 + width / 2, kPad + kAscent + kLine * double(i), Anchor::middle, true});
    const double y_span = s.y.last - s.y.first;
    for (double v : s.y.values) {
      const double y = L.plot.y1 - (v - s.y.first) / y_span * kPlotHeight;
      L.texts.push_back({tick_label(v, s.y.decimals), L.plot.x0 - 6, y + 0.35 * kFont, Anchor::end});
    }
    const double x_span = s.x.last - s.x.first;
    for (double v : s.x.values) {
      const double x = x_span > 0 ? L.plot.x0 + (v - s.x.first) / x_span * kPlotWidth : (L.plot.x0 + L.plot.x1) / 2;
      L.texts.push_back({tick_label(v, 0), x, L.plot.y1 + 6 + kAscent, Anchor::middle});
    }
    const std::string& xl = panels[p].x_label.empty() ? x_label : panels[p].x_label;
    L.texts.push_back({xl, (L.plot.x0 + L.plot.x1) / 2, x_title_baseline, Anchor::middle});
    Text y_title{panels[p].y_label, x0 + kPad + kAscent, (L.plot.y0 + L.plot.y1) / 2, Anchor::middle};
    y_title.vertical = true;
    L.texts.push_back(y_title);
    out.panels.push_back(std::move(L));
    x0 += width;
  }
  out.width = std::max(x0, 2 * kPad + 100);

  // The legend: every series name once, in order of first appearance, in rows centred below the
  // panels. Colours follow the names, so "adam" is the same colour in every panel.
  static const char* const kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                         "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  static const char* const kDashes[] = {"", "6,3", "2,2"};  // beyond ten names, dashed lines
  constexpr double kSwatch = 22, kGap = 5, kSpace = 18;
  std::vector<std::string> names;
  for (const Panel& panel : panels)
    for (const Series& s : panel.series)
      if (std::find(names.begin(), names.end(), s.name) == names.end()) names.push_back(s.name);
  std::vector<std::vector<LegendEntry>> rows(1);
  double row_width = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const double w = kSwatch + kGap + text_width(names[i], kFont);
    if (!rows.back().empty() && row_width + kSpace + w > out.width - 2 * kPad) rows.emplace_back(), row_width = 0;
    LegendEntry e{names[i], kPalette[i % 10], kDashes[(i / 10) % 3], 0, 0, {}};
    e.x = row_width + (rows.back().empty() ? 0 : kSpace);  // relative to the row, centred below
    row_width = e.x + w;
    rows.back().push_back(e);
  }
  double y = panels_bottom + kPad + kAscent;
  for (auto& row : rows) {
    if (row.empty()) continue;
    const LegendEntry& last = row.back();
    const double width = last.x + kSwatch + kGap + text_width(last.name, kFont);
    const double left = (out.width - width) / 2;
    for (LegendEntry& e : row) {
      e.x += left, e.y = y - 0.35 * kFont;
      e.label = {e.name, e.x + kSwatch + kGap, y, Anchor::start};
      out.legend.push_back(e);
    }
    y += kLine + 2;
  }
  out.height = (names.empty() ? panels_bottom : y - kLine - 2 + kDescent) + kPad;
  return out;
}

}  // namespace plot

namespace {

using plot::Anchor;
using plot::Text;

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void save(const std::string& path, const std::string& body, double width, double height) {
  const std::string head = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(std::ceil(width)) +
                           "\" height=\"" + num(std::ceil(height)) +
                           "\" font-family=\"sans-serif\" font-size=\"12\">\n"
                           "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  write_file_atomically(path, {head, body, "</svg>\n"});
}

std::string svg(const Text& t) {
  static const char* const anchors[] = {"start", "middle", "end"};
  std::ostringstream o;
  o << "<text x=\"" << num(t.x) << "\" y=\"" << num(t.y) << "\" text-anchor=\"" << anchors[int(t.anchor)] << "\"";
  if (t.bold) o << " font-weight=\"bold\"";
  if (!t.fill.empty()) o << " fill=\"" << t.fill << "\"";
  if (t.vertical) o << " transform=\"rotate(-90 " << num(t.x) << " " << num(t.y) << ")\"";
  o << ">" << escape(t.text) << "</text>\n";
  return o.str();
}

std::string line(double x1, double y1, double x2, double y2, const std::string& style) {
  return "<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" + num(y2) + "\" " +
         style + "/>\n";
}

// White (low) to dark blue (high).
std::string blue(double t) {
  t = std::clamp(t, 0.0, 1.0);
  char buf[16];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", int(247 - t * 239), int(251 - t * 203),
                int(255 - t * 148));
  return buf;
}

std::string gray(double t) {
  const int g = int(std::clamp(t, 0.0, 1.0) * 255 + 0.5);
  char buf[16];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", g, g, g);
  return buf;
}

}  // namespace

void write_line_charts(const std::string& path, const std::vector<Panel>& panels, const std::string& x_label) {
  const plot::LineChartLayout layout = plot::layout_line_charts(panels, x_label);
  std::map<std::string, const plot::LegendEntry*> style;  // a name's colour and dash, in every panel
  for (const plot::LegendEntry& e : layout.legend) style[e.name] = &e;
  std::ostringstream o;
  for (std::size_t p = 0; p < panels.size(); ++p) {
    const plot::LinePanelLayout& L = layout.panels[p];
    const plot::Box& a = L.plot;
    const double x_span = L.x_ticks.last - L.x_ticks.first, y_span = L.y_ticks.last - L.y_ticks.first;
    auto px = [&](double x) { return x_span > 0 ? a.x0 + (x - L.x_ticks.first) / x_span * (a.x1 - a.x0) : (a.x0 + a.x1) / 2; };
    auto py = [&](double v) { return a.y1 - (v - L.y_ticks.first) / y_span * (a.y1 - a.y0); };
    for (double v : L.y_ticks.values) {  // grid lines and tick marks
      o << line(a.x0, py(v), a.x1, py(v), "stroke=\"#e4e4e4\"");
      o << line(a.x0 - 4, py(v), a.x0, py(v), "stroke=\"#444\"");
    }
    for (double v : L.x_ticks.values) o << line(px(v), a.y1, px(v), a.y1 + 4, "stroke=\"#444\"");
    if (L.y_ticks.first < 0 && L.y_ticks.last > 0)  // the zero line, where the axis crosses it
      o << line(a.x0, py(0), a.x1, py(0), "stroke=\"#555\" stroke-width=\"1.2\"");
    o << "<rect x=\"" << num(a.x0) << "\" y=\"" << num(a.y0) << "\" width=\"" << num(a.x1 - a.x0) << "\" height=\""
      << num(a.y1 - a.y0) << "\" fill=\"none\" stroke=\"#444\"/>\n";
    for (const Series& s : panels[p].series) {
      const plot::LegendEntry& e = *style.at(s.name);
      const std::string dash = e.dash.empty() ? "" : " stroke-dasharray=\"" + e.dash + "\"";
      // A polyline per run of finite values; a run of one value is a dot.
      for (std::size_t i = 0; i < s.y.size();) {
        if (!std::isfinite(s.y[i])) {
          ++i;
          continue;
        }
        std::size_t end = i;
        while (end < s.y.size() && std::isfinite(s.y[end])) ++end;
        if (end - i == 1) {
          o << "<circle cx=\"" << num(px(double(i + 1))) << "\" cy=\"" << num(py(s.y[i])) << "\" r=\"2.5\" fill=\""
            << e.color << "\"/>\n";
        } else {
          o << "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"" << e.color << "\"" << dash << " points=\"";
          for (std::size_t k = i; k < end; ++k) o << num(px(double(k + 1))) << "," << num(py(s.y[k])) << " ";
          o << "\"/>\n";
        }
        i = end;
      }
    }
    for (const Text& t : L.texts) o << svg(t);
  }
  for (const plot::LegendEntry& e : layout.legend) {
    const std::string dash = e.dash.empty() ? "" : " stroke-dasharray=\"" + e.dash + "\"";
    o << line(e.x, e.y, e.x + 22, e.y, "stroke=\"" + e.color + "\" stroke-width=\"2\"" + dash);
    o << svg(e.label);
  }
  save(path, o.str(), layout.width, layout.height);
}

void write_heatmap(const std::string& path, const std::string& title,
                   const std::vector<std::vector<double>>& matrix,
                   const std::vector<std::string>& labels, const std::string& row_axis,
                   const std::string& col_axis) {
  const std::size_t n = matrix.size();
  for (const auto& row : matrix)
    if (row.size() != n) throw std::invalid_argument(path + ": heat map matrix must be square");
  constexpr double cell = 44, kFont = 12, kPad = 10;
  auto label = [&](std::size_t i) { return i < labels.size() ? labels[i] : std::to_string(i); };
  double widest = 0;
  for (std::size_t i = 0; i < n; ++i) widest = std::max(widest, plot::text_width(label(i), kFont));
  // Left: pad, the rotated row-axis title, a gap, the row labels. Bottom: the column labels at
  // 40 degrees reach down widest * sin(40) below the matrix.
  const double L = kPad + 16 + 8 + widest + 6, T = 50;
  const double matrix_width = cell * double(n);
  const double width = std::max(L + matrix_width + kPad, plot::text_width(title, kFont, true) + 2 * kPad);
  const double height = T + matrix_width + 14 + widest * std::sin(40.0 * M_PI / 180.0) + 12 + kPad;
  double hi = 0;
  for (const auto& row : matrix)
    for (double v : row) hi = std::max(hi, v);
  // The title centred over the matrix, moved left if need be to stay inside the picture.
  const double title_half = plot::text_width(title, kFont, true) / 2;
  const double centre = std::max(kPad + title_half, std::min(L + matrix_width / 2, width - kPad - title_half));
  std::ostringstream o;
  o << svg({title, centre, 20, Anchor::middle, true});
  o << svg({col_axis + " \u2192", L + matrix_width / 2, 40, Anchor::middle});
  for (std::size_t i = 0; i < n; ++i) {
    o << svg({label(i), L - 6, T + cell * (double(i) + 0.6), Anchor::end});
    Text col{label(i), L + cell * (double(i) + 0.5), T + matrix_width + 14, Anchor::end};
    o << "<text x=\"" << num(col.x) << "\" y=\"" << num(col.y) << "\" text-anchor=\"end\" transform=\"rotate(-40 "
      << num(col.x) << " " << num(col.y) << ")\">" << escape(col.text) << "</text>\n";
    for (std::size_t j = 0; j < n; ++j) {
      const double t = hi > 0 ? matrix[i][j] / hi : 0;
      o << "<rect x=\"" << num(L + cell * double(j)) << "\" y=\"" << num(T + cell * double(i)) << "\" width=\""
        << num(cell) << "\" height=\"" << num(cell) << "\" fill=\"" << blue(t) << "\" stroke=\"white\"/>\n";
      Text count{num(matrix[i][j]), L + cell * (double(j) + 0.5), T + cell * (double(i) + 0.6), Anchor::middle};
      if (t > 0.5) count.fill = "white";
      o << svg(count);
    }
  }
  Text rows{row_axis + " \u2192", kPad + 12, T + matrix_width / 2, Anchor::middle};
  rows.vertical = true;
  o << svg(rows);
  save(path, o.str(), width, height);
}

void write_image_grid(const std::string& path, const std::string& title, const Tensor& images,
                      std::size_t columns, const std::vector<std::string>& titles) {
  if (images.ndim() < 3)
    throw std::invalid_argument(path + ": image grid needs (N, H, W) images, got " +
                                shape_to_string(images.shape()));
  const std::size_t n = images.dim(0), h = images.dim(images.ndim() - 2), w = images.dim(images.ndim() - 1);
  if (n * h * w != images.size())
    throw std::invalid_argument(path + ": image grid needs one channel per image, got " +
                                shape_to_string(images.shape()));
  constexpr double kFont = 12, kPad = 10;
  columns = std::max<std::size_t>(1, std::min(columns, n));
  const std::size_t rows = (n + columns - 1) / columns;
  const double px = std::max(2.0, 64.0 / double(std::max(h, w)));  // each image ~64 px wide
  // A column is as wide as its image or its widest caption, whichever is wider.
  double caption = 0;
  for (const std::string& t : titles) caption = std::max(caption, plot::text_width(t, kFont));
  const double cw = std::max(px * double(w), caption) + 12, ch = px * double(h) + (titles.empty() ? 12 : 26);
  const double width = std::max(double(columns) * cw, plot::text_width(title, kFont, true) + 2 * kPad);
  const double left = (width - double(columns) * cw) / 2;  // the grid, centred under the title
  std::ostringstream o;
  o << svg({title, width / 2, 20, Anchor::middle, true});
  for (std::size_t k = 0; k < n; ++k) {
    const float* img = images.data() + k * h * w;
    const auto [mn, mx] = std::minmax_element(img, img + h * w);
    const double range = *mx - *mn > 1e-12 ? *mx - *mn : 1.0;
    const double cx = left + (double(k % columns) + 0.5) * cw;  // the column's centre
    const double x0 = cx - px * double(w) / 2, y0 = 30 + double(k / columns) * ch;
    for (std::size_t r = 0; r < h; ++r)
      for (std::size_t c = 0; c < w; ++c)
        o << "<rect x=\"" << num(x0 + px * double(c)) << "\" y=\"" << num(y0 + px * double(r))
          << "\" width=\"" << num(px) << "\" height=\"" << num(px) << "\" fill=\""
          << gray((img[r * w + c] - *mn) / range) << "\"/>\n";
    if (k < titles.size()) o << svg({titles[k], cx, y0 + px * double(h) + 14, Anchor::middle});
  }
  save(path, o.str(), width, 30 + double(rows) * ch);
}

}  // namespace dlfs
