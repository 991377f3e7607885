// Tensor: the one data structure of the book.
//
// A Tensor is an N-dimensional array of float32 stored contiguously in row-major
// (C) order: the last index moves fastest. For shape (d0, d1, ..., dn-1) the
// element (i0, ..., in-1) lives at offset sum_k i_k * stride_k, where
// stride_{n-1} = 1 and stride_k = stride_{k+1} * d_{k+1}.
//
// Storage is 64-byte aligned (one cache line, one AVX-512 register; common/storage.hpp hands it
// out and reuses freed blocks), owned by the tensor, copied by the copy constructor and stolen
// (cheaply) by moves. Two exceptions, for data parallelism: shared_view() makes a second tensor
// over the same storage (chapter 02's replicas read the model's weights in place instead of
// copying them before every batch), and part_view() one over a part of it (chapter 09's gradients
// live inside the flat buckets that are all-reduced).
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

namespace dlfs {

using Shape = std::vector<std::size_t>;

// "(2, 3, 4)": for error messages and logs.
std::string shape_to_string(const Shape& shape);
// The number of elements a shape holds: the product of its dimensions (1 for a scalar shape {}).
std::size_t shape_size(const Shape& shape);

class Tensor {
 public:
  Tensor() = default;                    // empty: shape {0}, no storage
  explicit Tensor(Shape shape);          // zero-filled
  Tensor(Shape shape, float value);      // filled with value
  Tensor(Shape shape, std::initializer_list<float> values);  // row-major values; count must match
  Tensor(Shape shape, const std::vector<float>& values);
  // Storage left uninitialized, for an output that a loop overwrites entirely: it saves a pass of
  // zero-filling over memory the loop is about to write anyway (for LeNet's activations of a batch
  // of 64, megabytes per step). Reading an element before writing it is a bug.
  static Tensor uninitialized(Shape shape);

  Tensor(const Tensor& other);             // deep copy
  Tensor& operator=(const Tensor& other);  // deep copy
  Tensor(Tensor&& other) noexcept;         // steals the storage: O(1)
  Tensor& operator=(Tensor&& other) noexcept;
  ~Tensor() = default;

  // A tensor of the same shape over this one's storage, not a copy: a write through either is
  // seen by both, and the storage lives as long as either does. (Copying the view copies values.)
  Tensor shared_view();
  // A tensor of the given shape over elements [offset, offset + its size) of this one's storage,
  // shared in the same way. offset must be a multiple of kAlignFloats, so that the part keeps the
  // 64-byte alignment; throws std::invalid_argument if it is not, or if the part runs past the end.
  static constexpr std::size_t kAlignFloats = 16;
  Tensor part_view(std::size_t offset, Shape shape);
  bool shares_storage_with(const Tensor& other) const { return size_ > 0 && data() == other.data(); }

  const Shape& shape() const { return shape_; }
  std::size_t ndim() const { return shape_.size(); }
  std::size_t dim(std::size_t axis) const;  // throws if axis >= ndim
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Shape strides() const;                    // in elements, not bytes

  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  float* begin() { return data(); }
  float* end() { return data() + size_; }
  const float* begin() const { return data(); }
  const float* end() const { return data() + size_; }

  // Flat access, unchecked: the hot loops use this.
  float& operator[](std::size_t i) { return data_[i]; }
  float operator[](std::size_t i) const { return data_[i]; }

  // Multi-index access, unchecked (t(b, c, h, w)); the number of indices must equal ndim().
  template <class... I>
  float& operator()(I... index) { return data_[offset_of({static_cast<std::size_t>(index)...})]; }
  template <class... I>
  float operator()(I... index) const { return data_[offset_of({static_cast<std::size_t>(index)...})]; }

  // Multi-index access, checked: throws std::out_of_range naming the index and the shape.
  float& at(const Shape& index);
  float at(const Shape& index) const;

  // Same data, new shape with the same number of elements; throws otherwise.
  // One dimension may be given as kInfer and is computed from the others.
  static constexpr std::size_t kInfer = static_cast<std::size_t>(-1);
  Tensor& reshape(Shape shape);
  Tensor reshaped(Shape shape) const&;
  Tensor reshaped(Shape shape) &&;

  void fill(float value);
  void zero() { fill(0.0f); }
  // Copies other's values into this tensor; the shapes must match.
  void copy_from(const Tensor& other);

 private:
  struct Release {  // gives the storage back to common/storage.hpp's cache
    std::size_t bytes;
    void operator()(float* p) const;
  };
  static std::shared_ptr<float[]> allocate(std::size_t count);
  std::size_t offset_of(std::initializer_list<std::size_t> index) const {
    std::size_t offset = 0;
    auto dim = shape_.begin();
    for (std::size_t i : index) offset = offset * *dim++ + i;
    return offset;
  }
  Shape resolve_reshape(Shape shape) const;
  std::size_t checked_offset(const Shape& index) const;

  Shape shape_{0};
  std::size_t size_ = 0;
  std::shared_ptr<float[]> data_;  // shared only by shared_view() and part_view()
};

// Throws std::invalid_argument "<what>: shape (2, 3) does not match (3, 2)" unless a and b have equal shapes.
void require_same_shape(const Tensor& a, const Tensor& b, const char* what);

}  // namespace dlfs
