// GEMM throughput, ours (dlfs::sgemm) against Eigen, in the same process.
//
// The host is shared and noisy (another process compiling can halve a core's speed for a
// second), so the two are never timed in separate runs: every repetition times ours and then
// Eigen back to back on the same data, and we report the best and the median of each. The best
// is what the code can do; the median shows how steady it is. One line per shape and thread
// count:
//
//   bench: name=gemm_1024 threads=1 ours=123.4 peer=106.2 unit=gflops ratio=1.16 ...
//
// ratio = ours / peer of the best samples (throughput: above 1 is faster); ratio_median is the
// same for the medians.
#include <omp.h>

#include <CLI/CLI.hpp>
#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "common/gemm.hpp"
#include "common/random.hpp"

namespace {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using dlfs::Trans;

struct Shape {
  std::string name;
  std::size_t M, K, N;  // op(A) is M x K, op(B) is K x N
  Trans ta, tb;
};

// Seconds for one call of f, timed over enough calls to last at least min_seconds.
double time_per_call(const std::function<void()>& f, double min_seconds) {
  using clock = std::chrono::steady_clock;
  std::size_t calls = 1;
  for (;;) {
    const auto start = clock::now();
    for (std::size_t i = 0; i < calls; ++i) f();
    const double s = std::chrono::duration<double>(clock::now() - start).count();
    if (s >= min_seconds) return s / double(calls);
    calls = s <= 0 ? calls * 10 : std::max(calls + 1, std::size_t(double(calls) * 1.2 * min_seconds / s));
  }
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void bench(const Shape& s, int threads, int reps, double min_seconds) {
  omp_set_num_threads(threads);
  Eigen::setNbThreads(threads);

  dlfs::Rng rng(42);
  const std::size_t M = s.M, K = s.K, N = s.N;
  const bool ta = s.ta == Trans::Yes, tb = s.tb == Trans::Yes;
  Matrix A(ta ? K : M, ta ? M : K), B(tb ? N : K, tb ? K : N), C(M, N), E(M, N);
  for (Matrix* m : {&A, &B})
    for (Eigen::Index i = 0; i < m->size(); ++i) m->data()[i] = rng.uniform(-1.0f, 1.0f);

  auto ours = [&] {
    dlfs::sgemm(s.ta, s.tb, M, N, K, 1.0f, A.data(), A.cols(), B.data(), B.cols(), 0.0f, C.data(), N);
  };
  auto peer = [&] {
    if (!ta && !tb) E.noalias() = A * B;
    else if (!ta && tb) E.noalias() = A * B.transpose();
    else if (ta && !tb) E.noalias() = A.transpose() * B;
    else E.noalias() = A.transpose() * B.transpose();
  };

  const double flops = 2.0 * double(M) * double(N) * double(K);
  std::vector<double> g_ours, g_peer;
  ours(), peer();  // warm up: page in buffers, start the thread pool
  for (int r = 0; r < reps; ++r) {
    g_ours.push_back(flops / time_per_call(ours, min_seconds) * 1e-9);
    g_peer.push_back(flops / time_per_call(peer, min_seconds) * 1e-9);
  }
  const double max_err = (C - E).cwiseAbs().maxCoeff();
  const double best_o = *std::max_element(g_ours.begin(), g_ours.end());
  const double best_p = *std::max_element(g_peer.begin(), g_peer.end());
  const double med_o = median(g_ours), med_p = median(g_peer);
  std::printf(
      "bench: name=%s threads=%d ours=%.1f peer=%.1f unit=gflops ratio=%.2f ours_median=%.1f "
      "peer_median=%.1f ratio_median=%.2f peer_name=eigen max_abs_diff=%.1e\n",
      s.name.c_str(), threads, best_o, best_p, best_o / best_p, med_o, med_p, med_o / med_p, max_err);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"GEMM: dlfs::sgemm against Eigen, interleaved in one process"};
  int reps = 7;
  double min_seconds = 0.05;
  std::string filter;
  std::vector<int> thread_counts{1, 2};
  app.add_option("--reps", reps, "timed samples of each side (best and median are reported)");
  app.add_option("--min-time", min_seconds, "seconds each sample lasts at least");
  app.add_option("--filter", filter, "only shapes whose name contains this");
  app.add_option("--threads", thread_counts, "thread counts to run");
  CLI11_PARSE(app, argc, argv);

  const Trans N = Trans::No, T = Trans::Yes;
  std::vector<Shape> shapes;
  for (std::size_t n : {64, 128, 256, 512, 1024, 2048})
    shapes.push_back({"gemm_" + std::to_string(n), n, n, n, N, N});
  // The MLP 784-256-128-10's first layer at batch 64 (02-mlp/dense.cpp): y = x W^T, dx = dy W,
  // dW = dy^T x. Named M x K x N.
  shapes.push_back({"gemm_mlp_fwd_64x784x256", 64, 784, 256, N, T});
  shapes.push_back({"gemm_mlp_dx_64x256x784", 64, 256, 784, N, N});
  shapes.push_back({"gemm_mlp_dw_256x64x784", 256, 64, 784, T, N});
  // One time step of chapter 04's LSTM (batch 32, H = 256): forward h W_hh^T, backward dh W_hh.
  shapes.push_back({"gemm_lstm_step_32x256x1024", 32, 256, 1024, N, T});
  shapes.push_back({"gemm_lstm_dh_32x1024x256", 32, 1024, 256, N, N});
  // The products 03-cnn/conv2d.cpp calls for LeNet-5 on one slice of 16 images (the example's
  // default micro-batch): forward Y = W cols, weight gradient dW = dY cols^T (long dot products),
  // and for the second convolution dcols = W^T dY. Named M x K x N.
  shapes.push_back({"gemm_conv1_fwd_6x25x12544", 6, 25, 12544, N, N});
  shapes.push_back({"gemm_conv1_dw_6x12544x25", 6, 12544, 25, N, T});
  shapes.push_back({"gemm_conv2_fwd_16x150x1600", 16, 150, 1600, N, N});
  shapes.push_back({"gemm_conv2_dw_16x1600x150", 16, 1600, 150, N, T});
  shapes.push_back({"gemm_conv2_dcols_150x16x1600", 150, 16, 1600, T, N});

  for (const Shape& s : shapes) {
    if (!filter.empty() && s.name.find(filter) == std::string::npos) continue;
    for (int t : thread_counts) bench(s, t, reps, min_seconds);
  }
}
