#include "09-distributed/cost_model.hpp"

#include <cmath>
#include <stdexcept>

namespace dlfs {

AlphaBeta network(double latency_seconds, double bits_per_second) {
  if (!(latency_seconds >= 0) || !(bits_per_second > 0))
    throw std::invalid_argument("network: the latency must be >= 0 and the bandwidth > 0");
  return {latency_seconds, 8.0 / bits_per_second};
}

AlphaBeta fit_alpha_beta(const std::vector<double>& bytes, const std::vector<double>& seconds) {
  if (bytes.size() != seconds.size()) throw std::invalid_argument("fit_alpha_beta: sizes and times differ in number");
  // Weighted least squares: minimise sum_i w_i (alpha + beta m_i - t_i)^2 with w_i = 1 / t_i^2.
  // The normal equations:  [S_w   S_wm ] [alpha]   [S_wt ]
  //                        [S_wm  S_wmm] [beta ] = [S_wmt]
  double sw = 0, swm = 0, swmm = 0, swt = 0, swmt = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (!(seconds[i] > 0)) throw std::invalid_argument("fit_alpha_beta: a time that is not positive");
    const double w = 1.0 / (seconds[i] * seconds[i]), m = bytes[i], t = seconds[i];
    sw += w, swm += w * m, swmm += w * m * m, swt += w * t, swmt += w * m * t;
  }
  const double det = sw * swmm - swm * swm;
  if (!(std::abs(det) > 1e-12 * sw * swmm))
    throw std::invalid_argument("fit_alpha_beta: needs times for at least two different message sizes");
  return {(swmm * swt - swm * swmt) / det, (sw * swmt - swm * swt) / det};
}

double ring_allreduce_seconds(const AlphaBeta& net, std::size_t processes, double bytes) {
  if (processes <= 1) return 0.0;
  const double p = double(processes);
  return 2.0 * (p - 1.0) * net.alpha + 2.0 * (p - 1.0) / p * bytes * net.beta;
}

double scaling_efficiency(double compute_seconds, double communication_seconds) {
  return compute_seconds / (compute_seconds + communication_seconds);
}

double examples_for_efficiency(double seconds_per_example, double communication_seconds, double target) {
  if (!(target > 0 && target < 1)) throw std::invalid_argument("examples_for_efficiency: target must be in (0, 1)");
  return target / (1.0 - target) * communication_seconds / seconds_per_example;
}

}  // namespace dlfs
