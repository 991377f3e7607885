// How far back does the gradient reach? Measured on an RNN, an LSTM and a GRU.
//
//   build/04-rnn/vanishing                     60-day weather windows, 32 units, 20 training epochs
//   build/04-rnn/vanishing --epochs 0          at initialization only
//
// Each network reads a window of T days and predicts the next day's temp_max from its last
// output h_T (examples/forecast.cpp's model). The loss therefore sits at the last step, and the
// gradient reaching the input x_{T-k} of k steps earlier has crossed k steps of the recurrence:
//   RNN:   dh_{t-1} = (dh_t * (1 - h_t^2)) W_hh          k matrix products: shrinks geometrically
//   LSTM:  dc_{t-1} = dc * f                            elementwise: survives where f stays near 1
// We measure ||dL/dx_{T-k}|| (the norm over the F features, averaged over the examples of some
// training batches) relative to ||dL/dx_T||, at initialization and after training each network
// with chapter 08's Trainer, and plot -log10 of the ratio (orders of magnitude lost) against t.
// Writes 04-rnn/figures/vanishing_gradients.svg (or --figure) and ends with a `result:` line.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "02-mlp/losses.hpp"
#include "04-rnn/lstm.hpp"
#include "04-rnn/weather.hpp"
#include "07-optimizers/make_optimizer.hpp"
#include "08-utilities/data_loader.hpp"
#include "08-utilities/trainer.hpp"
#include "common/flags.hpp"
#include "common/plot_svg.hpp"
#include "common/system.hpp"

using namespace dlfs;

namespace {

// mean over examples of ||dL/dx_t||, for t = 1..T, over `batches` batches of the training windows
// taken in order: (T) values.
std::vector<double> input_gradient_norms(Sequential& model, const Examples& data, std::size_t batches,
                                         std::size_t batch_size) {
  std::vector<double> norms;
  std::size_t examples = 0;
  for (std::size_t k = 0; k < batches && k * batch_size < data.size(); ++k) {
    std::vector<std::size_t> indices;
    for (std::size_t i = k * batch_size; i < std::min(data.size(), (k + 1) * batch_size); ++i) indices.push_back(i);
    const Batch batch = make_batch(data, indices);
    model.zero_grad();
    const Tensor prediction = model.forward(batch.inputs);                 // (B, 1)
    const LossAndGrad loss = mse(prediction, batch.targets);
    const Tensor dx = model.backward(loss.grad);                           // (B, T, F)
    const std::size_t B = dx.dim(0), T = dx.dim(1), F = dx.dim(2);
    norms.resize(T, 0.0);
    for (std::size_t b = 0; b < B; ++b)
      for (std::size_t t = 0; t < T; ++t) {
        double sq = 0;
        for (std::size_t f = 0; f < F; ++f) sq += double(dx(b, t, f)) * dx(b, t, f);
        norms[t] += std::sqrt(sq);
      }
    examples += B;
  }
  for (double& n : norms) n /= double(examples);
  return norms;
}

// How many orders of magnitude the gradient has lost on its way back to step t, for t = 1..T:
//   -log10(||dL/dx_t|| / ||dL/dx_T||)          0 at t = T, where the loss is
std::vector<double> orders_lost(const std::vector<double>& norms) {
  std::vector<double> out;
  for (double n : norms) out.push_back(-std::log10(n / norms.back()));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Measure how the gradient fades through time in an RNN, an LSTM and a GRU (chapter 04)"};
  std::string data_path = kSeattleWeatherCsv, figure = "04-rnn/figures/vanishing_gradients.svg";
  std::size_t window = 60, hidden = 32, epochs = 20, batches = 8, batch_size = 32;
  float lr = 1e-3f;
  std::uint64_t seed = 42;
  int threads = 1;
  app.add_option("--data", data_path, "the weather CSV (date,precipitation,temp_max,temp_min,wind,...)");
  app.add_option("--window", window, "time steps T per sequence")->check(CLI::Range(2, 365));
  app.add_option("--hidden", hidden, "units of each recurrent layer")->check(CLI::Range(1, 4096));
  app.add_option("--epochs", epochs, "training epochs before the second measurement (0: initialization only)")
      ->check(CLI::Range(0, 10000));
  app.add_option("--lr", lr, "Adam's learning rate for the training")->check(CLI::PositiveNumber);
  app.add_option("--batches", batches, "measure over this many batches of training windows")->check(CLI::Range(1, 1000));
  app.add_option("--batch", batch_size, "batch size (measurement and training)")->check(CLI::Range(1, 10000));
  app.add_option("--seed", seed, "random seed (initialisation and shuffling)");
  app.add_option("--threads", threads, "OpenMP threads (0: all cores)")->check(CLI::Range(0, 1024));
  app.add_option("--figure", figure, "where to write the SVG chart");
  check_flag_values(app);  // common/flags.hpp: no empty, negative unsigned or non-finite values
  CLI11_PARSE(app, argc, argv);

  try {
    threads = set_threads(threads);
    const WeatherDays days = read_weather(data_path);
    const ForecastSplit split = chronological_split(days, window, {2014, 1, 1}, {2015, 1, 1});
    const ForecastData data = prepare_forecast(days, split, window);
    std::printf("%s: %zu training windows of %zu days; gradient of the next-day MSE at the last step\n",
                data_path.c_str(), data.train.size(), window);

    // The LSTM a second time with its forget gates opened at the start (exercise 4 of the README):
    // rows H..2H of both biases set to 1, so f = sigmoid(2 + ...) ~ 0.88 instead of ~0.5.
    struct Network {
      std::string key, legend, cell;
      bool open_forget_gate;
    };
    const std::vector<Network> networks = {{"rnn", "RNN", "rnn", false},
                                           {"lstm", "LSTM", "lstm", false},
                                           {"lstm_forget_bias_1", "LSTM, f-bias 1", "lstm", true},
                                           {"gru", "GRU", "gru", false}};
    const std::string y_label = "-log10 |dL/dx_t| / |dL/dx_" + std::to_string(window) + "|";
    Panel at_init{"At initialization", y_label, {}};
    Panel trained{"After " + std::to_string(epochs) + " epochs of training", y_label, {}};
    std::string result = "result: model=vanishing window=" + std::to_string(window);
    Stopwatch clock;
    const std::size_t probes[] = {1, 5, 10, 20, 30, 45, 59};
    for (const Network& network : networks) {
      const std::string& cell = network.key;
      Rng rng(seed);
      Sequential model = make_forecaster(network.cell, kWeatherFeatures, hidden, rng);
      if (network.open_forget_gate) {
        LSTMCell& lstm = dynamic_cast<LSTM&>(model[0]).cell(0);
        for (Parameter* bias : {&lstm.bias_ih(), &lstm.bias_hh()})
          for (std::size_t j = hidden; j < 2 * hidden; ++j) bias->value[j] = 1.0f;  // blocks i, f, g, o
      }
      const std::vector<double> before = orders_lost(input_gradient_norms(model, data.train, batches, batch_size));
      at_init.series.push_back({network.legend, before});

      std::vector<double> after;
      double val_mae = Metrics::kNone;
      if (epochs > 0) {
        std::unique_ptr<Optimizer> adam = make_optimizer("adam", model.parameters(), lr);
        LoaderOptions loader_options;
        loader_options.batch_size = batch_size;
        DataLoader loader(data.train, loader_options, rng);
        TrainerOptions options;
        options.loss = mse;
        Trainer trainer(model, *adam, loader, options);
        const std::vector<EpochLog> logs = trainer.fit(epochs, &data.validation);
        val_mae = logs.back().validation.mae * data.target_std;
        after = orders_lost(input_gradient_norms(model, data.train, batches, batch_size));
        trained.series.push_back({network.legend, after});
      }

      std::printf("\n%s: orders of magnitude lost k steps back from the last step, -log10 |dL/dx_(T-k)| / "
                  "|dL/dx_T|\n  %-16s", network.legend.c_str(), "k");
      for (std::size_t k : probes)
        if (k < window) std::printf("%8zu", k);
      std::printf("\n  %-16s", "initialization");
      for (std::size_t k : probes)
        if (k < window) std::printf("%8.2f", before[window - 1 - k]);
      if (!after.empty()) {
        std::printf("\n  %-16s", "trained");
        for (std::size_t k : probes)
          if (k < window) std::printf("%8.2f", after[window - 1 - k]);
        std::printf("\n  validation MAE after training: %.3f °C", val_mae);
      }
      std::printf("\n");
      std::fflush(stdout);
      char item[160];
      std::snprintf(item, sizeof item, " %s_init_lost_%zu=%.2f", cell.c_str(), window - 1, before.front());
      result += item;
      if (!after.empty()) {
        std::snprintf(item, sizeof item, " %s_trained_lost_%zu=%.2f %s_val_mae=%.3f", cell.c_str(), window - 1,
                      after.front(), cell.c_str(), val_mae);
        result += item;
      }
    }
    std::vector<Panel> panels = {at_init};
    if (epochs > 0) panels.push_back(trained);
    write_line_charts(figure, panels, "time step t (the loss reads h_" + std::to_string(window) + ")");
    std::printf("\nwrote %s\n", figure.c_str());
    char tail[96];
    std::snprintf(tail, sizeof tail, " epochs=%zu seconds=%.1f", epochs, clock.seconds());
    std::printf("%s%s\n", result.c_str(), tail);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vanishing: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
