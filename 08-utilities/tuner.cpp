#include "08-utilities/tuner.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>
#include <stdexcept>

#include "common/atomic_file.hpp"
#include "common/plot_svg.hpp"

namespace dlfs {

std::vector<Rung> halving_schedule(std::size_t configs, std::size_t eta, std::size_t min_epochs, std::size_t max_epochs) {
  if (configs == 0 || eta < 2 || min_epochs == 0 || min_epochs > max_epochs)
    throw std::invalid_argument("successive halving needs configs >= 1, eta >= 2 and 1 <= min_epochs <= max_epochs (got " +
                                std::to_string(configs) + ", " + std::to_string(eta) + ", " + std::to_string(min_epochs) +
                                ".." + std::to_string(max_epochs) + ")");
  std::vector<Rung> rungs{{configs, min_epochs}};
  while (rungs.back().configs > 1 && rungs.back().epochs < max_epochs) {
    const Rung& last = rungs.back();
    rungs.push_back({std::max<std::size_t>(1, last.configs / eta), std::min(last.epochs * eta, max_epochs)});
  }
  return rungs;
}

Tuner::Tuner(Objective objective, double budget_seconds) : objective_(std::move(objective)), budget_(budget_seconds) {}

bool Tuner::run(const Config& config, std::size_t epochs, const std::string& stage, std::size_t rung, bool baseline) {
  if (seconds_left() <= 0) return false;
  Trial trial;
  trial.id = trials_.size() + 1;
  trial.stage = stage;
  trial.rung = rung;
  trial.baseline = baseline;
  trial.config = config;
  trial.epochs = epochs;
  Stopwatch clock;
  const TrialResult result = objective_(config, epochs, seconds_left());
  trial.seconds = clock.seconds();
  trial.val_accuracy = result.val_accuracy;
  trial.val_loss = result.val_loss;
  trial.completed = result.completed;
  trials_.push_back(trial);
  if (on_trial) on_trial(trials_.back());
  return true;
}

void Tuner::grid_search(const SearchSpace& space, std::size_t epochs) {
  for (const Config& config : space.grid())
    if (!run(config, epochs, "grid")) return;
}

void Tuner::random_search(const SearchSpace& space, std::size_t count, std::size_t epochs, Rng& rng) {
  for (std::size_t i = 0; i < count; ++i)
    if (!run(space.sample(rng), epochs, "random")) return;
}

void Tuner::successive_halving(const SearchSpace& space, std::size_t configs, std::size_t eta,
                               std::size_t min_epochs, std::size_t max_epochs, Rng& rng) {
  const std::vector<Rung> rungs = halving_schedule(configs, eta, min_epochs, max_epochs);
  std::vector<Config> alive;
  for (std::size_t i = 0; i < configs; ++i) alive.push_back(space.sample(rng));
  for (std::size_t r = 0; r < rungs.size(); ++r) {
    std::vector<std::size_t> ran;  // indices into trials_
    for (const Config& config : alive) {
      if (!run(config, rungs[r].epochs, "rung " + std::to_string(r), r)) return;
      ran.push_back(trials_.size() - 1);
    }
    if (r + 1 == rungs.size()) return;
    // Promote the best n_{r+1}: completed first, then higher validation accuracy, then earlier.
    std::stable_sort(ran.begin(), ran.end(), [&](std::size_t a, std::size_t b) {
      const Trial &ta = trials_[a], &tb = trials_[b];
      if (ta.completed != tb.completed) return ta.completed;
      return ta.val_accuracy > tb.val_accuracy;
    });
    alive.clear();
    for (std::size_t k = 0; k < rungs[r + 1].configs && k < ran.size(); ++k) alive.push_back(trials_[ran[k]].config);
  }
}

const Trial* Tuner::best() const {
  const Trial* best = nullptr;
  for (const Trial& t : trials_) {
    // A diverged trial (a completed result with an infinite loss) is no candidate, whatever its
    // rung: retrained for the final model it would diverge again.
    if (!t.completed || t.baseline || std::isnan(t.val_accuracy) || std::isinf(t.val_loss)) continue;
    if (!best || t.rung > best->rung || (t.rung == best->rung && t.val_accuracy > best->val_accuracy)) best = &t;
  }
  return best;
}

namespace {

// Baselines first (the reference, unranked), then completed trials by higher rung, then higher
// validation accuracy, then earlier; incomplete trials last.
std::vector<const Trial*> ranked(const std::vector<Trial>& trials) {
  std::vector<const Trial*> order;
  for (const Trial& t : trials) order.push_back(&t);
  std::stable_sort(order.begin(), order.end(), [](const Trial* a, const Trial* b) {
    if (a->baseline != b->baseline) return a->baseline;
    if (a->completed != b->completed) return a->completed;
    if (a->rung != b->rung) return a->rung > b->rung;
    return a->val_accuracy > b->val_accuracy;
  });
  return order;
}

// "1", "2", ... for ranked trials, "-" for baselines.
std::string rank_of(const Trial& t, std::size_t& rank) { return t.baseline ? "-" : std::to_string(++rank); }

// Every config name, in order of first appearance: the table's hyperparameter columns.
std::vector<std::string> config_columns(const std::vector<Trial>& trials) {
  std::vector<std::string> names;
  for (const Trial& t : trials)
    for (const auto& item : t.config.items())
      if (std::find(names.begin(), names.end(), item.first) == names.end()) names.push_back(item.first);
  return names;
}

std::string fixed(double v, int digits = 4) {
  if (std::isnan(v)) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string note(const Trial& t, const Trial* selected) {
  if (&t == selected) return "selected";
  if (t.baseline) return "baseline";
  if (!t.completed) return "stopped by the budget";
  return "";
}


}  // namespace

void write_leaderboard_csv(const std::string& path, const std::vector<Trial>& trials, const Trial* selected) {
  std::ostringstream out;  // written whole at the end, atomically: a failed write leaves the last file
  const auto columns = config_columns(trials);
  out << "rank,trial,stage,epochs";
  for (const auto& c : columns) out << "," << c;
  out << ",val_accuracy,val_loss,test_accuracy,seconds,note\n";
  std::size_t rank = 0;
  for (const Trial* t : ranked(trials)) {
    out << rank_of(*t, rank) << "," << t->id << "," << t->stage << "," << t->epochs;
    for (const auto& c : columns) out << ",\"" << (t->config.has(c) ? t->config.text(c) : "") << "\"";
    out << "," << fixed(t->val_accuracy) << "," << fixed(t->val_loss) << "," << fixed(t->test_accuracy) << ","
        << fixed(t->seconds, 1) << "," << note(*t, selected) << "\n";
  }
  write_file_atomically(path, {out.str()});
}

void write_leaderboard_markdown(const std::string& path, const std::vector<Trial>& trials, const Trial* selected,
                                const std::string& title) {
  std::ostringstream out;  // written whole at the end, atomically: a failed write leaves the last file
  const auto columns = config_columns(trials);
  out << "# " << title << "\n\n| rank | trial | stage | epochs |";
  for (const auto& c : columns) out << " " << c << " |";
  out << " val accuracy | val loss | test accuracy | seconds | note |\n|---:|---:|---|---:|";
  for (std::size_t i = 0; i < columns.size(); ++i) out << "---|";
  out << "---:|---:|---:|---:|---|\n";
  std::size_t rank = 0;
  for (const Trial* t : ranked(trials)) {
    const bool bold = t == selected || t->baseline;
    auto strong = [bold](const std::string& v) { return bold && !v.empty() ? "**" + v + "**" : v; };
    out << "| " << rank_of(*t, rank) << " | " << t->id << " | " << t->stage << " | " << t->epochs << " |";
    for (const auto& c : columns) out << " " << (t->config.has(c) ? t->config.text(c) : "") << " |";
    out << " " << strong(fixed(t->val_accuracy)) << " | " << fixed(t->val_loss) << " | " << strong(fixed(t->test_accuracy))
        << " | " << fixed(t->seconds, 1) << " | " << note(*t, selected) << " |\n";
  }
  write_file_atomically(path, {out.str()});
}

void write_leaderboard_svg(const std::string& path, const std::vector<Trial>& trials) {
  // Left: every trial in the order it ran, and the best validation accuracy so far.
  Series each{"trial", {}}, best{"best so far", {}};
  double best_so_far = std::numeric_limits<double>::quiet_NaN();
  for (const Trial& t : trials) {
    if (t.baseline) continue;  // a reference row, not a step of the search
    const double v = t.completed ? t.val_accuracy : std::numeric_limits<double>::quiet_NaN();
    each.y.push_back(v);
    if (!std::isnan(v) && !(v <= best_so_far)) best_so_far = v;
    best.y.push_back(best_so_far);
  }
  // Right: each stage's validation accuracies sorted from best to worst, so one sees how much
  // better the survivors of each rung are.
  std::map<std::pair<std::size_t, std::string>, Series> stages;
  for (const Trial& t : trials) {
    if (!t.completed || std::isnan(t.val_accuracy)) continue;
    Series& s = stages[{t.rung, t.stage}];
    s.name = t.stage + " (" + std::to_string(t.epochs) + " ep)";
    s.y.push_back(t.val_accuracy);
  }
  Panel sorted{"Validation accuracy by stage, best first", "validation accuracy", {}, "rank in its stage"};
  for (auto& [key, s] : stages) {
    std::sort(s.y.begin(), s.y.end(), std::greater<>());
    sorted.series.push_back(s);
  }
  write_line_charts(path, {{"Validation accuracy per trial", "validation accuracy", {each, best}, "trial"}, sorted});
}

}  // namespace dlfs
