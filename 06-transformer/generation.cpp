#include "06-transformer/generation.hpp"

#include <omp.h>

#include <stdexcept>

namespace dlfs {

namespace {

void check_prompt(const GPT& model, const std::vector<int>& prompt) {
  if (prompt.empty()) throw std::invalid_argument("generate: the prompt must hold at least one character");
  if (prompt.size() > model.config().context)
    throw std::invalid_argument("generate: the prompt holds " + std::to_string(prompt.size()) +
                                " characters, more than the model's context of " +
                                std::to_string(model.config().context));
}

// ids[begin, end) as a (1, end - begin) batch of floats.
Tensor as_batch(const std::vector<int>& ids, std::size_t begin, std::size_t end) {
  Tensor x = Tensor::uninitialized({1, end - begin});  // (1, T)
  for (std::size_t t = begin; t < end; ++t) x[t - begin] = float(ids[t]);
  return x;
}

// The scores of the character after the last position of logits (1, T, V).
std::size_t draw_next(const Tensor& logits, const SamplingOptions& options, Rng& rng) {
  const std::size_t V = logits.shape().back();
  return sample_logits(logits.data() + logits.size() - V, V, options, rng);
}

// For the generation: the model in evaluation mode, and one OpenMP thread. One sequence, one new
// position at a time, is far too little work to share, and when the machine is busy a second
// thread only makes the first wait for it: sampling ran ten times slower with two (README). Both
// are put back when the generation ends.
class GenerationScope {
 public:
  explicit GenerationScope(GPT& model)
      : model_(model), was_training_(model.training()), threads_(omp_get_max_threads()) {
    model_.set_training(false);
    omp_set_num_threads(1);
  }
  ~GenerationScope() {
    model_.clear_cache();  // frees the cached keys and values
    model_.set_training(was_training_);
    omp_set_num_threads(threads_);
  }
  GenerationScope(const GenerationScope&) = delete;
  GenerationScope& operator=(const GenerationScope&) = delete;

 private:
  GPT& model_;
  bool was_training_;
  int threads_;
};

}  // namespace

std::vector<int> generate(GPT& model, const std::vector<int>& prompt, std::size_t count,
                          const SamplingOptions& options, Rng& rng) {
  check_prompt(model, prompt);
  GenerationScope scope(model);
  const std::size_t C = model.config().context, keep = C / 2;
  std::vector<int> text = prompt;  // everything so far
  model.clear_cache();
  Tensor logits = model.forward_cached(as_batch(text, 0, text.size()));  // (1, P, V)
  std::vector<int> out;
  out.reserve(count);
  while (out.size() < count) {
    out.push_back(int(draw_next(logits, options, rng)));
    if (out.size() == count) break;  // no need for the scores after the last one
    text.push_back(out.back());
    if (model.cache_length() < C) {
      logits = model.forward_cached(as_batch(text, text.size() - 1, text.size()));  // (1, 1, V): one new position
    } else {
      // The cache is full: start again from the last C / 2 characters and the new one.
      model.clear_cache();
      logits = model.forward_cached(as_batch(text, text.size() - 1 - keep, text.size()));  // (1, keep + 1, V)
    }
  }
  return out;
}

std::vector<int> generate_recomputing(GPT& model, const std::vector<int>& prompt, std::size_t count,
                                      const SamplingOptions& options, Rng& rng) {
  check_prompt(model, prompt);
  GenerationScope scope(model);
  const std::size_t C = model.config().context, keep = C / 2;
  std::vector<int> text = prompt;
  std::size_t begin = 0;  // the window is text[begin, end): what the cache would hold
  std::vector<int> out;
  out.reserve(count);
  while (out.size() < count) {
    const Tensor logits = model.forward(as_batch(text, begin, text.size()));  // (1, T, V)
    out.push_back(int(draw_next(logits, options, rng)));
    text.push_back(out.back());
    // The rule generate() follows: a full window starts again from its last C / 2 characters.
    if (text.size() - 1 - begin == C) begin = text.size() - 1 - keep;
  }
  return out;
}

}  // namespace dlfs
