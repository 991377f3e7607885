#include <catch2/catch.hpp>
#include <sstream>

#include "common/progress.hpp"

using namespace dlfs;

TEST_CASE("Off a terminal the progress bar prints exactly one line per epoch", "[common][progress]") {
  std::ostringstream out;
  ProgressBar bar("epoch 1/3", 50, 64, out, false);
  for (std::size_t i = 1; i <= 50; ++i) bar.update(i, 1.0 / double(i));
  bar.finish("test_acc 0.5");
  const std::string s = out.str();
  CHECK(std::count(s.begin(), s.end(), '\n') == 1);
  CHECK(s.find('\r') == std::string::npos);
  CHECK_THAT(s, Catch::StartsWith("epoch 1/3 [") && Catch::Contains("50/50 loss 0.0200") &&
                    Catch::Contains("samples/s") && Catch::EndsWith("test_acc 0.5\n"));
}

TEST_CASE("On a terminal the progress bar redraws in place", "[common][progress]") {
  std::ostringstream out;
  ProgressBar bar("epoch 2/3", 4, 10, out, true);
  bar.update(4, 0.25);
  bar.finish();
  const std::string s = out.str();
  CHECK(s.find('\r') != std::string::npos);
  CHECK_THAT(s, Catch::Contains("4/4 loss 0.2500") && Catch::Contains("took"));
}
