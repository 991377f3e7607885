// fit_text_model: the training run of a character model, as charlm and chapter 06's gpt run it.
//
// The caller builds the Trainer and adds the callbacks its model needs (the progress report, a
// schedule, dropout streams); this adds the time budget (--minutes), a checkpoint after every
// epoch (--checkpoint), resumes the interrupted run (--resume), trains for --epochs or until the
// budget runs out, reports the steps since the last report and prints one line on the run.
#pragma once

#include <cstddef>

#include "04-rnn/evaluate_every.hpp"
#include "04-rnn/text_model_flags.hpp"
#include "07-optimizers/clipping.hpp"
#include "08-utilities/trainer.hpp"

namespace dlfs {

struct TextTrainingRun {
  double seconds = 0.0;    // training's own, evaluations left out
  std::size_t tokens = 0;  // characters this run trained on (after a resume: since it)
};

TextTrainingRun fit_text_model(Trainer& trainer, EvaluateEvery& progress, const ClipGradNorm& clipped,
                               const TextModelFlags& flags, std::size_t tokens_per_step, std::size_t batches_per_epoch);

}  // namespace dlfs
