// Every loss of this chapter as a classification loss for chapter 02's training loop
// (02-mlp/losses.hpp: Loss, here with logits (B, classes) and one label per example), so the
// same MLP can be trained with each and compared:
//   "cross-entropy"  softmax cross-entropy (chapter 02)
//   "hinge"          multi-class hinge, Weston-Watkins, margin 1
//   "mse"            mean squared error between the logits and one-hot targets
//   "bce"            binary cross-entropy on logits against one-hot targets: C independent
//                    yes/no questions ("one versus rest") instead of one choice among C
// A prediction is the argmax of the logits in every case.
#pragma once

#include <string>
#include <vector>

#include "02-mlp/losses.hpp"

namespace dlfs {

extern const std::vector<std::string> kClassificationLossNames;

// Throws std::invalid_argument listing the valid names for an unknown one.
Loss classification_loss(const std::string& name);

// Integer labels as one-hot rows: (B, classes), 1 at (b, labels[b]) and 0 elsewhere.
// Throws std::invalid_argument for a label outside 0..classes-1.
Tensor one_hot(const std::vector<int>& labels, std::size_t classes);

}  // namespace dlfs
