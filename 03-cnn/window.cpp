#include "03-cnn/window.hpp"

#include <stdexcept>

namespace dlfs {

namespace {

// floor((n + 2 pad - k) / stride) + 1, or an error when k > n + 2 pad.
std::size_t out_size(std::size_t n, std::size_t k, std::size_t stride, std::size_t pad, const char* axis,
                     const std::string& who) {
  if (k > n + 2 * pad)
    throw std::invalid_argument(who + ": a " + std::to_string(k) + "-wide window does not fit an input " +
                                axis + " of " + std::to_string(n) + " with padding " + std::to_string(pad));
  return (n + 2 * pad - k) / stride + 1;
}

std::string pair(std::size_t a, std::size_t b) {
  if (a == b) return std::to_string(a);
  std::string s = "(";  // appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "(" + std::string
  s += std::to_string(a);
  s += ", ";
  s += std::to_string(b);
  s += ")";
  return s;
}

}  // namespace

void Window::validate(const std::string& who) const {
  if (kernel_h == 0 || kernel_w == 0) throw std::invalid_argument(who + ": the kernel must be at least 1x1");
  if (stride_h == 0 || stride_w == 0) throw std::invalid_argument(who + ": the stride must be at least 1");
}

std::size_t Window::out_h(std::size_t h, const std::string& who) const {
  validate(who);
  return out_size(h, kernel_h, stride_h, pad_h, "height", who);
}

std::size_t Window::out_w(std::size_t w, const std::string& who) const {
  validate(who);
  return out_size(w, kernel_w, stride_w, pad_w, "width", who);
}

std::string Window::describe() const {
  return std::to_string(kernel_h) + "x" + std::to_string(kernel_w) + ", stride " + pair(stride_h, stride_w) +
         ", padding " + pair(pad_h, pad_w);
}

}  // namespace dlfs
