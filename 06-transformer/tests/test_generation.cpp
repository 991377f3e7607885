#include <omp.h>

#include <catch2/catch.hpp>

#include "06-transformer/generation.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

// A small GPT with weights well away from its initialization, so that its predictions vary.
std::unique_ptr<GPT> random_gpt(std::uint64_t seed, std::size_t context = 8) {
  Rng rng(seed);
  GPTConfig c;
  c.vocabulary = 13;
  c.context = context;
  c.width = 12;
  c.heads = 3;
  c.layers = 2;
  auto gpt = std::make_unique<GPT>(c, rng);
  for (Parameter* p : gpt->parameters()) rng.fill_normal(p->value, 0.0f, 0.5f);
  return gpt;
}

}  // namespace

TEST_CASE("the GPT fed through its key-value cache in chunks gives the logits of one whole forward pass",
          "[06-transformer][generation][cache]") {
  auto gpt = random_gpt(1);
  Rng rng(2);
  Tensor ids({2, 8});
  for (float& id : ids) id = float(rng.below(13));
  const Tensor whole = gpt->forward(ids);  // (2, 8, 13)
  gpt->clear_cache();
  std::size_t begin = 0;
  for (std::size_t chunk : {3, 1, 1, 3}) {
    Tensor part({2, chunk}), expected({2, chunk, 13});
    for (std::size_t b = 0; b < 2; ++b)
      for (std::size_t t = 0; t < chunk; ++t) {
        part(b, t) = ids(b, begin + t);
        for (std::size_t v = 0; v < 13; ++v) expected(b, t, v) = whole(b, begin + t, v);
      }
    INFO("positions " << begin << " to " << begin + chunk - 1);
    require_close(gpt->forward_cached(part), expected, 1e-5, 1e-5);
    begin += chunk;
  }
  CHECK(gpt->cache_length() == 8);
  CHECK_THROWS_WITH(gpt->forward_cached(Tensor({2, 1})), Catch::Contains("8 cached tokens and 1 new ones are more than the context of 8"));
}

TEST_CASE("generation with the key-value cache draws the same characters as full recomputation, past the context",
          "[06-transformer][generation][cache]") {
  auto gpt = random_gpt(3);
  const std::vector<int> prompt = {4, 1, 7};
  for (const SamplingOptions& options : {SamplingOptions{0.0f, 0}, SamplingOptions{1.0f, 0}, SamplingOptions{0.8f, 4}}) {
    INFO("temperature " << options.temperature << ", top-k " << options.top_k);
    Rng cached_rng(4), recomputing_rng(4);
    // 40 characters with a context of 8: the window starts again from its last 4 characters 9 times.
    const std::vector<int> cached = generate(*gpt, prompt, 40, options, cached_rng);
    const std::vector<int> recomputed = generate_recomputing(*gpt, prompt, 40, options, recomputing_rng);
    CHECK(cached == recomputed);
    CHECK(cached.size() == 40);
  }
}

TEST_CASE("greedy generation continues with the argmax of a forward pass over the prompt", "[06-transformer][generation]") {
  auto gpt = random_gpt(5);
  const std::vector<int> prompt = {2, 9, 9, 0, 12};
  Rng rng(6);
  const std::vector<int> next = generate(*gpt, prompt, 1, {0.0f, 0}, rng);
  Tensor ids({1, 5});
  for (std::size_t t = 0; t < 5; ++t) ids[t] = float(prompt[t]);
  const Tensor logits = gpt->forward(ids);  // (1, 5, 13)
  std::size_t best = 0;
  for (std::size_t v = 1; v < 13; ++v)
    if (logits(0, 4, v) > logits(0, 4, best)) best = v;
  REQUIRE(next.size() == 1);
  CHECK(next[0] == int(best));
}

TEST_CASE("generation leaves the model as it found it: its mode, an empty cache, and the thread count",
          "[06-transformer][generation]") {
  auto gpt = random_gpt(7);
  Rng rng(8);
  omp_set_num_threads(2);
  generate(*gpt, {1, 2}, 10, {1.0f, 0}, rng);
  CHECK(gpt->training());
  CHECK(gpt->cache_length() == 0);
  CHECK(omp_get_max_threads() == 2);
  gpt->set_training(false);
  generate(*gpt, {1, 2}, 10, {1.0f, 0}, rng);
  CHECK(!gpt->training());
}

TEST_CASE("an empty prompt and a prompt longer than the context are refused", "[06-transformer][generation]") {
  auto gpt = random_gpt(9);
  Rng rng(10);
  CHECK_THROWS_WITH(generate(*gpt, {}, 5, {1.0f, 0}, rng), Catch::Contains("at least one character"));
  CHECK_THROWS_WITH(generate(*gpt, std::vector<int>(9, 1), 5, {1.0f, 0}, rng),
                    Catch::Contains("the prompt holds 9 characters, more than the model's context of 8"));
  CHECK_THROWS_WITH(generate_recomputing(*gpt, std::vector<int>(9, 1), 5, {1.0f, 0}, rng),
                    Catch::Contains("more than the model's context of 8"));
  CHECK(generate(*gpt, std::vector<int>(8, 1), 3, {1.0f, 0}, rng).size() == 3);  // exactly the context is fine
}
