#include "common/tensor.hpp"

#include "common/storage.hpp"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <stdexcept>

namespace dlfs {

std::string shape_to_string(const Shape& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + ")";
}

std::size_t shape_size(const Shape& shape) {
  std::size_t n = 1;
  for (std::size_t d : shape) n *= d;
  return n;
}

void Tensor::Release::operator()(float* p) const { release_storage(p, bytes); }

std::shared_ptr<float[]> Tensor::allocate(std::size_t count) {
  if (count == 0) return nullptr;
  const std::size_t bytes = count * sizeof(float);
  return std::shared_ptr<float[]>(allocate_storage(bytes), Release{bytes});
}

Tensor::Tensor(Shape shape) : Tensor(std::move(shape), 0.0f) {}

Tensor::Tensor(Shape shape, float value)
    : shape_(std::move(shape)), size_(shape_size(shape_)), data_(allocate(size_)) {
  fill(value);
}

Tensor Tensor::uninitialized(Shape shape) {
  Tensor t;
  t.size_ = shape_size(shape);
  t.shape_ = std::move(shape);
  t.data_ = allocate(t.size_);
  return t;
}

Tensor::Tensor(Shape shape, const std::vector<float>& values)
    : shape_(std::move(shape)), size_(shape_size(shape_)), data_(allocate(size_)) {
  if (values.size() != size_)
    throw std::invalid_argument("Tensor: shape " + shape_to_string(shape_) + " holds " +
                                std::to_string(size_) + " values but " +
                                std::to_string(values.size()) + " were given");
  std::copy(values.begin(), values.end(), data());
}

Tensor::Tensor(Shape shape, std::initializer_list<float> values)
    : Tensor(std::move(shape), std::vector<float>(values)) {}

Tensor::Tensor(const Tensor& other)
    : shape_(other.shape_), size_(other.size_), data_(allocate(size_)) {
  std::copy(other.begin(), other.end(), data());
}

Tensor& Tensor::operator=(const Tensor& other) {
  if (this == &other) return *this;
  if (size_ != other.size_) data_ = allocate(other.size_);
  shape_ = other.shape_;
  size_ = other.size_;
  std::copy(other.begin(), other.end(), data());
  return *this;
}

Tensor Tensor::shared_view() {
  Tensor view;
  view.shape_ = shape_;
  view.size_ = size_;
  view.data_ = data_;
  return view;
}

Tensor Tensor::part_view(std::size_t offset, Shape shape) {
  const std::size_t count = shape_size(shape);
  if (offset % kAlignFloats != 0)
    throw std::invalid_argument("part_view: offset " + std::to_string(offset) + " is not a multiple of " +
                                std::to_string(kAlignFloats) + " floats (the storage's 64-byte alignment)");
  if (offset > size_ || count > size_ - offset)
    throw std::invalid_argument("part_view: " + shape_to_string(shape) + " from offset " + std::to_string(offset) +
                                " runs past the end of a tensor of " + std::to_string(size_) + " elements");
  Tensor view;
  view.shape_ = std::move(shape);
  view.size_ = count;
  view.data_ = std::shared_ptr<float[]>(data_, data_.get() + offset);  // owns the whole, points at the part
  return view;
}

Tensor::Tensor(Tensor&& other) noexcept
    : shape_(std::move(other.shape_)), size_(other.size_), data_(std::move(other.data_)) {
  other.shape_ = {0};
  other.size_ = 0;
}

Tensor& Tensor::operator=(Tensor&& other) noexcept {
  if (this == &other) return *this;
  shape_ = std::move(other.shape_);
  size_ = other.size_;
  data_ = std::move(other.data_);
  other.shape_ = {0};
  other.size_ = 0;
  return *this;
}

std::size_t Tensor::dim(std::size_t axis) const {
  if (axis >= shape_.size())
    throw std::out_of_range("Tensor::dim: axis " + std::to_string(axis) + " of a tensor of shape " +
                            shape_to_string(shape_));
  return shape_[axis];
}

Shape Tensor::strides() const {
  Shape strides(shape_.size());
  std::size_t stride = 1;
  for (std::size_t k = shape_.size(); k-- > 0;) {
    strides[k] = stride;
    stride *= shape_[k];
  }
  return strides;
}

std::size_t Tensor::checked_offset(const Shape& index) const {
  if (index.size() != shape_.size())
    throw std::out_of_range("Tensor::at: " + std::to_string(index.size()) +
                            " indices for a tensor of shape " + shape_to_string(shape_));
  std::size_t offset = 0;
  for (std::size_t k = 0; k < index.size(); ++k) {
    if (index[k] >= shape_[k])
      throw std::out_of_range("Tensor::at: index " + shape_to_string(index) +
                              " is outside shape " + shape_to_string(shape_));
    offset = offset * shape_[k] + index[k];
  }
  return offset;
}

float& Tensor::at(const Shape& index) { return data_[checked_offset(index)]; }
float Tensor::at(const Shape& index) const { return data_[checked_offset(index)]; }

Shape Tensor::resolve_reshape(Shape shape) const {
  std::size_t known = 1, infer_axis = shape.size();
  for (std::size_t k = 0; k < shape.size(); ++k) {
    if (shape[k] == kInfer) {
      if (infer_axis != shape.size())
        throw std::invalid_argument("Tensor::reshape: only one dimension may be inferred");
      infer_axis = k;
    } else {
      known *= shape[k];
    }
  }
  if (infer_axis != shape.size() && known != 0 && size_ % known == 0) shape[infer_axis] = size_ / known;
  if (infer_axis != shape.size() && shape[infer_axis] == kInfer)
    throw std::invalid_argument("Tensor::reshape: cannot infer a dimension to turn " +
                                shape_to_string(shape_) + " into " + std::to_string(known) + " x ?");
  if (shape_size(shape) != size_)
    throw std::invalid_argument("Tensor::reshape: cannot reshape " + shape_to_string(shape_) + " (" +
                                std::to_string(size_) + " elements) to " + shape_to_string(shape));
  return shape;
}

Tensor& Tensor::reshape(Shape shape) {
  shape_ = resolve_reshape(std::move(shape));
  return *this;
}

Tensor Tensor::reshaped(Shape shape) const& {
  Tensor copy(*this);
  copy.reshape(std::move(shape));
  return copy;
}

Tensor Tensor::reshaped(Shape shape) && {
  reshape(std::move(shape));
  return std::move(*this);
}

void Tensor::fill(float value) { std::fill(begin(), end(), value); }

void Tensor::copy_from(const Tensor& other) {
  require_same_shape(*this, other, "Tensor::copy_from");
  std::copy(other.begin(), other.end(), data());
}

void require_same_shape(const Tensor& a, const Tensor& b, const char* what) {
  if (a.shape() != b.shape())
    throw std::invalid_argument(std::string(what) + ": shape " + shape_to_string(a.shape()) +
                                " does not match " + shape_to_string(b.shape()));
}

}  // namespace dlfs
