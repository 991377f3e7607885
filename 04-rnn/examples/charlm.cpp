// Train a character-level language model on Debian's fortunes (or any text file), then sample from it.
//
//   build/04-rnn/charlm                                  LSTM: Embedding(V, 64) -> LSTM(64, 256) -> Dense(256, V),
//                                                        windows of 64, batch 32, Adam 2e-3, clip 1, 9 minutes
//   build/04-rnn/charlm --cell gru --minutes 2           a GRU for two minutes
//   build/04-rnn/charlm --save runs/04-rnn/lstm.safetensors
//   build/04-rnn/charlm --load runs/04-rnn/lstm.safetensors --minutes 0 --sample 400 --temperature 0.7 --prompt "Love "
//   build/04-rnn/charlm --text book.txt                  any UTF-8 text file instead of the fortunes
//   build/04-rnn/charlm --epochs 3 --checkpoint c.safetensors    after every epoch, save all it takes to resume
//   build/04-rnn/charlm --epochs 3 --resume c.safetensors        continue an interrupted run (same flags)
//
// Training is chapter 08's Trainer (chapter 02's train_on_batch on every batch) on windows of
// T + 1 characters, each started from a zero state (truncated backpropagation through time, see the
// README), with Adam and gradient-norm clipping from chapter 07. Every --eval-every steps it
// measures the validation loss on a fixed sample of validation windows; at the end, on all of them.
// Writes runs/04-rnn/charlm-<cell>/{metrics.csv, curves.svg} and ends with a `result:` line.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "02-mlp/losses.hpp"
#include "04-rnn/char_model.hpp"
#include "04-rnn/evaluate_every.hpp"
#include "04-rnn/fit_text_model.hpp"
#include "04-rnn/sampling.hpp"
#include "04-rnn/text.hpp"
#include "04-rnn/text_model_flags.hpp"
#include "04-rnn/text_report.hpp"
#include "04-rnn/utf8.hpp"
#include "04-rnn/vocabulary.hpp"
#include "07-optimizers/clipping.hpp"
#include "07-optimizers/make_optimizer.hpp"
#include "08-utilities/callbacks.hpp"
#include "08-utilities/data_loader.hpp"
#include "08-utilities/trainer.hpp"
#include "common/flags.hpp"
#include "common/system.hpp"

using namespace dlfs;

int main(int argc, char** argv) {
  Stopwatch wall;
  CLI::App app{"Train a character-level language model (chapter 04) and sample from it"};
  CharModelConfig config;
  TextModelFlags flags;  // the flags chapter 06's gpt shares; charlm's defaults:
  std::size_t steps = 64;
  flags.lr = 2e-3f, flags.minutes = 9.0;
  // One thread by default: measured on this shared 2-core machine (README), two threads (a replica
  // of the model on the second core) trained slower, 7,016 against 9,823 characters per second.
  flags.threads = 1;
  CLI::Option* load = flags.add_load(app, "its cell, sizes and vocabulary");
  app.add_option("--cell", config.cell, "recurrent layer: lstm, gru or rnn")->check(CLI::IsMember(kCellNames))->excludes(load);
  app.add_option("--hidden", config.hidden, "hidden units H")->check(CLI::Range(1, 8192))->excludes(load);
  app.add_option("--layers", config.layers, "stacked recurrent layers")->check(CLI::Range(1, 16))->excludes(load);
  app.add_option("--embedding", config.embedding, "embedding width E")->check(CLI::Range(1, 8192))->excludes(load);
  app.add_option("--seq", steps, "characters per training window T (backpropagation reaches T steps back)")
      ->check(CLI::Range(1, 100000));
  flags.add_run(app, load, "Adam's learning rate",
                "where to write metrics.csv and curves.svg (default: runs/04-rnn/charlm-<cell>)");
  try {
    check_flag_values(app);  // common/flags.hpp: no empty, negative unsigned or non-finite values
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::fprintf(stderr, "charlm: error: %s (see --help)\n", e.what());
    return 1;
  }

  try {
    if ((!flags.checkpoint_path.empty() || !flags.resume_path.empty()) && !(flags.minutes > 0))
      throw std::runtime_error("--checkpoint and --resume need training: --minutes 0 trains nothing");
    flags.threads = set_threads(flags.threads);
    const TextCorpus corpus = load_corpus_and_report(flags.fortunes_dir, flags.text_path, flags.split_dir);

    // The model, and with it the vocabulary: built from the training text, or the loaded file's.
    Rng rng(flags.seed);
    CharModel lm;
    if (!flags.load_path.empty()) {
      lm = load_char_model(flags.load_path);
      std::printf("loaded %s\n", flags.load_path.c_str());
    } else {
      lm.config = config;
      lm.vocabulary = Vocabulary::from_text(corpus.train);
      lm.start = corpus.start;
      lm.model = make_char_model(config, lm.vocabulary.size(), rng);
    }
    if (flags.out_dir.empty()) flags.out_dir = "runs/04-rnn/charlm-" + lm.config.cell;
    Sequential& model = lm.model;
    const Vocabulary& vocabulary = lm.vocabulary;
    model.set_needs_input_grad(false);  // the input is ids: there is no dL/d(input) to compute

    // The prompt is checked before any training, so a typo costs nothing.
    const Utf8Text prompt_utf8 = decode_utf8(flags.prompt_text);
    if (prompt_utf8.invalid_bytes > 0) throw std::runtime_error("--prompt: is not valid UTF-8");
    const std::u32string prompt = flags.prompt_text.empty() ? lm.start : prompt_utf8.text;
    if (prompt.empty()) throw std::runtime_error("no prompt to start the samples from: give one with --prompt");
    std::vector<int> prompt_ids;
    try {
      prompt_ids = vocabulary.encode(prompt);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(std::string("--prompt: ") + e.what());
    }

    SplitIds ids = encode_split_and_report(corpus, vocabulary,
                                           flags.load_path.empty() ? "from the training text" : "the model's");
    if (ids.validation.size() < steps + 1)
      throw std::runtime_error("the validation text (" + std::to_string(ids.validation.size()) +
                               " characters) is shorter than one window of --seq " + std::to_string(steps) + " + 1");
    const Examples train = text_windows(std::move(ids.train), steps);
    const Examples validation = text_windows(ids.validation, steps);
    const Examples validation_sample = subset(validation, spread(validation.size(), flags.eval_windows));
    std::printf("model: %s, %zu parameters; windows of %zu characters: %zu for training, %zu for validation\n",
                model.name().c_str(), parameter_count(model), steps + 1, train.size(), validation.size());
    const double before = evaluate(model, softmax_cross_entropy, validation_sample, 64).loss;
    if (flags.load_path.empty())
      std::printf("before training: validation loss %.4f nats (ln V = %.4f: every character equally likely)\n", before,
                  std::log(double(vocabulary.size())));
    else
      std::printf("the loaded model: validation loss %.4f nats on the sample\n", before);

    // Adam, with the gradients' global norm clipped first (the README says why).
    std::unique_ptr<Optimizer> adam = make_optimizer("adam", model.parameters(), flags.lr);
    ClipGradNorm clipped(*adam, model.parameters(), flags.clip > 0 ? flags.clip : std::numeric_limits<float>::infinity());
    // Each further thread trains its share of every batch on a copy of the network
    // (chapter 02's replicas): B / threads windows each, one update per batch.
    std::vector<Sequential> replicas = make_replicas(std::size_t(flags.threads - 1), [&](Rng& r) {
      return make_char_model(lm.config, vocabulary.size(), r);
    });
    TrainerOptions options;
    options.loss = softmax_cross_entropy;
    options.eval_batch_size = 64;
    options.micro_batch = flags.threads > 1 ? (flags.batch + std::size_t(flags.threads) - 1) / std::size_t(flags.threads) : 0;
    for (Sequential& replica : replicas) {
      replica.set_needs_input_grad(false);
      options.replicas.push_back(&replica);
    }
    // A checkpoint continues only the run that wrote it: the same network and settings (the thread
    // count included: it sets the replicas, and so the order of the gradient sums).
    char lr_text[32], clip_text[32];
    std::snprintf(lr_text, sizeof lr_text, "%.9g", double(flags.lr));  // reads back to the same float
    std::snprintf(clip_text, sizeof clip_text, "%.9g", double(flags.clip));
    options.run = {{"run", "embedding=" + std::to_string(lm.config.embedding) + " seq=" + std::to_string(steps) +
                               " batch=" + std::to_string(flags.batch) + " lr=" + lr_text + " clip=" + clip_text +
                               " epochs=" + std::to_string(flags.epochs) + " eval_every=" + std::to_string(flags.eval_every) +
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
      auto& progress = trainer.add<EvaluateEvery>(
          validation_sample, clipped,
          EvaluateEveryOptions{flags.eval_every, flags.batch * steps, flags.out_dir,
                               lm.config.cell + ", H=" + std::to_string(lm.config.hidden), /*learning_rate=*/false});
      run = fit_text_model(trainer, progress, clipped, flags, flags.batch * steps, loader.batches());
    }

    const Evaluation final_eval = trainer.evaluate(validation);
    std::printf("validation (all %zu windows): loss %.4f nats, %.3f bits per character, next-character accuracy %.3f\n",
                validation.size(), final_eval.loss, final_eval.bits_per_token, final_eval.accuracy);
    // The same text read the way stateful mode reads it: 64 streams, the state carried from one
    // window to the next, so a prediction sees its whole stream before it (the README compares).
    const std::size_t streams = std::min<std::size_t>(64, (ids.validation.size() - 1) / steps);
    const Metrics carried = evaluate_stateful(model, ids.validation, streams, steps);
    std::printf("validation read as %zu streams, the state carried across windows: loss %.4f nats, %.3f bits per "
                "character\n", streams, carried.loss, carried.bits_per_token);
    if (flags.minutes > 0) std::printf("wrote %s/metrics.csv, %s/curves.svg\n", flags.out_dir.c_str(), flags.out_dir.c_str());
    if (!flags.save_path.empty()) {
      char bits[32];
      std::snprintf(bits, sizeof bits, "%.4f", final_eval.bits_per_token);
      save_char_model(flags.save_path, model, lm.config, vocabulary, lm.start,
                      {{"val_bits_per_char", bits}, {"text", corpus.source}});
      std::printf("saved %s\n", flags.save_path.c_str());
    }

    SamplingOptions sampling{flags.temperature, flags.top_k};
    Rng sampler(flags.seed + 1);  // a stream of its own, apart from initialisation and shuffling
    for (std::size_t s = 0; s < (flags.sample_chars > 0 ? flags.num_samples : 0); ++s) {
      const std::vector<int> ids = generate(model, prompt_ids, flags.sample_chars, sampling, sampler);
      std::printf("--- sample %zu (temperature %g%s) ---\n%s%s\n", s + 1, double(flags.temperature),
                  flags.top_k ? (", top-k " + std::to_string(flags.top_k)).c_str() : "", encode_utf8(prompt).c_str(),
                  encode_utf8(vocabulary.decode(ids)).c_str());
    }
    std::printf("---\n");

    std::printf("result: model=charlm cell=%s val_bits_per_char=%.4f val_loss=%.4f tokens_per_second=%.0f "
                "minutes=%.2f peak_rss_mb=%.1f threads=%d hidden=%zu layers=%zu steps=%zu val_bits_per_char_stateful=%.4f\n",
                lm.config.cell.c_str(), final_eval.bits_per_token, final_eval.loss,
                run.seconds > 0 ? double(run.tokens) / run.seconds : 0.0, wall.seconds() / 60.0, peak_rss_mb(),
                flags.threads, lm.config.hidden, lm.config.layers, trainer.step(), carried.bits_per_token);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "charlm: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
