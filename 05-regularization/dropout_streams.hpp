// DropoutStreams: a Trainer callback (chapter 08) that puts where every dropout layer's random
// stream stands into the run's checkpoints.
//
// A Dropout layer draws its masks from a stream of its own (dropout.hpp). The weights and the
// optimizer's state are not all a resumed run needs to go on exactly as the uninterrupted one: it
// must also draw the masks that run would have drawn next. So a checkpoint keeps each stream's state
// under "dropout.<name>.rng_state", and resuming sets every stream back to it. This chapter's train
// and chapter 06's gpt use it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "02-mlp/sequential.hpp"
#include "05-regularization/dropout.hpp"
#include "08-utilities/trainer.hpp"

namespace dlfs {

// Dropout layers, each with a name unique in its network ("3" for a Sequential's fourth layer,
// "blocks.0.dropout1" for a layer deeper inside).
using NamedDropouts = std::vector<std::pair<std::string, Dropout*>>;

// The Dropout layers among a Sequential's layers, named by their positions.
NamedDropouts dropouts_of(Sequential& model);

class DropoutStreams : public Callback {
 public:
  // The layers must outlive the callback.
  explicit DropoutStreams(NamedDropouts layers) : layers_(std::move(layers)) {}

  void save_state(Trainer&, NamedTensors&, Metadata& metadata) override;
  // Throws std::runtime_error naming `path` when a stream's entry is missing or malformed; then no
  // stream has been changed.
  void load_state(Trainer&, const std::string& path, const Metadata& metadata) override;

 private:
  NamedDropouts layers_;
};

}  // namespace dlfs
