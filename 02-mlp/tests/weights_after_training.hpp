// weights_after_training: train a fresh network with given options and return its weights, so a
// test can compare two ways of training (whole batches against slices, or slices on replicas).
// Chapter 02's training tests introduce it; chapter 03's reuse it from here.
#pragma once

#include <functional>
#include <vector>

#include "02-mlp/losses.hpp"
#include "02-mlp/optimizer.hpp"
#include "02-mlp/train.hpp"
#include "common/random.hpp"

namespace dlfs::test {

struct TrainedWeights {
  std::vector<Tensor> values;  // every parameter's value, in parameters() order
  double last_loss = 0.0;      // the last epoch's mean training loss
  std::size_t steps = 0;       // optimizer steps taken
};

// make(rng) builds the network from seed 42 (the same initial weights and shuffling every call);
// `replicas` further copies of it train alongside (TrainOptions::replicas). Plain SGD at `lr`.
inline TrainedWeights weights_after_training(const std::function<Sequential(Rng&)>& make, const Examples& train,
                                             TrainOptions options, std::size_t replicas, float lr, int epochs) {
  Rng rng(42);
  Sequential model = make(rng);
  std::vector<Sequential> copies = make_replicas(replicas, make);
  for (Sequential& copy : copies) options.replicas.push_back(&copy);
  options.progress = false;
  SGD sgd(model.parameters(), lr);
  TrainedWeights out;
  for (int epoch = 0; epoch < epochs; ++epoch)
    out.last_loss = train_epoch(model, sgd, softmax_cross_entropy, train, rng, constant_schedule(lr), out.steps, options).loss;
  for (Parameter* p : model.parameters()) out.values.push_back(p->value);
  return out;
}

}  // namespace dlfs::test
