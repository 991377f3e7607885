#include <catch2/catch.hpp>
#include <cstdint>
#include <utility>
#include <vector>

#include "common/storage.hpp"
#include "common/tensor.hpp"

using namespace dlfs;

TEST_CASE("Tensor is zero-filled with the shape it was given", "[common][tensor]") {
  Tensor t({2, 3, 4, 5});
  CHECK(t.ndim() == 4);
  CHECK(t.size() == 120);
  CHECK(t.dim(2) == 4);
  CHECK(t.shape() == Shape{2, 3, 4, 5});
  for (float v : t) CHECK(v == 0.0f);
}

TEST_CASE("An uninitialized Tensor has its shape and aligned storage, ready to be written", "[common][tensor]") {
  Tensor t = Tensor::uninitialized({2, 3, 4});
  CHECK(t.shape() == Shape{2, 3, 4});
  CHECK(t.size() == 24);
  CHECK(reinterpret_cast<std::uintptr_t>(t.data()) % 64 == 0);
  t.fill(1.5f);
  for (float v : t) CHECK(v == 1.5f);
  CHECK(Tensor::uninitialized({0, 3}).empty());
}

TEST_CASE("Tensor strides are row-major in elements", "[common][tensor]") {
  Tensor t({2, 3, 4, 5});
  CHECK(t.strides() == Shape{60, 20, 5, 1});
  t(1, 2, 3, 4) = 7.0f;
  CHECK(t[1 * 60 + 2 * 20 + 3 * 5 + 4] == 7.0f);
  CHECK(t.at({1, 2, 3, 4}) == 7.0f);
}

TEST_CASE("Tensor storage is 64-byte aligned", "[common][tensor]") {
  for (std::size_t n : {1, 3, 17, 1000}) {
    Tensor t({n});
    CHECK(reinterpret_cast<std::uintptr_t>(t.data()) % 64 == 0);
  }
}

TEST_CASE("Tensor copies deeply and moves cheaply", "[common][tensor]") {
  Tensor a({2, 2}, {1, 2, 3, 4});
  Tensor b = a;
  b[0] = 9;
  CHECK(a[0] == 1);
  const float* storage = a.data();
  Tensor c = std::move(a);
  CHECK(c.data() == storage);  // no copy: the pointer moved
  CHECK(a.empty());
  a = c;
  CHECK(a[3] == 4);
  a.copy_from(b);
  CHECK(a[0] == 9);
}

TEST_CASE("A part view shares part of the storage, keeps it alive, and stays aligned", "[common][tensor]") {
  Tensor part;
  {
    Tensor flat({40});  // (40)
    part = flat.part_view(16, {2, 3});
    CHECK(part.shape() == Shape{2, 3});
    CHECK(part.data() == flat.data() + 16);
    CHECK(reinterpret_cast<std::uintptr_t>(part.data()) % 64 == 0);
    part(1, 2) = 5.0f;  // element 16 + 5 of flat
    CHECK(flat[21] == 5.0f);
    flat[16] = 7.0f;
    CHECK(part[0] == 7.0f);
    const Tensor ones({2, 3}, 1.0f);
    part = ones;  // copying values of the same size writes through, into flat...
    CHECK(flat[16] == 1.0f);
    CHECK(part.data() == flat.data() + 16);  // ... and the part stays where it was
    Tensor moved = part.shared_view();
    moved = Tensor({2, 3}, 2.0f);  // a move takes the other's storage instead: moved leaves flat
    CHECK(moved.data() != flat.data() + 16);
    CHECK(flat[16] == 1.0f);
    CHECK_THROWS_WITH(flat.part_view(8, {2}), Catch::Contains("offset 8 is not a multiple of 16"));
    CHECK_THROWS_WITH(flat.part_view(32, {3, 3}), Catch::Contains("runs past the end of a tensor of 40 elements"));
    CHECK_NOTHROW(flat.part_view(32, {8}));
  }
  CHECK(part[5] == 1.0f);  // flat's storage outlives flat while a part of it is in use
}

TEST_CASE("Tensor reshape keeps the data and infers one dimension", "[common][tensor]") {
  Tensor t({2, 6}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  t.reshape({3, Tensor::kInfer});
  CHECK(t.shape() == Shape{3, 4});
  CHECK(t(2, 3) == 11);
  Tensor u = t.reshaped({12});
  CHECK(u.shape() == Shape{12});
  CHECK_THROWS_WITH(t.reshape({5, 2}), Catch::Contains("cannot reshape (3, 4)"));
  CHECK_THROWS_WITH(t.reshape({5, Tensor::kInfer}), Catch::Contains("cannot infer"));
}

TEST_CASE("Tensor reports bad shapes and indices clearly", "[common][tensor]") {
  CHECK_THROWS_WITH(Tensor({2, 2}, {1, 2, 3}), Catch::Contains("holds 4 values but 3 were given"));
  Tensor t({2, 3});
  CHECK_THROWS_WITH(t.at({2, 0}), Catch::Contains("outside shape (2, 3)"));
  CHECK_THROWS_WITH(t.at({0}), Catch::Contains("1 indices"));
  CHECK_THROWS_WITH(t.dim(2), Catch::Contains("axis 2"));
  CHECK_THROWS_WITH(t.copy_from(Tensor({3, 2})), Catch::Contains("(2, 3) does not match (3, 2)"));
}

TEST_CASE("Tensor fill sets every element", "[common][tensor]") {
  Tensor t({3, 3}, 2.5f);
  for (float v : t) CHECK(v == 2.5f);
  t.zero();
  for (float v : t) CHECK(v == 0.0f);
}

TEST_CASE("Freed storage of a large tensor is reused for the next of its size; small storage is not cached",
          "[common][tensor][storage]") {
  release_cached_storage();  // whatever the tests before left there
  const std::size_t large = kMinCachedBytes / sizeof(float) * 2;  // floats: twice the smallest cached block
  const StorageStats before = storage_stats();
  const float* first = nullptr;
  {
    Tensor a = Tensor::uninitialized({large});
    first = a.data();
    CHECK(storage_stats().live_bytes == before.live_bytes + large * sizeof(float));
  }
  {
    Tensor b({large});  // the same size: the block just freed, zero-filled again
    if (storage_cache_enabled()) {
      CHECK(b.data() == first);
      CHECK(storage_stats().reused == before.reused + 1);
    }
    CHECK(reinterpret_cast<std::uintptr_t>(b.data()) % 64 == 0);
    for (float v : b) REQUIRE(v == 0.0f);
  }
  // The block waits in the cache again; a small block never joins it, and another size never takes it.
  const std::size_t cached = storage_stats().cached_bytes;
  CHECK(cached == (storage_cache_enabled() ? large * sizeof(float) : 0));
  { Tensor small({16}); }
  CHECK(storage_stats().cached_bytes == cached);
  Tensor c({large + 16});
  CHECK(c.data() != first);
  CHECK(storage_stats().cached_bytes == cached);
  CHECK(storage_stats().live_bytes == before.live_bytes + (large + 16) * sizeof(float));
}

TEST_CASE("The storage cache keeps the sizes in use, and never more than the most that was ever live",
          "[common][tensor][storage]") {
  release_cached_storage();
  // Two phases of the same volume in sizes the other cannot use (and no other test uses): kept
  // whole, the second phase's blocks would double what the cache holds beyond the peak; the cache
  // makes room for them by freeing the first phase's.
  const std::size_t n = 64, base = kMinCachedBytes / sizeof(float) * 3;
  auto size_of = [&](std::size_t phase, std::size_t i) { return base + 16 * (phase * n + i); };
  for (std::size_t phase = 0; phase < 2; ++phase) {
    std::vector<Tensor> blocks;
    for (std::size_t i = 0; i < n; ++i) blocks.push_back(Tensor::uninitialized({size_of(phase, i)}));
  }
  const StorageStats s = storage_stats();
  CHECK(s.cached_bytes <= s.peak_live_bytes);
  CHECK(s.peak_live_bytes >= s.live_bytes);
  if (!storage_cache_enabled()) return;
  // Every block of the second phase is there to be reused.
  std::vector<Tensor> again;
  for (std::size_t i = 0; i < n; ++i) again.push_back(Tensor::uninitialized({size_of(1, i)}));
  CHECK(storage_stats().reused == s.reused + n);
}
