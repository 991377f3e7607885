// Attention maps: where each head of each layer looks, for one piece of text, as an SVG image.
//
// A panel per head, one row of panels per layer. In a panel, row i is the query position (the
// character whose next character is being predicted) and column j a key position; the darker the
// cell, the larger the weight P_ij (attention.hpp), on a fixed scale from 0 (white) to 1. Each row
// sums to 1, and everything right of the diagonal is blank: the causal mask.
#pragma once

#include <string>
#include <vector>

#include "common/tensor.hpp"

namespace dlfs {

// weights[l] is layer l's P for one sequence, (H, T, T) (or (1, H, T, T)); labels are the T
// characters, already printable (see printable_character). Throws std::invalid_argument on
// mismatched shapes and std::runtime_error naming the path when it cannot be written.
void write_attention_maps(const std::string& path, const std::string& title, const std::vector<Tensor>& weights,
                          const std::vector<std::string>& labels);

// A character as a label: itself, or a visible stand-in for a blank ("␣" for a space, "⏎" for a
// newline, "⇥" for a tab), as UTF-8.
std::string printable_character(char32_t c);

}  // namespace dlfs
