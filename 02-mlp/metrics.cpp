#include "02-mlp/metrics.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace dlfs {

void MetricSums::add(const Tensor& output, const Targets& targets, double mean_loss) {
  kind_ = targets.kind;
  const std::size_t count = targets.count();
  loss_sum_ += mean_loss * double(count);
  count_ += count;
  if (targets.is_classes()) {
    // Every row of C outputs is one prediction: the class with the largest output (the first on ties).
    const std::size_t C = output.ndim() >= 2 ? output.shape().back() : 0;
    if (C == 0 || output.size() / C != targets.labels.size())
      throw std::invalid_argument("metrics: output of shape " + shape_to_string(output.shape()) + " for " +
                                  std::to_string(targets.labels.size()) + " labels");
    for (std::size_t r = 0; r < targets.labels.size(); ++r) {
      if (targets.labels[r] == kIgnoreIndex) continue;
      const float* z = output.data() + r * C;
      std::size_t best = 0;
      for (std::size_t j = 1; j < C; ++j)
        if (z[j] > z[best]) best = j;
      correct_ += best == std::size_t(targets.labels[r]);
    }
  } else {
    require_same_shape(output, targets.values, "metrics");
    for (std::size_t i = 0; i < output.size(); ++i) {
      const double error = double(output[i]) - targets.values[i];
      absolute_error_ += std::abs(error);
      squared_error_ += error * error;
    }
  }
}

void MetricSums::add(const MetricSums& other) {
  if (other.count_ == 0) return;
  kind_ = other.kind_;
  loss_sum_ += other.loss_sum_;
  count_ += other.count_;
  correct_ += other.correct_;
  absolute_error_ += other.absolute_error_;
  squared_error_ += other.squared_error_;
}

std::array<double, MetricSums::kTotals> MetricSums::totals() const {
  return {double(count_), loss_sum_, double(correct_), absolute_error_, squared_error_};
}

MetricSums::MetricSums(Targets::Kind kind, const std::array<double, kTotals>& totals)
    : kind_(kind), loss_sum_(totals[1]), count_(std::size_t(totals[0])), correct_(std::size_t(totals[2])),
      absolute_error_(totals[3]), squared_error_(totals[4]) {}

Metrics MetricSums::metrics() const {
  Metrics m;
  if (count_ == 0) return m;
  const double n = double(count_);
  m.loss = loss_sum_ / n;
  if (kind_ == Targets::Kind::real_values) {
    m.mae = absolute_error_ / n;
    m.rmse = std::sqrt(squared_error_ / n);
  } else {
    m.accuracy = double(correct_) / n;
    if (kind_ == Targets::Kind::class_per_position) m.bits_per_token = m.loss / std::log(2.0);
  }
  return m;
}

std::string describe(const Metrics& metrics, const std::string& prefix) {
  std::string text;
  const std::pair<const char*, double> fields[] = {{"loss", metrics.loss},
                                                   {"accuracy", metrics.accuracy},
                                                   {"bits_per_token", metrics.bits_per_token},
                                                   {"mae", metrics.mae},
                                                   {"rmse", metrics.rmse}};
  for (const auto& [name, value] : fields) {
    if (std::isnan(value) && std::string(name) != "loss") continue;
    char item[64];
    std::snprintf(item, sizeof item, "%s%s%s %.4f", text.empty() ? "" : " ", prefix.c_str(), name, value);
    text += item;
  }
  return text;
}

}  // namespace dlfs
