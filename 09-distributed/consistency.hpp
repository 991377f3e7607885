// The check that the copies of the model are still copies.
//
// Nothing in data-parallel training sends a weight: every process steps its own model with the
// same summed gradient and trusts that the results agree. They agree only if every process adds up
// the same numbers in the same order and runs the same code on the same data, so a bug (a process
// that shuffles differently, a reduction that gives processes slightly different sums, a forgotten
// running statistic) would let the copies drift apart silently, each reporting its own numbers.
// Comparing the weights costs one small message: each process hashes its parameters and optimizer
// state (CRC-32, zlib's, over the raw float bytes) and all compare the hashes. Bit-identical
// weights give equal hashes; one flipped bit anywhere changes the hash.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include "02-mlp/layer.hpp"
#include "02-mlp/optimizer.hpp"
#include "08-utilities/trainer.hpp"

namespace dlfs {

// CRC-32 of every parameter's value, then every optimizer state tensor, in their fixed orders.
std::uint32_t training_state_checksum(Layer& model, Optimizer& optimizer);

// What require_same_on_every_process throws: on every process alike, since they all compared the
// same numbers.
class ProcessesDisagree : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Compares `checksum` across the processes of comm (every process must call it). When they differ,
// throws ProcessesDisagree on every process, e.g. "after epoch 3: the model differs across
// processes (weights and optimizer state checksum 1a2b3c4d on ranks 0, 2; 5e6f7a8b on rank 1)";
// `what` names what the checksum covers.
void require_same_on_every_process(std::uint32_t checksum, MPI_Comm comm, const std::string& when,
                                   const std::string& what = "the model differs across processes (weights and "
                                                             "optimizer state");

// A Trainer callback (chapter 08) that runs the comparison when fit() begins (so after a resume),
// after every epoch and, when the run stopped mid-epoch, at its end. Before the first, it compares the run itself: `run` (the settings and a
// fingerprint of the training data) and the batches per epoch. Processes that disagree there
// would reach different collectives (one more batch on one of them) and wait for each other
// forever, or train one model on two data sets.
class ReplicaCheck : public Callback {
 public:
  explicit ReplicaCheck(MPI_Comm comm, std::string run = "") : comm_(comm), run_(std::move(run)) {}
  void on_fit_begin(Trainer& t) override;
  void on_epoch_end(Trainer& t, const EpochLog& log) override;
  // After a stop in the middle of an epoch (every process stops at the same step): the weights the
  // run ends with are compared too, and last_checksum() is theirs.
  void on_fit_end(Trainer& t) override;
  std::size_t checks() const { return checks_; }
  std::uint32_t last_checksum() const { return last_; }

 private:
  void check(Trainer& t, const std::string& when);
  MPI_Comm comm_;
  std::string run_;
  std::size_t checks_ = 0;
  std::uint32_t last_ = 0;
};

}  // namespace dlfs
