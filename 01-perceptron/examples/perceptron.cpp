// Chapter 01's example: read a CSV by hand, preprocess it without leaking the test split, and
// train one-vs-rest perceptrons on it.
//
//   build/01-perceptron/perceptron                          # Iris, 3 classes
//   build/01-perceptron/perceptron --dataset breast-cancer  # Wisconsin diagnostic, 2 classes
//   build/01-perceptron/perceptron --dataset xor            # the perceptron's limit
//   build/01-perceptron/perceptron --csv my.csv --label class --categorical colour
//
// Prints one line per epoch (mistakes made, training errors of the predicting weights), the
// final accuracies and a confusion matrix, then one line "result: key=value ...".
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "01-perceptron/csv.hpp"
#include "01-perceptron/dataset.hpp"
#include "01-perceptron/perceptron.hpp"
#include "01-perceptron/preprocessing.hpp"
#include "01-perceptron/synthetic.hpp"
#include "common/flags.hpp"
#include "common/metrics_csv.hpp"
#include "common/random.hpp"
#include "common/system.hpp"

using namespace dlfs;

namespace {

struct Options {
  std::string dataset = "iris";
  std::string csv, label;
  std::vector<std::string> categorical;
  std::string data_dir = default_data_dir();
  int epochs = 100;
  float lr = 1.0f;
  std::uint64_t seed = 42;
  double test_fraction = 0.2;
  bool no_stratify = false;
  std::string variant = "pocket";
  std::string scale = "zscore";
  std::size_t xor_points = 200;
  std::string metrics;
};

// A usage error: printed as one line, exit status 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Splits {
  std::string name;
  Dataset train, test;  // x: (N_train, F) and (N_test, F), not yet scaled
  bool stratified;
};

std::string format(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

std::string class_counts(const Dataset& d) {
  std::vector<std::size_t> counts(d.num_classes());
  for (std::size_t y : d.y) ++counts[y];
  std::string s;
  for (std::size_t k = 0; k < counts.size(); ++k)
    s += (k ? ", " : "") + d.class_names[k] + " " + std::to_string(counts[k]);
  return s;
}

Split split_rows(const std::vector<std::size_t>& labels, const Options& o, Rng& rng) {
  try {
    return o.no_stratify ? train_test_split(labels.size(), o.test_fraction, rng)
                         : stratified_split(labels, o.test_fraction, rng);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--test-fraction: ") + e.what());
  }
}

// With --csv the user names the columns: check the names against the header first, so a typo
// is reported as a flag error.
void check_columns(const CsvTable& table, const Options& o) {
  const auto check = [&](const char* flag, const std::string& name) {
    try {
      table.column_index(name);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string(flag) + ": " + e.what());
    }
  };
  check("--label", o.label);
  for (const std::string& name : o.categorical) {
    check("--categorical", name);
    if (name == o.label) throw UsageError("--categorical: '" + name + "' is the label column, not a feature");
  }
}

// Shipped or user CSV: parse, encode the label, split, then fit the categorical encoders on
// the training rows only.
Splits load_table(const std::string& path, const std::string& name, const std::string& label, const Options& o,
                  Rng& rng) {
  const CsvTable table = read_csv(path);
  if (!o.csv.empty()) check_columns(table, o);
  TableEncoder encoder(table, label, o.categorical);
  const Split split = split_rows(encoder.labels(), o, rng);
  encoder.fit(split.train);
  std::printf("data: %s (%zu rows, %zu columns; label '%s')\n", path.c_str(), table.num_rows(), table.num_columns(),
              label.c_str());
  return {name, encoder.transform(split.train), encoder.transform(split.test), !o.no_stratify};
}

Splits load(const Options& o, Rng& rng) {
  if (!o.csv.empty()) return load_table(o.csv, std::filesystem::path(o.csv).stem().string(), o.label, o, rng);
  if (o.dataset == "iris") return load_table(o.data_dir + "/iris.csv", "iris", "species", o, rng);
  if (o.dataset == "breast-cancer")
    return load_table(o.data_dir + "/breast_cancer.csv", "breast-cancer", "diagnosis", o, rng);
  // xor: generated, then split like any other data set.
  const Dataset all = make_xor(o.xor_points, 0.1f, rng);
  std::printf("data: XOR, %zu points around the corners of the unit square (noise 0.1)\n", all.size());
  const Split split = split_rows(all.y, o, rng);
  return {"xor", take(all, split.train), take(all, split.test), !o.no_stratify};
}

// Scalers are fitted on the training rows only, then applied unchanged to both splits.
void scale(Splits& s, const std::string& how) {
  if (how == "zscore") {
    StandardScaler scaler;
    s.train.x = scaler.fit_transform(s.train.x);  // (N_train, F)
    s.test.x = scaler.transform(s.test.x);        // (N_test, F)
  } else if (how == "minmax") {
    MinMaxScaler scaler;
    s.train.x = scaler.fit_transform(s.train.x);
    s.test.x = scaler.transform(s.test.x);
  }
}

std::size_t count_errors(const std::vector<std::size_t>& predicted, const std::vector<std::size_t>& y) {
  std::size_t errors = 0;
  for (std::size_t i = 0; i < y.size(); ++i) errors += predicted[i] != y[i];
  return errors;
}

void print_confusion(const Dataset& d, const std::vector<std::size_t>& predicted) {
  const std::size_t k = d.num_classes();
  std::vector<std::vector<std::size_t>> m(k, std::vector<std::size_t>(k));
  for (std::size_t i = 0; i < d.size(); ++i) ++m[d.y[i]][predicted[i]];
  std::size_t width = 9;  // "predicted"
  for (const std::string& c : d.class_names) width = std::max(width, c.size());
  std::printf("test confusion (rows: true, columns: predicted)\n  %*s", int(width), "");
  for (const std::string& c : d.class_names) std::printf(" %*s", int(width), c.c_str());
  std::printf("\n");
  for (std::size_t t = 0; t < k; ++t) {
    std::printf("  %*s", int(width), d.class_names[t].c_str());
    for (std::size_t p = 0; p < k; ++p) std::printf(" %*zu", int(width), m[t][p]);
    std::printf("\n");
  }
}

int run(const Options& o) {
  const Stopwatch clock;
  const PerceptronVariant variant = parse_variant(o.variant);
  Rng rng(o.seed);
  Splits s = load(o, rng);
  if (s.train.num_classes() < 2)
    throw UsageError("label column has only one class ('" + s.train.class_names.at(0) + "'): nothing to separate");
  const std::size_t features = s.train.num_features(), classes = s.train.num_classes();
  std::printf("classes (training rows): %s\n", class_counts(s.train).c_str());
  std::printf("split: %zu train, %zu test (%s, seed %llu)\n", s.train.size(), s.test.size(),
              s.stratified ? "stratified" : "random", static_cast<unsigned long long>(o.seed));
  scale(s, o.scale);
  std::printf("features: %zu, scaled by %s fitted on the training rows\n", features, o.scale.c_str());
  std::printf("model: %s, %s perceptron%s, lr %g, up to %d epochs\n",
              classes == 2 ? "binary" : "one-vs-rest", o.variant.c_str(), classes == 2 ? "" : "s", double(o.lr),
              o.epochs);

  std::unique_ptr<MetricsCsv> metrics;
  if (!o.metrics.empty())
    metrics = std::make_unique<MetricsCsv>(o.metrics, std::vector<std::string>{"epoch", "mistakes", "train_errors"});

  OneVsRest model(features, classes, variant);
  std::printf("mistakes: updates made during the epoch; train errors: rows the %s weights get wrong after it\n",
              variant == PerceptronVariant::kPlain ? "final" : o.variant.c_str());
  int epochs_run = 0;
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    // A fresh seeded order every epoch: the rule's result depends on the order it sees points.
    const std::vector<std::size_t> order = rng.permutation(s.train.size());
    const std::size_t mistakes = model.train_epoch(s.train.x, s.train.y, order, o.lr);
    const std::size_t errors = count_errors(model.predict(s.train.x), s.train.y);
    epochs_run = epoch;
    std::printf("epoch %3d  mistakes %4zu  train errors %4zu / %zu\n", epoch, mistakes, errors, s.train.size());
    if (metrics) metrics->write_row({double(epoch), double(mistakes), double(errors)});
    if (mistakes == 0) {  // every perceptron went a whole epoch without an update: it has converged
      std::printf("converged: no mistakes in epoch %d\n", epoch);
      break;
    }
  }

  const std::vector<std::size_t> train_predicted = model.predict(s.train.x);  // (N_train)
  const std::vector<std::size_t> test_predicted = model.predict(s.test.x);    // (N_test)
  const double train_accuracy = accuracy(train_predicted, s.train.y);
  const double test_accuracy = accuracy(test_predicted, s.test.y);
  std::printf("train accuracy %.4f (%zu / %zu)\n", train_accuracy, s.train.size() - count_errors(train_predicted, s.train.y),
              s.train.size());
  std::printf("test accuracy  %.4f (%zu / %zu)\n", test_accuracy, s.test.size() - count_errors(test_predicted, s.test.y),
              s.test.size());
  print_confusion(s.test, test_predicted);
  std::printf("result: dataset=%s test_accuracy=%.4f train_accuracy=%.4f epochs=%d variant=%s classes=%zu "
              "features=%zu seed=%llu seconds=%.3f\n",
              s.name.c_str(), test_accuracy, train_accuracy, epochs_run, o.variant.c_str(), classes, features,
              static_cast<unsigned long long>(o.seed), clock.seconds());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Chapter 01: CSV parsing and preprocessing by hand, then Rosenblatt's perceptron.", "perceptron"};
  auto* dataset = app.add_option("--dataset", o.dataset, "shipped data set: iris, breast-cancer or xor")
                      ->check(CLI::IsMember({"iris", "breast-cancer", "xor"}))
                      ->capture_default_str();
  auto* csv = app.add_option("--csv", o.csv, "any CSV file with a header row (instead of --dataset)");
  app.add_option("--label", o.label, "with --csv: the column holding the class");
  app.add_option("--categorical", o.categorical, "with --csv: feature columns to one-hot encode (repeat or list them)");
  app.add_option("--data", o.data_dir, "directory holding iris.csv and breast_cancer.csv")->capture_default_str();
  app.add_option("--epochs", o.epochs, "passes over the training rows (stops early on an epoch without mistakes)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("--lr", o.lr, "learning rate of the update w += lr y x (positive)")->capture_default_str();
  app.add_option("--seed", o.seed, "seed of the split and of the visiting order")->capture_default_str();
  app.add_option("--test-fraction", o.test_fraction, "share of rows held out for testing, in (0, 1)")
      ->capture_default_str();
  app.add_flag("--no-stratify", o.no_stratify, "split at random instead of class by class");
  app.add_option("--variant", o.variant, "plain, pocket or averaged")
      ->check(CLI::IsMember({"plain", "pocket", "averaged"}))
      ->capture_default_str();
  app.add_option("--scale", o.scale, "feature scaling fitted on the training rows: zscore, minmax or none")
      ->check(CLI::IsMember({"zscore", "minmax", "none"}))
      ->capture_default_str();
  app.add_option("--xor-points", o.xor_points, "points in the XOR data set")
      ->check(CLI::Range(8, 1000000))
      ->capture_default_str();
  app.add_option("--metrics", o.metrics, "write per-epoch mistakes and training errors to this CSV file");
  csv->excludes(dataset);

  try {
    check_flag_values(app);  // common/flags.hpp: no empty, negative unsigned or non-finite values
    app.parse(argc, argv);
    if (!o.csv.empty() && o.label.empty())
      throw UsageError("--csv needs --label COLUMN: the name of the column holding the class");
    if (o.csv.empty() && (!o.label.empty() || !o.categorical.empty()))
      throw UsageError("--label and --categorical go with --csv (the shipped data sets know their label column)");
    if (!(o.lr > 0.0f)) throw UsageError("--lr must be positive, got " + format(o.lr));
    if (!(o.test_fraction > 0.0 && o.test_fraction < 1.0))
      throw UsageError("--test-fraction must be between 0 and 1 (exclusive), got " + format(o.test_fraction));
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::cerr << "perceptron: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const UsageError& e) {
    std::cerr << "perceptron: " << e.what() << "\n";
    return 2;
  }

  try {
    return run(o);
  } catch (const UsageError& e) {
    std::cerr << "perceptron: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    // Bad data: CsvError reads "file:line:column: problem", a missing file "file: cannot open: ...".
    std::cerr << e.what() << "\n";
    return 1;
  }
}
