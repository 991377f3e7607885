// What the all-reduce costs on this machine, and what data parallelism would give on a cluster.
//
//   mpirun -np 2 build/09-distributed/scaling                          (or: ./dlfs mpirun 2 scaling)
//   mpirun -np 2 build/09-distributed/scaling --gbps 100 --latency-us 2   another network
//
// 1. Ping-pong between ranks 0 and 1, messages of 8 bytes to 16 MiB: half the mean round trip is
//    the one-way time t(m); the alpha-beta line t = alpha + beta m fitted to them (cost_model.hpp).
// 2. The all-reduce of each model's gradient, ours (the ring) and MPI_Allreduce, measured on the
//    processes of this job, beside the time the fitted line predicts for the ring.
// 3. Each model's computation: the seconds per example of one training step (forward, backward,
//    update) on one thread, on rank 0, with the batch size its chapter trains with.
// 4. The prediction for 2 to 1024 machines on the stated network, one process per machine as fast
//    as one core here: the ring's time for each model's gradient, the efficiency with the chapter's
//    batch on every machine, and the batch per machine that keeps 90%. Writes the figure (--out).
//
// Ends with one `result:` line. Timings are only meaningful on an otherwise idle machine.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "02-mlp/losses.hpp"
#include "02-mlp/optimizer.hpp"
#include "02-mlp/train.hpp"
#include "09-distributed/cost_model.hpp"
#include "09-distributed/data_parallel.hpp"
#include "09-distributed/models.hpp"
#include "09-distributed/mpi_job.hpp"
#include "09-distributed/ring_allreduce.hpp"
#include "common/flags.hpp"
#include "common/plot_svg.hpp"
#include "common/system.hpp"

using namespace dlfs;

namespace {

// Half the mean round trip of an m-byte message between ranks 0 and 1 (the others wait), on every rank.
double ping_pong_seconds(const MpiJob& job, std::size_t bytes) {
  std::vector<char> buffer(bytes, 1);
  // Enough round trips for ~64 MiB of traffic, between 20 and 2000, after 5 to warm up.
  const int reps = int(std::min<std::size_t>(2000, std::max<std::size_t>(20, (std::size_t(64) << 20) / (bytes + 1))));
  double seconds = 0.0;
  for (int round = 0; round < 2; ++round) {
    const int n = round == 0 ? 5 : reps;
    MPI_Barrier(job.comm());
    const double start = MPI_Wtime();
    for (int i = 0; i < n; ++i) {
      if (job.rank() == 0) {
        MPI_Send(buffer.data(), int(bytes), MPI_CHAR, 1, 0, job.comm());
        MPI_Recv(buffer.data(), int(bytes), MPI_CHAR, 1, 0, job.comm(), MPI_STATUS_IGNORE);
      } else if (job.rank() == 1) {
        MPI_Recv(buffer.data(), int(bytes), MPI_CHAR, 0, 0, job.comm(), MPI_STATUS_IGNORE);
        MPI_Send(buffer.data(), int(bytes), MPI_CHAR, 0, 0, job.comm());
      }
    }
    seconds = (MPI_Wtime() - start) / n / 2.0;
  }
  MPI_Bcast(&seconds, 1, MPI_DOUBLE, 0, job.comm());
  return seconds;
}

// Mean seconds of one all-reduce of n floats, the slowest process's.
double all_reduce_seconds(const MpiJob& job, std::size_t n, AllReduceAlgorithm algorithm) {
  std::vector<float> data(n, 1.0f);
  const int reps = int(std::min<std::size_t>(500, std::max<std::size_t>(20, (std::size_t(64) << 20) / (4 * n + 1))));
  double seconds = 0.0;
  for (int round = 0; round < 2; ++round) {
    const int count = round == 0 ? 3 : reps;
    MPI_Barrier(job.comm());
    const double start = MPI_Wtime();
    for (int i = 0; i < count; ++i) all_reduce_sum(data.data(), n, job.comm(), algorithm);
    seconds = (MPI_Wtime() - start) / count;
  }
  MPI_Allreduce(MPI_IN_PLACE, &seconds, 1, MPI_DOUBLE, MPI_MAX, job.comm());
  return seconds;
}

struct ModelCost {
  std::string name;
  std::size_t parameters = 0;
  std::size_t batch = 0;              // its chapter's batch size
  double seconds_per_example = 0.0;  // one training step on one thread, per example
};

// One thread, one process: train_on_batch on random inputs of the chapter's batch size, timed
// after one warm-up step over at least three steps and one second.
ModelCost measure_model(const std::string& name, std::size_t vocabulary) {
  ModelSettings settings;
  settings.vocabulary = vocabulary;
  Rng rng(1);
  Sequential model = make_model(name, settings, rng);
  model.set_needs_input_grad(false);
  ModelCost cost{name, parameter_count(model), name == "mlp" ? 64u : has_batch_norm(name) ? 128u : 32u, 0.0};
  const std::size_t B = cost.batch, T = 64;
  Batch batch;
  if (is_character_model(name)) {
    batch.inputs = Tensor({B, T});  // (B, T) character ids
    std::vector<int> labels(B * T);
    for (std::size_t i = 0; i < B * T; ++i) batch.inputs[i] = float(labels[i] = int(rng.below(vocabulary)));
    batch.targets = Targets::per_position(labels, T);
  } else {
    batch.inputs = Tensor({B, 1, 28, 28});  // (B, 1, 28, 28)
    rng.fill_normal(batch.inputs, 0.0f, 1.0f);
    std::vector<int> labels(B);
    for (int& y : labels) y = int(rng.below(10));
    batch.targets = labels;
  }
  SGD sgd(model.parameters(), 1e-3f);
  train_on_batch(model, sgd, softmax_cross_entropy, batch, 1e-3f);  // warm-up: buffers, caches
  Stopwatch clock;
  std::size_t steps = 0;
  while (steps < 3 || clock.seconds() < 1.0) train_on_batch(model, sgd, softmax_cross_entropy, batch, 1e-3f), ++steps;
  cost.seconds_per_example = clock.seconds() / double(steps * B);
  return cost;
}

std::string human_bytes(double bytes) {
  char text[32];
  if (bytes >= 1 << 20) std::snprintf(text, sizeof text, "%.0f MiB", bytes / (1 << 20));
  else if (bytes >= 1024) std::snprintf(text, sizeof text, "%.0f KiB", bytes / 1024);
  else std::snprintf(text, sizeof text, "%.0f B", bytes);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  MpiJob job(argc, argv);
  const bool root = job.rank() == 0;
  CLI::App app{"Measure the all-reduce here and predict data-parallel scaling on a cluster (chapter 09); run with "
               "mpirun -np 2"};
  double gbps = 25.0, latency_us = 10.0, target = 0.9;
  std::string models_text = "mlp,lenet,resnet,charlm", out = "runs/09-distributed/scaling.svg";
  std::size_t vocabulary = 96, largest_nodes_log2 = 10;
  app.add_option("--gbps", gbps, "the cluster network's bandwidth, Gb/s")->check(CLI::Range(1e-3, 1e6));
  app.add_option("--latency-us", latency_us, "the cluster network's latency, microseconds")->check(CLI::Range(0.0, 1e6));
  app.add_option("--target", target, "the efficiency the batch must keep")->check(CLI::Range(0.01, 0.99));
  app.add_option("--models", models_text, "comma-separated models (train --help lists them)");
  app.add_option("--vocabulary", vocabulary, "charlm: characters V (the fortunes give 96-ish)")->check(CLI::Range(2, 100000));
  app.add_option("--out", out, "the figure (SVG)");
  try {
    check_flag_values(app);  // common/flags.hpp: no empty, negative unsigned or non-finite values
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      if (root) app.exit(e);
      return 0;
    }
    if (root) std::fprintf(stderr, "scaling: error: %s (see --help)\n", e.what());
    return 1;
  }
  try {
    std::vector<std::string> models;
    for (std::size_t at = 0; at <= models_text.size();) {
      const std::size_t comma = std::min(models_text.find(',', at), models_text.size());
      models.push_back(models_text.substr(at, comma - at));
      at = comma + 1;
    }
    ModelSettings settings;
    settings.vocabulary = vocabulary;
    Rng check(0);
    for (const std::string& m : models) make_model(m, settings, check);  // an unknown name fails here
    if (job.size() < 2) throw std::runtime_error("run it as two processes or more: mpirun -np 2 ...");
    set_threads(1);

    // 1. Ping-pong and the alpha-beta fit.
    std::vector<double> sizes, times;
    if (root) std::printf("ping-pong between ranks 0 and 1 (half the round trip):\n%12s %14s %14s\n", "bytes", "microseconds", "GB/s");
    for (std::size_t bytes = 8; bytes <= (std::size_t(16) << 20); bytes *= 8) {
      const double t = ping_pong_seconds(job, bytes);
      sizes.push_back(double(bytes)), times.push_back(t);
      if (root) std::printf("%12zu %14.2f %14.3f\n", bytes, t * 1e6, double(bytes) / t / 1e9);
    }
    const AlphaBeta here = fit_alpha_beta(sizes, times);
    double worst = 0.0;
    for (std::size_t i = 0; i < sizes.size(); ++i)
      worst = std::max(worst, std::abs(here.alpha + here.beta * sizes[i] - times[i]) / times[i]);
    if (root)
      std::printf("fit t = alpha + beta m: alpha %.2f us, 1/beta %.2f GB/s (largest error %.0f%%)\n\n", here.alpha * 1e6,
                  1e-9 / here.beta, worst * 100);

    // 3 (before 2, which needs the parameter counts). Computation per example, on rank 0.
    std::vector<ModelCost> costs;
    for (const std::string& m : models) {
      ModelCost c;
      if (root) c = measure_model(m, vocabulary);
      std::uint64_t counts[2] = {c.parameters, c.batch};
      MPI_Bcast(counts, 2, MPI_UINT64_T, 0, job.comm());
      MPI_Bcast(&c.seconds_per_example, 1, MPI_DOUBLE, 0, job.comm());
      c.name = m, c.parameters = counts[0], c.batch = counts[1];
      costs.push_back(c);
    }

    // 2. Each gradient's all-reduce, measured both ways and predicted.
    const std::size_t P = job.size();
    if (root)
      std::printf("all-reduce of each model's gradient on %zu processes here:\n%-8s %10s %10s %12s %12s %12s\n", P,
                  "model", "parameters", "bytes", "ring us", "MPI us", "predicted us");
    double ring_lenet = 0, mpi_lenet = 0;
    for (const ModelCost& c : costs) {
      const double ring = all_reduce_seconds(job, c.parameters, AllReduceAlgorithm::ring);
      const double mpi = all_reduce_seconds(job, c.parameters, AllReduceAlgorithm::mpi);
      if (c.name == "lenet") ring_lenet = ring, mpi_lenet = mpi;
      if (root)
        std::printf("%-8s %10zu %10s %12.1f %12.1f %12.1f\n", c.name.c_str(), c.parameters,
                    human_bytes(4.0 * double(c.parameters)).c_str(), ring * 1e6, mpi * 1e6,
                    ring_allreduce_seconds(here, P, 4.0 * double(c.parameters)) * 1e6);
    }

    // 4. The cluster.
    const AlphaBeta cluster = network(latency_us * 1e-6, gbps * 1e9);
    std::vector<Series> efficiency, needed;
    std::string result_batches;
    if (root)
      std::printf("\ncomputation per example (one thread, rank 0) and the prediction on %g Gb/s, %g us, one process "
                  "per machine:\n%-8s %12s %8s %14s %14s %14s %16s\n",
                  gbps, latency_us, "model", "us/example", "batch", "ring us @1024", "efficiency@2", "efficiency@1024",
                  "batch/machine 90%");
    for (const ModelCost& c : costs) {
      Series e{c.name, {}}, b{c.name, {}};  // the same name in both panels: the same colour
      for (std::size_t k = 1; k <= largest_nodes_log2; ++k) {
        const double t = ring_allreduce_seconds(cluster, std::size_t(1) << k, 4.0 * double(c.parameters));
        e.y.push_back(scaling_efficiency(double(c.batch) * c.seconds_per_example, t));
        b.y.push_back(std::ceil(examples_for_efficiency(c.seconds_per_example, t, target)));
      }
      const double t1024 = ring_allreduce_seconds(cluster, std::size_t(1) << largest_nodes_log2, 4.0 * double(c.parameters));
      if (root)
        std::printf("%-8s %12.1f %8zu %14.0f %14.3f %14.3f %16.0f\n", c.name.c_str(), c.seconds_per_example * 1e6,
                    c.batch, t1024 * 1e6, e.y.front(), e.y.back(), b.y.back());
      char item[96];
      std::snprintf(item, sizeof item, " batch90_1024_%s=%.0f", c.name.c_str(), b.y.back());
      result_batches += item;
      efficiency.push_back(e), needed.push_back(b);
    }
    if (root) {
      char title[128];
      std::snprintf(title, sizeof title, "Efficiency, the chapter's batch per machine (%g Gb/s, %g us)", gbps, latency_us);
      write_line_charts(out, {{title, "efficiency", efficiency},
                              {"Batch per machine for " + std::to_string(int(target * 100 + 0.5)) + "% efficiency",
                               "examples per machine", needed}},
                        "machines, log2 (1 = 2 machines, 10 = 1024)");
      std::printf("wrote %s\n", out.c_str());
      std::printf("result: processes=%zu latency_us=%.2f bandwidth_gb_per_s=%.2f alpha_us=%.2f fitted_gb_per_s=%.2f "
                  "ring_us_lenet=%.1f mpi_us_lenet=%.1f network_gbps=%g network_latency_us=%g%s\n",
                  P, times.front() * 1e6, sizes.back() / times.back() / 1e9, here.alpha * 1e6, 1e-9 / here.beta,
                  ring_lenet * 1e6, mpi_lenet * 1e6, gbps, latency_us, result_batches.c_str());
    }
  } catch (const std::exception& e) {
    return job.fail("scaling", e.what());
  }
  return 0;
}
