#include "04-rnn/sampling.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>

#include "04-rnn/char_model.hpp"

namespace dlfs {

std::size_t sample_logits(const float* logits, std::size_t count, const SamplingOptions& options, Rng& rng) {
  if (count == 0) throw std::invalid_argument("sample_logits: no logits to sample from");
  if (!(options.temperature >= 0.0f))
    throw std::invalid_argument("sample_logits: the temperature must be >= 0 (0 is greedy)");
  const std::size_t best = std::size_t(std::max_element(logits, logits + count) - logits);
  if (options.temperature == 0.0f) return best;

  // Top-k: the k-th largest logit is the threshold; everything below it gets probability 0.
  float threshold = -INFINITY;
  if (options.top_k > 0 && options.top_k < count) {
    std::vector<float> sorted(logits, logits + count);
    std::nth_element(sorted.begin(), sorted.begin() + std::ptrdiff_t(options.top_k - 1), sorted.end(),
                     std::greater<float>());
    threshold = sorted[options.top_k - 1];
  }
  // exp((z_j - max) / τ): the largest term is exp(0) = 1, so nothing overflows even as τ -> 0
  // (then every other term underflows to 0 and the draw is the argmax, as it should be).
  const float top = logits[best];
  std::vector<double> weights(count, 0.0);
  double total = 0.0;
  for (std::size_t j = 0; j < count; ++j)
    if (logits[j] >= threshold) total += weights[j] = std::exp(double(logits[j] - top) / double(options.temperature));
  // Inverse transform: the first j whose running sum passes u * total.
  const double u = double(rng.uniform()) * total;
  double running = 0.0;
  for (std::size_t j = 0; j < count; ++j) {
    running += weights[j];
    if (u < running) return j;
  }
  return best;  // u landed on the rounding error at the very end
}

std::vector<int> generate(Sequential& model, const std::vector<int>& prompt, std::size_t count,
                          const SamplingOptions& options, Rng& rng) {
  if (prompt.empty()) throw std::invalid_argument("generate: the prompt must hold at least one character");
  StatefulScope stateful(model);
  Tensor input({1, prompt.size()});  // (1, P) ids as floats
  for (std::size_t t = 0; t < prompt.size(); ++t) input[t] = float(prompt[t]);
  std::vector<int> out;
  out.reserve(count);
  while (out.size() < count) {
    const Tensor logits = model.forward(input);  // (1, P, V), then (1, 1, V)
    const std::size_t V = logits.shape().back();
    const float* last = logits.data() + logits.size() - V;  // the scores for the next character
    out.push_back(int(sample_logits(last, V, options, rng)));
    input = Tensor({1, 1}, float(out.back()));
  }
  return out;
}

}  // namespace dlfs
