#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "common/plot_svg.hpp"
#include "tests/support/tmp.hpp"

using namespace dlfs;

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
}  // namespace

TEST_CASE("Line charts draw one polyline per series with a legend", "[common][plot]") {
  const std::string path = test::scratch_dir("plot") + "/curves.svg";
  write_line_charts(path, {{"Loss", "loss", {{"train", {1.0, 0.5, 0.25}}, {"test", {1.1, 0.7, 0.5}}}},
                           {"Accuracy", "accuracy", {{"test", {0.5, 0.7, 0.8}}}}});
  const std::string svg = slurp(path);
  CHECK_THAT(svg, Catch::StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"") && Catch::EndsWith("</svg>\n"));
  CHECK(count(svg, "<polyline") == 3);
  CHECK_THAT(svg, Catch::Contains(">train</text>") && Catch::Contains(">Accuracy</text>"));
  CHECK(svg.find("nan") == std::string::npos);
}

TEST_CASE("A heat map has one cell per entry and escapes labels", "[common][plot]") {
  const std::string path = test::scratch_dir("plot-heat") + "/cm.svg";
  write_heatmap(path, "Confusion", {{5, 1}, {0, 7}}, {"a<b", "c&d"});
  const std::string svg = slurp(path);
  CHECK(count(svg, "<rect x=") == 4);
  CHECK_THAT(svg, Catch::Contains("a&lt;b") && Catch::Contains("c&amp;d") && Catch::Contains(">7</text>"));
  CHECK_THROWS_WITH(write_heatmap(path, "bad", {{1, 2}}, {}), Catch::Contains("must be square"));
}

TEST_CASE("An image grid has one pixel rect per pixel", "[common][plot]") {
  const std::string path = test::scratch_dir("plot-grid") + "/filters.svg";
  Tensor images({3, 2, 2}, {0, 1, 2, 3, 4, 4, 4, 4, -1, 0, 1, 2});
  write_image_grid(path, "Filters", images, 2, {"f0", "f1", "f2"});
  const std::string svg = slurp(path);
  CHECK(count(svg, "<rect x=") == 12);
  CHECK_THAT(svg, Catch::Contains("fill=\"#ffffff\"") && Catch::Contains("fill=\"#000000\"") && Catch::Contains(">f2</text>"));
  CHECK_THROWS_WITH(write_image_grid(path, "bad", Tensor({4}), 2), Catch::Contains("needs (N, H, W)"));
  CHECK_THROWS_WITH(write_line_charts("/proc/nope/x.svg", {}), Catch::Contains("/proc/nope/x.svg: cannot open"));
}
