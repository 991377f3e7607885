#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <limits>
#include <regex>
#include <set>
#include <sstream>

#include "common/plot_svg.hpp"
#include "tests/support/tmp.hpp"

using namespace dlfs;
using namespace dlfs::plot;

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}
// Every match of the regex's first group, in order.
std::vector<std::string> all(const std::string& s, const std::string& pattern) {
  std::vector<std::string> out;
  const std::regex re(pattern);
  for (auto it = std::sregex_iterator(s.begin(), s.end(), re); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1]);
  return out;
}
std::vector<std::string> labels(const Ticks& t) {
  std::vector<std::string> out;
  for (double v : t.values) out.push_back(tick_label(v, t.decimals));
  return out;
}
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

TEST_CASE("Nice ticks are round steps that cover the data with few ticks", "[common][plot][ticks]") {
  for (auto [lo, hi] : std::vector<std::pair<double, double>>{
           {0.3224, 0.4928}, {0.8197, 0.9026}, {-0.6, 1.0}, {1.34e-05, 1.57e-02}, {-1234, 5678}, {0, 1}, {2, 2},
           {1.5e-6, 2.2e-6}, {0.0, 9.25}}) {
    const Ticks t = nice_ticks(lo, hi, 7);
    INFO("range " << lo << " .. " << hi << ", step " << t.step);
    CHECK(t.first <= lo);
    CHECK(t.last >= hi);
    CHECK(t.values.size() >= 2);
    CHECK(t.values.size() <= 7);
    CHECK(t.values.front() == t.first);
    CHECK(t.values.back() == t.last);
    const double mantissa = t.step / std::pow(10.0, std::floor(std::log10(t.step) + 1e-9));
    CHECK((std::abs(mantissa - 1) < 1e-9 || std::abs(mantissa - 2) < 1e-9 || std::abs(mantissa - 5) < 1e-9));
    for (double v : t.values) CHECK(std::abs(v / t.step - std::round(v / t.step)) < 1e-6);
    // The labels are distinct: the step's digits are all printed.
    const auto l = labels(t);
    CHECK(std::set<std::string>(l.begin(), l.end()).size() == l.size());
  }
}

TEST_CASE("Nice ticks of typical learning curves read as round numbers", "[common][plot][ticks]") {
  CHECK(labels(nice_ticks(0.3224, 0.4928)) == std::vector<std::string>{"0.30", "0.35", "0.40", "0.45", "0.50"});
  CHECK(labels(nice_ticks(0.8197, 0.9026)) ==
        std::vector<std::string>{"0.80", "0.82", "0.84", "0.86", "0.88", "0.90", "0.92"});
  CHECK(labels(nice_ticks(-0.6, 1.0)) == std::vector<std::string>{"-1.0", "-0.5", "0.0", "0.5", "1.0"});
  CHECK(labels(nice_ticks(1.34e-05, 1.57e-02)) == std::vector<std::string>{"0.000", "0.005", "0.010", "0.015", "0.020"});
  CHECK(labels(nice_ticks(1.5e-6, 2.2e-6)) == std::vector<std::string>{"1.4e-06", "1.6e-06", "1.8e-06", "2e-06", "2.2e-06"});
  CHECK(labels(nice_ticks(2, 2)) == std::vector<std::string>{"1.8", "1.9", "2.0", "2.1", "2.2"});
  CHECK(tick_label(-0.0001, 2) == "0.00");
}

TEST_CASE("Integer ticks on the x axis are round multiples within 1 .. n", "[common][plot][ticks]") {
  CHECK(integer_ticks(10).values == std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  CHECK(integer_ticks(60).values == std::vector<double>{10, 20, 30, 40, 50, 60});
  CHECK(integer_ticks(26).values == std::vector<double>{5, 10, 15, 20, 25});
  CHECK(integer_ticks(938).values.size() == 9);
  CHECK(integer_ticks(938).step == 100);
  CHECK(integer_ticks(1).values == std::vector<double>{1});
  CHECK(integer_ticks(60).first == 1);
  CHECK(integer_ticks(60).last == 60);
}

TEST_CASE("Text width follows the font's advance widths", "[common][plot][layout]") {
  CHECK(text_width("", 12) == 0);
  CHECK(text_width("0.30", 12) > text_width("1.1", 12));
  CHECK(text_width("WWW", 12) > text_width("iii", 12));
  CHECK(text_width("epoch", 12, true) > text_width("epoch", 12));
  CHECK(text_width("\u00b0C", 12) == text_width("+C", 12));  // one non-ASCII character, however many bytes
  const auto lines = wrap("Loss (Sequential(Flatten, Dense(784, 256), ReLU, Dense(256, 128), ReLU, Dense(128, 10)))", 300, 12, true);
  CHECK(lines.size() >= 2);
  for (const auto& l : lines) CHECK(text_width(l, 12, true) <= 300);
}

TEST_CASE("The line-chart layout keeps every text inside the picture and clear of every other", "[common][plot][layout]") {
  const std::vector<Panel> panels = {
      {"Loss (Sequential(Flatten, Dense(784, 256), ReLU, Dense(256, 128), ReLU, Dense(128, 10)))", "cross-entropy",
       {{"train", {0.5154, 0.34, 0.2, 0.1308}}, {"test", {0.52, 0.45, 0.4, 0.41}}}},
      {"Wide numbers", "a long y-axis title in units of something", {{"test", {-123456.7, 0.5, 234567.8}}}, "step"},
      {"Many series", "accuracy",
       {{"sgd", {0.81, 0.9}}, {"momentum", {0.82, 0.89}}, {"nesterov", {0.8, 0.9}}, {"rmsprop", {0.8, 0.88}},
        {"adagrad", {0.8, 0.88}}, {"adam", {0.8, 0.9}}, {"adamw", {0.8, 0.9}}, {"adam/hinge", {0.8, 0.9}}}}};
  const LineChartLayout layout = layout_line_charts(panels, "epoch");
  const Box picture{0, 0, layout.width, layout.height};
  std::vector<Box> boxes;
  for (const auto& p : layout.panels)
    for (const Text& t : p.texts) boxes.push_back(t.box());
  for (const LegendEntry& e : layout.legend) {
    boxes.push_back(e.label.box());
    boxes.push_back({e.x, e.y - 1, e.x + 22, e.y + 1});  // the swatch
  }
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    INFO("box " << i << ": " << boxes[i].x0 << "," << boxes[i].y0 << " .. " << boxes[i].x1 << "," << boxes[i].y1);
    CHECK(picture.contains(boxes[i]));
    for (std::size_t j = i + 1; j < boxes.size(); ++j) CHECK_FALSE(boxes[i].overlaps(boxes[j]));
  }
  // Texts stay off the data areas, and the legend sits below all of them.
  for (const auto& p : layout.panels) {
    for (const Box& b : boxes) CHECK_FALSE(p.plot.overlaps(b));
    for (const LegendEntry& e : layout.legend) CHECK(e.label.box().y0 > p.plot.y1);
  }
  CHECK(layout.legend.size() == 10);  // train, test, then the eight optimizers: each name once
  CHECK(layout.panels[0].texts[1].y > layout.panels[0].texts[0].y);  // the long title took two lines
  CHECK(layout.panels[0].plot.y0 == layout.panels[2].plot.y0);  // and every panel's plot starts below it
}

TEST_CASE("Line charts draw one line per series, one colour per name, gaps at NaN", "[common][plot]") {
  const std::string path = test::scratch_dir("plot") + "/curves.svg";
  write_line_charts(path, {{"Loss", "loss", {{"train", {1.0, 0.5, 0.25}}, {"test", {1.1, 0.7, 0.5}}}},
                           {"Accuracy", "accuracy", {{"test", {0.5, kNaN, 0.7, 0.8}}, {"train", {0.6}}}}});
  const std::string svg = slurp(path);
  CHECK_THAT(svg, Catch::StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"") && Catch::EndsWith("</svg>\n"));
  // train, test | test after its gap | train's single point and test's first point are dots
  CHECK(all(svg, "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"(#[0-9a-f]{6})\"") ==
        std::vector<std::string>{"#1f77b4", "#d62728", "#d62728"});
  CHECK(all(svg, "<circle [^>]*fill=\"(#[0-9a-f]{6})\"") == std::vector<std::string>{"#d62728", "#1f77b4"});
  CHECK(count(svg, ">train</text>") == 1);  // one legend for the figure
  CHECK_THAT(svg, Catch::Contains(">Accuracy</text>") && Catch::Contains(">0.50</text>"));
  CHECK(svg.find("nan") == std::string::npos);
  CHECK(svg.find("stroke=\"#555\"") == std::string::npos);  // no zero line: the axis does not cross 0
}

TEST_CASE("A y axis that crosses zero gets a zero line", "[common][plot]") {
  const std::string path = test::scratch_dir("plot-zero") + "/overshoot.svg";
  write_line_charts(path, {{"x_t", "x", {{"momentum", {1.0, 0.5, -0.6, 0.1}}}}}, "step");
  CHECK(count(slurp(path), "stroke=\"#555\" stroke-width=\"1.2\"") == 1);
}

TEST_CASE("A heat map has one cell per entry and escapes labels", "[common][plot]") {
  const std::string path = test::scratch_dir("plot-heat") + "/cm.svg";
  write_heatmap(path, "Confusion", {{5, 1}, {0, 7}}, {"a<b", "c&d"});
  const std::string svg = slurp(path);
  CHECK(count(svg, "<rect x=") == 4);
  CHECK_THAT(svg, Catch::Contains("a&lt;b") && Catch::Contains("c&amp;d") && Catch::Contains(">7</text>"));
  CHECK_THROWS_WITH(write_heatmap(path, "bad", {{1, 2}}, {}), Catch::Contains("must be square"));
}

TEST_CASE("An image grid has one pixel rect per pixel and room for its captions", "[common][plot]") {
  const std::string path = test::scratch_dir("plot-grid") + "/filters.svg";
  Tensor images({3, 2, 2}, {0, 1, 2, 3, 4, 4, 4, 4, -1, 0, 1, 2});
  write_image_grid(path, "Filters", images, 2, {"input: Ankle boot", "f1", "f2"});
  const std::string svg = slurp(path);
  CHECK(count(svg, "<rect x=") == 12);
  CHECK_THAT(svg, Catch::Contains("fill=\"#ffffff\"") && Catch::Contains("fill=\"#000000\"") && Catch::Contains(">f2</text>"));
  // Two columns, each at least as wide as the widest caption, and the first caption's left end
  // (centred on its column) inside the picture.
  const double width = std::stod(all(svg, "<svg [^>]*width=\"([0-9.]+)\"").at(0));
  CHECK(width >= 2 * text_width("input: Ankle boot", 12));
  const double caption_x = std::stod(all(svg, "<text x=\"([0-9.]+)\"[^>]*>input: Ankle boot<").at(0));
  CHECK(caption_x - text_width("input: Ankle boot", 12) / 2 >= 0);
  CHECK_THROWS_WITH(write_image_grid(path, "bad", Tensor({4}), 2), Catch::Contains("needs (N, H, W)"));
  CHECK_THROWS_WITH(write_line_charts("/proc/nope/x.svg", {}), Catch::Contains("/proc/nope/x.svg: cannot save"));
}
