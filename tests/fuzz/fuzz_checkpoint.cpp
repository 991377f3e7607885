// A training checkpoint resumed as chapter 08's Trainer does for every example's --resume FILE:
// parameters, the optimizer's state, epoch, step, the loader's random stream and the callbacks'
// state (early stopping, the best model so far), every piece checked before any is used. Then one
// more epoch of training, because a checkpoint is loaded to go on training: a value that loads but
// breaks the next step (a step counter no float-to-integer conversion can hold) is a finding too.
#include "02-mlp/mlp.hpp"
#include "07-optimizers/adam.hpp"
#include "08-utilities/callbacks.hpp"
#include "08-utilities/trainer.hpp"
#include "tests/fuzz/targets.hpp"

namespace dlfs::fuzz {

namespace {

// A small run: an MLP 4 -> 3 -> 2 trained with Adam on 8 examples, batches of 4, with the two
// callbacks that keep state in checkpoints.
struct Run {
  Sequential model;
  Adam adam;
  DataLoader loader;
  Trainer trainer;

  Run()
      : model(small_model()),
        adam(model.parameters(), 0.01f),
        loader(examples(), loader_options(), Rng(2)),
        trainer(model, adam, loader, trainer_options()) {
    trainer.add<EarlyStopping>(3);
    trainer.add<KeepBest>(scratch_dir() + "/best.safetensors", Monitor::ValLoss, /*restore_best=*/false);
  }

  static Sequential small_model() {
    Rng rng(1);
    return make_mlp(4, {3}, 2, "relu", rng);
  }
  static LoaderOptions loader_options() {
    LoaderOptions o;
    o.batch_size = 4;
    return o;
  }
  static TrainerOptions trainer_options() {
    TrainerOptions o;
    o.run = {{"run", "batch=4 lr=0.01 hidden=3"}};  // checked on resume, as the examples' flags are
    return o;
  }
  static Examples examples() {
    Tensor x({8, 4});  // (N, F)
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i % 5) - 2.0f;
    return examples_from_tensor(std::move(x), std::vector<int>{0, 1, 1, 0, 1, 0, 0, 1});
  }
};

}  // namespace

bool fuzz_checkpoint(Bytes bytes) {
  const std::string path = write_file("input.safetensors", bytes);
  Run run;
  if (!loads(path, [&] { run.trainer.resume(path); })) return false;
  return loads(path, [&] { run.trainer.fit(run.trainer.epoch() + 1); });
}

void seed_checkpoint(const std::string& dir) {
  Run run;
  run.trainer.fit(2);
  run.trainer.save_checkpoint(dir + "/after-2-epochs.safetensors");
}

}  // namespace dlfs::fuzz
