// The ring all-reduce against MPI_Allreduce, run as two processes and as three (meson.build).
#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

#include "09-distributed/data_parallel.hpp"
#include "09-distributed/ring_allreduce.hpp"
#include "common/random.hpp"

using namespace dlfs;

namespace {

std::size_t rank_of(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return std::size_t(r);
}
std::size_t size_of(MPI_Comm comm) {
  int p = 1;
  MPI_Comm_size(comm, &p);
  return std::size_t(p);
}

// The sizes that test a ring all-reduce's chunking, for P processes: empty, one element, fewer elements than processes
// (some chunks are empty), odd, one more than a multiple of P, and large (4 MiB of floats, plus 3).
std::vector<std::size_t> sizes(std::size_t P) { return {0, 1, P - 1, 7, 2 * P + 1, 1001, (std::size_t(1) << 20) + 3}; }

// Process r's vector: whole numbers below 2^10, so every sum of a few is exact in any order.
std::vector<float> whole_numbers(std::size_t n, std::size_t rank) {
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = float(int((i * 7919 + rank * 104729) % 1021) - 510);
  return x;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

}  // namespace

TEST_CASE("Chunks cover the vector in order, with sizes that differ by at most one", "[09-distributed][ring]") {
  for (std::size_t n : {0, 1, 2, 5, 7, 100, 1001})
    for (std::size_t p : {1, 2, 3, 4, 8}) {
      INFO("n " << n << ", p " << p);
      std::size_t next = 0, smallest = n, largest = 0;
      for (std::size_t c = 0; c < p; ++c) {
        const auto [begin, end] = chunk_bounds(n, p, c);
        REQUIRE(begin == next);
        REQUIRE(end >= begin);
        smallest = std::min(smallest, end - begin), largest = std::max(largest, end - begin);
        next = end;
      }
      CHECK(next == n);
      CHECK(largest - smallest <= 1);
    }
}

TEST_CASE("The ring all-reduce equals MPI_Allreduce for sizes 0, 1, fewer than the processes, odd and large",
          "[09-distributed][ring]") {
  const MPI_Comm comm = MPI_COMM_WORLD;
  const std::size_t r = rank_of(comm), P = size_of(comm);
  for (const std::size_t n : sizes(P)) {
    std::vector<float> ring = whole_numbers(n, r), library = ring;
    ring_allreduce(ring.data(), n, comm);
    MPI_Allreduce(MPI_IN_PLACE, library.data(), int(n), MPI_FLOAT, MPI_SUM, comm);
    // The expected sum, computed here from every process's vector.
    std::vector<float> expected(n, 0.0f);
    for (std::size_t q = 0; q < P; ++q) {
      const std::vector<float> theirs = whole_numbers(n, q);
      for (std::size_t i = 0; i < n; ++i) expected[i] += theirs[i];
    }
    INFO("n " << n << " on " << P << " processes, rank " << r);
    CHECK(same_bits(ring, library));
    CHECK(same_bits(ring, expected));
  }
}

TEST_CASE("The ring all-reduce of random floats agrees with MPI_Allreduce to rounding, and bit for bit across "
          "processes",
          "[09-distributed][ring]") {
  const MPI_Comm comm = MPI_COMM_WORLD;
  const std::size_t r = rank_of(comm), P = size_of(comm);
  for (const std::size_t n : sizes(P)) {
    Rng rng(100 + r);
    std::vector<float> ring(n);
    for (float& x : ring) x = rng.normal();
    std::vector<float> library = ring;
    ring_allreduce(ring.data(), n, comm);
    MPI_Allreduce(MPI_IN_PLACE, library.data(), int(n), MPI_FLOAT, MPI_SUM, comm);
    // Rank 0's result, sent to everyone: every process must hold exactly the same bits.
    std::vector<float> rank0 = ring;
    MPI_Bcast(rank0.data(), int(n), MPI_FLOAT, 0, comm);
    INFO("n " << n << " on " << P << " processes, rank " << r);
    CHECK(same_bits(ring, rank0));
    double worst = 0.0;
    for (std::size_t i = 0; i < n; ++i) worst = std::max(worst, double(std::abs(ring[i] - library[i])));
    CHECK(worst <= 1e-5 * double(P));  // sums of P numbers of size ~1, in another order
  }
}

TEST_CASE("The ring all-reduce adds doubles too, and all_reduce_sum picks either algorithm by name",
          "[09-distributed][ring]") {
  const MPI_Comm comm = MPI_COMM_WORLD;
  const std::size_t r = rank_of(comm), P = size_of(comm);
  std::vector<double> x(13);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = double(i) + 0.25 * double(r);
  std::vector<double> by_ring = x, by_mpi = x;
  all_reduce_sum(by_ring.data(), by_ring.size(), comm, all_reduce_algorithm("ring"));
  all_reduce_sum(by_mpi.data(), by_mpi.size(), comm, all_reduce_algorithm("mpi"));
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double expected = double(P) * double(i) + 0.25 * double(P * (P - 1) / 2);
    CHECK(by_ring[i] == expected);
    CHECK(by_mpi[i] == expected);
  }
  CHECK_THROWS_WITH(all_reduce_algorithm("tree"), "unknown all-reduce 'tree' (ring or mpi)");
}
