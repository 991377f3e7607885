#include <catch2/catch.hpp>

#include "03-cnn/window.hpp"

using namespace dlfs;

TEST_CASE("The output size is floor((H + 2P - K) / S) + 1 on each axis", "[03-cnn][window]") {
  CHECK(Window::square(5, 1, 2).out_h(28) == 28);  // LeNet's padded first convolution keeps 28x28
  CHECK(Window::square(5).out_h(14) == 10);        // and the second one shrinks 14 to 10
  CHECK(Window::square(2, 2).out_h(28) == 14);     // 2x2 pooling halves
  CHECK(Window::square(3, 2, 1).out_h(28) == 14);  // overlapping 3x3 pooling with padding 1 halves too
  CHECK(Window::square(3, 2).out_h(7) == 3);
  CHECK(Window::square(11, 4).out_h(227) == 55);   // AlexNet's first layer
  CHECK(Window::square(2, 2).out_h(5) == 2);       // the last row is left over and never looked at
  CHECK(Window::square(7).out_h(7) == 1);
}

TEST_CASE("Rectangular windows size each axis on its own", "[03-cnn][window]") {
  const Window w{3, 1, 2, 1, 1, 0};  // 3x1 kernel, stride (2, 1), padding (1, 0)
  CHECK(w.out_h(6) == 3);
  CHECK(w.out_w(5) == 5);
  CHECK(w.describe() == "3x1, stride (2, 1), padding (1, 0)");
  CHECK(Window::square(5, 1, 2).describe() == "5x5, stride 1, padding 2");
}

TEST_CASE("A window larger than the padded input is an error naming the sizes", "[03-cnn][window]") {
  CHECK_THROWS_WITH(Window::square(5).out_h(4, "Conv2d"),
                    "Conv2d: a 5-wide window does not fit an input height of 4 with padding 0");
  CHECK_NOTHROW(Window::square(5, 1, 1).out_w(3));
  CHECK_THROWS_WITH(Window::square(5, 1, 0).out_w(3), Catch::Contains("input width of 3"));
}

TEST_CASE("A zero kernel or stride is rejected", "[03-cnn][window]") {
  CHECK_THROWS_WITH(Window::square(3, 0).validate("MaxPool2d"), "MaxPool2d: the stride must be at least 1");
  CHECK_THROWS_WITH(Window::square(0).out_h(5, "Conv2d"), "Conv2d: the kernel must be at least 1x1");
}
