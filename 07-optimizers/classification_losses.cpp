#include "07-optimizers/classification_losses.hpp"

#include <stdexcept>
#include <string>

#include "07-optimizers/cross_entropy.hpp"
#include "07-optimizers/hinge.hpp"

namespace dlfs {

const std::vector<std::string> kClassificationLossNames = {"cross-entropy", "hinge", "mse", "bce"};

Tensor one_hot(const std::vector<int>& labels, std::size_t classes) {
  Tensor out({labels.size(), classes});  // (B, classes)
  for (std::size_t b = 0; b < labels.size(); ++b) {
    if (labels[b] < 0 || std::size_t(labels[b]) >= classes)
      throw std::invalid_argument("one_hot: label " + std::to_string(labels[b]) + " is not a class 0.." +
                                  std::to_string(classes - 1));
    out(b, labels[b]) = 1.0f;
  }
  return out;
}

namespace {

// The labels of one-class-per-example targets for logits (B, classes), named in the error otherwise.
const std::vector<int>& labels_for(const Tensor& logits, const Targets& targets, const char* loss) {
  if (targets.kind != Targets::Kind::class_per_example || logits.ndim() != 2 || logits.dim(0) != targets.size())
    throw std::invalid_argument(std::string(loss) + ": logits of shape " + shape_to_string(logits.shape()) + " for " +
                                std::to_string(targets.size()) +
                                " targets (expected (B, classes) and one class label per example)");
  return targets.labels;
}

}  // namespace

Loss classification_loss(const std::string& name) {
  if (name == "cross-entropy") return softmax_cross_entropy;
  if (name == "hinge")
    return [](const Tensor& logits, const Targets& targets) {
      return multiclass_hinge(logits, labels_for(logits, targets, "hinge"));
    };
  if (name == "mse")
    return [](const Tensor& logits, const Targets& targets) {
      const std::vector<int>& labels = labels_for(logits, targets, "mse");
      return mse(logits, one_hot(labels, logits.dim(1)));  // targets (B, classes)
    };
  if (name == "bce")
    return [](const Tensor& logits, const Targets& targets) {
      const std::vector<int>& labels = labels_for(logits, targets, "bce");
      return binary_cross_entropy_with_logits(logits, one_hot(labels, logits.dim(1)));  // targets (B, classes)
    };
  std::string valid;
  for (const auto& n : kClassificationLossNames) valid += (valid.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown loss '" + name + "' (choose one of: " + valid + ")");
}

}  // namespace dlfs
