#include "09-distributed/ring_allreduce.hpp"

#include <climits>
#include <stdexcept>
#include <string>
#include <vector>

namespace dlfs {

std::pair<std::size_t, std::size_t> chunk_bounds(std::size_t n, std::size_t p, std::size_t c) {
  return {n * c / p, n * (c + 1) / p};
}

namespace {

MPI_Datatype mpi_type(const float*) { return MPI_FLOAT; }
MPI_Datatype mpi_type(const double*) { return MPI_DOUBLE; }

template <class T>
void ring(T* data, std::size_t n, MPI_Comm comm) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const std::size_t P = std::size_t(size), r = std::size_t(rank);
  if (P == 1 || n == 0) return;  // n is the same on every process, so they all return here
  const std::size_t largest = (n + P - 1) / P;
  if (largest > std::size_t(INT_MAX))
    throw std::invalid_argument("ring_allreduce: chunks of " + std::to_string(largest) +
                                " elements exceed MPI's message size");
  const MPI_Datatype type = mpi_type(data);
  const int right = int((r + 1) % P), left = int((r + P - 1) % P);
  // Chunk c mod P (c may be given as r - s + P, so that it never goes below zero).
  auto chunk = [&](std::size_t c) { return chunk_bounds(n, P, c % P); };
  std::vector<T> incoming(largest);  // (n / P, rounded up) the chunk arriving from the left

  // 1. Reduce-scatter: send chunk (r - s), receive chunk (r - s - 1) and add it into ours.
  for (std::size_t s = 0; s + 1 < P; ++s) {
    const auto [send_begin, send_end] = chunk(r + P - s);
    const auto [recv_begin, recv_end] = chunk(r + 2 * P - s - 1);
    MPI_Sendrecv(data + send_begin, int(send_end - send_begin), type, right, 0, incoming.data(),
                 int(recv_end - recv_begin), type, left, 0, comm, MPI_STATUS_IGNORE);
    T* mine = data + recv_begin;
    const std::size_t count = recv_end - recv_begin;
#pragma omp simd
    for (std::size_t k = 0; k < count; ++k) mine[k] += incoming[k];
  }
  // Now chunk (r + 1) is complete here. 2. All-gather: send chunk (r + 1 - s), complete; receive
  // chunk (r - s), complete, straight into its place (the two never overlap).
  for (std::size_t s = 0; s + 1 < P; ++s) {
    const auto [send_begin, send_end] = chunk(r + 1 + P - s);
    const auto [recv_begin, recv_end] = chunk(r + P - s);
    MPI_Sendrecv(data + send_begin, int(send_end - send_begin), type, right, 1, data + recv_begin,
                 int(recv_end - recv_begin), type, left, 1, comm, MPI_STATUS_IGNORE);
  }
}

}  // namespace

void ring_allreduce(float* data, std::size_t n, MPI_Comm comm) { ring(data, n, comm); }
void ring_allreduce(double* data, std::size_t n, MPI_Comm comm) { ring(data, n, comm); }

}  // namespace dlfs
