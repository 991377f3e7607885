// The ring all-reduce: every process holds a vector x_r of n numbers; afterwards every process
// holds their sum, x_0 + x_1 + ... + x_{P-1}. Data-parallel training does this once per batch,
// with the gradients as the vector.
//
// The simplest way, everyone sends its whole vector to rank 0, which adds them up and sends the
// sum back, makes rank 0's link carry 2 (P - 1) n numbers per all-reduce: it grows with P. The
// ring (Patarasuk & Yuan 2009; Baidu's 2017 "ring all-reduce" brought it to deep learning) sends
// only 2 (P - 1) / P n numbers out of every process, fewer than 2n whatever P is.
//
// The P processes stand in a ring, each sending to its right neighbour (r + 1 mod P) and receiving
// from its left (r - 1 mod P), and the vector is cut into P chunks of about n / P numbers.
//
//   1. Reduce-scatter, P - 1 steps. At step s, process r sends chunk (r - s) mod P to the right and
//      receives chunk (r - s - 1) mod P from the left, which it adds into its own copy of that
//      chunk. A chunk travels once around the ring collecting one more term at every hop; after
//      P - 1 hops, process r holds the complete sum of chunk (r + 1) mod P.
//   2. All-gather, P - 1 steps. At step s, process r sends chunk (r + 1 - s) mod P, complete, to
//      the right and receives chunk (r - s) mod P, complete, from the left, which replaces its
//      copy. After P - 1 steps every process holds every complete chunk.
//
// Three processes, vectors a, b, c, chunks 0 1 2 (step 1 of the reduce-scatter, then step 2):
//
//   after step 1:   P0: a0      a1      a2+c2        P1: a0+b0   b1      b2        P2: c0   b1+c1   c2
//   after step 2:   P0: a0      a1+b1+c1 a2+c2       P1: a0+b0   b1      a2+b2+c2  P2: a0+b0+c0 b1+c1 c2
//
// and the all-gather passes the three complete chunks around. At every step each process sends one
// chunk and receives another at the same time (MPI_Sendrecv: no process waits for its neighbour to
// post a receive first), so all P links of the ring work at once, each carrying about n / P numbers.
//
// Cost, in the alpha-beta model (a message of m bytes takes alpha + m beta: a latency, then the
// bytes at the link's bandwidth 1 / beta): 2 (P - 1) messages of n / P numbers each,
//   T = 2 (P - 1) alpha + 2 (P - 1) / P * bytes * beta.
// The bandwidth term stays below 2 bytes beta however many processes join; the latency term grows
// with P, which is why gradients are sent in large buckets (data_parallel.hpp) and why rings of
// thousands of machines give way to trees and hierarchies (the README).
//
// Every element of the result is added up in a fixed order (chunk c: starting at process c, around
// the ring) and then copied, so every process ends with bit-identical values, run after run.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <utility>

namespace dlfs {

// [begin, end) of chunk c when n elements are cut into p chunks whose sizes differ by at most one:
// [n c / p, n (c + 1) / p). Chunks may be empty when n < p.
std::pair<std::size_t, std::size_t> chunk_bounds(std::size_t n, std::size_t p, std::size_t c);

// Replaces data[0, n) on every process of comm with the elementwise sum over all of them, by the
// ring above. Every process must call it with the same n. Throws std::invalid_argument when a
// chunk would exceed MPI's message size (2^31 - 1 elements).
void ring_allreduce(float* data, std::size_t n, MPI_Comm comm);
void ring_allreduce(double* data, std::size_t n, MPI_Comm comm);

}  // namespace dlfs
