#include "05-regularization/label_smoothing.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace dlfs {

namespace {

void check_eps(float eps) {
  if (!(eps >= 0.0f && eps < 1.0f))
    throw std::invalid_argument("label smoothing " + std::to_string(eps) + " is not in [0, 1)");
}

}  // namespace

LossAndGrad label_smoothing_cross_entropy(const Tensor& logits, const Targets& labels, float eps) {
  check_eps(eps);
  LossAndGrad out = softmax_cross_entropy(logits, labels);  // checks the shapes and labels
  if (eps == 0.0f) return out;
  const std::size_t C = logits.shape().back();
  const std::size_t rows = logits.size() / C;
  // n: the labels that are not ignored, as the cross-entropy's own mean (and PyTorch's) counts them.
  const double n = double(std::max<std::size_t>(labels.count(), 1));
  const float spread = float(-eps / (double(C) * n));  // eps (0 - 1/C) / n on every logit of a row ...
  const float extra = float(eps / n);                  // ... and eps / n more on the labelled one
  double penalty = 0.0;  // sum over the rows of z_y - mean_j z_j
  for (std::size_t r = 0; r < rows; ++r) {
    const int y = labels.labels[r];
    if (y == kIgnoreIndex) continue;
    const float* z = logits.data() + r * C;  // (C,)
    float* dz = out.grad.data() + r * C;     // (C,)
    double mean = 0.0;
    for (std::size_t j = 0; j < C; ++j) mean += z[j];
    mean /= double(C);
    penalty += double(z[y]) - mean;
    for (std::size_t j = 0; j < C; ++j) dz[j] += spread;
    dz[y] += extra;
  }
  out.loss += eps * penalty / n;
  return out;
}

Loss label_smoothing(float eps) {
  check_eps(eps);  // now, not at the first batch
  return [eps](const Tensor& logits, const Targets& labels) {
    return label_smoothing_cross_entropy(logits, labels, eps);
  };
}

}  // namespace dlfs
