// Sampling text from a character model, one character at a time.
//
// The model's output at the last position is a score (logit) z_j for every character j. Divided
// by a temperature τ and put through the softmax they become a distribution to draw from:
//
//   p_j = exp(z_j / τ) / Σ_k exp(z_k / τ)
//
// τ = 1 samples the model's own distribution; τ < 1 sharpens it (safer, more repetitive text);
// τ > 1 flattens it (more surprising, more mistakes). As τ -> 0 all the mass goes to the largest
// logit: τ = 0 is greedy decoding, the argmax at every step. Top-k sampling first keeps only the
// k largest logits, so a character the model finds very unlikely can never be drawn.
//
// Generation feeds each drawn character back in as the next input. Re-running the whole text
// through the network for every new character would cost O(n^2); instead the recurrent layer runs
// in stateful mode (recurrent.hpp): the prompt goes through once, and then every step is a
// sequence of length 1 that starts from the state the previous step ended in.
#pragma once

#include <cstddef>
#include <vector>

#include "02-mlp/sequential.hpp"
#include "common/random.hpp"

namespace dlfs {

struct SamplingOptions {
  float temperature = 1.0f;  // τ >= 0; 0 is greedy (argmax)
  std::size_t top_k = 0;     // 0: all characters; else only the k most likely (ties with the k-th kept)
};

// Draws one index from logits[0, count) as described above. Throws std::invalid_argument on a
// negative or NaN temperature or on count == 0.
std::size_t sample_logits(const float* logits, std::size_t count, const SamplingOptions& options, Rng& rng);

// Feeds prompt (ids, at least one) through a character model (char_model.hpp), then draws `count`
// ids one after another. Returns the drawn ids (the prompt not included). The model's recurrent
// layer is put in stateful mode for the generation and back in its usual mode afterwards.
std::vector<int> generate(Sequential& model, const std::vector<int>& prompt, std::size_t count,
                          const SamplingOptions& options, Rng& rng);

}  // namespace dlfs
