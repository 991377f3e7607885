// The character language model: windows, the first loss, memorizing a text through the Trainer,
// sampling (temperature, top-k, greedy generation in stateful mode), model files and their errors.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "02-mlp/losses.hpp"
#include "04-rnn/char_model.hpp"
#include "04-rnn/sampling.hpp"
#include "04-rnn/utf8.hpp"
#include "07-optimizers/clipping.hpp"
#include "07-optimizers/make_optimizer.hpp"
#include "08-utilities/data_loader.hpp"
#include "08-utilities/trainer.hpp"
#include "tests/support/require_close.hpp"
#include "tests/support/tmp.hpp"

using namespace dlfs;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

std::vector<int> random_ids(std::size_t n, std::size_t vocabulary, Rng& rng) {
  std::vector<int> ids(n);
  for (int& id : ids) id = int(rng.below(vocabulary));
  return ids;
}

// The index of the largest of logits[0, count).
std::size_t argmax_of(const float* logits, std::size_t count) {
  return std::size_t(std::max_element(logits, logits + count) - logits);
}

CharModelConfig small_config(const std::string& cell) { return {cell, 8, 16, 2}; }

}  // namespace

TEST_CASE("Text windows hold T inputs and, at each position, the next character as its target", "[04-rnn][charlm][windows]") {
  std::vector<int> ids(21);
  for (int i = 0; i < 21; ++i) ids[std::size_t(i)] = i;
  const Examples windows = text_windows(ids, 5);
  REQUIRE(windows.size() == 4);  // (21 - 1) / 5: consecutive windows share one character
  const Tensor x = windows.inputs({1, 3});  // (2, 5)
  REQUIRE(x.shape() == Shape{2, 5});
  CHECK(x(0, 0) == 5.0f);
  CHECK(x(0, 4) == 9.0f);
  CHECK(x(1, 0) == 15.0f);
  const Targets y = windows.targets.rows({1, 3});
  CHECK(y.kind == Targets::Kind::class_per_position);
  CHECK(y.positions == 5);
  CHECK(y.labels == std::vector<int>{6, 7, 8, 9, 10, 16, 17, 18, 19, 20});
  CHECK_THROWS_WITH(text_windows({1, 2, 3}, 5), Contains("3 characters do not fill one window of 5 + 1"));
}

TEST_CASE("An untrained character model's loss is ln V: every character equally likely", "[04-rnn][charlm][loss]") {
  for (const std::string& cell : kCellNames) {
    INFO(cell);
    Rng rng(3);
    const std::size_t V = 97;
    Sequential model = make_char_model({cell, 64, 256, 1}, V, rng);  // the example's default sizes
    const Examples windows = text_windows(random_ids(8 * 32 + 1, V, rng), 32);
    const Tensor logits = model.forward(windows.inputs({0, 1, 2, 3, 4, 5, 6, 7}));  // (8, 32, V)
    CHECK(logits.shape() == Shape{8, 32, V});
    const double loss = softmax_cross_entropy(logits, windows.targets.rows({0, 1, 2, 3, 4, 5, 6, 7})).loss;
    CHECK(loss == Approx(std::log(double(V))).epsilon(0.02));
  }
}

TEST_CASE("A tiny model trained by the Trainer memorizes a short text, and greedy sampling gives it back",
          "[04-rnn][charlm][train]") {
  const std::u32string text = decode_utf8("Sing, O goddess, the anger of Achilles.").text;  // 39 characters
  const Vocabulary vocabulary = Vocabulary::from_text(text);
  const std::vector<int> ids = vocabulary.encode(text);
  const Examples one_window = text_windows(ids, ids.size() - 1);  // the whole text: 38 inputs, 38 targets
  Rng rng(5);
  Sequential model = make_char_model({"lstm", 16, 32, 1}, vocabulary.size(), rng);
  std::unique_ptr<Optimizer> adam = make_optimizer("adam", model.parameters(), 0.01f);
  ClipGradNorm clipped(*adam, model.parameters(), 1.0f);
  DataLoader loader(one_window, {1, true, false, {}}, Rng(6));
  Trainer trainer(model, clipped, loader);
  const std::vector<EpochLog> logs = trainer.fit(300);
  CHECK(logs.front().train.loss == Approx(std::log(double(vocabulary.size()))).epsilon(0.05));
  CHECK(logs.back().train.loss < 0.05);
  CHECK(logs.back().train.accuracy == 1.0);
  // From its first character alone, the model now spells out the rest.
  Rng sampler(7);
  const std::vector<int> rest = generate(model, {ids[0]}, ids.size() - 1, {0.0f, 0}, sampler);
  CHECK(encode_utf8(vocabulary.decode(rest)) == encode_utf8(text.substr(1)));
}

TEST_CASE("Temperature 0, or one close to 0, always draws the largest logit", "[04-rnn][charlm][sampling]") {
  const float logits[] = {1.0f, 2.5f, 2.49f, -3.0f};
  Rng rng(8);
  for (int draw = 0; draw < 1000; ++draw) {
    REQUIRE(sample_logits(logits, 4, {0.0f, 0}, rng) == 1);
    REQUIRE(sample_logits(logits, 4, {1e-4f, 0}, rng) == 1);  // exp(-0.01 / 1e-4) = e^-100 for the runner-up
  }
  CHECK_THROWS_WITH(sample_logits(logits, 4, {-1.0f, 0}, rng), Contains("temperature must be >= 0"));
  CHECK_THROWS_WITH(sample_logits(logits, 4, {NAN, 0}, rng), Contains("temperature must be >= 0"));
}

TEST_CASE("Temperature 1 draws from the softmax, top-k from the k most likely renormalized", "[04-rnn][charlm][sampling]") {
  const float logits[] = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  Rng rng(9);
  const int draws = 20000;
  std::vector<double> all(3, 0.0), top2(3, 0.0), cooled(3, 0.0);
  for (int d = 0; d < draws; ++d) {
    all[sample_logits(logits, 3, {1.0f, 0}, rng)] += 1.0 / draws;
    top2[sample_logits(logits, 3, {1.0f, 2}, rng)] += 1.0 / draws;
    cooled[sample_logits(logits, 3, {0.5f, 0}, rng)] += 1.0 / draws;  // p^2 renormalized: 25, 9, 4 over 38
  }
  // Standard errors are below 0.004 here: 0.015 is about four of them.
  CHECK(all[0] == Approx(0.5).margin(0.015));
  CHECK(all[1] == Approx(0.3).margin(0.015));
  CHECK(all[2] == Approx(0.2).margin(0.015));
  CHECK(top2[0] == Approx(0.625).margin(0.015));
  CHECK(top2[1] == Approx(0.375).margin(0.015));
  CHECK(top2[2] == 0.0);
  CHECK(cooled[0] == Approx(25.0 / 38).margin(0.015));
  CHECK(cooled[2] == Approx(4.0 / 38).margin(0.015));
}

TEST_CASE("Generating step by step in stateful mode equals running the whole text through the model",
          "[04-rnn][charlm][sampling]") {
  for (const std::string& cell : kCellNames) {
    INFO(cell);
    Rng rng(10);
    const std::size_t V = 10;
    Sequential model = make_char_model(small_config(cell), V, rng);
    const std::vector<int> prompt = {3, 1, 4};
    Rng sampler(11);
    const std::vector<int> drawn = generate(model, prompt, 12, {0.0f, 0}, sampler);  // greedy
    CHECK_FALSE(recurrent_layer(model).stateful());  // back to its usual mode
    // The whole text at once, from a zero state: each drawn id is the argmax after its prefix.
    std::vector<int> all = prompt;
    all.insert(all.end(), drawn.begin(), drawn.end());
    Tensor x({1, all.size() - 1});  // (1, n - 1): every id but the last
    for (std::size_t t = 0; t + 1 < all.size(); ++t) x[t] = float(all[t]);
    const Tensor logits = model.forward(x);  // (1, n - 1, V)
    for (std::size_t k = 0; k < drawn.size(); ++k) {
      const std::size_t position = prompt.size() - 1 + k;
      CHECK(int(argmax_of(logits.data() + position * V, V)) == drawn[k]);
    }
  }
}

TEST_CASE("Stateful evaluation in chunks equals reading each stream whole from a zero state", "[04-rnn][charlm][stateful]") {
  for (const std::string& cell : kCellNames) {
    INFO(cell);
    Rng rng(14);
    const std::size_t V = 7;
    Sequential model = make_char_model(small_config(cell), V, rng);
    const std::vector<int> ids = random_ids(22, V, rng);  // 2 streams of 10 predictions, 1 id left over
    const Metrics chunked = evaluate_stateful(model, ids, 2, 4);  // chunks of 4, 4 and 2 steps
    CHECK_FALSE(recurrent_layer(model).stateful());
    // The reference: each stream in one forward pass, (1, 10), no state carried from anywhere.
    double loss = 0.0;
    for (std::size_t b = 0; b < 2; ++b) {
      const Examples whole = text_windows({ids.begin() + std::ptrdiff_t(b * 10), ids.begin() + std::ptrdiff_t(b * 10 + 11)}, 10);
      const Tensor logits = model.forward(whole.inputs({0}));
      loss += softmax_cross_entropy(logits, whole.targets.rows({0})).loss / 2;
    }
    CHECK(chunked.loss == Approx(loss).epsilon(1e-5));
    CHECK(chunked.bits_per_token == Approx(loss / std::log(2.0)).epsilon(1e-5));
    // Windows from a zero state see less context, so they give another number.
    CHECK(evaluate_stateful(model, ids, 2, 10).loss == Approx(loss).epsilon(1e-5));
    CHECK(std::abs(evaluate_stateful(model, ids, 5, 2).loss - loss) > 1e-4);
  }
}

TEST_CASE("A saved character model loads back with its architecture, vocabulary and outputs", "[04-rnn][charlm][files]") {
  const std::string dir = test::scratch_dir("04-rnn-charlm-files");
  const Vocabulary vocabulary = Vocabulary::from_text(U"\n %abcdefg\u00E9");
  Rng rng(12);
  Sequential model = make_char_model(small_config("gru"), vocabulary.size(), rng);
  save_char_model(dir + "/m.safetensors", model, small_config("gru"), vocabulary, U"%\n", {{"val_bits_per_char", "2.1"}});

  CharModel loaded = load_char_model(dir + "/m.safetensors");
  CHECK(loaded.config.cell == "gru");
  CHECK(loaded.config.embedding == 8);
  CHECK(loaded.config.hidden == 16);
  CHECK(loaded.config.layers == 2);
  CHECK(loaded.vocabulary.characters() == vocabulary.characters());
  CHECK(loaded.start == U"%\n");
  CHECK(loaded.metadata.at("val_bits_per_char") == "2.1");
  const Tensor x({2, 3}, {0, 1, 2, 3, 4, 10});  // (2, 3) ids
  test::require_close(loaded.model.forward(x), model.forward(x), 0.0, 0.0);
}

TEST_CASE("A character model's parameter count by the formula is the built model's", "[04-rnn][charlm][files]") {
  for (const std::string& cell : kCellNames)
    for (const std::size_t layers : {1, 2, 3}) {
      const CharModelConfig config{cell, 5, 7, layers};
      Rng rng(1);
      Sequential model = make_char_model(config, 11, rng);
      INFO(cell << ", " << layers << " layers");
      CHECK(char_model_parameter_count(config, 11) == parameter_count(model));
    }
  // Sizes a corrupted file may hold: the count saturates instead of wrapping around to a small number.
  CHECK(char_model_parameter_count({"lstm", 999999999, 999999999, 999999999}, 1000) == std::size_t(-1));
}

TEST_CASE("A file whose metadata describe a larger model than its values is refused before the model is built",
          "[04-rnn][charlm][files]") {
  // Building first would ask for 48 GB ("hidden": "999999999"); tests/fuzz/regressions/char_model/
  // holds such a file too.
  const std::string path = test::scratch_dir("04-rnn-charlm-huge") + "/huge.safetensors";
  const Vocabulary vocabulary = Vocabulary::from_text(U"abc\n");
  Rng rng(14);
  Sequential model = make_char_model(small_config("lstm"), vocabulary.size(), rng);
  const Metadata huge = {{"model", "charlm"}, {"cell", "lstm"}, {"embedding", "8"}, {"hidden", "999999999"},
                         {"layers", "2"}, {"vocabulary", vocabulary.to_metadata()}, {"start", "10"}};
  save_model(path, model.name(), named_values(model.parameters()), huge);
  CHECK_THROWS_WITH(load_char_model(path), Contains(path + ": its metadata (lstm, embedding 8, hidden 999999999, 2 layers, "
                                                           "4 characters) describe a model of") &&
                                               Contains("parameters, but the file holds " +
                                                        std::to_string(parameter_count(model)) + " values"));
}

TEST_CASE("A truncated, foreign or inconsistent model file is a clear error naming the file", "[04-rnn][charlm][files]") {
  const std::string dir = test::scratch_dir("04-rnn-charlm-errors");
  const Vocabulary vocabulary = Vocabulary::from_text(U"abc\n");
  Rng rng(13);
  Sequential model = make_char_model(small_config("lstm"), vocabulary.size(), rng);
  const std::string path = dir + "/m.safetensors";
  save_char_model(path, model, small_config("lstm"), vocabulary, U"\n");

  const std::string truncated = dir + "/truncated.safetensors";
  fs::copy_file(path, truncated);
  fs::resize_file(truncated, fs::file_size(path) / 2);
  CHECK_THROWS_WITH(load_char_model(truncated), Contains(truncated + ":"));
  CHECK_THROWS_WITH(load_char_model(dir + "/missing.safetensors"), Contains(dir + "/missing.safetensors"));

  // A model file, but not of a character model.
  save_model(dir + "/other.safetensors", model.name(), named_values(model.parameters()));
  CHECK_THROWS_WITH(load_char_model(dir + "/other.safetensors"), Contains("other.safetensors: not a character model"));
  // Metadata that does not describe a model.
  const Metadata bad = {{"model", "charlm"}, {"cell", "lstm"}, {"embedding", "8"}, {"hidden", "sixteen"},
                        {"layers", "2"}, {"vocabulary", vocabulary.to_metadata()}, {"start", "10"}};
  save_model(dir + "/bad.safetensors", model.name(), named_values(model.parameters()), bad);
  CHECK_THROWS_WITH(load_char_model(dir + "/bad.safetensors"),
                    Contains("bad.safetensors: metadata 'hidden' is 'sixteen', not a positive integer"));
  // Metadata that describes another model than the weights: load_model's architecture check.
  Metadata wider = bad;
  wider["hidden"] = "17";
  save_model(dir + "/wider.safetensors", model.name(), named_values(model.parameters()), wider);
  CHECK_THROWS_WITH(load_char_model(dir + "/wider.safetensors"), Contains("wider.safetensors"));
}
