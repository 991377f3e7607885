// Data-parallel training across processes: chapter 02's training step, taken by P processes
// together, each doing a P-th of the work.
//
// Every process builds the same model from the same seed and draws the same batches (the same
// DataLoader, the same Rng). In train_on_batch (TrainOptions::processes = share()), each computes
// forward and backward on its own rows of the batch only, every slice weighted by its share n_s / N
// of the WHOLE batch's N targets. Then all_reduce adds up the P gradients. The batch loss is
// L = (1/N) sum_i l_i, so
//
//   dL/dtheta = sum over processes p of [ sum over p's examples i of (1/N) dl_i/dtheta ] = sum_p g_p:
//
// the sum IS the gradient one process would have computed from the whole batch, up to the order of
// the float additions. Every process then takes the same optimizer step from the same gradient, so
// the P models stay identical without a weight ever being sent (consistency.hpp checks it).
//
// Buckets. The gradients go neither one tensor at a time (LeNet-5 has 10 tensors, ResNet-20 65, and
// every message pays the latency alpha again) nor as one message of all of them at once, but in
// flat buckets of about bucket_bytes: consecutive parameters, last layer first, each bucket
// all-reduced in one call. The order is the one backward produces the gradients in: PyTorch's
// DistributedDataParallel sends a bucket while backward is still computing the layers before it,
// hiding the communication behind the computation. Here backward finishes first (the overlap is an
// exercise in the README). The gradients live in the buckets: each parameter's .grad is a view of
// its part of its bucket's flat tensor, so nothing is copied on the way in or out.
//
// State that the forward pass changes, batch norm's running statistics (parameters that are not
// trainable), is averaged over the processes, each weighted by its share of the rows, so it stays
// identical too. Batch
// norm's batch statistics are each process's own rows (as DistributedDataParallel does without
// SyncBatchNorm): a network with batch norm trains as if its batch were B / P, not B.
//
// The batch's loss and metric sums (BatchResult) are six more numbers, all-reduced alongside the
// buckets (MPI_Iallreduce), so that every process reports the whole batch's.
//
// Before any of it, a barrier: a synchronous step waits for its slowest process, and timing that
// wait apart from the transfer (wait_seconds) shows which of the two a step's overhead is.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "02-mlp/layer.hpp"
#include "02-mlp/train.hpp"

namespace dlfs {

// Which all-reduce adds up the gradients: ours (ring_allreduce.hpp) or the MPI library's
// MPI_Allreduce, which picks among several algorithms by message size and process count.
enum class AllReduceAlgorithm { ring, mpi };
extern const std::vector<std::string> kAllReduceNames;  // {"ring", "mpi"}
AllReduceAlgorithm all_reduce_algorithm(const std::string& name);  // throws std::invalid_argument

// data[0, n) replaced on every process of comm by the elementwise sum over them all.
void all_reduce_sum(float* data, std::size_t n, MPI_Comm comm, AllReduceAlgorithm algorithm);
void all_reduce_sum(double* data, std::size_t n, MPI_Comm comm, AllReduceAlgorithm algorithm);

struct DataParallelOptions {
  AllReduceAlgorithm algorithm = AllReduceAlgorithm::ring;
  // Bytes per bucket (a parameter larger than this gets a bucket of its own; 0: one bucket per
  // parameter, one message per tensor).
  std::size_t bucket_bytes = std::size_t(1) << 20;
};

class DataParallel {
 public:
  explicit DataParallel(MPI_Comm comm, DataParallelOptions options = {});

  // For TrainOptions::processes (or the Trainer's): this process's rank, the count, and all_reduce.
  // The DataParallel must outlive the training that uses it.
  ProcessShare share();

  // Makes the model's gradients, its running statistics and the batch's result those of the whole
  // batch on every process. Every process must call it with the same model architecture.
  void all_reduce(Layer& model, const Batch& batch, BatchResult& result);

  std::size_t buckets() const { return buckets_.size(); }  // for the model last reduced
  double seconds() const { return seconds_; }  // spent in all_reduce so far, waiting for the others included
  double wait_seconds() const { return wait_seconds_; }  // the part of seconds() spent waiting for the slowest
  std::size_t rank() const { return rank_; }
  std::size_t size() const { return size_; }

 private:
  struct Bucket {
    std::vector<Parameter*> parameters;  // whole parameters, last layer first
    std::vector<std::size_t> offsets;    // where each one's numbers start in the bucket
    std::size_t elements = 0;            // the bucket's length, gaps between gradients included
    bool average = false;  // false: sum the gradients; true: average the values (running statistics)
    Tensor flat;           // (elements,) for gradients: their .grad tensors are views of its parts
  };
  void plan(const std::vector<Parameter*>& parameters);
  bool planned_for(const std::vector<Parameter*>& parameters) const;

  MPI_Comm comm_;
  DataParallelOptions options_;
  std::size_t rank_ = 0, size_ = 1;
  std::vector<std::pair<Parameter*, std::size_t>> planned_for_;  // each parameter and its size
  std::vector<Bucket> buckets_;
  std::vector<float> flat_;  // (elements of the largest bucket of running statistics) packed values
  double seconds_ = 0.0, wait_seconds_ = 0.0;
};

}  // namespace dlfs
