#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "06-transformer/attention.hpp"
#include "06-transformer/tests/reference.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

constexpr float kMasked = -std::numeric_limits<float>::infinity();

// The gradient of L = sum(attention(qkv) G) with respect to qkv, numerically, against backward(G),
// reported separately for the Q, K and V columns.
void check_attention_gradients(ScaledDotProductAttention& attention, Tensor qkv, Rng& rng,
                               const std::function<void()>& before_forward = [] {}) {
  before_forward();
  const Tensor g = random_tensor(attention.forward(qkv).shape(), rng);  // (B, T, D)
  const Tensor analytic = attention.backward(g);                       // (B, T, 3D)
  const Tensor numeric = numerical_gradient(
      [&] {
        before_forward();
        return dot(attention.forward(qkv), g);
      },
      qkv, 1e-2);
  const std::size_t rows = qkv.dim(0) * qkv.dim(1), D = qkv.dim(2) / 3;
  const char* names[] = {"dL/dQ", "dL/dK", "dL/dV"};
  for (std::size_t part = 0; part < 3; ++part) {
    Tensor a({rows, D}), n({rows, D});
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t j = 0; j < D; ++j) {
        a(r, j) = analytic[r * 3 * D + part * D + j];
        n(r, j) = numeric[r * 3 * D + part * D + j];
      }
    INFO(names[part]);
    require_close(a, n, 2e-3, 2e-3);
  }
}

}  // namespace

TEST_CASE("masked_softmax_row gives zeros for a row where every entry is masked", "[06-transformer][attention]") {
  const float scores[4] = {kMasked, kMasked, kMasked, kMasked};
  float probs[4] = {7, 7, 7, 7};
  masked_softmax_row(scores, probs, 4);
  for (float p : probs) CHECK(p == 0.0f);
}

TEST_CASE("masked_softmax_row is the softmax of the unmasked entries, and 0 at the masked ones",
          "[06-transformer][attention]") {
  const float scores[5] = {0.5f, kMasked, -1.0f, 2.0f, kMasked};
  float probs[5];
  masked_softmax_row(scores, probs, 5);
  const double total = std::exp(0.5) + std::exp(-1.0) + std::exp(2.0);
  CHECK(probs[0] == Approx(std::exp(0.5) / total).epsilon(1e-6));
  CHECK(probs[2] == Approx(std::exp(-1.0) / total).epsilon(1e-6));
  CHECK(probs[3] == Approx(std::exp(2.0) / total).epsilon(1e-6));
  CHECK(probs[1] == 0.0f);
  CHECK(probs[4] == 0.0f);
}

TEST_CASE("masked_softmax_row stays finite for scores near the float limit", "[06-transformer][attention]") {
  const float scores[4] = {3e38f, 1e30f, -3e38f, 3e38f};
  float probs[4];
  masked_softmax_row(scores, probs, 4);
  for (float p : probs) CHECK(std::isfinite(p));
  CHECK(probs[0] == 0.5f);
  CHECK(probs[3] == 0.5f);
  CHECK(probs[1] == 0.0f);
  CHECK(probs[2] == 0.0f);
}

TEST_CASE("attention forward matches explicit per-head matrices in Eigen, causal or not", "[06-transformer][attention]") {
  for (bool causal : {true, false}) {
    INFO("causal " << causal);
    Rng rng(causal ? 1 : 2);
    ScaledDotProductAttention attention(3, causal, 0.0f, rng);
    const Tensor qkv = random_tensor({2, 5, 18}, rng);  // B 2, T 5, D 6 in 3 heads of 2
    std::vector<std::vector<MatrixD>> weights;
    const MatrixD expected = attention_reference(qkv, 3, causal, &weights);
    require_close(attention.forward(qkv), from_eigen(expected).reshaped({2, 5, 6}), 1e-5, 1e-5);
    // P itself, head by head: each row sums to 1, and the future gets exactly 0.
    const Tensor& P = attention.attention_weights();  // (B, H, T, T)
    REQUIRE(P.shape() == Shape{2, 3, 5, 5});
    for (std::size_t b = 0; b < 2; ++b)
      for (std::size_t h = 0; h < 3; ++h)
        for (std::size_t i = 0; i < 5; ++i)
          for (std::size_t j = 0; j < 5; ++j) {
            CHECK(P(b, h, i, j) == Approx(weights[b][h](Eigen::Index(i), Eigen::Index(j))).margin(1e-6));
            if (causal && j > i) CHECK(P(b, h, i, j) == 0.0f);
          }
  }
}

TEST_CASE("attention backward matches central differences for Q, K and V", "[06-transformer][attention][grad]") {
  for (bool causal : {true, false}) {
    INFO("causal " << causal);
    Rng rng(causal ? 3 : 4);
    ScaledDotProductAttention attention(2, causal, 0.0f, rng);
    check_attention_gradients(attention, random_tensor({2, 4, 12}, rng), rng);
  }
}

TEST_CASE("attention backward's closed-form softmax gradient equals the full Jacobian computed with Eigen",
          "[06-transformer][attention][grad]") {
  // dS = P ⊙ (dP - rowsum(dP ⊙ P)) against the T x T Jacobian J = diag(p) - p p^T of each row's
  // softmax, dS_row = J^T dP_row: then dQ = dS K / sqrt(d), dK = dS^T Q / sqrt(d), dV = P^T dO.
  Rng rng(5);
  const std::size_t T = 6, d = 4;
  ScaledDotProductAttention attention(1, true, 0.0f, rng);
  const Tensor qkv = random_tensor({1, T, 3 * d}, rng);
  const Tensor g = random_tensor({1, T, d}, rng);
  attention.forward(qkv);
  const Tensor dqkv = attention.backward(g);

  const MatrixD X = to_matrix(qkv, T), dO = to_matrix(g, T);
  const MatrixD Q = X.leftCols(d), K = X.middleCols(d, d), V = X.rightCols(d);
  MatrixD P;
  attention_head(Q, K, V, true, &P);
  const MatrixD dP = dO * V.transpose();
  MatrixD dS(T, T);
  for (Eigen::Index i = 0; i < Eigen::Index(T); ++i) {
    const Eigen::VectorXd p = P.row(i).transpose();
    const MatrixD J = MatrixD(p.asDiagonal()) - p * p.transpose();  // dp_j / ds_k
    dS.row(i) = (J.transpose() * dP.row(i).transpose()).transpose();
  }
  MatrixD expected(T, 3 * d);
  expected << dS * K / std::sqrt(double(d)), dS.transpose() * Q / std::sqrt(double(d)), P.transpose() * dO;
  require_close(dqkv.reshaped({T, 3 * d}), from_eigen(expected), 1e-5, 1e-5);
}

TEST_CASE("attention with dropout on its weights: backward matches central differences with the mask replayed",
          "[06-transformer][attention][grad][dropout]") {
  Rng rng(6);
  ScaledDotProductAttention attention(2, true, 0.3f, rng);
  const Rng::State replay = attention.weight_dropout().rng().state();
  check_attention_gradients(attention, random_tensor({2, 4, 12}, rng), rng,
                            [&] { attention.weight_dropout().rng().set_state(replay); });
  // In evaluation the weights are not dropped: the output is the plain attention.
  attention.set_training(false);
  const Tensor qkv = random_tensor({1, 4, 12}, rng);
  require_close(attention.forward(qkv), from_eigen(attention_reference(qkv, 2, true)).reshaped({1, 4, 4}), 1e-5, 1e-5);
}

TEST_CASE("attention's backward follows what its forward did with dropout, not the mode it is in now",
          "[06-transformer][attention][dropout]") {
  Rng rng(9);
  ScaledDotProductAttention attention(2, true, 0.5f, rng);
  const Tensor qkv = random_tensor({2, 4, 12}, rng), g = random_tensor({2, 4, 4}, rng);
  const Rng::State replay = attention.weight_dropout().rng().state();
  attention.forward(qkv);
  const Tensor expected = attention.backward(g);
  attention.weight_dropout().rng().set_state(replay);
  attention.forward(qkv);  // the same mask
  attention.set_training(false);
  require_close(attention.backward(g), expected, 0.0, 0.0);
}

TEST_CASE("attention stays finite when huge queries saturate the softmax", "[06-transformer][attention]") {
  Rng rng(7);
  ScaledDotProductAttention attention(1, true, 0.0f, rng);
  Tensor qkv = random_tensor({1, 5, 6}, rng);
  for (std::size_t t = 0; t < 5; ++t) qkv[t * 6] *= 1e20f;  // Q scores of order 1e20
  const Tensor y = attention.forward(qkv);
  for (float v : y) CHECK(std::isfinite(v));
  const Tensor dqkv = attention.backward(random_tensor({1, 5, 2}, rng));
  for (float v : dqkv) CHECK(std::isfinite(v));
}

TEST_CASE("a key-value cache fed in chunks gives the rows of the whole forward pass", "[06-transformer][attention][cache]") {
  Rng rng(8);
  ScaledDotProductAttention attention(2, true, 0.0f, rng);
  const std::size_t B = 2, T = 7, D = 4;
  const Tensor qkv = random_tensor({B, T, 3 * D}, rng);
  const Tensor whole = attention.forward(qkv);  // (B, T, D)
  attention.clear_cache(T);
  std::size_t begin = 0;
  for (std::size_t chunk : {3, 1, 2, 1}) {
    Tensor part({B, chunk, 3 * D}), expected({B, chunk, D});
    for (std::size_t b = 0; b < B; ++b)
      for (std::size_t t = 0; t < chunk; ++t) {
        for (std::size_t j = 0; j < 3 * D; ++j) part(b, t, j) = qkv(b, begin + t, j);
        for (std::size_t j = 0; j < D; ++j) expected(b, t, j) = whole(b, begin + t, j);
      }
    INFO("positions " << begin << " to " << begin + chunk - 1);
    require_close(attention.forward_cached(part), expected, 1e-6, 1e-5);
    begin += chunk;
    CHECK(attention.cache_length() == begin);
  }
}

TEST_CASE("the key-value cache refuses to overflow, a changed batch size, and a backward pass",
          "[06-transformer][attention][cache]") {
  Rng rng(9);
  ScaledDotProductAttention attention(1, true, 0.0f, rng);
  attention.clear_cache(4);
  attention.forward_cached(random_tensor({2, 3, 6}, rng));
  CHECK_THROWS_WITH(attention.forward_cached(random_tensor({2, 2, 6}, rng)),
                    Catch::Contains("3 cached positions and 2 new ones do not fit the cache of 4"));
  CHECK_THROWS_WITH(attention.forward_cached(random_tensor({1, 1, 6}, rng)), Catch::Contains("a batch of 1"));
  CHECK_THROWS_WITH(attention.backward(random_tensor({2, 3, 2}, rng)), Catch::Contains("backward after forward_cached"));
  attention.clear_cache(4);
  CHECK(attention.cache_length() == 0);
  attention.forward_cached(random_tensor({1, 4, 6}, rng));  // another batch size once cleared
  CHECK(attention.cache_length() == 4);
}

TEST_CASE("attention refuses inputs that are not (B, T, 3D) with D a multiple of the heads, naming the layer",
          "[06-transformer][attention]") {
  Rng rng(10);
  ScaledDotProductAttention attention(2, true, 0.0f, rng);
  CHECK(attention.name() == "ScaledDotProductAttention(heads=2, causal)");
  CHECK_THROWS_WITH(attention.forward(Tensor({2, 3, 9})),
                    Catch::Contains("ScaledDotProductAttention(heads=2, causal): input of shape (2, 3, 9)"));
  CHECK_THROWS_WITH(attention.forward(Tensor({3, 12})), Catch::Contains("is not (B, T, 3D)"));
  attention.forward(Tensor({1, 2, 12}));
  CHECK_THROWS_WITH(attention.backward(Tensor({1, 3, 4})), Catch::Contains("does not match the forward output"));
  CHECK_THROWS_AS(ScaledDotProductAttention(0, true, 0.0f, rng), std::invalid_argument);
}
