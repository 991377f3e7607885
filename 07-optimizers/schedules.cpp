#include "07-optimizers/schedules.hpp"

#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

namespace dlfs {

Schedule step_decay_schedule(float lr, std::size_t step_size, float gamma) {
  if (step_size == 0) throw std::invalid_argument("step_decay_schedule: step_size must be positive");
  return [lr, step_size, gamma](std::size_t t) {
    return float(double(lr) * std::pow(double(gamma), double(t / step_size)));  // integer division: floor
  };
}

Schedule exponential_schedule(float lr, float gamma) {
  return [lr, gamma](std::size_t t) { return float(double(lr) * std::pow(double(gamma), double(t))); };
}

Schedule linear_warmup(Schedule after, std::size_t warmup_steps) {
  if (!after) throw std::invalid_argument("linear_warmup: no schedule to warm up into");
  if (warmup_steps == 0) return after;
  return [after = std::move(after), warmup_steps](std::size_t t) {
    if (t < warmup_steps) return float(double(after(0)) * double(t + 1) / double(warmup_steps));
    return after(t - warmup_steps);
  };
}

Schedule warmup_cosine_schedule(float lr, std::size_t warmup_steps, std::size_t total_steps) {
  if (warmup_steps > total_steps)
    throw std::invalid_argument("warmup_cosine_schedule: " + std::to_string(warmup_steps) +
                                " warm-up steps exceed the " + std::to_string(total_steps) + " steps in all");
  return linear_warmup(cosine_schedule(lr, total_steps - warmup_steps), warmup_steps);
}

}  // namespace dlfs
