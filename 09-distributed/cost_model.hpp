// What the all-reduce costs, and when data parallelism pays: the alpha-beta model.
//
// Sending a message of m bytes from one process to another takes (Hockney 1994)
//
//   t(m) = alpha + beta m
//
// alpha, the latency, is what even an empty message pays (software on both ends, the wire); 1/beta is
// the bandwidth. Both are measured with a ping-pong (examples/scaling.cpp): rank 0 sends m bytes,
// rank 1 sends them back, many times; half the round trip is t(m), and a straight line through
// t(m) over sizes from bytes to megabytes gives alpha and beta.
//
// The ring all-reduce (ring_allreduce.hpp) of `bytes` over P processes is 2 (P - 1) steps, each one
// message of bytes / P per process, all links busy at once:
//
//   T(P) = 2 (P - 1) alpha + 2 (P - 1) / P * bytes * beta
//
// Data parallelism on P machines, each computing forward and backward on b examples of every
// batch (weak scaling: the global batch is P b), takes b t_example + T(P) per step, against
// b t_example for one machine doing the same per-machine work, so its efficiency is
//
//   E(P) = b t_example / (b t_example + T(P))       (no overlap of compute and communication)
//
// and staying above a target efficiency E* needs b >= E* / (1 - E*) * T(P) / t_example examples per
// machine: a batch that grows with the gradient's size and the machine's speed.
#pragma once

#include <cstddef>
#include <vector>

namespace dlfs {

struct AlphaBeta {
  double alpha = 0.0;  // seconds per message
  double beta = 0.0;   // seconds per byte
};

// A network given by its latency (seconds) and bandwidth (bits per second).
AlphaBeta network(double latency_seconds, double bits_per_second);

// The line t = alpha + beta m through measured (bytes, seconds), fitted by least squares on the
// relative error (each point weighted by 1 / t^2), so the microsecond times of small messages
// weigh as much as the millisecond times of large ones. Throws std::invalid_argument with fewer
// than two distinct sizes, or a time that is not positive.
AlphaBeta fit_alpha_beta(const std::vector<double>& bytes, const std::vector<double>& seconds);

// T(P) above; 0 for one process.
double ring_allreduce_seconds(const AlphaBeta& net, std::size_t processes, double bytes);

// E = compute / (compute + communication).
double scaling_efficiency(double compute_seconds, double communication_seconds);

// The fewest examples per process b with b t_example / (b t_example + T) >= target (0 < target < 1).
double examples_for_efficiency(double seconds_per_example, double communication_seconds, double target);

}  // namespace dlfs
