#include "05-regularization/bias_free_conv2d.hpp"

namespace dlfs {

BiasFreeConv2d::BiasFreeConv2d(std::size_t in_channels, std::size_t out_channels, std::size_t kernel, Rng& rng,
                               std::size_t stride, std::size_t padding)
    : Conv2d(in_channels, out_channels, kernel, rng, stride, padding) {
  bias().value.zero();  // Conv2d starts its bias at 0 already; nothing may ever change it
}

std::string BiasFreeConv2d::name() const {
  std::string s = Conv2d::name();  // "Conv2d(..., padding 1)"
  s.pop_back();
  return s + ", bias=False)";
}

}  // namespace dlfs
