#include "06-transformer/attention_map.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "04-rnn/utf8.hpp"
#include "common/atomic_file.hpp"

namespace dlfs {

std::string printable_character(char32_t c) {
  if (c == U' ') return "\u2423";   // ␣
  if (c == U'\n') return "\u23CE";  // ⏎
  if (c == U'\t') return "\u21E5";  // ⇥
  return encode_utf8(std::u32string(1, c));
}

namespace {

std::string escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

constexpr int kShades = 20;

// A coordinate with at most one decimal.
std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", v);
  std::string s = text;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s;
}

// White at 0, dark blue at 1.
std::string shade(double weight) {
  const double t = std::clamp(weight, 0.0, 1.0);
  char color[8];
  std::snprintf(color, sizeof color, "#%02x%02x%02x", int(255 - t * (255 - 8)), int(255 - t * (255 - 48)),
                int(255 - t * (255 - 107)));
  return color;
}

}  // namespace

void write_attention_maps(const std::string& path, const std::string& title, const std::vector<Tensor>& weights,
                          const std::vector<std::string>& labels) {
  const std::size_t T = labels.size(), L = weights.size();
  if (L == 0 || T == 0) throw std::invalid_argument(path + ": no attention weights to draw");
  const std::size_t H = weights[0].size() / (T * T);
  for (const Tensor& w : weights)
    if (H == 0 || w.size() != H * T * T)
      throw std::invalid_argument(path + ": attention weights of shape " + shape_to_string(w.shape()) + " for " +
                                  std::to_string(T) + " characters");
  const double cell = std::max(4.0, std::floor(360.0 / double(T)));  // a panel is about 360 px square
  const double panel = cell * double(T), label = 14, gap = 24, top = 40, left = 60;
  const double width = left + double(H) * (panel + label + gap), height = top + double(L) * (panel + label + gap);

  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"" << std::min(cell, 11.0) << "\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << left << "\" y=\"20\" font-size=\"14\" font-weight=\"bold\">" << escaped(title) << "</text>\n";
  for (std::size_t l = 0; l < L; ++l)
    for (std::size_t h = 0; h < H; ++h) {
      const double x0 = left + double(h) * (panel + label + gap) + label, y0 = top + double(l) * (panel + label + gap) + label;
      svg << "<text x=\"" << x0 << "\" y=\"" << y0 - 4 << "\" font-size=\"11\">layer " << l + 1 << ", head " << h + 1
          << "</text>\n";
      // The weights rounded to one of kShades levels; the cells of one level are one <path>, which
      // keeps the file small. A weight under half a level is drawn white (left out).
      const float* p = weights[l].data() + h * T * T;  // (T, T): row i = query i
      std::vector<std::string> cells(kShades + 1);
      for (std::size_t i = 0; i < T; ++i)
        for (std::size_t j = 0; j < T; ++j) {
          const int level = int(std::lround(double(p[i * T + j]) * kShades));
          if (level > 0) {
            char square[96];  // a cell x0 + j cell, y0 + i cell, cell wide, as a closed path
            std::snprintf(square, sizeof square, "M%s %sh%sv%sh-%sz", number(x0 + double(j) * cell).c_str(),
                          number(y0 + double(i) * cell).c_str(), number(cell).c_str(), number(cell).c_str(),
                          number(cell).c_str());
            cells[std::size_t(level)] += square;
          }
        }
      for (int level = 1; level <= kShades; ++level)
        if (!cells[std::size_t(level)].empty())
          svg << "<path fill=\"" << shade(double(level) / kShades) << "\" d=\"" << cells[std::size_t(level)] << "\"/>\n";
      svg << "<rect x=\"" << x0 << "\" y=\"" << y0 << "\" width=\"" << panel << "\" height=\"" << panel
          << "\" fill=\"none\" stroke=\"#999\"/>\n";
      // The characters down the left side (queries) and along the bottom (keys).
      for (std::size_t i = 0; i < T; ++i) {
        const std::string c = escaped(labels[i]);
        svg << "<text x=\"" << x0 - 3 << "\" y=\"" << y0 + (double(i) + 0.8) * cell << "\" text-anchor=\"end\">" << c
            << "</text>\n";
        svg << "<text x=\"" << x0 + (double(i) + 0.5) * cell << "\" y=\"" << y0 + panel + cell
            << "\" text-anchor=\"middle\">" << c << "</text>\n";
      }
    }
  svg << "</svg>\n";

  write_file_atomically(path, {svg.str()});
}

}  // namespace dlfs
