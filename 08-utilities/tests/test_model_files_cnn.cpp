#include <catch2/catch.hpp>
#include <cstring>

#include "03-cnn/conv2d.hpp"
#include "03-cnn/models.hpp"
#include "03-cnn/pool.hpp"
#include "common/safetensors.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/tmp.hpp"

using namespace dlfs;

namespace {

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("LeNet-5, with chapter 03's Conv2d and pooling, round-trips through a model file", "[08-utilities][model-files][03-cnn]") {
  const std::string path = test::scratch_dir("model-files-lenet") + "/lenet.safetensors";
  Rng rng(1), other(2);
  Sequential model = make_lenet5(rng);
  save_model(path, model.name(), named_values(model.parameters()));
  Sequential copy = make_lenet5(other);
  load_model(path, copy.name(), named_values(copy.parameters()));
  const auto a = model.parameters(), b = copy.parameters();
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(same_bits(a[i]->value, b[i]->value));
  CHECK(read_safetensors(path).tensors.at("0.weight").shape() == Shape{6, 1, 5, 5});  // (OC, C, KH, KW)
  const Tensor x = test::random_tensor({2, 1, 28, 28}, rng);  // (B, 1, 28, 28)
  CHECK(same_bits(model.forward(x), copy.forward(x)));
}

TEST_CASE("A Conv2d of another stride is refused as another architecture", "[08-utilities][model-files][03-cnn]") {
  const std::string path = test::scratch_dir("model-files-conv-arch") + "/conv.safetensors";
  Rng rng(1);
  Sequential a, b;
  a.emplace<Conv2d>(1, 4, 3, rng, 1, 1);
  b.emplace<Conv2d>(1, 4, 3, rng, 2, 1);  // same parameter shapes, different layer
  save_model(path, a.name(), named_values(a.parameters()));
  CHECK_THROWS_WITH(load_model(path, b.name(), named_values(b.parameters())), Catch::Contains("architecture mismatch"));
}
