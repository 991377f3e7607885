// Learning-rate schedules: functions of the global step (0-based) that chapter 02's train_epoch
// calls before every update (02-mlp/train.hpp: Schedule, constant_schedule, cosine_schedule).
//
// Why change the rate at all: early on, large steps travel fast toward a good region; late, the
// gradient noise of small batches keeps a large-step optimizer bouncing around the minimum at a
// distance that grows with the rate. Shrinking the rate lets it settle. Warm-up solves the
// opposite problem at the start: Adam's first steps (and a fresh network's first gradients) are
// unreliable, so the rate ramps up from near zero instead of starting at full size.
//
// Our schedules count optimizer steps (batches), not epochs. PyTorch's StepLR and ExponentialLR
// are usually stepped once per epoch: pass their step_size times the batches per epoch, and
// gamma^(1 / batches per epoch) for an exponential decay per epoch.
#pragma once

#include <cstddef>

#include "02-mlp/train.hpp"

namespace dlfs {

// Step decay (PyTorch's StepLR): lr_t = lr gamma^floor(t / step_size), e.g. gamma 0.1 every 30 epochs.
Schedule step_decay_schedule(float lr, std::size_t step_size, float gamma = 0.1f);

// Exponential decay (PyTorch's ExponentialLR): lr_t = lr gamma^t.
Schedule exponential_schedule(float lr, float gamma);

// Linear warm-up in front of any schedule:
//   t < W:   lr_t = after(0) (t + 1) / W      (rises to the full rate at t = W - 1)
//   t >= W:  lr_t = after(t - W)               (the schedule starts when warm-up ends)
// W = 0 leaves `after` unchanged.
Schedule linear_warmup(Schedule after, std::size_t warmup_steps);

// Cosine decay with linear warm-up: W steps up to lr, then chapter 02's cosine_schedule from lr
// to 0 over the remaining total_steps - W (the usual recipe for Adam and for transformers).
Schedule warmup_cosine_schedule(float lr, std::size_t warmup_steps, std::size_t total_steps);

}  // namespace dlfs
