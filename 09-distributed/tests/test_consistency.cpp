// The weights checksum compared across two processes (mpirun -np 2).
#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "02-mlp/tests/blobs.hpp"
#include "02-mlp/mlp.hpp"
#include "07-optimizers/sgd_momentum.hpp"
#include "08-utilities/callbacks.hpp"
#include "08-utilities/data_loader.hpp"
#include "08-utilities/trainer.hpp"
#include "09-distributed/consistency.hpp"
#include "09-distributed/data_parallel.hpp"

using namespace dlfs;
using Catch::Matchers::Contains;

namespace {

const MPI_Comm kWorld = MPI_COMM_WORLD;

std::size_t my_rank() {
  int r = 0;
  MPI_Comm_rank(kWorld, &r);
  return std::size_t(r);
}

Sequential small_mlp(Rng& rng) { return make_mlp(2, {16}, 3, "relu", rng); }

// One epoch of blobs through the Trainer across the processes, with the check; the seed and the
// learning rate of this process as given. Returns the error's text ("" when none).
std::string fit_checked(std::uint64_t seed, float lr) {
  Rng rng(seed);
  Sequential model = small_mlp(rng);
  SGDOptions momentum;
  momentum.momentum = 0.9f;
  SGDMomentum optimizer(model.parameters(), lr, momentum);
  DataLoader loader(test::blobs(60), {20, true, false, {}}, Rng(1));
  DataParallel dp(kWorld);
  TrainerOptions options;
  options.processes = dp.share();
  Trainer trainer(model, optimizer, loader, options);
  trainer.add<ReplicaCheck>(kWorld);
  try {
    trainer.fit(2);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("Processes holding the same weights and optimizer state pass the check", "[09-distributed][consistency]") {
  Rng rng(42);
  Sequential model = small_mlp(rng);
  SGD sgd(model.parameters(), 0.1f);
  CHECK_NOTHROW(require_same_on_every_process(training_state_checksum(model, sgd), kWorld, "at the start"));
}

TEST_CASE("One bit of one weight on one process fails the check, naming the ranks of each checksum",
          "[09-distributed][consistency]") {
  Rng rng(42);
  Sequential model = small_mlp(rng);
  SGD sgd(model.parameters(), 0.1f);
  if (my_rank() == 1) {
    float& w = model.parameters()[0]->value[3];
    std::uint32_t bits;
    std::memcpy(&bits, &w, sizeof bits);
    bits ^= 1u;  // the last bit of the mantissa
    std::memcpy(&w, &bits, sizeof bits);
  }
  const std::uint32_t checksum = training_state_checksum(model, sgd);
  CHECK_THROWS_WITH(require_same_on_every_process(checksum, kWorld, "after epoch 7"),
                    Contains("after epoch 7: the model differs across processes") && Contains(" on rank 0; ") &&
                        Contains(" on rank 1)"));
}

TEST_CASE("The checksum covers the optimizer's state as well as the weights", "[09-distributed][consistency]") {
  Rng rng(42);
  Sequential model = small_mlp(rng);
  SGDOptions momentum;
  momentum.momentum = 0.9f;
  SGDMomentum optimizer(model.parameters(), 0.1f, momentum);
  const std::uint32_t before = training_state_checksum(model, optimizer);
  REQUIRE(!optimizer.state().empty());
  (*optimizer.state()[0].second)[0] += 1.0f;  // a velocity, not a weight
  CHECK(training_state_checksum(model, optimizer) != before);
}

TEST_CASE("The Trainer's check stops processes that started from different seeds before training",
          "[09-distributed][consistency]") {
  const std::string error = fit_checked(42 + my_rank(), 0.1f);
  CHECK_THAT(error, Contains("before training: the model differs across processes"));
}

TEST_CASE("The Trainer's check stops processes that step with different learning rates after the first epoch",
          "[09-distributed][consistency]") {
  const std::string error = fit_checked(42, my_rank() == 0 ? 0.1f : 0.2f);
  CHECK_THAT(error, Contains("after epoch 1: the model differs across processes"));
  const std::string fine = fit_checked(42, 0.1f);
  CHECK(fine.empty());
}
