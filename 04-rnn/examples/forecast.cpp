// Forecast tomorrow's maximum temperature in Seattle from the weather of the last 14 days.
//
//   build/04-rnn/forecast                      GRU, 32 units, 14-day windows, Adam, early stopping
//   build/04-rnn/forecast --cell lstm          the same with an LSTM (or rnn)
//   build/04-rnn/forecast --data FILE          another copy of seattle-weather.csv
//   build/04-rnn/forecast --no-early-stopping  all --epochs epochs, keeping the last weights
//   build/04-rnn/forecast --checkpoint c.safetensors   after every epoch, save all it takes to resume
//   build/04-rnn/forecast --resume c.safetensors       continue an interrupted run (same flags)
//
// 1. Read the 1,461 days (2012-2015) with chapter 01's CSV reader; features per day:
//    precipitation, temp_max, temp_min, wind, and the day of the year as a sine and a cosine.
// 2. Split by date: targets in 2012-2013 train, 2014 validates (when to stop), 2015 tests.
//    Standardize with the training days' means and deviations only.
// 3. Train GRU/LSTM/RNN -> last step -> Dense -> (B, 1) with MSE through chapter 08's Trainer
//    (chapter 02's train_on_batch), stop when the validation loss has not improved for --patience
//    epochs, and put back the weights of the best validation epoch (EarlyStopping + KeepBest).
// 4. Score the network on 2015 in °C next to two baselines: persistence (tomorrow = today) and
//    the training years' mean temp_max for that time of year.
// Writes runs/04-rnn/forecast-<cell>/{metrics.csv, curves.svg, test.svg}; ends with a `result:` line.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "02-mlp/losses.hpp"
#include "04-rnn/weather.hpp"
#include "07-optimizers/make_optimizer.hpp"
#include "08-utilities/callbacks.hpp"
#include "08-utilities/data_loader.hpp"
#include "08-utilities/trainer.hpp"
#include "common/flags.hpp"
#include "common/plot_svg.hpp"
#include "common/safetensors.hpp"
#include "common/system.hpp"

using namespace dlfs;

namespace {

// One line per epoch, with the validation errors in °C (the loss is MSE of standardized values),
// and the learning curves for the SVG.
class PrintEpoch : public Callback {
 public:
  // `csv` is added to the Trainer before this: after a resume, the curves start with its rows.
  PrintEpoch(float target_std, const MetricsCsvCallback& csv) : std_(target_std), csv_(csv) {}
  void on_fit_begin(Trainer&) override {
    for (const std::vector<double>& row : csv_.restored()) {
      train_mae.y.push_back(row[MetricsCsvCallback::column("train_mae")] * std_);
      val_mae.y.push_back(row[MetricsCsvCallback::column("val_mae")] * std_);
    }
  }
  void on_epoch_end(Trainer&, const EpochLog& log) override {
    std::printf("epoch %3zu: train_loss %.4f val_loss %.4f val_mae %.3f °C val_rmse %.3f °C (%.2fs)\n", log.epoch,
                log.train.loss, log.validation.loss, log.validation.mae * std_, log.validation.rmse * std_,
                log.seconds);
    std::fflush(stdout);
    train_mae.y.push_back(log.train.mae * std_), val_mae.y.push_back(log.validation.mae * std_);
  }
  Series train_mae{"train (on the fly)", {}}, val_mae{"validation 2014", {}};

 private:
  float std_;
  const MetricsCsvCallback& csv_;
};

Date date_flag(const std::string& text, const char* flag) {
  Date date;
  if (!parse_date(text, date)) throw std::invalid_argument(std::string(flag) + ": expected YYYY/MM/DD, got '" + text + "'");
  return date;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Forecast tomorrow's temp_max in Seattle with a GRU, LSTM or RNN (chapter 04)"};
  std::string data_path = kSeattleWeatherCsv, cell = "gru", optimizer_name = "adam", out_dir, save_path,
              checkpoint_path, resume_path;
  std::string validation_from = "2014/01/01", test_from = "2015/01/01";
  std::size_t window = 14, hidden = 32, batch = 32, epochs = 200, patience = 10, seasonal_days = 7;
  float lr = 1e-3f;
  std::uint64_t seed = 42;
  int threads = 1;
  bool no_early_stopping = false;
  app.add_option("--data", data_path, "the weather CSV (date,precipitation,temp_max,temp_min,wind,...)");
  app.add_option("--cell", cell, "recurrent layer: gru, lstm or rnn")->check(CLI::IsMember(kForecastCells));
  app.add_option("--window", window, "days of history per forecast")->check(CLI::Range(1, 365));
  app.add_option("--hidden", hidden, "units of the recurrent layer")->check(CLI::Range(1, 4096));
  app.add_option("--optimizer", optimizer_name, "optimizer (chapter 07)")->check(CLI::IsMember(kOptimizerNames));
  app.add_option("--lr", lr, "learning rate")->check(CLI::PositiveNumber);
  app.add_option("--batch", batch, "mini-batch size")->check(CLI::Range(1, 100000));
  app.add_option("--epochs", epochs, "at most this many epochs")->check(CLI::Range(1, 100000));
  app.add_option("--patience", patience, "stop after this many epochs without a better validation loss")
      ->check(CLI::Range(1, 100000));
  app.add_flag("--no-early-stopping", no_early_stopping,
               "train all --epochs epochs and keep the last weights (to see what early stopping saves)");
  app.add_option("--validation-from", validation_from, "first day of the validation part (YYYY/MM/DD)");
  app.add_option("--test-from", test_from, "first day of the test part (YYYY/MM/DD); it runs to the end of the data");
  app.add_option("--seasonal-days", seasonal_days, "the seasonal baseline averages +-this many calendar days")
      ->check(CLI::Range(0, 183));
  app.add_option("--seed", seed, "random seed (initialisation and shuffling)");
  app.add_option("--threads", threads, "OpenMP threads (0: all cores; the model is small, one is fastest)")
      ->check(CLI::Range(0, 1024));
  app.add_option("--out", out_dir, "where to write metrics.csv and the charts (default: runs/04-rnn/forecast-<cell>)");
  app.add_option("--save", save_path, "save the trained model (the weights it ends with) to FILE");
  app.add_option("--checkpoint", checkpoint_path, "after every epoch, write FILE with all it takes to resume the run");
  app.add_option("--resume", resume_path, "continue the run that wrote checkpoint FILE (give it the same flags)");
  check_flag_values(app);  // common/flags.hpp: no empty, negative unsigned or non-finite values
  CLI11_PARSE(app, argc, argv);
  if (out_dir.empty()) out_dir = "runs/04-rnn/forecast-" + cell;

  try {
    threads = set_threads(threads);
    const Date validation_start = date_flag(validation_from, "--validation-from");
    const Date test_start = date_flag(test_from, "--test-from");
    const WeatherDays days = read_weather(data_path);
    const ForecastSplit split = chronological_split(days, window, validation_start, test_start);
    const ForecastData data = prepare_forecast(days, split, window);
    std::printf("%s: %zu days, %s to %s\n", data_path.c_str(), days.size(), format_date(days.dates.front()).c_str(),
                format_date(days.dates.back()).c_str());
    std::printf("windows of %zu days -> next day's temp_max: %zu train (targets before %s), %zu validation, "
                "%zu test (from %s)\n",
                window, split.train.size(), validation_from.c_str(), split.validation.size(), split.test.size(),
                test_from.c_str());
    std::printf("standardized with the %zu training days' statistics (temp_max mean %.2f °C, std %.2f °C)\n",
                split.fit_days.size(), double(data.target_mean), double(data.target_std));

    Rng rng(seed);
    Sequential model = make_forecaster(cell, kWeatherFeatures, hidden, rng);
    model.set_needs_input_grad(false);  // the input is data
    std::printf("model: %s, %zu parameters\n", model.name().c_str(), parameter_count(model));
    std::unique_ptr<Optimizer> optimizer = make_optimizer(optimizer_name, model.parameters(), lr);
    LoaderOptions loader_options;
    loader_options.batch_size = batch;
    DataLoader loader(data.train, loader_options, rng);
    TrainerOptions trainer_options;
    trainer_options.loss = mse;
    // A checkpoint continues only the run that wrote it: the same settings, or the resumed run
    // would not be the uninterrupted one.
    char lr_text[32];
    std::snprintf(lr_text, sizeof lr_text, "%.9g", double(lr));  // reads back to the same float
    trainer_options.run = {
        {"run", "cell=" + cell + " window=" + std::to_string(window) + " hidden=" + std::to_string(hidden) +
                    " optimizer=" + optimizer_name + " lr=" + lr_text + " batch=" + std::to_string(batch) +
                    " epochs=" + std::to_string(epochs) + " patience=" + std::to_string(patience) +
                    " early_stopping=" + (no_early_stopping ? "0" : "1") + " validation_from=" + validation_from +
                    " test_from=" + test_from + " seed=" + std::to_string(seed)}};
    Trainer trainer(model, *optimizer, loader, trainer_options);
    const auto& csv = trainer.add<MetricsCsvCallback>(out_dir + "/metrics.csv");
    PrintEpoch& printer = trainer.add<PrintEpoch>(data.target_std, csv);
    EarlyStopping* stopping = nullptr;
    KeepBest* best = nullptr;
    if (!no_early_stopping) {
      stopping = &trainer.add<EarlyStopping>(patience, Monitor::ValLoss);
      best = &trainer.add<KeepBest>("", Monitor::ValLoss);  // in memory, restored at the end
    }
    if (!checkpoint_path.empty()) trainer.add<Checkpointing>(checkpoint_path);
    if (!resume_path.empty()) {
      trainer.resume(resume_path);
      std::printf("resumed %s after epoch %zu\n", resume_path.c_str(), trainer.epoch());
    }

    Stopwatch clock;
    trainer.fit(epochs, &data.validation);
    const double seconds = clock.seconds();
    const std::size_t kept_epoch = best ? best->best_epoch() : trainer.epoch();
    if (best)
      std::printf("%s after epoch %zu; restored the weights of epoch %zu (the best validation loss)\n",
                  stopping->stopped() ? "stopped early" : "ran all epochs", trainer.epoch(), kept_epoch);
    else
      std::printf("no early stopping: kept the weights of the last epoch, %zu\n", kept_epoch);

    // The network's forecasts for the test days, back in °C.
    model.set_training(false);
    std::vector<std::size_t> order(split.test.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    const Tensor z = model.forward(data.test.inputs(order));  // (N, 1)
    std::vector<float> network;
    for (std::size_t i = 0; i < z.size(); ++i) network.push_back(data.to_celsius(z[i]));
    const std::vector<float> actual = actual_temp_max(days, split.test);
    const std::vector<float> persistence = persistence_forecast(days, split.test);
    const std::vector<float> seasonal = SeasonalMean(days, split.fit_days, seasonal_days).forecast(days, split.test);
    const Metrics m = forecast_errors(network, actual), p = forecast_errors(persistence, actual),
                  s = forecast_errors(seasonal, actual);

    std::printf("\nnext-day temp_max on the %zu test days (%s to %s):\n", split.test.size(),
                format_date(days.dates[split.test.front()]).c_str(), format_date(days.dates[split.test.back()]).c_str());
    std::printf("  %-40s  MAE %.3f °C  RMSE %.3f °C\n", (cell + " (" + std::to_string(hidden) + " units)").c_str(),
                m.mae, m.rmse);
    std::printf("  %-40s  MAE %.3f °C  RMSE %.3f °C\n", "persistence (tomorrow = today)", p.mae, p.rmse);
    std::printf("  %-40s  MAE %.3f °C  RMSE %.3f °C\n",
                ("seasonal (training mean, +-" + std::to_string(seasonal_days) + " days)").c_str(), s.mae, s.rmse);

    write_line_charts(out_dir + "/curves.svg",
                      {{"Mean absolute error of next-day temp_max", "MAE (°C)", {printer.train_mae, printer.val_mae}}});
    Series actual_s{"actual", {}}, network_s{cell, {}}, persistence_s{"persistence", {}};
    for (std::size_t i = 0; i < actual.size(); ++i) {
      actual_s.y.push_back(actual[i]), network_s.y.push_back(network[i]);
      persistence_s.y.push_back(persistence[i]);
    }
    write_line_charts(out_dir + "/test.svg", {{"Test days: temp_max", "°C", {actual_s, network_s, persistence_s}}},
                      "test day");
    std::printf("wrote metrics.csv, curves.svg, test.svg to %s\n", out_dir.c_str());
    if (!save_path.empty()) {
      save_model(save_path, model.name(), named_values(model.parameters()),
                 {{"window", std::to_string(window)}, {"kept_epoch", std::to_string(kept_epoch)}});
      std::printf("saved %s\n", save_path.c_str());
    }

    std::printf("result: model=forecast cell=%s test_mae=%.3f test_rmse=%.3f persistence_mae=%.3f "
                "persistence_rmse=%.3f seasonal_mae=%.3f seasonal_rmse=%.3f epochs=%zu seconds=%.1f best_epoch=%zu "
                "window=%zu hidden=%zu\n",
                cell.c_str(), m.mae, m.rmse, p.mae, p.rmse, s.mae, s.rmse, trainer.epoch(), seconds, kept_epoch,
                window, hidden);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "forecast: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
