// Sampling text from a GPT, one character at a time, with a key-value cache.
//
// Each drawn character is appended and the model asked for the next one. Recomputing the whole
// window for every new character costs a full forward pass over up to `context` positions per
// character: O(T^2 D + T D^2) for the window. With the key-value cache (attention.hpp) the prompt
// goes through once, and every later step feeds one new position, which attends over the cached
// keys and values: O(T D + D^2) per character.
//
// The window. Positions only go up to the context C (the learned table has C rows). When the
// cache is full, the model starts again from the last C / 2 characters: they go through as one
// chunk that refills the cache, and generation continues one character at a time. (Sliding the
// window by one character instead would change every cached position, and with it every cached
// key and value.) So past the context, the model sees between C / 2 + 1 and C characters.
//
// generate_recomputing follows the same window rule with full forward passes and no cache: the
// test that the two draw the same characters is the test of the cache.
#pragma once

#include <cstddef>
#include <vector>

#include "04-rnn/sampling.hpp"
#include "06-transformer/gpt.hpp"

namespace dlfs {

// Feeds prompt (ids, 1 to context of them) through the model, then draws `count` ids one after
// another with chapter 04's sample_logits (temperature, top-k). Returns the drawn ids (the prompt
// not included). The model is in evaluation mode and OpenMP on one thread for the generation,
// and both back as they were afterwards. Throws std::invalid_argument on an empty prompt or one longer than the context.
std::vector<int> generate(GPT& model, const std::vector<int>& prompt, std::size_t count,
                          const SamplingOptions& options, Rng& rng);

// The same draws without the cache: a full forward pass over the window for every character.
std::vector<int> generate_recomputing(GPT& model, const std::vector<int>& prompt, std::size_t count,
                                      const SamplingOptions& options, Rng& rng);

}  // namespace dlfs
