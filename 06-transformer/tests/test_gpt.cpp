#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "02-mlp/losses.hpp"
#include "04-rnn/char_model.hpp"
#include "05-regularization/tests/layer_checks.hpp"
#include "06-transformer/gpt.hpp"
#include "07-optimizers/adam.hpp"
#include "08-utilities/trainer.hpp"
#include "tests/support/tmp.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

GPTConfig tiny_config(bool tied, const std::string& positions) {
  GPTConfig c;
  c.vocabulary = 11;
  c.context = 8;
  c.width = 16;
  c.heads = 2;
  c.layers = 2;
  c.tied = tied;
  c.positions = positions;
  return c;
}

std::vector<int> as_labels(const Tensor& t) {
  std::vector<int> labels(t.size());
  for (std::size_t i = 0; i < t.size(); ++i) labels[i] = int(t[i]);
  return labels;
}

// Logits and loss to 1e-4, every parameter's gradient to 1e-3 relative, and the losses of five
// AdamW steps, against the PyTorch fixture.
void check_against_pytorch(const std::string& fixture, const GPTConfig& config) {
  const SafetensorsFile file = read_fixture(fixture);
  Rng rng(0);
  GPT gpt(config, rng);
  load_fixture_state(gpt, file);  // every one of our parameters, by name and shape
  const Tensor& ids = fixture_tensor(file, "ids");  // (B, T)
  const Targets targets = Targets::per_position(as_labels(fixture_tensor(file, "targets")), ids.dim(1));

  const Tensor logits = gpt.forward(ids);
  require_close(logits, fixture_tensor(file, "logits"), 1e-4, 1e-4);
  const LossAndGrad loss = softmax_cross_entropy(logits, targets);
  CHECK(loss.loss == Approx(fixture_tensor(file, "loss")[0]).epsilon(1e-4));
  gpt.zero_grad();
  gpt.backward(loss.grad);
  for (Parameter* p : gpt.parameters()) {
    INFO("gradient of " << p->name);
    require_close(p->grad, fixture_tensor(file, "grad." + p->name), 1e-6, 1e-3);
  }
  // PyTorch's grad list holds exactly our parameters: none missing, none extra (a tied head has none).
  std::size_t gradients = 0;
  for (const auto& [name, tensor] : file.tensors) gradients += name.rfind("grad.", 0) == 0;
  CHECK(gradients == gpt.parameters().size());

  AdamW adamw(gpt.parameters(), 1e-2f);  // PyTorch's defaults otherwise, weight decay 0.01
  const Tensor& expected = fixture_tensor(file, "adamw.losses");
  for (std::size_t step = 0; step < expected.size(); ++step) {
    gpt.zero_grad();
    const LossAndGrad l = softmax_cross_entropy(gpt.forward(ids), targets);
    INFO("AdamW step " << step);
    CHECK(l.loss == Approx(expected[step]).epsilon(1e-4));
    if (step + 1 == expected.size()) break;
    gpt.backward(l.grad);
    adamw.step();
  }
}

}  // namespace

TEST_CASE("a tiny GPT (learned positions, tied head) matches PyTorch: logits, loss, every gradient, five AdamW steps",
          "[06-transformer][gpt][pytorch]") {
  check_against_pytorch("gpt.safetensors", tiny_config(true, "learned"));
}

TEST_CASE("a tiny GPT (sinusoidal positions, untied head, a window shorter than the context) matches PyTorch",
          "[06-transformer][gpt][pytorch]") {
  check_against_pytorch("gpt_untied.safetensors", tiny_config(false, "sinusoidal"));
}

TEST_CASE("the causal mask hides the future: changing token t + 1 leaves the logits of positions 0..t unchanged, bit for bit",
          "[06-transformer][gpt][causal]") {
  Rng rng(1);
  GPT gpt(tiny_config(true, "learned"), rng);
  for (Parameter* p : gpt.parameters()) rng.fill_normal(p->value, 0.0f, 0.3f);  // well away from the small init
  const std::size_t B = 2, T = 8, V = 11;
  Tensor ids({B, T});
  for (float& id : ids) id = float(rng.below(V));
  const Tensor before = gpt.forward(ids);  // (B, T, V)
  for (std::size_t t = 0; t + 1 < T; ++t) {
    Tensor changed = ids;
    for (std::size_t b = 0; b < B; ++b) changed(b, t + 1) = float((std::size_t(ids(b, t + 1)) + 1) % V);
    const Tensor after = gpt.forward(changed);
    INFO("token " << t + 1 << " changed");
    for (std::size_t b = 0; b < B; ++b) {
      // positions 0..t: the same bits
      CHECK(std::memcmp(before.data() + b * T * V, after.data() + b * T * V, (t + 1) * V * sizeof(float)) == 0);
      // position t + 1 does see its own token
      CHECK(std::memcmp(before.data() + (b * T + t + 1) * V, after.data() + (b * T + t + 1) * V, V * sizeof(float)) != 0);
    }
  }
}

TEST_CASE("the GPT's backward matches central differences for every parameter, tied and untied",
          "[06-transformer][gpt][grad]") {
  for (bool tied : {true, false}) {
    INFO((tied ? "tied, learned positions" : "untied, sinusoidal positions"));
    Rng rng(tied ? 2 : 3);
    GPTConfig config = tiny_config(tied, tied ? "learned" : "sinusoidal");
    config.width = 8;
    config.vocabulary = 7;
    config.context = 5;
    GPT gpt(config, rng);
    for (Parameter* p : gpt.parameters()) rng.fill_normal(p->value, 0.0f, 0.3f);
    Tensor ids({2, 5});
    for (float& id : ids) id = float(rng.below(7));
    const Tensor g = random_tensor({2, 5, 7}, rng);
    auto loss = [&] { return dot(gpt.forward(ids), g); };
    loss();
    gpt.zero_grad();
    CHECK(gpt.backward(g).empty());  // ids have no gradient
    for (Parameter* p : gpt.parameters()) {
      INFO("dL/d" << p->name);
      const Tensor analytic = p->grad;
      require_close(analytic, numerical_gradient(loss, p->value, 1e-2), 3e-3, 3e-3);
    }
  }
}

TEST_CASE("the GPT's gradients from two half batches add up to the whole batch's, tied and untied",
          "[06-transformer][gpt][grad]") {
  // Every backward adds into .grad (micro-batches and replicas rely on it): a layer that overwrote
  // its gradient would keep only the second half's. L = sum(y G) is a sum over the examples, so
  // its gradient is the sum of the halves'.
  for (bool tied : {true, false}) {
    INFO((tied ? "tied, learned positions" : "untied, sinusoidal positions"));
    Rng rng(tied ? 4 : 5);
    GPTConfig config = tiny_config(tied, tied ? "learned" : "sinusoidal");
    GPT gpt(config, rng);
    const std::size_t T = config.context, V = config.vocabulary;
    Tensor ids({4, T});  // (B, T)
    for (float& id : ids) id = float(rng.below(V));
    const Tensor g = random_tensor({4, T, V}, rng);  // (B, T, V)
    gpt.zero_grad();
    gpt.forward(ids);
    gpt.backward(g);
    std::vector<Tensor> whole;
    for (Parameter* p : gpt.parameters()) whole.push_back(p->grad);
    gpt.zero_grad();
    for (std::size_t half : {0, 1}) {
      gpt.forward(slice_rows(ids, 2 * half, 2 * half + 2));
      gpt.backward(slice_rows(g, 2 * half, 2 * half + 2));
    }
    std::size_t i = 0;
    for (Parameter* p : gpt.parameters()) {
      INFO("dL/d" << p->name);
      require_close(p->grad, whole[i++], 1e-5, 1e-4);
    }
  }
}

TEST_CASE("an untrained GPT of the example's size gives every character about 1/V: a first loss near ln V",
          "[06-transformer][gpt]") {
  Rng rng(4);
  GPTConfig config;
  config.vocabulary = 105;
  GPT gpt(config, rng);
  Tensor ids({4, 64});
  std::vector<int> labels(4 * 64);  // drawn apart from the ids: a tied head favours the input character itself
  for (std::size_t i = 0; i < ids.size(); ++i) {
    ids[i] = float(rng.below(105));
    labels[i] = int(rng.below(105));
  }
  const double loss = softmax_cross_entropy(gpt.forward(ids), Targets::per_position(labels, 64)).loss;
  CHECK(loss == Approx(std::log(105.0)).epsilon(0.02));
  CHECK(parameter_count(gpt) == 105 * 128 + 64 * 128 + 4 * (12 * 128 * 128 + 13 * 128) + 2 * 128);
}

TEST_CASE("a fixed-seed GPT trained by the Trainer pins its first losses, and the loss falls",
          "[06-transformer][gpt][train]") {
  // A 40-character line repeated: after a few dozen AdamW steps the model predicts it well.
  std::u32string text;
  for (int i = 0; i < 30; ++i) text += U"the quick brown fox jumps over a lazy dog\n";
  const Vocabulary vocabulary = Vocabulary::from_text(text);
  Rng rng(5);
  GPTConfig config;
  config.vocabulary = vocabulary.size();
  config.context = 16;
  config.width = 16;
  config.heads = 2;
  config.layers = 2;
  GPT gpt(config, rng);
  AdamW adamw(gpt.parameters(), 1e-2f);
  DataLoader loader(text_windows(vocabulary.encode(text), 16), {8, true, false, {}}, rng);
  TrainerOptions options;
  options.loss = softmax_cross_entropy;
  Trainer trainer(gpt, adamw, loader, options);
  struct Losses : Callback {
    std::vector<double> values;
    void on_batch_end(Trainer&, double loss) override { values.push_back(loss); }
  };
  const Losses& losses = trainer.add<Losses>();
  trainer.fit(8);  // 8 epochs of 10 batches
  REQUIRE(losses.values.size() == 80);
  CHECK(losses.values[0] == Approx(3.3405).margin(1e-4));
  CHECK(losses.values[1] == Approx(3.2824).margin(1e-4));
  CHECK(losses.values[2] == Approx(3.1978).margin(1e-4));
  double last = 0.0;
  for (std::size_t i = 70; i < 80; ++i) last += losses.values[i] / 10.0;
  CHECK(last < 0.3 * losses.values[0]);
}

TEST_CASE("a GPT saved and loaded back has the same config, vocabulary and outputs, bit for bit",
          "[06-transformer][gpt][files]") {
  const std::string dir = scratch_dir("06-gpt-files");
  Rng rng(6);
  GPTConfig config = tiny_config(false, "sinusoidal");
  config.dropout = 0.1f;
  GPT gpt(config, rng);
  const Vocabulary vocabulary(U"abcdefghij\n");
  save_gpt(dir + "/model.safetensors", gpt, vocabulary, U"%\n", {{"note", "test"}});
  const GPTFile loaded = load_gpt(dir + "/model.safetensors");
  CHECK(loaded.model->name() == gpt.name());
  CHECK(loaded.vocabulary.characters() == vocabulary.characters());
  CHECK(loaded.start == U"%\n");
  CHECK(loaded.metadata.at("note") == "test");
  CHECK(loaded.config.dropout == 0.1f);
  gpt.set_training(false);
  loaded.model->set_training(false);
  Tensor ids({1, 8});
  for (float& id : ids) id = float(rng.below(11));
  const Tensor a = gpt.forward(ids), b = loaded.model->forward(ids);
  CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

TEST_CASE("a missing, truncated or foreign model file is an error naming the file", "[06-transformer][gpt][files]") {
  const std::string dir = scratch_dir("06-gpt-bad-files");
  Rng rng(7);
  GPT gpt(tiny_config(true, "learned"), rng);
  const std::string path = dir + "/model.safetensors";
  save_gpt(path, gpt, Vocabulary(U"abcdefghijk"), U"\n");
  CHECK_THROWS_WITH(load_gpt(dir + "/missing.safetensors"), Catch::Contains(dir + "/missing.safetensors"));
  const auto size = std::filesystem::file_size(path);
  std::filesystem::copy_file(path, dir + "/cut.safetensors");
  std::filesystem::resize_file(dir + "/cut.safetensors", size / 2);
  CHECK_THROWS_WITH(load_gpt(dir + "/cut.safetensors"), Catch::Contains(dir + "/cut.safetensors") && Catch::Contains("truncated"));
  Dense dense(3, 2, rng);
  save_model(dir + "/dense.safetensors", dense.name(), named_values(dense.parameters()));
  CHECK_THROWS_WITH(load_gpt(dir + "/dense.safetensors"),
                    Catch::Contains(dir + "/dense.safetensors: not a GPT model written by gpt"));
  CHECK_THROWS_WITH(save_gpt(path, gpt, Vocabulary(U"ab"), U"\n"), Catch::Contains("a vocabulary of 2 characters"));
}

TEST_CASE("a GPT's parameter count by the formula is the built model's", "[06-transformer][gpt][files]") {
  for (const bool tied : {true, false})
    for (const char* positions : {"learned", "sinusoidal"}) {
      GPTConfig config = tiny_config(tied, positions);
      config.layers = 3;
      Rng rng(9);
      GPT gpt(config, rng);
      INFO((tied ? "tied, " : "untied, ") << positions);
      CHECK(gpt_parameter_count(config) == parameter_count(gpt));
    }
  // Sizes a corrupted file may hold: the count saturates instead of wrapping around to a small number.
  GPTConfig huge = tiny_config(true, "learned");
  huge.width = huge.layers = 999999999;
  CHECK(gpt_parameter_count(huge) == std::size_t(-1));
}

TEST_CASE("a file whose metadata describe a larger GPT than its values is refused before the model is built",
          "[06-transformer][gpt][files]") {
  // Building first would ask for gigabytes; tests/fuzz/regressions/gpt/ holds such a file too.
  const std::string path = scratch_dir("06-gpt-huge") + "/huge.safetensors";
  Rng rng(10);
  GPT gpt(tiny_config(true, "learned"), rng);
  save_gpt(path, gpt, Vocabulary(U"abcdefghijk"), U"\n");
  Metadata metadata = read_safetensors(path).metadata;
  metadata["width"] = "99999992";
  save_model(path, gpt.name(), named_values(gpt.parameters()), metadata);
  CHECK_THROWS_WITH(load_gpt(path), Catch::Contains(path + ": its metadata (width 99999992, ") &&
                                        Catch::Contains("parameters, but the file holds " +
                                                        std::to_string(parameter_count(gpt)) + " values"));
}

TEST_CASE("a bad configuration or bad ids are refused, naming the problem", "[06-transformer][gpt]") {
  Rng rng(8);
  GPTConfig config = tiny_config(true, "learned");
  config.heads = 3;
  CHECK_THROWS_WITH(GPT(config, rng), Catch::Contains("the width 16 is not a multiple of the 3 heads"));
  config = tiny_config(true, "rotary");
  CHECK_THROWS_WITH(GPT(config, rng), Catch::Contains("unknown positions 'rotary'"));
  config = tiny_config(true, "learned");
  config.dropout = 1.0f;
  CHECK_THROWS_WITH(GPT(config, rng), Catch::Contains("dropout must be in [0, 1)"));
  config.dropout = 0.0f;
  config.context = kMaxContext + 1;
  CHECK_THROWS_WITH(GPT(config, rng), Catch::Contains("a context of 100001 is over the 100000 a GPT may have"));
  config.context = 8;
  config.layers = 0;
  CHECK_THROWS_AS(GPT(config, rng), std::invalid_argument);

  GPT gpt(tiny_config(true, "learned"), rng);
  CHECK_THROWS_WITH(gpt.forward(Tensor({1, 9})), Catch::Contains("9 tokens are more than the context of 8"));
  CHECK_THROWS_WITH(gpt.forward(Tensor({1, 2, 3})), Catch::Contains("ids of shape (1, 2, 3) are not (B, T)"));
  CHECK_THROWS_WITH(gpt.forward(Tensor({1, 3}, {1, 11, 2})), Catch::Contains("id 11 at flat position 1"));
  CHECK(gpt.name() == "GPT(vocabulary=11, context=8, width=16, heads=2, layers=2, positions=learned, tied)");
}
