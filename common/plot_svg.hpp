// Small SVG charts for the examples: learning curves, confusion matrices, image grids.
//
// Why SVG written by hand and not a library: Debian has no well-kept C++ plotting library, and
// an SVG is plain text (a few <polyline>/<rect>/<text> elements) that any browser opens and
// that diffs cleanly in git. This file is ~150 lines with its own tests (tests/common).
// Images (filters, feature maps) are grids of gray <rect>s, so they need no PNG encoder either.
#pragma once

#include <string>
#include <vector>

#include "common/tensor.hpp"

namespace dlfs {

struct Series {
  std::string name;
  std::vector<double> y;  // y[i] is plotted at x = i + 1 (epochs count from 1)
};

// One panel per title; each panel draws its series as lines with a legend.
struct Panel {
  std::string title, y_label;
  std::vector<Series> series;
};

// Writes panels side by side into one SVG (e.g. loss | accuracy). x axis label: x_label.
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

}  // namespace dlfs
