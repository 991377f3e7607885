// Train a character-level GPT on Debian's fortunes (or any text file), then sample from it.
//
//   build/06-transformer/gpt                               4 blocks, width 128, 4 heads, context 64, batch 32,
//                                                          AdamW 3e-3 with warm-up and cosine, clip 1, 14 minutes
//   build/06-transformer/gpt --minutes 2                   a shorter run
//   build/06-transformer/gpt --save runs/06-transformer/gpt.safetensors
//   build/06-transformer/gpt --load runs/06-transformer/gpt.safetensors --minutes 0 --sample 400 --prompt "Love "
//   build/06-transformer/gpt --text book.txt               any UTF-8 text file instead of the fortunes
//   build/06-transformer/gpt --epochs 3 --checkpoint c.safetensors    after every epoch, save all it takes to resume
//   build/06-transformer/gpt --epochs 3 --resume c.safetensors        continue an interrupted run (same flags)
//
// The same data, split, windows and loss as chapter 04's charlm (its text pipeline and
// text_windows), so the two models' bits per character compare directly. Training is chapter 08's
// Trainer with AdamW, the global gradient norm clipped, and chapter 07's warm-up and cosine
// schedule stretched over the time budget. Every --eval-every steps it measures the validation
// loss on a fixed sample of validation windows; at the end, on all of them. Then it draws an
// attention map of every head for one sentence, and samples with the key-value cache. Borrowed:
// chapter 04's text pipeline, windows and progress report (EvaluateEvery), chapter 05's dropout
// and its checkpointed streams, chapters 07 and 08's optimizer, schedule, clipping and Trainer.
// Writes runs/06-transformer/gpt/{metrics.csv, curves.svg, attention.svg} and ends with a `result:` line.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "02-mlp/losses.hpp"
#include "04-rnn/char_model.hpp"
#include "04-rnn/evaluate_every.hpp"
#include "04-rnn/fit_text_model.hpp"
#include "04-rnn/text.hpp"
#include "04-rnn/text_model_flags.hpp"
#include "04-rnn/text_report.hpp"
#include "04-rnn/utf8.hpp"
#include "04-rnn/vocabulary.hpp"
#include "06-transformer/attention_map.hpp"
#include "06-transformer/generation.hpp"
#include "06-transformer/gpt.hpp"
#include "07-optimizers/adam.hpp"
#include "07-optimizers/clipping.hpp"
#include "07-optimizers/schedules.hpp"
#include "08-utilities/callbacks.hpp"
#include "08-utilities/data_loader.hpp"
#include "08-utilities/trainer.hpp"
#include "common/flags.hpp"
#include "common/system.hpp"

using namespace dlfs;

namespace {

// Chapter 07's warm-up and cosine schedule for a run whose length is a time budget, not a number
// of steps: W steps of linear warm-up, then a cosine from lr to 0 over the steps the budget will
// hold, projected before every step from the speed so far (steps done x budget / time spent). So
// the rate reaches 0 when the time is up, on a fast machine or a slow one. A step limit
// (--epochs) that comes first caps the projection. The result depends on the machine's speed
// anyway, through the number of steps the budget holds.
class WarmupCosineOverBudget : public Callback {
 public:
  WarmupCosineOverBudget(float lr, std::size_t warmup, double seconds, std::size_t max_steps)
      : lr_(lr), warmup_(warmup), seconds_(seconds), max_steps_(max_steps) {}

  void on_batch_begin(Trainer& t) override {
    const std::size_t step = t.step();
    std::size_t total = max_steps_;
    const double elapsed = clock_.seconds();
    if (step > 0 && elapsed > 0) {
      const double projected = std::max(double(step + 1), double(step) * seconds_ / elapsed);
      if (projected < double(total)) total = std::size_t(projected);
    }
    // A budget too short for the whole warm-up warms up over its first tenth instead.
    const std::size_t warmup = std::min(warmup_, total / 10);
    t.optimizer().set_learning_rate(warmup_cosine_schedule(lr_, warmup, total)(step));
  }

 private:
  float lr_;
  std::size_t warmup_;
  double seconds_;
  std::size_t max_steps_;
  Stopwatch clock_;
};

// Ids of the user's text (a prompt, the attention sentence): an unknown character is an error that
// names the flag, the character and its position.
std::vector<int> encode_flag(const Vocabulary& vocabulary, const std::string& flag, const std::u32string& text) {
  try {
    return vocabulary.encode(text);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(flag + ": " + e.what());
  }
}

std::u32string decode_flag(const std::string& flag, const std::string& text) {
  const Utf8Text decoded = decode_utf8(text);
  if (decoded.invalid_bytes > 0) throw std::runtime_error(flag + ": is not valid UTF-8");
  return decoded.text;
}


}  // namespace

int main(int argc, char** argv) {
  Stopwatch wall;
  CLI::App app{"Train a character-level GPT (chapter 06) and sample from it"};
  GPTConfig config;
  bool untied = false, recompute = false;
  std::string attention_text;
  std::size_t warmup = 100;
  float weight_decay = 0.01f;
  TextModelFlags flags;  // the flags shared with chapter 04's charlm; gpt's defaults:
  flags.lr = 3e-3f, flags.minutes = 14.0;
  // Two threads by default: each trains a copy of the model on half of every batch (chapter 02's
  // replicas). On a quiet machine two trained 16,278 characters per second and one 9,300 (README).
  flags.threads = 2;
  CLI::Option* load = flags.add_load(app, "its sizes and vocabulary");
  app.add_option("--layers", config.layers, "Transformer blocks N")->check(CLI::Range(1, 64))->excludes(load);
  app.add_option("--width", config.width, "model width D")->check(CLI::Range(1, 8192))->excludes(load);
  app.add_option("--heads", config.heads, "attention heads H (D must be a multiple of H)")
      ->check(CLI::Range(1, 256))->excludes(load);
  app.add_option("--context", config.context, "characters per window T: the longest text the model sees at once")
      ->check(CLI::Range(1, 100000))->excludes(load);
  app.add_option("--dropout", config.dropout, "dropout on embeddings, attention weights and residual branches")
      ->check(CLI::Range(0.0, 0.99))->excludes(load);
  app.add_option("--positions", config.positions, "positional encoding: learned or sinusoidal")
      ->check(CLI::IsMember(kPositionKinds))->excludes(load);
  app.add_flag("--untied", untied, "give the head its own weights instead of reusing the token embedding's")
      ->excludes(load);
  flags.add_run(app, load, "AdamW's peak learning rate",
                "where to write metrics.csv, curves.svg and attention.svg (default: runs/06-transformer/gpt)");
  app.add_option("--warmup", warmup, "steps of linear warm-up before the cosine decay");
  app.add_option("--weight-decay", weight_decay, "AdamW's decoupled weight decay")->check(at_least(0, false));
  app.add_flag("--no-cache", recompute, "sample by recomputing the whole window for every character (to compare)");
  app.add_option("--attention-text", attention_text,
                 "the text whose attention maps are drawn (default: a fortune-like quote, or the start of the validation text)");
  try {
    check_flag_values(app);  // common/flags.hpp: no empty, negative unsigned or non-finite values
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::fprintf(stderr, "gpt: error: %s (see --help)\n", e.what());
    return 1;
  }
  config.tied = !untied;
  if (flags.out_dir.empty()) flags.out_dir = "runs/06-transformer/gpt";

  try {
    if ((!flags.checkpoint_path.empty() || !flags.resume_path.empty()) && !(flags.minutes > 0))
      throw std::runtime_error("--checkpoint and --resume need training: --minutes 0 trains nothing");
    flags.threads = set_threads(flags.threads);
    const TextCorpus corpus = load_corpus_and_report(flags.fortunes_dir, flags.text_path, flags.split_dir);

    // The model, and with it the vocabulary: built from the training text, or the loaded file's.
    Rng rng(flags.seed);
    std::unique_ptr<GPT> gpt;
    Vocabulary vocabulary;
    std::u32string start;
    if (!flags.load_path.empty()) {
      GPTFile file = load_gpt(flags.load_path);
      gpt = std::move(file.model);
      vocabulary = std::move(file.vocabulary);
      start = std::move(file.start);
      std::printf("loaded %s\n", flags.load_path.c_str());
    } else {
      vocabulary = Vocabulary::from_text(corpus.train);
      start = corpus.start;
      config.vocabulary = vocabulary.size();
      gpt = std::make_unique<GPT>(config, rng);
    }
    GPT& model = *gpt;
    const std::size_t T = model.config().context;

    // The prompt and the attention text are checked before any training, so a typo costs nothing.
    const std::u32string prompt = flags.prompt_text.empty() ? start : decode_flag("--prompt", flags.prompt_text);
    if (prompt.empty()) throw std::runtime_error("no prompt to start the samples from: give one with --prompt");
    const std::vector<int> prompt_ids = encode_flag(vocabulary, "--prompt", prompt);
    if (prompt_ids.size() > T)
      throw std::runtime_error("--prompt: " + std::to_string(prompt_ids.size()) +
                               " characters are more than the model's context of " + std::to_string(T));
    std::vector<int> attention_ids;
    if (!attention_text.empty()) {
      attention_ids = encode_flag(vocabulary, "--attention-text", decode_flag("--attention-text", attention_text));
    } else {
      // A quote laid out as the fortunes are, when the vocabulary has its characters; else the
      // validation text's first characters.
      const std::u32string quote = U"%\nA fool and his money are soon parted.\n\t\t-- Thomas Tusser\n";
      if (std::all_of(quote.begin(), quote.end(), [&](char32_t ch) { return vocabulary.id(ch) >= 0; }))
        attention_ids = vocabulary.encode(quote);
      else
        attention_ids = vocabulary.encode_known(corpus.validation.substr(0, T));
    }
    if (attention_ids.empty()) throw std::runtime_error("--attention-text: is empty");
    if (attention_ids.size() > T) attention_ids.resize(T);  // the first T characters

    SplitIds ids = encode_split_and_report(corpus, vocabulary,
                                           flags.load_path.empty() ? "from the training text" : "the model's");
    if (ids.train.size() < T + 1 || ids.validation.size() < T + 1)
      throw std::runtime_error("the training text (" + std::to_string(ids.train.size()) + " characters) or the " +
                               "validation text (" + std::to_string(ids.validation.size()) +
                               ") is shorter than one window of --context " + std::to_string(T) + " + 1");
    const Examples train = text_windows(std::move(ids.train), T);
    const Examples validation = text_windows(ids.validation, T);
    const Examples validation_sample = subset(validation, spread(validation.size(), flags.eval_windows));
    std::printf("model: %s, %zu parameters; windows of %zu characters: %zu for training, %zu for validation\n",
                model.name().c_str(), parameter_count(model), T + 1, train.size(), validation.size());
    const double before = evaluate(model, softmax_cross_entropy, validation_sample, 64).loss;
    if (flags.load_path.empty())
      std::printf("before training: validation loss %.4f nats (ln V = %.4f: every character equally likely)\n", before,
                  std::log(double(vocabulary.size())));
    else
      std::printf("the loaded model: validation loss %.4f nats on the sample\n", before);

    // AdamW with the gradients' global norm clipped first.
    AdamWOptions adamw_options;
    adamw_options.weight_decay = weight_decay;
    AdamW adamw(model.parameters(), flags.lr, adamw_options);
    ClipGradNorm clipped(adamw, model.parameters(), flags.clip > 0 ? flags.clip : std::numeric_limits<float>::infinity());
    // Each further thread trains its share of every batch on a copy of the network
    // (chapter 02's replicas): B / threads windows each, one update per batch.
    std::vector<std::unique_ptr<GPT>> replicas;
    TrainerOptions options;
    options.loss = softmax_cross_entropy;
    options.eval_batch_size = 64;
    options.micro_batch = flags.threads > 1 ? (flags.batch + std::size_t(flags.threads) - 1) / std::size_t(flags.threads) : 0;
    for (int r = 1; r < flags.threads; ++r) {
      Rng unused(0);  // the replicas compute with the model's values
      replicas.push_back(std::make_unique<GPT>(model.config(), unused));
      options.replicas.push_back(replicas.back().get());
    }
    // A checkpoint continues only the run that wrote it: the same network and settings (the thread
    // count included: it sets the replicas, and so the order of the gradient sums).
    char lr_text[32], clip_text[32], decay_text[32];
    std::snprintf(lr_text, sizeof lr_text, "%.9g", double(flags.lr));  // reads back to the same float
    std::snprintf(clip_text, sizeof clip_text, "%.9g", double(flags.clip));
    std::snprintf(decay_text, sizeof decay_text, "%.9g", double(weight_decay));
    options.run = {{"run", "batch=" + std::to_string(flags.batch) + " lr=" + lr_text + " warmup=" + std::to_string(warmup) +
                               " weight_decay=" + decay_text + " clip=" + clip_text + " epochs=" +
                               std::to_string(flags.epochs) + " eval_every=" + std::to_string(flags.eval_every) +
                               " seed=" + std::to_string(flags.seed) + " threads=" + std::to_string(flags.threads) +
                               " text=" + corpus.source},
                   // A text of the same name with other characters would reinterpret every embedding row.
                   {"vocabulary", vocabulary.to_metadata()}};
    DataLoader loader(train, {flags.batch, true, false, {}}, rng);
    Trainer trainer(model, clipped, loader, options);

    TextTrainingRun run;  // stays empty with --minutes 0
    if (flags.minutes > 0) {
      std::printf("training for %g minutes (validation every %zu steps, on %zu windows)\n", flags.minutes, flags.eval_every,
                  validation_sample.size());
      const std::size_t max_steps = flags.epochs > 0 ? flags.epochs * loader.batches() : std::numeric_limits<std::size_t>::max();
      trainer.add<WarmupCosineOverBudget>(flags.lr, warmup, flags.minutes * 60.0, max_steps);
      auto& progress = trainer.add<EvaluateEvery>(validation_sample, clipped,
                                                  EvaluateEveryOptions{flags.eval_every, flags.batch * T, flags.out_dir, "GPT",
                                                                       /*learning_rate=*/true});
      // The dropout layers' random streams, the replicas' too, go into checkpoints (chapter 05).
      NamedDropouts dropouts = model.dropouts();
      for (std::size_t r = 0; r < replicas.size(); ++r)
        for (auto& [name, layer] : replicas[r]->dropouts())
          dropouts.emplace_back("replica." + std::to_string(r + 1) + "." + name, layer);
      trainer.add<DropoutStreams>(std::move(dropouts));
      run = fit_text_model(trainer, progress, clipped, flags, flags.batch * T, loader.batches());
    }

    const Evaluation final_eval = trainer.evaluate(validation);
    std::printf("validation (all %zu windows): loss %.4f nats, %.3f bits per character, next-character accuracy %.3f\n",
                validation.size(), final_eval.loss, final_eval.bits_per_token, final_eval.accuracy);
    if (flags.minutes > 0) std::printf("wrote %s/metrics.csv, %s/curves.svg\n", flags.out_dir.c_str(), flags.out_dir.c_str());
    if (!flags.save_path.empty()) {
      char bits[32];
      std::snprintf(bits, sizeof bits, "%.4f", final_eval.bits_per_token);
      save_gpt(flags.save_path, model, vocabulary, start, {{"val_bits_per_char", bits}, {"text", corpus.source}});
      std::printf("saved %s\n", flags.save_path.c_str());
    }

    // Where every head looks, for one sentence.
    {
      model.set_training(false);
      Tensor ids = Tensor::uninitialized({1, attention_ids.size()});  // (1, T)
      for (std::size_t t = 0; t < attention_ids.size(); ++t) ids[t] = float(attention_ids[t]);
      model.forward(ids);
      std::vector<Tensor> weights;  // per layer (1, H, T, T)
      for (std::size_t l = 0; l < model.config().layers; ++l)
        weights.push_back(model.block(l).self_attn().attention().attention_weights());
      std::vector<std::string> labels;
      for (int id : attention_ids) labels.push_back(printable_character(vocabulary.character(id)));
      write_attention_maps(flags.out_dir + "/attention.svg", "Attention weights of every head (rows: queries, columns: keys)",
                           weights, labels);
      std::printf("wrote %s/attention.svg (%zu layers x %zu heads, %zu characters)\n", flags.out_dir.c_str(),
                  model.config().layers, model.config().heads, attention_ids.size());
    }

    SamplingOptions sampling{flags.temperature, flags.top_k};
    Rng sampler(flags.seed + 1);  // a stream of its own, apart from initialisation and shuffling
    double sample_seconds = 0.0;
    std::size_t sampled = 0;
    for (std::size_t s = 0; s < (flags.sample_chars > 0 ? flags.num_samples : 0); ++s) {
      Stopwatch clock;
      const std::vector<int> ids = recompute ? generate_recomputing(model, prompt_ids, flags.sample_chars, sampling, sampler)
                                             : generate(model, prompt_ids, flags.sample_chars, sampling, sampler);
      sample_seconds += clock.seconds();
      sampled += ids.size();
      std::printf("--- sample %zu (temperature %g%s) ---\n%s%s\n", s + 1, double(flags.temperature),
                  flags.top_k ? (", top-k " + std::to_string(flags.top_k)).c_str() : "", encode_utf8(prompt).c_str(),
                  encode_utf8(vocabulary.decode(ids)).c_str());
    }
    std::printf("---\n");
    if (sampled > 0)
      std::printf("sampled %zu characters in %.3f s (%.0f characters/s, %s)\n", sampled, sample_seconds,
                  double(sampled) / sample_seconds, recompute ? "recomputing every window" : "with the key-value cache");

    std::printf("result: model=gpt val_bits_per_char=%.4f val_loss=%.4f tokens_per_second=%.0f minutes=%.2f "
                "peak_rss_mb=%.1f threads=%d width=%zu layers=%zu heads=%zu context=%zu steps=%zu "
                "sample_chars_per_second=%.0f\n",
                final_eval.bits_per_token, final_eval.loss, run.seconds > 0 ? double(run.tokens) / run.seconds : 0.0,
                wall.seconds() / 60.0, peak_rss_mb(), flags.threads, model.config().width, model.config().layers,
                model.config().heads, T, trainer.step(), sampled > 0 ? double(sampled) / sample_seconds : 0.0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpt: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
