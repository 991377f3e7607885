#include "02-mlp/targets.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "common/ops.hpp"

namespace dlfs {

Targets::Targets(std::vector<int> class_labels) : labels(std::move(class_labels)) {}

Targets::Targets(Tensor real_values) : kind(Kind::real_values), values(std::move(real_values)) {
  if (values.ndim() < 1) throw std::invalid_argument("Targets: real values need a first (example) axis");
}

Targets Targets::per_position(std::vector<int> labels, std::size_t positions) {
  if (positions == 0 || labels.size() % positions != 0)
    throw std::invalid_argument("Targets::per_position: " + std::to_string(labels.size()) + " labels do not make rows of " +
                                std::to_string(positions) + " positions");
  Targets t(std::move(labels));
  t.kind = Kind::class_per_position;
  t.positions = positions;
  return t;
}

std::size_t Targets::size() const {
  return kind == Kind::real_values ? values.dim(0) : labels.size() / positions;
}

std::size_t Targets::count() const {
  if (kind == Kind::real_values) return values.size();
  return std::size_t(std::count_if(labels.begin(), labels.end(), [](int y) { return y != kIgnoreIndex; }));
}

Targets Targets::rows(const std::vector<std::size_t>& indices) const {
  if (kind == Kind::real_values) return Targets(gather_rows(values, indices));
  const std::size_t n = size();
  std::vector<int> picked(indices.size() * positions);
  for (std::size_t k = 0; k < indices.size(); ++k) {
    if (indices[k] >= n)
      throw std::out_of_range("Targets::rows: index " + std::to_string(indices[k]) + " of " + std::to_string(n));
    std::copy_n(labels.begin() + std::ptrdiff_t(indices[k] * positions), positions,
                picked.begin() + std::ptrdiff_t(k * positions));
  }
  Targets out(std::move(picked));
  out.kind = kind;
  out.positions = positions;
  return out;
}

Targets Targets::slice(std::size_t begin, std::size_t end) const {
  if (kind == Kind::real_values) return Targets(slice_rows(values, begin, end));
  if (begin > end || end > size())
    throw std::out_of_range("Targets::slice: examples [" + std::to_string(begin) + ", " + std::to_string(end) +
                            ") of " + std::to_string(size()));
  Targets out(std::vector<int>(labels.begin() + std::ptrdiff_t(begin * positions),
                               labels.begin() + std::ptrdiff_t(end * positions)));
  out.kind = kind;
  out.positions = positions;
  return out;
}

}  // namespace dlfs
