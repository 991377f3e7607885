// Data-parallel training as two processes (mpirun -np 2) against training in one process with the
// same global batch. Each process also trains the one-process reference itself, so the two results
// meet in the same process.
//
// Bit for bit: with two processes each sum in the all-reduce has two terms, and a + b == b + a
// exactly, so two processes give the very bits of one process whose batch is split in the same two
// halves between two threads (chapter 02's replicas), whose gradients add up the same way. Against
// one thread computing the whole batch, the order of the additions inside the gradient products
// differs: the same to float rounding. (With three or more processes the ring adds each chunk in
// an order of its own, so even that comparison is to rounding; the sums are still the same on
// every process.)
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "02-mlp/tests/blobs.hpp"
#include "02-mlp/tests/weights_after_training.hpp"
#include "02-mlp/activations.hpp"
#include "02-mlp/dense.hpp"
#include "02-mlp/mlp.hpp"
#include "04-rnn/char_model.hpp"
#include "05-regularization/batch_norm.hpp"
#include "07-optimizers/sgd_momentum.hpp"
#include "08-utilities/callbacks.hpp"
#include "08-utilities/data_loader.hpp"
#include "08-utilities/trainer.hpp"
#include "09-distributed/data_parallel.hpp"
#include "tests/support/require_close.hpp"
#include "tests/support/tmp.hpp"

using namespace dlfs;
using dlfs::test::blobs;
using dlfs::test::require_close;
using dlfs::test::TrainedWeights;
using dlfs::test::weights_after_training;

namespace {

const MPI_Comm kWorld = MPI_COMM_WORLD;

std::size_t my_rank() {
  int r = 0;
  MPI_Comm_rank(kWorld, &r);
  return std::size_t(r);
}

Sequential small_mlp(Rng& rng) { return make_mlp(2, {16}, 3, "relu", rng); }

// Three epochs of plain SGD on blobs in batches of 30, by weights_after_training (chapter 02's
// tests): 290 examples, so the last batch has 20. `processes` empty: one process.
TrainedWeights train_mlp(std::size_t examples, std::size_t replicas, DataParallel* dp) {
  TrainOptions options;
  options.batch_size = 30;
  if (dp) options.processes = dp->share();
  return weights_after_training(small_mlp, blobs(examples), options, replicas, 0.1f, 3);
}

void require_same_bits(const TrainedWeights& actual, const TrainedWeights& expected) {
  REQUIRE(actual.values.size() == expected.values.size());
  for (std::size_t i = 0; i < actual.values.size(); ++i) require_close(actual.values[i], expected.values[i], 0.0, 0.0);
  CHECK(actual.last_loss == expected.last_loss);
  CHECK(actual.steps == expected.steps);
}

void require_close_weights(const TrainedWeights& actual, const TrainedWeights& expected, double tolerance) {
  REQUIRE(actual.values.size() == expected.values.size());
  for (std::size_t i = 0; i < actual.values.size(); ++i)
    require_close(actual.values[i], expected.values[i], tolerance, tolerance * 10);
  CHECK(actual.last_loss == Approx(expected.last_loss).epsilon(tolerance));
}

// Rank 0's scratch directory, created by rank 0 and named to every process.
std::string shared_scratch_dir(const std::string& name) {
  std::string dir = my_rank() == 0 ? test::scratch_dir(name) : std::string();
  int length = int(dir.size());
  MPI_Bcast(&length, 1, MPI_INT, 0, kWorld);
  dir.resize(std::size_t(length));
  MPI_Bcast(dir.data(), length, MPI_CHAR, 0, kWorld);
  return dir;
}

}  // namespace

TEST_CASE("Two processes train to the weights of one process whose two threads split each batch, bit for bit",
          "[09-distributed][data-parallel]") {
  DataParallel dp(kWorld);
  const TrainedWeights two_processes = train_mlp(290, 0, &dp);
  const TrainedWeights two_threads = train_mlp(290, 1, nullptr);
  REQUIRE(dp.size() == 2);
  CHECK(two_processes.steps == 3 * 10);
  require_same_bits(two_processes, two_threads);
}

TEST_CASE("Two processes train to the weights of one process on one thread, to float rounding",
          "[09-distributed][data-parallel]") {
  DataParallel dp(kWorld);
  const TrainedWeights two_processes = train_mlp(290, 0, &dp);
  const TrainedWeights one_thread = train_mlp(290, 0, nullptr);
  require_close_weights(two_processes, one_thread, 1e-5);
}

TEST_CASE("A batch with fewer examples than processes leaves one without rows, and trains as one process does",
          "[09-distributed][data-parallel]") {
  // 31 examples in batches of 30: the last batch has one example, which only rank 1 computes.
  DataParallel dp(kWorld);
  const TrainedWeights two_processes = train_mlp(31, 0, &dp);
  const TrainedWeights two_threads = train_mlp(31, 1, nullptr);
  require_same_bits(two_processes, two_threads);
}

TEST_CASE("Buckets of any size and either all-reduce train to the same bits on two processes",
          "[09-distributed][data-parallel][buckets]") {
  std::vector<TrainedWeights> runs;
  std::vector<std::size_t> buckets;
  for (const AllReduceAlgorithm algorithm : {AllReduceAlgorithm::ring, AllReduceAlgorithm::mpi})
    for (const std::size_t bytes : {std::size_t(0), std::size_t(256), std::size_t(1) << 20}) {
      DataParallel dp(kWorld, {algorithm, bytes});
      runs.push_back(train_mlp(290, 0, &dp));
      buckets.push_back(dp.buckets());
    }
  // 4 tensors, last first: 3 + 48 floats of the output layer, 16 + 32 of the hidden one. One bucket
  // each with 0 bytes; 256 bytes (64 floats) hold one layer each; 1 MiB holds everything.
  for (std::size_t i : {0, 3}) {
    CHECK(buckets[i] == 4);
    CHECK(buckets[i + 1] == 2);
    CHECK(buckets[i + 2] == 1);
  }
  for (std::size_t i = 1; i < runs.size(); ++i) {
    INFO("run " << i);
    require_same_bits(runs[i], runs[0]);
  }
}

TEST_CASE("A character model's per-position targets train across processes as in one, bit for bit",
          "[09-distributed][data-parallel][charlm]") {
  // Windows of 6 of a repeating text of 7 characters: 40 windows, batches of 8 (4 per process).
  std::vector<int> ids;
  for (int i = 0; i < 40 * 6 + 1; ++i) ids.push_back((i * 3 + i / 7) % 7);
  const Examples windows = text_windows(ids, 6);
  CharModelConfig config;
  config.embedding = 4, config.hidden = 8;
  auto make = [&](Rng& rng) { return make_char_model(config, 7, rng); };
  TrainOptions options;
  options.batch_size = 8;
  DataParallel dp(kWorld);
  TrainOptions distributed = options;
  distributed.processes = dp.share();
  const TrainedWeights two_processes = weights_after_training(make, windows, distributed, 0, 0.5f, 2);
  const TrainedWeights two_threads = weights_after_training(make, windows, options, 1, 0.5f, 2);
  require_same_bits(two_processes, two_threads);
}

TEST_CASE("With batch norm, every process keeps the same weights and its running mean is the whole batch's",
          "[09-distributed][data-parallel][batch-norm]") {
  // One step on 21 examples: each process normalizes its rows (10 on rank 0, 11 on rank 1) with
  // their own statistics; the running means, averaged over the processes with their rows as
  // weights, are those of all 21 (an unweighted mean of the two would miss by a 42nd of the gap).
  auto make = [](Rng& rng) {
    Sequential net;
    net.emplace<Dense>(2, 8, rng);
    net.emplace<BatchNorm1d>(8);
    net.emplace<ReLU>();
    net.emplace<Dense>(8, 3, rng);
    return net;
  };
  const Examples data = blobs(21);
  Batch batch = make_batch(data, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20});
  Rng rng_a(5), rng_b(5);
  Sequential split = make(rng_a), whole = make(rng_b);
  SGD sgd_split(split.parameters(), 0.1f), sgd_whole(whole.parameters(), 0.1f);
  DataParallel dp(kWorld);
  TrainOptions options;
  options.processes = dp.share();
  train_on_batch(split, sgd_split, softmax_cross_entropy, batch, 0.1f, options);
  train_on_batch(whole, sgd_whole, softmax_cross_entropy, batch, 0.1f);
  // Rank 0's parameters, sent to rank 1: they must be the same bits there.
  std::vector<Tensor> rank0;
  for (Parameter* p : split.parameters()) {
    Tensor copy = p->value;
    MPI_Bcast(copy.data(), int(copy.size()), MPI_FLOAT, 0, kWorld);
    rank0.push_back(copy);
  }
  const std::vector<Parameter*> mine = split.parameters(), reference = whole.parameters();
  for (std::size_t i = 0; i < mine.size(); ++i) {
    INFO(mine[i]->name);
    require_close(mine[i]->value, rank0[i], 0.0, 0.0);
    if (mine[i]->name == "1.running_mean") require_close(mine[i]->value, reference[i]->value, 1e-6, 1e-5);
  }
}

namespace {

// Momentum SGD on blobs through chapter 08's Trainer for `epochs` epochs in total: from scratch, or
// resumed from `resume`; rank 0 writes `checkpoint` after every epoch when one is named and this is
// a run across processes (or the only process writing).
std::vector<Tensor> fit_blobs(std::size_t epochs, DataParallel* dp, std::size_t replicas, const std::string& resume,
                              const std::string& checkpoint) {
  Rng rng(42);
  Sequential model = small_mlp(rng);
  std::vector<Sequential> copies = make_replicas(replicas, small_mlp);
  SGDOptions momentum;
  momentum.momentum = 0.9f;
  SGDMomentum optimizer(model.parameters(), 0.05f, momentum);
  DataLoader loader(blobs(290), {30, true, false, {}}, rng);
  TrainerOptions options;
  for (Sequential& copy : copies) options.replicas.push_back(&copy);
  if (dp) options.processes = dp->share();
  options.run = {{"run", "blobs momentum 0.05 cosine"}};
  Trainer trainer(model, optimizer, loader, options);
  trainer.add<LearningRateSchedule>(cosine_schedule(0.05f, 3 * loader.batches()));
  if (!checkpoint.empty()) trainer.add<Checkpointing>(checkpoint);
  if (!resume.empty()) trainer.resume(resume);
  trainer.fit(epochs);
  std::vector<Tensor> values;
  for (Parameter* p : model.parameters()) values.push_back(p->value);
  for (const auto& [name, state] : optimizer.state()) values.push_back(*state);
  return values;
}

void require_same_bits(const std::vector<Tensor>& actual, const std::vector<Tensor>& expected) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) require_close(actual[i], expected[i], 0.0, 0.0);
}

}  // namespace

TEST_CASE("A checkpoint resumes with any number of processes: two write, one continues; one writes, two continue",
          "[09-distributed][data-parallel][checkpoint]") {
  const std::string dir = shared_scratch_dir("09-distributed-checkpoints");
  const bool rank0 = my_rank() == 0;
  DataParallel dp(kWorld);
  // The uninterrupted run, three epochs, both ways (they are the same bits: see the top).
  const std::vector<Tensor> uninterrupted = fit_blobs(3, &dp, 0, "", "");
  const std::vector<Tensor> one_process = fit_blobs(3, nullptr, 1, "", "");

  // Two processes train one epoch; rank 0 writes the checkpoint; each process alone continues.
  fit_blobs(1, &dp, 0, "", rank0 ? dir + "/two.safetensors" : "");
  MPI_Barrier(kWorld);
  const std::vector<Tensor> continued_alone = fit_blobs(3, nullptr, 1, dir + "/two.safetensors", "");

  // Rank 0 alone trains one epoch and writes; then the two processes continue together.
  if (rank0) fit_blobs(1, nullptr, 1, "", dir + "/one.safetensors");
  MPI_Barrier(kWorld);
  const std::vector<Tensor> continued_together = fit_blobs(3, &dp, 0, dir + "/one.safetensors", "");

  require_same_bits(one_process, uninterrupted);
  require_same_bits(continued_alone, uninterrupted);
  require_same_bits(continued_together, uninterrupted);
}

TEST_CASE("train_on_batch refuses a share among processes without an all-reduce", "[09-distributed][data-parallel]") {
  Rng rng(1);
  Sequential model = small_mlp(rng);
  SGD sgd(model.parameters(), 0.1f);
  const Batch batch = make_batch(blobs(4), {0, 1, 2, 3});
  TrainOptions options;
  options.processes.rank = 0;
  options.processes.count = 2;
  CHECK_THROWS_WITH(train_on_batch(model, sgd, softmax_cross_entropy, batch, 0.1f, options),
                    Catch::Contains("needs a rank below the count and an all_reduce"));
}

// What DataParallel::all_reduce is called with, outside training: a small model, a batch (its kind
// of targets only), and the batch's result.
struct AllReduceCall {
  Rng rng{1};
  Sequential model = small_mlp(rng);
  Batch batch = make_batch(blobs(4), {0, 1, 2, 3});
  BatchResult result;
};

TEST_CASE("The time a process waits for the slowest is told apart from the transfer",
          "[09-distributed][data-parallel][wait]") {
  // Rank 1 arrives 200 ms late at one all-reduce: rank 0 spends those 200 ms waiting, and its
  // transfer (the rest) stays far below them; rank 1 waits for no one. (The margins leave room for
  // a process descheduled for tens of milliseconds on a loaded machine.)
  AllReduceCall call;
  call.result.loss = 1.0;
  DataParallel dp(kWorld);
  MPI_Barrier(kWorld);  // both start the clock together
  if (dp.rank() == 1) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  dp.all_reduce(call.model, call.batch, call.result);
  CHECK(call.result.loss == 2.0);  // the six numbers are summed too
  INFO("rank " << dp.rank() << ": " << dp.wait_seconds() << " s waiting of " << dp.seconds() << " s");
  CHECK(dp.wait_seconds() <= dp.seconds());
  if (dp.rank() == 0) {
    CHECK(dp.wait_seconds() >= 0.15);
    CHECK(dp.seconds() - dp.wait_seconds() < 0.1);
  } else {
    CHECK(dp.wait_seconds() < 0.1);
  }
}

TEST_CASE("The gradients are summed where they lie, and one replaced by a new tensor is summed too",
          "[09-distributed][data-parallel][buckets]") {
  // After the first all-reduce every .grad is a view of its bucket. A layer that then gave a
  // parameter a new .grad tensor (instead of writing into the old one) moves it out of the
  // bucket: the next all-reduce must notice and plan again, not sum the stale bucket.
  AllReduceCall call;
  Sequential& model = call.model;
  DataParallel dp(kWorld, {AllReduceAlgorithm::ring, 256});  // two buckets
  for (Parameter* p : model.parameters()) p->grad.fill(1.0f);
  dp.all_reduce(model, call.batch, call.result);
  for (Parameter* p : model.parameters())
    for (float g : p->grad) REQUIRE(g == 2.0f);  // 1 + 1, in place
  Parameter* replaced = model.parameters()[0];
  replaced->grad = Tensor(replaced->grad.shape(), float(dp.rank() + 1));
  for (Parameter* p : model.parameters())
    if (p != replaced) p->grad.fill(1.0f);
  dp.all_reduce(model, call.batch, call.result);
  for (float g : replaced->grad) REQUIRE(g == 3.0f);  // 1 + 2
  for (Parameter* p : model.parameters())
    if (p != replaced)
      for (float g : p->grad) REQUIRE(g == 2.0f);
  CHECK(dp.buckets() == 2);
}
