#include "06-transformer/attention.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "common/fast_math.hpp"
#include "common/gemm.hpp"

namespace dlfs {

namespace {

// Whether to share the (batch row, head) pairs among threads: only when each of two threads gets
// at least 2^20 multiply-adds, the size from which common/gemm.hpp starts a second thread too.
// Waking a thread costs microseconds, and on a busy machine it may wait for a core far longer.
bool worth_threads(std::size_t pairs, std::size_t multiply_adds_per_pair) {
  return pairs > 1 && pairs * multiply_adds_per_pair >= (std::size_t(2) << 20);
}

}  // namespace

void masked_softmax_row(const float* scores, float* probs, std::size_t n) {
  const float m = n ? *std::max_element(scores, scores + n) : 0.0f;
  if (m == -std::numeric_limits<float>::infinity()) {  // every entry masked: nothing to look at
    std::fill(probs, probs + n, 0.0f);
    return;
  }
  // p_j = exp(s_j - m) / sum_k exp(s_k - m); a masked entry gives exp(-inf) = 0. (fast_exp, which
  // vectorizes, where the C library's expf took as long as the attention's GEMMs.)
  float total = 0.0f;
  for (std::size_t j = 0; j < n; ++j) total += probs[j] = fast_exp(scores[j] - m);
  const float inv = 1.0f / total;  // total >= 1: the maximum's own term is exp(0)
  for (std::size_t j = 0; j < n; ++j) probs[j] *= inv;
}

ScaledDotProductAttention::ScaledDotProductAttention(std::size_t heads, bool causal, float dropout, Rng& rng)
    : heads_(heads), causal_(causal), dropout_(dropout, rng) {
  if (heads == 0) throw std::invalid_argument("ScaledDotProductAttention: needs at least one head");
}

std::string ScaledDotProductAttention::name() const {
  std::string s = "ScaledDotProductAttention(heads=" + std::to_string(heads_) + (causal_ ? ", causal" : "");
  if (dropout_.p() > 0) {
    char text[32];
    std::snprintf(text, sizeof text, ", dropout=%g", double(dropout_.p()));
    s += text;
  }
  return s + ")";
}

void ScaledDotProductAttention::set_training(bool training) {
  Layer::set_training(training);
  dropout_.set_training(training);
}

std::size_t ScaledDotProductAttention::model_width(const Tensor& qkv) const {
  if (qkv.ndim() != 3 || qkv.dim(2) % (3 * heads_) != 0 || qkv.dim(2) == 0)
    throw std::invalid_argument(name() + ": input of shape " + shape_to_string(qkv.shape()) +
                                " is not (B, T, 3D) with D a multiple of the " + std::to_string(heads_) + " heads");
  return qkv.dim(2) / 3;
}

Tensor ScaledDotProductAttention::forward(const Tensor& qkv) {
  const std::size_t D = model_width(qkv), B = qkv.dim(0), T = qkv.dim(1), H = heads_, d = D / H;
  const std::size_t ld = 3 * D;  // row stride of a head's Q, K or V inside qkv
  const float scale = 1.0f / std::sqrt(float(d));
  const float masked = -std::numeric_limits<float>::infinity();
  qkv_ = qkv;
  cached_forward_ = false;
  probs_ = Tensor::uninitialized({B, H, T, T});  // (B, H, T, T)
  Tensor out = Tensor::uninitialized({B, T, D});  // (B, T, D): the heads side by side

  const std::ptrdiff_t pairs = std::ptrdiff_t(B * H);
  const bool threads = worth_threads(B * H, T * T * d);
#pragma omp parallel for schedule(static) if (threads)
  for (std::ptrdiff_t pair = 0; pair < pairs; ++pair) {
    const std::size_t b = std::size_t(pair) / H, h = std::size_t(pair) % H;
    const float* q = qkv_.data() + b * T * ld + h * d;  // Q_h (T, d), rows ld apart
    const float* k = q + D;                             // K_h (T, d)
    float* p = probs_.data() + std::size_t(pair) * T * T;  // (T, T)
    // S = Q K^T / sqrt(d)
    sgemm(Trans::No, Trans::Yes, T, T, d, scale, q, ld, k, ld, 0.0f, p, T);
    // S_ij = -inf for j > i, then P = softmax(S) row by row
    for (std::size_t i = 0; i < T; ++i) {
      if (causal_) std::fill(p + i * T + i + 1, p + (i + 1) * T, masked);
      masked_softmax_row(p + i * T, p + i * T, T);
    }
  }
  // Dropout on the weights (training only): O = (M ⊙ P) V.
  const bool drop = training_ && dropout_.p() > 0;
  if (drop) dropped_ = dropout_.forward(probs_);
  dropped_in_forward_ = drop;
  const Tensor& weights = drop ? dropped_ : probs_;  // (B, H, T, T)

#pragma omp parallel for schedule(static) if (threads)
  for (std::ptrdiff_t pair = 0; pair < pairs; ++pair) {
    const std::size_t b = std::size_t(pair) / H, h = std::size_t(pair) % H;
    const float* v = qkv_.data() + b * T * ld + 2 * D + h * d;  // V_h (T, d)
    // O_h = P V_h, written into the head's columns of the output
    sgemm(Trans::No, Trans::No, T, d, T, 1.0f, weights.data() + std::size_t(pair) * T * T, T, v, ld, 0.0f,
          out.data() + b * T * D + h * d, D);
  }
  return out;
}

Tensor ScaledDotProductAttention::backward(const Tensor& doutput) {
  if (cached_forward_)
    throw std::logic_error(name() + ": backward after forward_cached, which keeps nothing to backpropagate");
  const std::size_t B = qkv_.dim(0), T = qkv_.dim(1), D = qkv_.dim(2) / 3, H = heads_, d = D / H;
  if (doutput.ndim() != 3 || doutput.dim(0) != B || doutput.dim(1) != T || doutput.dim(2) != D)
    throw std::invalid_argument(name() + ": output gradient of shape " + shape_to_string(doutput.shape()) +
                                " does not match the forward output (" + std::to_string(B) + ", " +
                                std::to_string(T) + ", " + std::to_string(D) + ")");
  const std::size_t ld = 3 * D;
  const float scale = 1.0f / std::sqrt(float(d));
  // Whether the forward pass dropped weights, whatever the mode is now (a switch to evaluation
  // between the two would otherwise pair P with the mask's backward).
  const bool drop = dropped_in_forward_;
  const Tensor& weights = drop ? dropped_ : probs_;  // what multiplied V in the forward pass
  Tensor dqkv = Tensor::uninitialized({B, T, ld});   // (B, T, 3D): every column is written below
  Tensor dweights = Tensor::uninitialized({B, H, T, T});  // (B, H, T, T)

  const std::ptrdiff_t pairs = std::ptrdiff_t(B * H);
  const bool threads = worth_threads(B * H, T * T * d);
#pragma omp parallel for schedule(static) if (threads)
  for (std::ptrdiff_t pair = 0; pair < pairs; ++pair) {
    const std::size_t b = std::size_t(pair) / H, h = std::size_t(pair) % H;
    const float* dout = doutput.data() + b * T * D + h * d;  // dO_h (T, d), rows D apart
    const float* v = qkv_.data() + b * T * ld + 2 * D + h * d;
    const std::size_t offset = std::size_t(pair) * T * T;
    // dV = P^T dO
    sgemm(Trans::Yes, Trans::No, T, d, T, 1.0f, weights.data() + offset, T, dout, D, 0.0f,
          dqkv.data() + b * T * ld + 2 * D + h * d, ld);
    // dP = dO V^T
    sgemm(Trans::No, Trans::Yes, T, T, d, 1.0f, dout, D, v, ld, 0.0f, dweights.data() + offset, T);
  }
  // Through the dropout mask: dP = M ⊙ d(M ⊙ P).
  Tensor dprobs = drop ? dropout_.backward(dweights) : std::move(dweights);  // (B, H, T, T)

#pragma omp parallel for schedule(static) if (threads)
  for (std::ptrdiff_t pair = 0; pair < pairs; ++pair) {
    const std::size_t b = std::size_t(pair) / H, h = std::size_t(pair) % H;
    const float* q = qkv_.data() + b * T * ld + h * d;
    const float* k = q + D;
    const float* p = probs_.data() + std::size_t(pair) * T * T;
    float* ds = dprobs.data() + std::size_t(pair) * T * T;  // dP, turned into dS in place
    // dS = P ⊙ (dP - rowsum(dP ⊙ P)), row by row
    for (std::size_t i = 0; i < T; ++i) {
      float dot = 0.0f;
      for (std::size_t j = 0; j < T; ++j) dot += ds[i * T + j] * p[i * T + j];
      for (std::size_t j = 0; j < T; ++j) ds[i * T + j] = p[i * T + j] * (ds[i * T + j] - dot);
    }
    // dQ = dS K / sqrt(d),  dK = dS^T Q / sqrt(d)
    sgemm(Trans::No, Trans::No, T, d, T, scale, ds, T, k, ld, 0.0f, dqkv.data() + b * T * ld + h * d, ld);
    sgemm(Trans::Yes, Trans::No, T, d, T, scale, ds, T, q, ld, 0.0f, dqkv.data() + b * T * ld + D + h * d, ld);
  }
  return dqkv;
}

void ScaledDotProductAttention::clear_cache(std::size_t capacity) {
  cache_capacity_ = capacity;
  cache_length_ = 0;
  keys_ = Tensor();
  values_ = Tensor();
}

Tensor ScaledDotProductAttention::forward_cached(const Tensor& qkv) {
  const std::size_t D = model_width(qkv), B = qkv.dim(0), T = qkv.dim(1), H = heads_, d = D / H;
  const std::size_t ld = 3 * D, C = cache_capacity_, start = cache_length_;
  if (start > 0 && keys_.dim(0) != B)
    throw std::invalid_argument(name() + ": a batch of " + std::to_string(B) + " for a cache that holds " +
                                std::to_string(keys_.dim(0)) + " sequences (clear the cache first)");
  if (start + T > C)
    throw std::invalid_argument(name() + ": " + std::to_string(start) + " cached positions and " + std::to_string(T) +
                                " new ones do not fit the cache of " + std::to_string(C) + " positions");
  if (start == 0) {
    keys_ = Tensor::uninitialized({B, C, D});    // (B, C, D)
    values_ = Tensor::uninitialized({B, C, D});  // (B, C, D)
  }
  // Append the new keys and values: K[b, start + t] = qkv[b, t, D : 2D], V likewise from 2D : 3D.
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t t = 0; t < T; ++t) {
      const float* row = qkv.data() + (b * T + t) * ld;
      std::copy_n(row + D, D, keys_.data() + (b * C + start + t) * D);
      std::copy_n(row + 2 * D, D, values_.data() + (b * C + start + t) * D);
    }
  const std::size_t L = start + T;  // positions to attend over
  cache_length_ = L;
  cached_forward_ = true;
  const float scale = 1.0f / std::sqrt(float(d));
  const float masked = -std::numeric_limits<float>::infinity();
  probs_ = Tensor::uninitialized({B, H, T, L});  // (B, H, T_new, L)
  Tensor out = Tensor::uninitialized({B, T, D});  // (B, T_new, D)

  const std::ptrdiff_t pairs = std::ptrdiff_t(B * H);
  const bool threads = worth_threads(B * H, T * L * d);
#pragma omp parallel for schedule(static) if (threads)
  for (std::ptrdiff_t pair = 0; pair < pairs; ++pair) {
    const std::size_t b = std::size_t(pair) / H, h = std::size_t(pair) % H;
    const float* q = qkv.data() + b * T * ld + h * d;         // the new queries (T_new, d), rows ld apart
    const float* k = keys_.data() + b * C * D + h * d;        // cached K_h (L, d), rows D apart
    const float* v = values_.data() + b * C * D + h * d;      // cached V_h (L, d)
    float* p = probs_.data() + std::size_t(pair) * T * L;     // (T_new, L)
    sgemm(Trans::No, Trans::Yes, T, L, d, scale, q, ld, k, D, 0.0f, p, L);  // S = Q K^T / sqrt(d)
    for (std::size_t i = 0; i < T; ++i) {
      // new query i sits at position start + i: it sees positions 0 .. start + i
      if (causal_) std::fill(p + i * L + start + i + 1, p + (i + 1) * L, masked);
      masked_softmax_row(p + i * L, p + i * L, L);
    }
    sgemm(Trans::No, Trans::No, T, d, L, 1.0f, p, L, v, D, 0.0f, out.data() + b * T * D + h * d, D);  // O = P V
  }
  return out;
}

}  // namespace dlfs
