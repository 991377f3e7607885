#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "02-mlp/tests/blobs.hpp"
#include "02-mlp/tests/toy_tasks.hpp"
#include "02-mlp/activations.hpp"
#include "02-mlp/dense.hpp"
#include "02-mlp/mlp.hpp"
#include "02-mlp/optimizer.hpp"
#include "07-optimizers/make_optimizer.hpp"
#include "08-utilities/callbacks.hpp"
#include "08-utilities/trainer.hpp"
#include "common/fashion_mnist.hpp"
#include "tests/support/tmp.hpp"

using namespace dlfs;
using dlfs::test::blobs;
using dlfs::test::copy_model;
using dlfs::test::copy_task;
using dlfs::test::line;

namespace {


bool same_bits(Layer& a, Layer& b) {
  const auto pa = a.parameters(), pb = b.parameters();
  if (pa.size() != pb.size()) return false;
  for (std::size_t i = 0; i < pa.size(); ++i)
    if (pa[i]->value.shape() != pb[i]->value.shape() ||
        std::memcmp(pa[i]->value.data(), pb[i]->value.data(), pa[i]->value.size() * sizeof(float)) != 0)
      return false;
  return true;
}

// Writes a checkpoint at the end of one given epoch.
struct CheckpointAt : Callback {
  std::size_t epoch;
  std::string path;
  CheckpointAt(std::size_t e, std::string p) : epoch(e), path(std::move(p)) {}
  void on_epoch_complete(Trainer& t, const EpochLog& log) override {  // as Checkpointing does
    if (log.epoch == epoch) t.save_checkpoint(path);
  }
};

// Records the learning rate of every update.
struct RecordRates : Callback {
  std::vector<float> rates;
  void on_batch_end(Trainer& t, double) override { rates.push_back(t.optimizer().learning_rate()); }
};

TrainerOptions with_run(const std::string& run) {
  TrainerOptions options;
  options.run = {{"run", run}};
  return options;
}

LoaderOptions batches_of(std::size_t b) {
  LoaderOptions options;
  options.batch_size = b;
  return options;
}

}  // namespace

TEST_CASE("The Trainer with a plain loader repeats chapter 02's train_epoch bit for bit, in slices and with a replica",
          "[08-utilities][trainer]") {
  const Examples train = blobs(293);  // batches of 30: the last one is short (23)
  const Schedule schedule = cosine_schedule(0.2f, 3 * 10);
  auto make = [](Rng& r) { return make_mlp(2, {16}, 3, "relu", r); };
  for (const std::size_t micro_batch : {std::size_t(0), std::size_t(7)})
    for (const std::size_t replicas : {std::size_t(0), std::size_t(1)}) {
      INFO("micro_batch " << micro_batch << ", replicas " << replicas);
      // Chapter 02's explicit loop, as in 02-mlp/examples/mlp.cpp: one Rng initialises, then shuffles.
      Rng rng(42);
      Sequential reference = make(rng);
      std::vector<Sequential> reference_copies = make_replicas(replicas, make);
      SGD sgd(reference.parameters(), 0.2f);
      std::size_t step = 0;
      TrainOptions options;
      options.batch_size = 30;
      options.micro_batch = micro_batch;
      for (Sequential& copy : reference_copies) options.replicas.push_back(&copy);
      options.progress = false;
      std::vector<double> reference_losses;
      for (int epoch = 0; epoch < 3; ++epoch)
        reference_losses.push_back(train_epoch(reference, sgd, softmax_cross_entropy, train, rng, schedule, step, options).loss);

      // The Trainer: the loader continues the initialising stream, the schedule is a callback.
      Rng init(42);
      Sequential model = make(init);
      std::vector<Sequential> copies = make_replicas(replicas, make);
      SGD sgd2(model.parameters(), 0.2f);
      DataLoader loader(train, batches_of(30), init);
      TrainerOptions trainer_options;
      trainer_options.micro_batch = micro_batch;
      for (Sequential& copy : copies) trainer_options.replicas.push_back(&copy);
      Trainer trainer(model, sgd2, loader, trainer_options);
      trainer.add<LearningRateSchedule>(schedule);
      const auto logs = trainer.fit(3);

      CHECK(same_bits(model, reference));
      REQUIRE(logs.size() == 3);
      for (int e = 0; e < 3; ++e) CHECK(logs[std::size_t(e)].train.loss == reference_losses[std::size_t(e)]);
      CHECK(trainer.step() == step);
    }
}

TEST_CASE("The Trainer trains labels per position and real values, with their metrics", "[08-utilities][trainer][targets]") {
  SECTION("a copy task labelled per position: loss per token, bits per token, accuracy") {
    Rng rng(3);
    const Examples data = copy_task(60, 5, 4, rng);
    Sequential model = copy_model(4, rng);
    SGD sgd(model.parameters(), 0.5f);
    DataLoader loader(data, batches_of(16), rng);
    TrainerOptions options;
    options.micro_batch = 5;
    Trainer trainer(model, sgd, loader, options);
    const auto logs = trainer.fit(30, &data);
    REQUIRE(logs.size() == 30);
    CHECK(logs.back().train.loss < 0.2 * logs.front().train.loss);
    CHECK(logs.back().validation.bits_per_token == Approx(logs.back().validation.loss / std::log(2.0)));
    CHECK(logs.back().validation.accuracy == 1.0);
    CHECK(std::isnan(logs.back().validation.mae));
    const Evaluation ev = trainer.evaluate(data);
    CHECK(ev.loss == logs.back().validation.loss);
  }
  SECTION("a line to regress: MSE, MAE and RMSE") {
    Rng rng(4);
    const Examples data = line(100, rng);
    Sequential model;
    model.emplace<Dense>(2, 1, rng, Init::Xavier);
    SGD sgd(model.parameters(), 0.1f);
    DataLoader loader(data, batches_of(10), rng);
    TrainerOptions options;
    options.loss = mse;
    Trainer trainer(model, sgd, loader, options);
    const auto logs = trainer.fit(40, &data);
    CHECK(logs.back().validation.loss < 1e-4);
    CHECK(logs.back().validation.rmse == Approx(std::sqrt(logs.back().validation.loss)).epsilon(1e-3));
    CHECK(logs.back().validation.mae <= logs.back().validation.rmse);
    CHECK(std::isnan(logs.back().validation.accuracy));
  }
}

TEST_CASE("The Trainer trains with its loss and evaluates with its evaluation loss", "[08-utilities][trainer]") {
  Rng rng(5);
  const Examples data = blobs(40);
  Sequential model = make_mlp(2, {8}, 3, "relu", rng);
  SGD sgd(model.parameters(), 0.1f);
  DataLoader loader(data, batches_of(10), rng);
  TrainerOptions options;
  // A training loss that differs from the reported one: twice the cross-entropy.
  options.loss = [](const Tensor& z, const Targets& y) {
    LossAndGrad l = softmax_cross_entropy(z, y);
    l.loss *= 2;
    for (float& g : l.grad) g *= 2;
    return l;
  };
  Trainer trainer(model, sgd, loader, options);
  const auto logs = trainer.fit(1, &data);
  CHECK(logs.back().validation.loss == Approx(2 * evaluate(model, softmax_cross_entropy, data).loss));

  options.evaluation_loss = softmax_cross_entropy;
  Trainer reporting_plain(model, sgd, loader, options);
  CHECK(reporting_plain.evaluate(data).loss == evaluate(model, softmax_cross_entropy, data).loss);

  // Each loss is called where it belongs: 4 training batches of 10, one evaluation batch of 40.
  std::size_t trained = 0, evaluated = 0;
  options.loss = [&](const Tensor& z, const Targets& y) { return ++trained, softmax_cross_entropy(z, y); };
  options.evaluation_loss = [&](const Tensor& z, const Targets& y) { return ++evaluated, softmax_cross_entropy(z, y); };
  Trainer counting(model, sgd, loader, options);
  counting.fit(counting.epoch() + 1, &data);
  CHECK(trained == 4);
  CHECK(evaluated == 1);
}

TEST_CASE("The Trainer stops a diverged run and callbacks never see it", "[08-utilities][trainer][diverged]") {
  Rng rng(1);
  Sequential model = make_mlp(2, {8}, 3, "relu", rng);
  SGD sgd(model.parameters(), 0.1f);
  DataLoader loader(blobs(60), batches_of(10), rng);
  TrainerOptions options;
  std::size_t calls = 0;
  options.loss = [&](const Tensor& logits, const Targets& targets) {
    LossAndGrad l = softmax_cross_entropy(logits, targets);
    if (++calls == 9) l.loss = INFINITY;  // the third batch of epoch 2
    return l;
  };
  Trainer trainer(model, sgd, loader, options);
  struct CountEpochs : Callback {
    std::size_t ended = 0;
    void on_epoch_end(Trainer&, const EpochLog&) override { ++ended; }
  };
  const CountEpochs& counter = trainer.add<CountEpochs>();
  CHECK_THROWS_WITH(trainer.fit(5), Catch::Contains("training diverged at epoch 2, step 8: the loss is infinite"));
  CHECK(counter.ended == 1);
  CHECK(trainer.step() == 8);
}

TEST_CASE("fit after resume from an epoch-2 checkpoint ends with the uninterrupted run's exact weights", "[08-utilities][trainer][resume]") {
  const std::string dir = test::scratch_dir("trainer-resume");
  const Examples train = blobs(200), validation = blobs(60, 8);
  LoaderOptions options = batches_of(16);
  options.augment = random_horizontal_flip(0.3f);  // the loader's stream matters for augmentation too
  const TrainerOptions trainer_options = with_run("adam lr=0.01 batch=16");

  // Uninterrupted: 5 epochs with Adam (whose moments and step count are state), checkpoint at 2.
  Rng rng(1);
  Sequential full = make_mlp(2, {8, 8}, 3, "tanh", rng);
  auto adam = make_optimizer("adam", full.parameters(), 0.01f);
  DataLoader loader(train, options, rng);
  Trainer trainer(full, *adam, loader, trainer_options);
  trainer.add<LearningRateSchedule>(cosine_schedule(0.01f, 5 * 13));
  trainer.add<CheckpointAt>(2, dir + "/epoch2.safetensors");
  trainer.fit(5, &validation);

  // Interrupted: a different initialisation and loader seed, then the checkpoint restores it all.
  Rng other(999);
  Sequential resumed = make_mlp(2, {8, 8}, 3, "tanh", other);
  auto adam2 = make_optimizer("adam", resumed.parameters(), 0.01f);
  DataLoader loader2(train, options, Rng(12345));
  Trainer trainer2(resumed, *adam2, loader2, trainer_options);
  trainer2.add<LearningRateSchedule>(cosine_schedule(0.01f, 5 * 13));
  trainer2.resume(dir + "/epoch2.safetensors");
  CHECK(trainer2.epoch() == 2);
  CHECK(trainer2.step() == 2 * 13);
  const auto logs = trainer2.fit(5, &validation);

  CHECK(logs.size() == 3);  // epochs 3, 4, 5
  CHECK(same_bits(resumed, full));
  const auto state = adam->state(), state2 = adam2->state();
  REQUIRE(state.size() == state2.size());
  for (std::size_t i = 0; i < state.size(); ++i)
    CHECK(std::memcmp(state[i].second->data(), state2[i].second->data(), state[i].second->size() * sizeof(float)) == 0);
}

TEST_CASE("Early stopping and the best weights resume from any epoch's checkpoint as if never interrupted",
          "[08-utilities][trainer][resume][callbacks]") {
  // Validation blobs with every fourth label wrong: their loss falls while the network learns the
  // blobs, then rises as it grows sure of the right classes. So early stopping and KeepBest have
  // memory worth keeping at the checkpoints (a best epoch behind, bad epochs counted).
  const std::string dir = test::scratch_dir("trainer-resume-callbacks");
  const Examples train = blobs(60);
  std::vector<std::size_t> all(40);
  std::vector<int> labels(40);
  for (std::size_t i = 0; i < 40; ++i) all[i] = i, labels[i] = int(i % 3 + (i % 4 == 0)) % 3;  // blobs' labels are i % 3
  const Examples validation = examples_from_tensor(blobs(40, 9).inputs(all), labels);
  const TrainerOptions trainer_options = with_run("sgd lr=0.05 batch=30");
  struct Run {
    Rng init;
    Sequential model;
    std::unique_ptr<Optimizer> sgd;
    DataLoader loader;
    Trainer trainer;
    bool checkpoints;
    EarlyStopping& stopping;
    KeepBest& best;
    // With a checkpoint_dir, a checkpoint after every epoch, its callbacks added BEFORE early
    // stopping's and KeepBest's: it must hold their state of the epoch all the same.
    Run(std::uint64_t seed, const Examples& train, const TrainerOptions& options, const std::string& checkpoint_dir = "")
        : init(seed),
          model(make_mlp(2, {16}, 3, "tanh", init)),
          sgd(make_optimizer("sgd", model.parameters(), 0.05f)),
          loader(train, batches_of(30), Rng(seed + 1)),
          trainer(model, *sgd, loader, options),
          checkpoints(add_checkpoints(trainer, checkpoint_dir)),
          stopping(trainer.add<EarlyStopping>(3, Monitor::ValLoss)),
          best(trainer.add<KeepBest>("", Monitor::ValLoss)) {}
    static bool add_checkpoints(Trainer& trainer, const std::string& dir) {
      if (dir.empty()) return false;
      for (std::size_t e = 1; e <= 200; ++e)
        trainer.add<CheckpointAt>(e, dir + "/epoch" + std::to_string(e) + ".safetensors");
      return true;
    }
  };
  Run full(1, train, trainer_options, dir);
  const auto logs = full.trainer.fit(200, &validation);
  INFO("stopped after " << logs.size() << " epochs, the best was " << full.best.best_epoch());
  // The validation loss fell, then rose for three epochs: the checkpoints after the best epoch hold
  // one and two bad epochs, and the last one the stop.
  REQUIRE(full.best.best_epoch() > 1);
  REQUIRE(full.stopping.stopped());
  REQUIRE(full.best.best_epoch() + 3 == logs.size());

  for (std::size_t e = 1; e <= logs.size(); ++e) {
    INFO("resumed from the checkpoint of epoch " << e);
    Run resumed(99, train, trainer_options);  // another initialisation and loader seed: all comes from the file
    resumed.trainer.resume(dir + "/epoch" + std::to_string(e) + ".safetensors");
    const auto more = resumed.trainer.fit(200, &validation);
    CHECK(more.size() == logs.size() - e);
    CHECK(resumed.stopping.stopped());
    CHECK(resumed.best.best_epoch() == full.best.best_epoch());
    CHECK(same_bits(resumed.model, full.model));  // the best epoch's weights, put back at the end
  }
}

TEST_CASE("Chapter 02's explicit loop resumes exactly through common's checkpoint functions", "[08-utilities][resume]") {
  // What 02-mlp/examples/mlp.cpp does with --checkpoint and --resume, with a stateful optimizer.
  const std::string path = test::scratch_dir("loop-resume") + "/checkpoint.safetensors";
  const Examples train = blobs(150);
  TrainOptions options;
  options.batch_size = 25;
  options.progress = false;
  auto run = [&](Sequential& model, Optimizer& opt, Rng& rng, std::size_t& step, std::size_t from, std::size_t to) {
    for (std::size_t epoch = from; epoch <= to; ++epoch) {
      train_epoch(model, opt, softmax_cross_entropy, train, rng, constant_schedule(0.05f), step, options);
      if (epoch == 2)
        save_checkpoint(path, model.name(), named_values(model.parameters()), opt.state(),
                        {epoch, step, rng.state(), opt.name()});
    }
  };
  Rng rng(3);
  Sequential full = make_mlp(2, {12}, 3, "relu", rng);
  auto momentum = make_optimizer("momentum", full.parameters(), 0.05f);
  std::size_t step = 0;
  run(full, *momentum, rng, step, 1, 4);

  Rng rng2(3);
  Sequential resumed = make_mlp(2, {12}, 3, "relu", rng2);
  auto momentum2 = make_optimizer("momentum", resumed.parameters(), 0.05f);
  const TrainingState state = load_checkpoint(path, resumed.name(), named_values(resumed.parameters()),
                                              momentum2->state(), momentum2->name());
  rng2.set_state(state.rng);
  std::size_t step2 = state.step;
  run(resumed, *momentum2, rng2, step2, state.epoch + 1, 4);
  CHECK(same_bits(resumed, full));
  CHECK(step2 == step);
}

TEST_CASE("A checkpoint written under other hyperparameters is not resumed", "[08-utilities][trainer][resume]") {
  const std::string path = test::scratch_dir("trainer-run-mismatch") + "/c.safetensors";
  const Examples train = blobs(30);
  Rng rng(1);
  Sequential model = make_mlp(2, {4}, 3, "relu", rng);
  SGD sgd(model.parameters(), 0.1f);
  DataLoader loader(train, batches_of(10), rng);
  Trainer trainer(model, sgd, loader, with_run("batch=10"));
  trainer.fit(1);
  trainer.save_checkpoint(path);
  Trainer other(model, sgd, loader, with_run("batch=20"));
  CHECK_THROWS_WITH(other.resume(path), Catch::Contains(path + ": the checkpoint was written with run 'batch=10' but this run has 'batch=20'"));
  CHECK(other.epoch() == 0);
}

TEST_CASE("Checkpointing writes a checkpoint of the latest completed epoch", "[08-utilities][trainer][callbacks]") {
  const std::string path = test::scratch_dir("trainer-checkpointing") + "/c.safetensors";
  const Examples train = blobs(30);
  Rng rng(1);
  Sequential model = make_mlp(2, {4}, 3, "relu", rng);
  SGD sgd(model.parameters(), 0.1f);
  DataLoader loader(train, batches_of(10), rng);
  Trainer trainer(model, sgd, loader, TrainerOptions{});
  trainer.add<Checkpointing>(path);
  trainer.fit(3);
  const SafetensorsFile file = read_safetensors(path);
  CHECK(file.metadata.at("kind") == "checkpoint");
  CHECK(file.metadata.at("epoch") == "3");
  CHECK(file.metadata.at("step") == "9");
  CHECK(file.metadata.at("rng_state") == rng_state_to_hex(loader.rng().state()));
}

TEST_CASE("Early stopping stops once the validation loss has not improved for `patience` epochs", "[08-utilities][trainer][callbacks]") {
  const Examples train = blobs(30);
  Rng rng(1);
  Sequential model = make_mlp(2, {4}, 3, "relu", rng);
  SGD sgd(model.parameters(), 0.1f);
  DataLoader loader(train, batches_of(10), rng);
  Trainer trainer(model, sgd, loader, TrainerOptions{});
  EarlyStopping stopper(2, Monitor::ValLoss);
  const double losses[] = {1.0, 0.8, 0.85, 0.8, 0.9};
  for (std::size_t e = 0; e < 4; ++e) {
    EpochLog log;
    log.epoch = e + 1;
    log.validation.loss = losses[e];
    CHECK_FALSE(stopper.stopped());
    stopper.on_epoch_end(trainer, log);
  }
  CHECK(stopper.stopped());  // epochs 3 and 4 were no better than epoch 2's 0.8
  CHECK(stopper.best_epoch() == 2);
}

TEST_CASE("fit ends early when EarlyStopping says so", "[08-utilities][trainer][callbacks]") {
  const Examples train = blobs(90);
  Rng rng(1);
  Sequential model = make_mlp(2, {8}, 3, "relu", rng);
  SGD sgd(model.parameters(), 0.1f);
  DataLoader loader(train, batches_of(30), rng);
  Trainer trainer(model, sgd, loader, TrainerOptions{});
  auto& stopper = trainer.add<EarlyStopping>(1, Monitor::ValAccuracy);
  const auto logs = trainer.fit(500, &train);
  CHECK(stopper.stopped());
  CHECK(logs.size() < 500);
  CHECK(trainer.epoch() == logs.size());
  CHECK_FALSE(trainer.interrupted());
}

TEST_CASE("KeepBest saves the best epoch's model and puts its weights back at the end", "[08-utilities][trainer][callbacks]") {
  const std::string path = test::scratch_dir("keep-best") + "/best.safetensors";
  const Examples train = blobs(30);
  Rng rng(1);
  Sequential model = make_mlp(2, {4}, 3, "relu", rng);
  SGD sgd(model.parameters(), 0.1f);
  DataLoader loader(train, batches_of(10), rng);
  Trainer trainer(model, sgd, loader, TrainerOptions{});
  KeepBest keep(path, Monitor::ValAccuracy);
  const double accuracies[] = {0.5, 0.9, 0.7};
  for (std::size_t e = 0; e < 3; ++e) {
    for (Parameter* p : model.parameters()) p->value.fill(float(e));  // epoch e's weights are all e
    EpochLog log;
    log.epoch = e + 1;
    log.validation.accuracy = accuracies[e];
    keep.on_epoch_end(trainer, log);
  }
  CHECK(keep.best_epoch() == 2);
  keep.on_fit_end(trainer);
  CHECK(model.parameters()[0]->value[0] == 1.0f);  // restored: epoch 2 had the weights 1

  Rng rng2(5);
  Sequential loaded = make_mlp(2, {4}, 3, "relu", rng2);
  const Metadata meta = load_model(path, loaded.name(), named_values(loaded.parameters()));
  CHECK(meta.at("epoch") == "2");
  CHECK(loaded.parameters()[0]->value[0] == 1.0f);
}

TEST_CASE("The metrics CSV gets a header and one row per epoch", "[08-utilities][trainer][callbacks]") {
  const std::string path = test::scratch_dir("trainer-csv") + "/metrics.csv";
  const Examples train = blobs(30);
  Rng rng(1);
  Sequential model = make_mlp(2, {4}, 3, "relu", rng);
  SGD sgd(model.parameters(), 0.1f);
  DataLoader loader(train, batches_of(10), rng);
  Trainer trainer(model, sgd, loader, TrainerOptions{});
  trainer.add<MetricsCsvCallback>(path);
  trainer.fit(2, &train);
  std::ifstream in(path);
  std::string header, row1, row2, extra;
  std::getline(in, header), std::getline(in, row1), std::getline(in, row2);
  CHECK(header ==
        "epoch,lr,train_loss,train_accuracy,train_mae,train_rmse,val_loss,val_accuracy,val_bits_per_token,val_mae,"
        "val_rmse,seconds");
  CHECK(row1.rfind("1,", 0) == 0);
  CHECK(row2.rfind("2,", 0) == 0);
  CHECK_FALSE(std::getline(in, extra));
}

TEST_CASE("The learning-rate schedule sets the rate of every update from the global step", "[08-utilities][trainer][callbacks]") {
  const Examples train = blobs(30);
  Rng rng(1);
  Sequential model = make_mlp(2, {4}, 3, "relu", rng);
  SGD sgd(model.parameters(), 0.1f);
  DataLoader loader(train, batches_of(10), rng);
  Trainer trainer(model, sgd, loader, TrainerOptions{});
  trainer.add<LearningRateSchedule>([](std::size_t step) { return float(step + 1) / 8; });  // exact in float
  auto& rates = trainer.add<RecordRates>();
  trainer.fit(2);
  CHECK(rates.rates == std::vector<float>{0.125f, 0.25f, 0.375f, 0.5f, 0.625f, 0.75f});
}

TEST_CASE("A spent time budget stops mid-epoch and that epoch does not count", "[08-utilities][trainer][callbacks]") {
  const Examples train = blobs(30);
  Rng rng(1);
  Sequential model = make_mlp(2, {4}, 3, "relu", rng);
  SGD sgd(model.parameters(), 0.1f);
  DataLoader loader(train, batches_of(10), rng);
  Trainer trainer(model, sgd, loader, TrainerOptions{});
  trainer.add<TimeBudget>(0.0);
  const auto logs = trainer.fit(3);
  CHECK(logs.empty());
  CHECK(trainer.interrupted());
  CHECK(trainer.epoch() == 0);
  CHECK(trainer.step() == 1);
}

TEST_CASE("After a stop in the middle of an epoch, fit and save_checkpoint refuse to go on", "[08-utilities][trainer][callbacks]") {
  const Examples train = blobs(30);
  Rng rng(1);
  Sequential model = make_mlp(2, {4}, 3, "relu", rng);
  SGD sgd(model.parameters(), 0.1f);
  DataLoader loader(train, batches_of(10), rng);
  Trainer trainer(model, sgd, loader, TrainerOptions{});
  trainer.add<TimeBudget>(0.0);
  trainer.fit(3);
  REQUIRE(trainer.interrupted());
  const std::string path = test::scratch_dir("trainer-interrupted") + "/c.safetensors";
  CHECK_THROWS_WITH(trainer.save_checkpoint(path), Catch::Contains("save_checkpoint after a stop in the middle of epoch 1"));
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK_THROWS_WITH(trainer.fit(3), Catch::Contains("fit after a stop in the middle of epoch 1"));
  CHECK(trainer.step() == 1);
}

TEST_CASE("A checkpoint a callback refuses changes nothing: weights, optimizer state and callbacks as before",
          "[08-utilities][trainer][resume][callbacks]") {
  const std::string path = test::scratch_dir("trainer-refused") + "/c.safetensors";
  const Examples train = blobs(60), validation = blobs(30, 5);
  const TrainerOptions options = with_run("adam");
  {  // A run with a KeepBest, and no early stopping, writes the checkpoint.
    Rng rng(1);
    Sequential model = make_mlp(2, {8}, 3, "tanh", rng);
    auto adam = make_optimizer("adam", model.parameters(), 0.01f);
    DataLoader loader(train, batches_of(20), Rng(2));
    Trainer trainer(model, *adam, loader, options);
    trainer.add<KeepBest>("", Monitor::ValLoss);
    trainer.add<CheckpointAt>(2, path);
    trainer.fit(2, &validation);
  }
  // Resumed with a KeepBest (whose best weights and entries the file has) and an EarlyStopping
  // (whose entries it lacks): KeepBest loads, then EarlyStopping refuses.
  Rng rng(7);
  Sequential model = make_mlp(2, {8}, 3, "tanh", rng);
  auto adam = make_optimizer("adam", model.parameters(), 0.01f);
  DataLoader loader(train, batches_of(20), Rng(8));
  Trainer trainer(model, *adam, loader, options);
  trainer.fit(1, &validation);  // some Adam state, and weights away from the initial ones
  KeepBest& best = trainer.add<KeepBest>("", Monitor::ValLoss);
  trainer.add<EarlyStopping>(3, Monitor::ValLoss);
  Sequential before = make_mlp(2, {8}, 3, "tanh", rng);
  for (std::size_t i = 0; i < model.parameters().size(); ++i)
    before.parameters()[i]->value.copy_from(model.parameters()[i]->value);
  std::vector<Tensor> state_before;
  for (const auto& [name, tensor] : adam->state()) state_before.push_back(*tensor);
  CHECK_THROWS_WITH(trainer.resume(path), Catch::Contains("has no \"early_stopping.best\""));
  CHECK(same_bits(model, before));
  const auto state = adam->state();
  for (std::size_t i = 0; i < state.size(); ++i)
    CHECK(std::memcmp(state[i].second->data(), state_before[i].data(), state_before[i].size() * sizeof(float)) == 0);
  CHECK(best.best_epoch() == 0);  // KeepBest's entries put back too
  CHECK(trainer.epoch() == 1);
}

TEST_CASE("The Trainer learns a Fashion-MNIST subset, validated on a held-out split", "[08-utilities][trainer][real-data]") {
  const std::string dir = fashion_mnist_dir();
  if (!std::filesystem::exists(dir + "/train-images-idx3-ubyte.gz")) FAIL(dir + " is missing: run ./dlfs setup");
  const FashionMnist data = load_fashion_mnist(dir, 3000);
  const auto [mean, stddev] = data.train.pixel_mean_stddev();
  Rng split_rng(1);
  const auto [train, validation] = split_validation(examples_from_images(data.train, mean, stddev), 500, split_rng);
  Rng rng(2);
  Sequential model = make_mlp(784, {64}, 10, "relu", rng);
  auto momentum = make_optimizer("momentum", model.parameters(), 0.02f);
  DataLoader loader(train, batches_of(50), rng);
  Trainer trainer(model, *momentum, loader);
  const auto logs = trainer.fit(3, &validation);
  REQUIRE(logs.size() == 3);
  CHECK(logs.back().validation.accuracy > 0.75);
  CHECK(logs.back().train.loss < logs.front().train.loss);
}
