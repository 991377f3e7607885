#include "08-utilities/search_space.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace dlfs {

std::string format_value(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", value);
  return buf;
}

Config::Config(std::initializer_list<std::pair<std::string, std::string>> items) {
  for (const auto& [name, value] : items) set(name, value);
}

void Config::set(const std::string& name, const std::string& value) {
  for (auto& item : items_)
    if (item.first == name) {
      item.second = value;
      return;
    }
  items_.emplace_back(name, value);
}

bool Config::has(const std::string& name) const {
  for (const auto& item : items_)
    if (item.first == name) return true;
  return false;
}

const std::string& Config::text(const std::string& name) const {
  for (const auto& item : items_)
    if (item.first == name) return item.second;
  throw std::out_of_range("config has no '" + name + "' (it holds: " + to_string() + ")");
}

double Config::number(const std::string& name) const {
  const std::string& s = text(name);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0') throw std::invalid_argument("config '" + name + "' is '" + s + "', not a number");
  return v;
}

std::string Config::to_string(const std::string& separator) const {
  std::string out;
  for (const auto& [name, value] : items_) out += (out.empty() ? "" : separator) + name + "=" + value;
  return out;
}

SearchSpace& SearchSpace::add(Dimension d) {
  for (const auto& other : dims_)
    if (other.name == d.name) throw std::invalid_argument("search space: dimension '" + d.name + "' declared twice");
  dims_.push_back(std::move(d));
  return *this;
}

SearchSpace& SearchSpace::log_uniform(const std::string& name, double lo, double hi, std::size_t grid_points) {
  if (!(lo > 0 && hi > lo) || grid_points == 0)
    throw std::invalid_argument("search space: log_uniform '" + name + "' needs 0 < lo < hi and a grid point");
  return add({name, Kind::LogUniform, lo, hi, grid_points, {}, "", {}});
}

SearchSpace& SearchSpace::uniform(const std::string& name, double lo, double hi, std::size_t grid_points) {
  if (!(hi > lo) || grid_points == 0)
    throw std::invalid_argument("search space: uniform '" + name + "' needs lo < hi and a grid point");
  return add({name, Kind::Uniform, lo, hi, grid_points, {}, "", {}});
}

SearchSpace& SearchSpace::choice(const std::string& name, std::vector<std::string> options) {
  if (options.empty()) throw std::invalid_argument("search space: choice '" + name + "' has no options");
  return add({name, Kind::Choice, 0, 0, 0, std::move(options), "", {}});
}

SearchSpace& SearchSpace::log_uniform_given(const std::string& name, const std::string& on,
                                            std::map<std::string, std::pair<double, double>> ranges,
                                            std::size_t grid_points) {
  const Dimension* choice = nullptr;
  for (const Dimension& d : dims_)
    if (d.name == on && d.kind == Kind::Choice) choice = &d;
  if (!choice) throw std::invalid_argument("search space: '" + name + "' depends on '" + on + "', which is not an earlier choice");
  for (const std::string& option : choice->options) {
    const auto it = ranges.find(option);
    if (it == ranges.end()) throw std::invalid_argument("search space: '" + name + "' has no range for " + on + "=" + option);
    if (!(it->second.first > 0 && it->second.second > it->second.first))
      throw std::invalid_argument("search space: '" + name + "' for " + on + "=" + option + " needs 0 < lo < hi");
  }
  if (grid_points == 0) throw std::invalid_argument("search space: '" + name + "' needs a grid point");
  return add({name, Kind::LogUniform, 0, 0, grid_points, {}, on, std::move(ranges)});
}

namespace {

// lo and hi of a continuous dimension, for the values already chosen in `partial`.
std::pair<double, double> range_of(const SearchSpace::Dimension& d, const Config& partial) {
  if (d.given.empty()) return {d.lo, d.hi};
  return d.ranges.at(partial.text(d.given));
}

}  // namespace

Config SearchSpace::sample(Rng& rng) const {
  Config config;
  for (const Dimension& d : dims_) {
    switch (d.kind) {
      case Kind::LogUniform: {  // x = exp(log lo + u (log hi - log lo)), u ~ U(0, 1)
        const auto [lo, hi] = range_of(d, config);
        const double u = double(rng.uniform());  // 24 random bits: plenty for a hyperparameter
        config.set(d.name, format_value(std::exp(std::log(lo) + u * (std::log(hi) - std::log(lo)))));
        break;
      }
      case Kind::Uniform:
        config.set(d.name, format_value(d.lo + double(rng.uniform()) * (d.hi - d.lo)));
        break;
      case Kind::Choice:
        config.set(d.name, d.options[rng.below(d.options.size())]);
        break;
    }
  }
  return config;
}

namespace {

std::vector<std::string> grid_values(const SearchSpace::Dimension& d, const Config& partial) {
  if (d.kind == SearchSpace::Kind::Choice) return d.options;
  const auto [lo, hi] = range_of(d, partial);
  std::vector<std::string> values;
  for (std::size_t i = 0; i < d.grid_points; ++i) {
    const double t = d.grid_points == 1 ? 0.5 : double(i) / double(d.grid_points - 1);
    values.push_back(format_value(d.kind == SearchSpace::Kind::LogUniform
                                      ? std::exp(std::log(lo) + t * (std::log(hi) - std::log(lo)))
                                      : lo + t * (hi - lo)));
  }
  return values;
}

}  // namespace

std::size_t SearchSpace::grid_size() const {
  std::size_t n = 1;
  for (const Dimension& d : dims_) n *= d.kind == Kind::Choice ? d.options.size() : d.grid_points;
  return n;
}

std::vector<Config> SearchSpace::grid() const {
  std::vector<Config> configs(1);
  for (const Dimension& d : dims_) {  // extend every partial config by every value of d
    std::vector<Config> next;
    for (const Config& partial : configs)
      for (const std::string& value : grid_values(d, partial)) {
        Config c = partial;
        c.set(d.name, value);
        next.push_back(std::move(c));
      }
    configs = std::move(next);
  }
  return configs;
}

}  // namespace dlfs
