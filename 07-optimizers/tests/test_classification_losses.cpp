#include <catch2/catch.hpp>

#include "07-optimizers/classification_losses.hpp"
#include "07-optimizers/cross_entropy.hpp"
#include "07-optimizers/hinge.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

TEST_CASE("one_hot puts a single 1 in each row at the label", "[07-optimizers][losses][classification]") {
  const Tensor t = one_hot({2, 0}, 3);
  require_close(t, Tensor({2, 3}, {0, 0, 1, 1, 0, 0}), 0.0, 0.0);
  CHECK_THROWS_WITH(one_hot({3}, 3), Catch::Contains("label 3 is not a class 0..2"));
}

TEST_CASE("Classification losses by name are the chapter's losses on one-hot targets", "[07-optimizers][losses][classification]") {
  Rng rng(1);
  const Tensor z = random_tensor({4, 3}, rng);
  const std::vector<int> y = {2, 0, 1, 1};
  const Tensor t = one_hot(y, 3);
  CHECK(classification_loss("cross-entropy")(z, y).loss == softmax_cross_entropy(z, y).loss);
  CHECK(classification_loss("hinge")(z, y).loss == multiclass_hinge(z, y).loss);
  CHECK(classification_loss("mse")(z, y).loss == mse(z, t).loss);
  CHECK(classification_loss("bce")(z, y).loss == binary_cross_entropy_with_logits(z, t).loss);
  CHECK_THROWS_WITH(classification_loss("focal"), Catch::Contains("unknown loss 'focal'") && Catch::Contains("hinge"));
  CHECK_THROWS_WITH(classification_loss("mse")(Tensor({4}), y), Catch::Contains("mse: logits of shape (4)"));
}
