// Train a network of chapters 02-05 on several processes at once: data parallelism over MPI.
//
//   mpirun -np 2 build/09-distributed/train --model lenet        LeNet-5 with chapter 03's settings, 2 processes
//   build/09-distributed/train --model lenet                     the same training in one process
//   mpirun -np 2 build/09-distributed/train --model resnet --epochs 1
//   mpirun -np 2 build/09-distributed/train --model charlm --steps 300
//   mpirun -np 2 build/09-distributed/train --model mlp --checkpoint c.safetensors    then, with any number of
//   mpirun -np 3 --oversubscribe build/09-distributed/train --model mlp --resume c.safetensors     processes
//   ./dlfs mpirun 2 -- --model lenet                             through ./dlfs, which handles root and binding
//
// Every process runs this program: it builds the model from --seed and draws the batches from the
// same stream, so all hold the same model and see the same batches. Each computes forward and
// backward on its 1/P of every batch (--batch is the global batch), the gradients are added up
// across processes (chapter 09's DataParallel: buckets, --allreduce ring or mpi), and every process
// takes the same optimizer step. Training is chapter 08's Trainer, whose every step is chapter 02's
// train_on_batch, with each chapter's defaults for its network (--help lists them). A checksum of
// the weights and optimizer state is compared across processes before training and after every
// epoch. Rank 0 prints, and writes the checkpoints (atomically, chapter 08's format); a checkpoint
// resumes with any number of processes, as the batches and the update do not depend on it.
//
// An error on any process ends the whole job with one line naming the rank; bad flags end it before
// anything starts, with one line. The last line is `result: ...` with ranks, threads per rank,
// seconds per epoch, and test accuracy (images) or validation bits per character (charlm).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <unistd.h>
#include <zlib.h>

#include "02-mlp/losses.hpp"
#include "02-mlp/mlp.hpp"
#include "02-mlp/optimizer.hpp"
#include "02-mlp/train.hpp"
#include "04-rnn/text.hpp"
#include "04-rnn/vocabulary.hpp"
#include "05-regularization/augmentation.hpp"
#include "07-optimizers/adam.hpp"
#include "07-optimizers/clipping.hpp"
#include "07-optimizers/sgd_momentum.hpp"
#include "08-utilities/callbacks.hpp"
#include "08-utilities/data_loader.hpp"
#include "08-utilities/trainer.hpp"
#include "09-distributed/consistency.hpp"
#include "09-distributed/data_parallel.hpp"
#include "09-distributed/models.hpp"
#include "09-distributed/mpi_job.hpp"
#include "common/fashion_mnist.hpp"
#include "common/flags.hpp"
#include "common/system.hpp"

using namespace dlfs;

namespace {

constexpr std::size_t kNotGiven = std::numeric_limits<std::size_t>::max();

// Everything the command line sets. Sizes left at kNotGiven (and lr, weight_decay at -1) take the
// model's chapter's default.
struct Flags {
  std::string model = "lenet", schedule, optimizer = "momentum", hidden, activation, cell, data, fortunes, text,
              checkpoint, resume, allreduce = "ring";
  std::size_t epochs = kNotGiven, batch = kNotGiven, micro_batch = kNotGiven, limit = 0, steps = 0, width = 0,
              blocks = 0, layers = 0, embedding = 0, seq = 64, eval_windows = 256, bucket_kb = 1024;
  float lr = -1.0f, weight_decay = -1.0f, clip = 1.0f;
  int threads = 1;
  std::uint64_t seed = 42;
  bool augment = false;
};

// The flags that only some networks have, and which networks those are.
void check_flags_fit_model(const Flags& f, const CLI::App& app) {
  const bool mlp = f.model == "mlp", charlm = is_character_model(f.model), bn = has_batch_norm(f.model);
  auto only = [&](const char* flag, bool allowed, const char* who) {
    if (app.count(flag) && !allowed) throw std::invalid_argument(std::string(flag) + ": only for " + who);
  };
  only("--hidden", mlp || charlm, "mlp (widths, e.g. 256,128) and charlm (the recurrent layer's width)");
  only("--activation", mlp, "mlp");
  only("--width", bn, "bn-cnn, vgg, resnet and plain");
  only("--blocks", f.model == "resnet" || f.model == "plain", "resnet and plain");
  only("--optimizer", bn, "bn-cnn, vgg, resnet and plain (the others train with their chapter's optimizer)");
  only("--weight-decay", bn, "bn-cnn, vgg, resnet and plain");
  only("--augment", bn, "bn-cnn, vgg, resnet and plain");
  for (const char* flag : {"--cell", "--layers", "--embedding", "--seq", "--clip", "--fortunes", "--text", "--eval-windows"})
    only(flag, charlm, "charlm");
  for (const char* flag : {"--data", "--limit"}) only(flag, !charlm, "the Fashion-MNIST networks");
  if (bn && f.micro_batch != kNotGiven && f.micro_batch != 0)
    throw std::invalid_argument("--micro-batch: " + f.model + " has batch norm, whose statistics need its whole batch");
}

// Defaults for whatever the flags left open, and the checks that need them.
void fill_defaults(Flags& f, std::size_t processes) {
  const bool charlm = is_character_model(f.model), bn = has_batch_norm(f.model);
  const bool cnn = f.model == "lenet" || f.model == "alexnet";
  // 02: batch 64, SGD 0.1 cosine, 10 epochs. 03: batch 32, slices of 16, lenet 0.1 for 10 epochs,
  // alexnet 0.05 for 15. 05: batch 128, momentum 0.9, 0.1 (adamw 0.001) cosine, weight decay 5e-4
  // (adamw 0.01); fewer epochs than chapter 05's example (bn-cnn 3, vgg 4, resnet and plain 6, against
  // its 6, 14 and 8) and no label smoothing. 04: batch 32, Adam 2e-3
  // at a constant rate, gradient norm clipped to 1 (its example trains for 9 minutes; here, 1 epoch).
  if (f.batch == kNotGiven) f.batch = bn ? 128 : cnn || charlm ? 32 : 64;
  if (f.micro_batch == kNotGiven) f.micro_batch = cnn ? 16 : 0;
  if (f.epochs == kNotGiven)
    f.epochs = f.model == "mlp" || f.model == "lenet" ? 10 : f.model == "alexnet" ? 15 : f.model == "bn-cnn" ? 3
               : f.model == "vgg" ? 4 : charlm ? 1 : 6;
  if (f.lr < 0) f.lr = charlm ? 2e-3f : f.model == "alexnet" ? 0.05f : bn && f.optimizer == "adamw" ? 1e-3f : 0.1f;
  if (f.weight_decay < 0) f.weight_decay = f.optimizer == "adamw" ? 0.01f : 5e-4f;
  if (f.schedule.empty()) f.schedule = charlm ? "constant" : "cosine";
  if (f.hidden.empty()) f.hidden = charlm ? "256" : "256,128";
  if (f.activation.empty()) f.activation = "relu";
  if (f.cell.empty()) f.cell = "lstm";
  // Every process needs rows of every batch; batch norm needs two.
  const std::size_t per_process = bn ? 2 : 1;
  if (f.batch < per_process * processes)
    throw std::invalid_argument("--batch " + std::to_string(f.batch) + " leaves fewer than " +
                                std::to_string(per_process) + " example" + (per_process > 1 ? "s" : "") + " for each of " +
                                std::to_string(processes) + " processes" + (bn ? " (batch norm needs two)" : ""));
  if (parse_hidden_widths(f.hidden).size() != 1 && charlm) throw std::invalid_argument("--hidden: charlm takes one width");
  // Known from the flags (a text's length is not): refused here, once, rather than by every
  // process after loading the data.
  if (!charlm && f.limit > 0 && f.limit < f.batch)
    throw std::invalid_argument("--batch " + std::to_string(f.batch) + " is larger than the --limit " +
                                std::to_string(f.limit) + " training examples");
  make_activation(f.activation);
}

// The settings a checkpoint must be continued with: what defines the training (with the data's
// fingerprint beside it), and not how the work is spread (processes, threads, slices, all-reduce),
// so that a run can be resumed on another number of processes, as clusters require. The spread
// moves the float rounding of the gradient sums (a run resumed on other processes is not the
// uninterrupted run bit for bit), and with batch norm it sets the rows each process's statistics
// cover (batch / processes).
std::string run_description(const Flags& f) {
  char lr[32], wd[32], clip[32];
  std::snprintf(lr, sizeof lr, "%.9g", double(f.lr));
  std::snprintf(wd, sizeof wd, "%.9g", double(f.weight_decay));
  std::snprintf(clip, sizeof clip, "%.9g", double(f.clip));
  std::string run = "model=" + f.model + " batch=" + std::to_string(f.batch) + " lr=" + lr + " schedule=" + f.schedule +
                    " epochs=" + std::to_string(f.epochs) + " seed=" + std::to_string(f.seed);
  if (is_character_model(f.model))
    return run + " cell=" + f.cell + " hidden=" + f.hidden + " seq=" + std::to_string(f.seq) + " clip=" + clip +
           " text=" + (f.text.empty() ? f.fortunes : f.text);
  run += " limit=" + std::to_string(f.limit);
  if (f.model == "mlp") run += " hidden=" + f.hidden + " activation=" + f.activation;
  if (has_batch_norm(f.model))
    run += " optimizer=" + f.optimizer + " weight_decay=" + wd + " augment=" + (f.augment ? "1" : "0") +
           " width=" + std::to_string(f.width) + " blocks=" + std::to_string(f.blocks);
  return run;
}

// Training time without evaluation, over complete and interrupted epochs alike, and the updates
// made in it.
class TrainingClock : public Callback {
 public:
  void on_epoch_begin(Trainer&) override { clock_.restart(); }
  void on_batch_end(Trainer&, double) override { ++updates; }
  void on_epoch_end(Trainer&, const EpochLog& log) override { seconds += log.seconds; }
  void on_fit_end(Trainer& t) override {
    if (t.interrupted()) seconds += clock_.seconds();  // the part of an epoch --steps cut short
  }
  double seconds = 0.0;
  std::size_t updates = 0;

 private:
  Stopwatch clock_;
};

// Rank 0's line per epoch.
class EpochReport : public Callback {
 public:
  EpochReport(const DataParallel& dp, bool characters) : dp_(dp), characters_(characters) {}
  void on_epoch_end(Trainer& t, const EpochLog& log) override {
    const double allreduce = dp_.seconds() - allreduce_before_, wait = dp_.wait_seconds() - wait_before_;
    allreduce_before_ = dp_.seconds(), wait_before_ = dp_.wait_seconds();
    if (characters_)
      std::printf("epoch %zu/%zu: train_loss %.4f val_loss %.4f val_bits_per_char %.4f (sample) (%.2fs, all-reduce %.2fs, "
                  "%.2fs of it waiting)\n",
                  log.epoch, t.target_epochs(), log.train.loss, log.validation.loss, log.validation.bits_per_token,
                  log.seconds, allreduce, wait);
    else
      std::printf("epoch %zu/%zu: lr %.4g train_loss %.4f train_accuracy %.4f test_loss %.4f test_accuracy %.4f "
                  "(%.2fs, all-reduce %.2fs, %.2fs of it waiting)\n",
                  log.epoch, t.target_epochs(), double(log.learning_rate), log.train.loss, log.train.accuracy,
                  log.validation.loss, log.validation.accuracy, log.seconds, allreduce, wait);
    std::fflush(stdout);
  }

 private:
  const DataParallel& dp_;
  bool characters_;
  double allreduce_before_ = 0.0, wait_before_ = 0.0;
};

// Stops after a number of updates: the same step on every process, so all stop together.
class StopAfterSteps : public Callback {
 public:
  explicit StopAfterSteps(std::size_t steps) : steps_(steps) {}
  void on_fit_begin(Trainer& t) override {  // a resumed run may have taken them already
    if (t.step() >= steps_) t.stop();
  }
  void on_batch_end(Trainer& t, double) override {
    if (t.step() >= steps_) t.stop();
  }

 private:
  std::size_t steps_;
};

// Evenly spaced indices: `count` of [0, n).
std::vector<std::size_t> spread(std::size_t n, std::size_t count) {
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < std::min(count, n); ++k) out.push_back(k * n / std::min(count, n));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  MpiJob job(argc, argv);
  const bool root = job.rank() == 0;  // rank 0 prints and writes files

  CLI::App app{"Train a network of chapters 02-05 on several processes (run it with mpirun -np P): "
               "data parallelism over MPI (chapter 09)"};
  Flags f;
  app.add_option("--model", f.model, "mlp, lenet, alexnet, bn-cnn, vgg, resnet, plain or charlm")
      ->check(CLI::IsMember(kDistributedModelNames));
  app.add_option("--epochs", f.epochs,
                 "passes over the training set (default: mlp, lenet 10; alexnet 15; bn-cnn 3; "
                 "vgg 4; resnet, plain 6; charlm 1)")
      ->check(CLI::Range(0, 100000));
  app.add_option("--steps", f.steps,
                 "stop once the run has made this many updates in all, even mid-epoch (0: no limit)");
  app.add_option("--batch", f.batch,
                 "global mini-batch, split among the processes (default: mlp 64; lenet, alexnet, charlm 32; "
                 "chapter 05's 128)")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--lr", f.lr, "learning rate (default: 0.1; alexnet 0.05; adamw 0.001; charlm 0.002)")
      ->check(CLI::PositiveNumber);
  app.add_option("--schedule", f.schedule, "cosine (decay to 0 over the run) or constant (default: charlm's constant)")
      ->check(CLI::IsMember({"cosine", "constant"}));
  app.add_option("--seed", f.seed, "random seed: initialisation, shuffling, augmentation (the same on every process)");
  app.add_option("--threads", f.threads, "threads per process (0: all cores)")->check(CLI::Range(0, 1024));
  app.add_option("--micro-batch", f.micro_batch,
                 "forward and backward in slices of this many examples (default: lenet, alexnet 16; others 0, whole)")
      ->check(CLI::Range(std::size_t(0), std::size_t(1000000)));
  app.add_option("--allreduce", f.allreduce, "how gradients are added up: ring (ours) or mpi (MPI_Allreduce)")
      ->check(CLI::IsMember(kAllReduceNames));
  app.add_option("--bucket-kb", f.bucket_kb, "gradient bucket size in KiB (0: one message per tensor)")
      ->check(CLI::Range(std::size_t(0), std::size_t(1) << 22));
  app.add_option("--checkpoint", f.checkpoint, "rank 0 writes FILE after every epoch (atomically)");
  app.add_option("--resume", f.resume, "continue the run that wrote checkpoint FILE (same flags; any number of processes)");
  app.add_option("--data", f.data, "Fashion-MNIST directory (default: $DLFS_DATA or " + std::string(kDefaultFashionMnistDir) + ")");
  app.add_option("--limit", f.limit, "train on the first N images only (0: all 60000)");
  app.add_option("--hidden", f.hidden, "mlp: hidden widths (default 256,128); charlm: recurrent width (default 256)");
  app.add_option("--activation", f.activation, "mlp: relu, sigmoid, tanh, leaky_relu or gelu (default relu)");
  app.add_option("--width", f.width, "chapter 05's networks: channels of the first stage (default: theirs)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--blocks", f.blocks, "resnet, plain: blocks per stage (default 3)")->check(CLI::Range(1, 100));
  app.add_option("--optimizer", f.optimizer, "chapter 05's networks: momentum, nesterov or adamw")
      ->check(CLI::IsMember({"momentum", "nesterov", "adamw"}));
  app.add_option("--weight-decay", f.weight_decay, "chapter 05's networks: L2 (momentum) or decoupled (adamw) decay")
      ->check(CLI::Range(0.0f, 1.0f));
  app.add_flag("--augment", f.augment, "chapter 05's networks: random crops (padding 2) and horizontal flips");
  app.add_option("--cell", f.cell, "charlm: lstm, gru or rnn")->check(CLI::IsMember(kCellNames));
  app.add_option("--layers", f.layers, "charlm: stacked recurrent layers (default 1)")->check(CLI::Range(1, 16));
  app.add_option("--embedding", f.embedding, "charlm: embedding width (default 64)")->check(CLI::Range(1, 8192));
  app.add_option("--seq", f.seq, "charlm: characters per training window")->check(CLI::Range(1, 100000));
  app.add_option("--clip", f.clip, "charlm: clip the gradients' global norm to this (0: no clipping)")
      ->check(CLI::Range(0.0f, 1e6f));
  app.add_option("--fortunes", f.fortunes, "charlm: directory of fortune files (default " + std::string(kDefaultFortunesDir) + ")");
  app.add_option("--text", f.text, "charlm: train on this UTF-8 text file instead");
  app.add_option("--eval-windows", f.eval_windows, "charlm: validation windows evaluated after each epoch (the final "
                                                   "evaluation uses all)")
      ->check(CLI::Range(1, 100000000));
  // Every process parses the same arguments and comes to the same verdict; rank 0 alone says it.
  try {
    check_flag_values(app);  // common/flags.hpp: no empty, negative unsigned or non-finite values
    app.parse(argc, argv);
    check_flags_fit_model(f, app);
    fill_defaults(f, job.size());
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      if (root) app.exit(e);  // --help
      return 0;
    }
    if (root) std::fprintf(stderr, "train: error: %s (see --help)\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    if (root) std::fprintf(stderr, "train: error: %s\n", e.what());
    return 1;
  }
  if (f.fortunes.empty()) f.fortunes = kDefaultFortunesDir;

  try {
    f.threads = set_threads(f.threads);
    const bool charlm = is_character_model(f.model), bn = has_batch_norm(f.model);

    // The data: Fashion-MNIST, or text cut into windows of seq + 1 characters.
    ModelSettings settings;
    std::unique_ptr<FashionMnist> images;
    Examples train, validation, validation_sample;
    float pixel_mean = 0, pixel_std = 1;
    // Which training data, as its size and a CRC-32: part of the run, so that processes given
    // different data are stopped before training and a checkpoint is not continued on other data.
    std::string data;
    auto fingerprint = [](std::size_t count, std::uint32_t crc) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "%08x", unsigned(crc));
      return "training_examples=" + std::to_string(count) + " data_crc32=" + hex;
    };
    if (charlm) {
      const TextCorpus corpus = f.text.empty() ? load_fortunes(f.fortunes) : load_text_file(f.text);
      const Vocabulary vocabulary = Vocabulary::from_text(corpus.train);
      train = text_windows(vocabulary.encode_known(corpus.train), f.seq);
      data = fingerprint(train.size(), std::uint32_t(crc32_z(crc32_z(0, Z_NULL, 0),
                                                             reinterpret_cast<const Bytef*>(corpus.train.data()),
                                                             corpus.train.size() * sizeof(char32_t))));
      validation = text_windows(vocabulary.encode_known(corpus.validation), f.seq);
      validation_sample = subset(validation, spread(validation.size(), f.eval_windows));
      settings.vocabulary = vocabulary.size();
      settings.charlm.cell = f.cell;
      settings.charlm.hidden = parse_hidden_widths(f.hidden)[0];
      if (f.layers) settings.charlm.layers = f.layers;
      if (f.embedding) settings.charlm.embedding = f.embedding;
      if (root)
        std::printf("text: %s: %zu training windows of %zu characters, %zu validation windows; vocabulary %zu\n",
                    corpus.source.c_str(), train.size(), f.seq + 1, validation.size(), vocabulary.size());
    } else {
      images = std::make_unique<FashionMnist>(load_fashion_mnist(fashion_mnist_dir(f.data), f.limit));
      // Standardize with the training split's statistics (chapter 01): the same on every process.
      std::tie(pixel_mean, pixel_std) = images->train.pixel_mean_stddev();
      train = examples_from_images(images->train, pixel_mean, pixel_std);
      data = fingerprint(images->train.size(), images->train.checksum());
      validation = examples_from_images(images->test, pixel_mean, pixel_std);
      settings.mlp_hidden = parse_hidden_widths(f.hidden);
      settings.mlp_activation = f.activation;
      if (f.width) settings.cnn.width = f.width;
      if (f.blocks) settings.cnn.blocks = f.blocks;
      if (root)
        std::printf("Fashion-MNIST: %zu training, %zu test images\n", train.size(), validation.size());
    }

    // The same model on every process: the same seed, the same stream.
    Rng rng(f.seed);
    Sequential model = make_model(f.model, settings, rng);
    model.set_needs_input_grad(false);  // the input is data: no dL/dx for the first layer
    // Each further thread of a process trains its share of the process's rows on a copy of the
    // network (chapter 02's replicas); batch norm's statistics forbid that, so its threads share
    // the work inside each layer instead.
    std::vector<Sequential> replicas = make_replicas(bn ? 0 : std::size_t(f.threads - 1), [&](Rng& r) {
      Sequential replica = make_model(f.model, settings, r);
      replica.set_needs_input_grad(false);
      return replica;
    });

    // Each chapter's optimizer.
    std::unique_ptr<Optimizer> inner, optimizer;
    if (charlm) {
      inner = std::make_unique<Adam>(model.parameters(), f.lr);
      optimizer = std::make_unique<ClipGradNorm>(*inner, model.parameters(),
                                                 f.clip > 0 ? f.clip : std::numeric_limits<float>::infinity());
    } else if (bn && f.optimizer == "adamw") {
      AdamWOptions options;
      options.weight_decay = f.weight_decay;
      optimizer = std::make_unique<AdamW>(model.parameters(), f.lr, options);
    } else if (bn) {
      SGDOptions options;
      options.momentum = 0.9f;
      options.nesterov = f.optimizer == "nesterov";
      options.weight_decay = f.weight_decay;
      optimizer = std::make_unique<SGDMomentum>(model.parameters(), f.lr, options);
    } else {
      optimizer = std::make_unique<SGD>(model.parameters(), f.lr);
    }

    LoaderOptions loader_options;
    loader_options.batch_size = f.batch;
    loader_options.drop_last = bn;  // chapter 05: never a short batch for batch norm
    if (f.augment) loader_options.augment = crop_and_flip(2, -pixel_mean / pixel_std);
    DataLoader loader(train, loader_options, rng);
    if (loader.batches() == 0) throw std::invalid_argument("--batch " + std::to_string(f.batch) + " is larger than the " +
                                                           std::to_string(train.size()) + " training examples");

    DataParallelOptions dp_options;
    dp_options.algorithm = all_reduce_algorithm(f.allreduce);
    dp_options.bucket_bytes = f.bucket_kb * 1024;
    DataParallel dp(job.comm(), dp_options);

    TrainerOptions options;
    options.loss = softmax_cross_entropy;
    options.eval_batch_size = charlm ? 64 : 500;
    options.micro_batch = f.micro_batch;
    for (Sequential& replica : replicas) options.replicas.push_back(&replica);
    if (job.size() > 1) options.processes = dp.share();
    const std::string run = run_description(f);
    options.run = {{"run", run}, {"data", data}};
    Trainer trainer(model, *optimizer, loader, options);
    const std::size_t total_steps = f.epochs * loader.batches();
    trainer.add<LearningRateSchedule>(f.schedule == "cosine" ? cosine_schedule(f.lr, total_steps)
                                                             : constant_schedule(f.lr));
    auto& clock = trainer.add<TrainingClock>();
    // Compared across the processes with the run: how the work is spread is not part of a
    // checkpoint's run (a resume may change it), but within one job every process must make the
    // same MPI calls, or one waits forever in a call the other never makes.
    const std::string spread = "allreduce=" + f.allreduce + " bucket_kb=" + std::to_string(f.bucket_kb) +
                               " steps=" + std::to_string(f.steps);
    auto& check = trainer.add<ReplicaCheck>(job.comm(), run + " " + data + " " + spread);
    // A progress bar only for one process on a terminal: mpirun hands every process a terminal of
    // its own, whatever its own output goes to, so a job prints a line per epoch instead.
    if (job.size() == 1 && isatty(fileno(stdout))) trainer.add<ProgressBarCallback>();
    if (root) trainer.add<EpochReport>(dp, charlm);
    if (root && !f.checkpoint.empty()) trainer.add<Checkpointing>(f.checkpoint);
    if (f.steps > 0) trainer.add<StopAfterSteps>(f.steps);

    if (!f.resume.empty()) {
      trainer.resume(f.resume);  // every process reads the file (a shared or copied file on a cluster)
      if (root) std::printf("resumed %s after epoch %zu (step %zu)\n", f.resume.c_str(), trainer.epoch(), trainer.step());
    }
    if (root) {
      std::printf("model: %s, %zu parameters; %zu processes x %d threads; global batch %zu (%zu per process); "
                  "all-reduce: %s, buckets of %zu KiB\n",
                  f.model.c_str(), parameter_count(model), job.size(), f.threads, f.batch, f.batch / job.size(),
                  f.allreduce.c_str(), f.bucket_kb);
      std::fflush(stdout);
    }

    trainer.fit(f.epochs, charlm ? &validation_sample : &validation);
    const Evaluation final_eval = trainer.evaluate(validation);
    if (root && trainer.interrupted())
      std::printf("stopped by --steps after %zu steps (%zu complete epochs)\n", trainer.step(), trainer.epoch());

    // Seconds per epoch: training time per update times the updates of an epoch, which for whole
    // epochs is their mean time, and for a run cut short by --steps its rate.
    const std::size_t updates = clock.updates;
    auto per_epoch = [&](double seconds) { return updates ? seconds / double(updates) * double(loader.batches()) : 0.0; };
    const double seconds_per_epoch = per_epoch(clock.seconds);
    if (root) {
      char quality[96];
      if (charlm)
        std::snprintf(quality, sizeof quality, "val_bits_per_char=%.4f val_loss=%.4f", final_eval.bits_per_token,
                      final_eval.loss);
      else
        std::snprintf(quality, sizeof quality, "test_accuracy=%.4f test_loss=%.4f", final_eval.accuracy, final_eval.loss);
      std::printf("result: model=%s ranks=%zu threads=%d %s epochs=%zu steps=%zu seconds_per_epoch=%.3f "
                  "allreduce=%s allreduce_seconds_per_epoch=%.3f allreduce_wait_seconds_per_epoch=%.3f buckets=%zu batch=%zu lr=%g parameters=%zu "
                  "checksum=%08x\n",
                  f.model.c_str(), job.size(), f.threads, quality, trainer.epoch(), trainer.step(), seconds_per_epoch,
                  f.allreduce.c_str(), per_epoch(dp.seconds()), per_epoch(dp.wait_seconds()),
                  dp.buckets(), f.batch, double(f.lr), parameter_count(model), unsigned(check.last_checksum()));
    }
  } catch (const ProcessesDisagree& e) {
    return job.fail("train", e.what(), true);
  } catch (const TrainingDiverged& e) {  // the loss and gradients were all-reduced: the same verdict everywhere
    return job.fail("train", e.what(), true);
  } catch (const std::exception& e) {
    return job.fail("train", e.what());
  }
  return 0;
}
