#include "04-rnn/fit_text_model.hpp"

#include <cstdio>
#include <limits>

#include "08-utilities/callbacks.hpp"

namespace dlfs {

TextTrainingRun fit_text_model(Trainer& trainer, EvaluateEvery& progress, const ClipGradNorm& clipped,
                               const TextModelFlags& flags, std::size_t tokens_per_step, std::size_t batches_per_epoch) {
  trainer.add<TimeBudget>(flags.minutes * 60.0);
  if (!flags.checkpoint_path.empty()) trainer.add<Checkpointing>(flags.checkpoint_path);
  if (!flags.resume_path.empty()) {
    trainer.resume(flags.resume_path);
    std::printf("resumed %s after epoch %zu (step %zu)\n", flags.resume_path.c_str(), trainer.epoch(), trainer.step());
  }
  const std::size_t first_step = trainer.step();
  trainer.fit(flags.epochs > 0 ? flags.epochs : std::numeric_limits<std::size_t>::max());
  if (trainer.step() % flags.eval_every != 0) progress.report(trainer);  // the last steps' line
  TextTrainingRun run{progress.training_seconds(), (trainer.step() - first_step) * tokens_per_step};
  char clipping[96] = "no clipping";
  if (flags.clip > 0)
    std::snprintf(clipping, sizeof clipping, "clipped to %.2f on %zu steps", double(flags.clip), clipped.clipped_steps());
  std::printf("trained %zu steps (%.2f epochs) in %.0f s; gradient norm before clipping: mean %.3f, largest %.3f; %s\n",
              trainer.step(), double(trainer.step()) / double(batches_per_epoch), run.seconds, progress.mean_norm(),
              progress.largest_norm(), clipping);
  return run;
}

}  // namespace dlfs
