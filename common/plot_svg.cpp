#include "common/plot_svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace dlfs {

namespace {

const char* const kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

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
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

void save(const std::string& path, const std::string& body, double width, double height) {
  const auto parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  std::ofstream out(path, std::ios::trunc);
  if (!out) throw std::runtime_error(path + ": cannot open for writing");
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << body << "</svg>\n";
  if (!out) throw std::runtime_error(path + ": write failed");
}

std::string text(double x, double y, const std::string& s, const char* anchor = "middle",
                 const char* extra = "") {
  std::ostringstream o;
  o << "<text x=\"" << num(x) << "\" y=\"" << num(y) << "\" text-anchor=\"" << anchor << "\" "
    << extra << ">" << escape(s) << "</text>\n";
  return o.str();
}

std::string line_panel(const Panel& panel, const std::string& x_label, double x0) {
  constexpr double W = 420, H = 300, L = 60, R = 20, T = 30, B = 45;
  double lo = INFINITY, hi = -INFINITY;
  std::size_t n = 1;
  for (const Series& s : panel.series)
    for (double v : s.y)
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v), n = std::max(n, s.y.size());
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (hi - lo < 1e-12) lo -= 0.5, hi += 0.5;
  const double pad = 0.05 * (hi - lo);
  lo -= pad, hi += pad;
  auto px = [&](double i) { return x0 + L + (n > 1 ? (i / double(n - 1)) : 0.5) * (W - L - R); };
  auto py = [&](double v) { return T + (hi - v) / (hi - lo) * (H - T - B); };

  std::ostringstream o;
  o << text(x0 + W / 2, 18, panel.title, "middle", "font-weight=\"bold\"");
  o << "<rect x=\"" << x0 + L << "\" y=\"" << T << "\" width=\"" << W - L - R << "\" height=\""
    << H - T - B << "\" fill=\"none\" stroke=\"#444\"/>\n";
  for (int t = 0; t <= 4; ++t) {  // y ticks
    const double v = lo + (hi - lo) * t / 4.0;
    o << "<line x1=\"" << x0 + L << "\" x2=\"" << x0 + W - R << "\" y1=\"" << num(py(v))
      << "\" y2=\"" << num(py(v)) << "\" stroke=\"#ddd\"/>\n";
    o << text(x0 + L - 5, py(v) + 4, num(v), "end");
  }
  const std::size_t step = std::max<std::size_t>(1, n / 10);
  for (std::size_t i = 0; i < n; i += step) o << text(px(double(i)), H - B + 16, std::to_string(i + 1));
  o << text(x0 + (L + W - R) / 2, H - 8, x_label);
  o << text(x0 + 14, (T + H - B) / 2, panel.y_label, "middle",
            ("transform=\"rotate(-90 " + num(x0 + 14) + " " + num((T + H - B) / 2) + ")\"").c_str());
  for (std::size_t s = 0; s < panel.series.size(); ++s) {
    const char* color = kPalette[s % std::size(kPalette)];
    o << "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"" << color << "\" points=\"";
    for (std::size_t i = 0; i < panel.series[s].y.size(); ++i)
      if (std::isfinite(panel.series[s].y[i]))
        o << num(px(double(i))) << "," << num(py(panel.series[s].y[i])) << " ";
    o << "\"/>\n";
    const double ly = T + 12 + 16 * double(s);
    o << "<line x1=\"" << x0 + W - R - 120 << "\" x2=\"" << x0 + W - R - 100 << "\" y1=\"" << ly - 4
      << "\" y2=\"" << ly - 4 << "\" stroke=\"" << color << "\" stroke-width=\"2\"/>\n";
    o << text(x0 + W - R - 96, ly, panel.series[s].name, "start");
  }
  return o.str();
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

void write_line_charts(const std::string& path, const std::vector<Panel>& panels,
                       const std::string& x_label) {
  std::string body;
  for (std::size_t p = 0; p < panels.size(); ++p) body += line_panel(panels[p], x_label, 420.0 * double(p));
  save(path, body, 420.0 * double(std::max<std::size_t>(1, panels.size())), 300);
}

void write_heatmap(const std::string& path, const std::string& title,
                   const std::vector<std::vector<double>>& matrix,
                   const std::vector<std::string>& labels, const std::string& row_axis,
                   const std::string& col_axis) {
  const std::size_t n = matrix.size();
  for (const auto& row : matrix)
    if (row.size() != n) throw std::invalid_argument(path + ": heat map matrix must be square");
  constexpr double cell = 44, L = 110, T = 50;
  double hi = 0;
  for (const auto& row : matrix)
    for (double v : row) hi = std::max(hi, v);
  std::ostringstream o;
  o << text(L + cell * double(n) / 2, 20, title, "middle", "font-weight=\"bold\"");
  o << text(L + cell * double(n) / 2, 40, col_axis + " \u2192");
  for (std::size_t i = 0; i < n; ++i) {
    const std::string label = i < labels.size() ? labels[i] : std::to_string(i);
    o << text(L - 6, T + cell * (double(i) + 0.6), label, "end");
    o << text(L + cell * (double(i) + 0.5), T + cell * double(n) + 14, label, "end",
              ("transform=\"rotate(-40 " + num(L + cell * (double(i) + 0.5)) + " " +
               num(T + cell * double(n) + 14) + ")\"").c_str());
    for (std::size_t j = 0; j < n; ++j) {
      const double t = hi > 0 ? matrix[i][j] / hi : 0;
      o << "<rect x=\"" << L + cell * double(j) << "\" y=\"" << T + cell * double(i) << "\" width=\""
        << cell << "\" height=\"" << cell << "\" fill=\"" << blue(t) << "\" stroke=\"white\"/>\n";
      o << text(L + cell * (double(j) + 0.5), T + cell * (double(i) + 0.6), num(matrix[i][j]),
                "middle", t > 0.5 ? "fill=\"white\"" : "");
    }
  }
  o << text(12, T + cell * double(n) / 2, row_axis + " \u2192", "middle",
            ("transform=\"rotate(-90 12 " + num(T + cell * double(n) / 2) + ")\"").c_str());
  save(path, o.str(), L + cell * double(n) + 20, T + cell * double(n) + 90);
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
  columns = std::max<std::size_t>(1, std::min(columns, n));
  const std::size_t rows = (n + columns - 1) / columns;
  const double px = std::max(2.0, 64.0 / double(std::max(h, w)));  // each image ~64 px wide
  const double cw = px * double(w) + 12, ch = px * double(h) + (titles.empty() ? 12 : 26);
  std::ostringstream o;
  o << text(double(columns) * cw / 2, 18, title, "middle", "font-weight=\"bold\"");
  for (std::size_t k = 0; k < n; ++k) {
    const float* img = images.data() + k * h * w;
    const auto [mn, mx] = std::minmax_element(img, img + h * w);
    const double range = *mx - *mn > 1e-12 ? *mx - *mn : 1.0;
    const double x0 = double(k % columns) * cw + 6, y0 = 30 + double(k / columns) * ch;
    for (std::size_t r = 0; r < h; ++r)
      for (std::size_t c = 0; c < w; ++c)
        o << "<rect x=\"" << num(x0 + px * double(c)) << "\" y=\"" << num(y0 + px * double(r))
          << "\" width=\"" << num(px) << "\" height=\"" << num(px) << "\" fill=\""
          << gray((img[r * w + c] - *mn) / range) << "\"/>\n";
    if (k < titles.size()) o << text(x0 + px * double(w) / 2, y0 + px * double(h) + 14, titles[k]);
  }
  save(path, o.str(), double(columns) * cw, 30 + double(rows) * ch);
}

}  // namespace dlfs
