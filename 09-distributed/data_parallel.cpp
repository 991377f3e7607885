#include "09-distributed/data_parallel.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <stdexcept>

#include "09-distributed/ring_allreduce.hpp"
#include "common/system.hpp"

namespace dlfs {

const std::vector<std::string> kAllReduceNames = {"ring", "mpi"};

AllReduceAlgorithm all_reduce_algorithm(const std::string& name) {
  if (name == "ring") return AllReduceAlgorithm::ring;
  if (name == "mpi") return AllReduceAlgorithm::mpi;
  throw std::invalid_argument("unknown all-reduce '" + name + "' (ring or mpi)");
}

namespace {

template <class T>
void sum_everywhere(T* data, std::size_t n, MPI_Comm comm, AllReduceAlgorithm algorithm, MPI_Datatype type) {
  if (algorithm == AllReduceAlgorithm::ring) return ring_allreduce(data, n, comm);
  if (n > std::size_t(INT_MAX))
    throw std::invalid_argument("all_reduce_sum: " + std::to_string(n) + " elements exceed MPI's message size");
  MPI_Allreduce(MPI_IN_PLACE, data, int(n), type, MPI_SUM, comm);
}

}  // namespace

void all_reduce_sum(float* data, std::size_t n, MPI_Comm comm, AllReduceAlgorithm algorithm) {
  sum_everywhere(data, n, comm, algorithm, MPI_FLOAT);
}
void all_reduce_sum(double* data, std::size_t n, MPI_Comm comm, AllReduceAlgorithm algorithm) {
  sum_everywhere(data, n, comm, algorithm, MPI_DOUBLE);
}

DataParallel::DataParallel(MPI_Comm comm, DataParallelOptions options) : comm_(comm), options_(options) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm_, &rank);
  MPI_Comm_size(comm_, &size);
  rank_ = std::size_t(rank), size_ = std::size_t(size);
}

ProcessShare DataParallel::share() {
  ProcessShare share;
  share.rank = rank_;
  share.count = size_;
  share.all_reduce = [this](Layer& model, const Batch& batch, BatchResult& result) {
    all_reduce(model, batch, result);
  };
  return share;
}

// Buckets of whole parameters, last first, up to bucket_bytes each: first the trainable parameters'
// gradients, then the values of the others (running statistics).
void DataParallel::plan(const std::vector<Parameter*>& parameters) {
  buckets_.clear();
  planned_for_.clear();
  for (Parameter* p : parameters) planned_for_.emplace_back(p, p->value.size());
  std::size_t largest = 0;
  for (const bool average : {false, true}) {
    Bucket bucket;
    bucket.average = average;
    for (auto it = parameters.rbegin(); it != parameters.rend(); ++it) {
      Parameter* p = *it;
      if (p->trainable == average) continue;
      const std::size_t n = p->value.size();
      if (!bucket.parameters.empty() && (bucket.elements + n) * sizeof(float) > options_.bucket_bytes) {
        buckets_.push_back(bucket);
        bucket.parameters.clear(), bucket.elements = 0;
      }
      bucket.parameters.push_back(p);
      bucket.elements += n;
    }
    if (!bucket.parameters.empty()) buckets_.push_back(bucket);
  }
  for (const Bucket& b : buckets_) largest = std::max(largest, b.elements);
  flat_.assign(largest, 0.0f);
}

void DataParallel::all_reduce(Layer& model, const Batch& batch, BatchResult& result) {
  Stopwatch clock;
  // Wait for the slowest process first, timed on its own: what follows is then the transfer
  // alone, and wait_seconds tells apart the two costs of a synchronous step (an empty barrier costs
  // two latencies, a microsecond here).
  MPI_Barrier(comm_);
  wait_seconds_ += clock.seconds();
  // The batch's loss (each process's share of it) and metric sums: six numbers, started now
  // and collected after the gradients, so that their latency hides behind the buckets' messages
  // (MPI progresses them inside the gradients' blocking calls).
  const std::array<double, MetricSums::kTotals> totals = result.sums.totals();
  std::array<double, 1 + MetricSums::kTotals> numbers{};
  numbers[0] = result.loss;
  std::copy(totals.begin(), totals.end(), numbers.begin() + 1);
  MPI_Request numbers_summed = MPI_REQUEST_NULL;
  MPI_Iallreduce(MPI_IN_PLACE, numbers.data(), int(numbers.size()), MPI_DOUBLE, MPI_SUM, comm_, &numbers_summed);

  // The plan holds on to the parameters: made again for another model (or a new one that happens
  // to live at the same address as the last).
  const std::vector<Parameter*> parameters = model.parameters();
  bool same = parameters.size() == planned_for_.size();
  for (std::size_t i = 0; same && i < parameters.size(); ++i)
    same = planned_for_[i] == std::make_pair(parameters[i], parameters[i]->value.size());
  if (!same) plan(parameters);
  for (const Bucket& bucket : buckets_) {
    // Pack: the bucket's tensors one after the other in flat_ (elements,).
    float* packed = flat_.data();
    for (Parameter* p : bucket.parameters) {
      const Tensor& t = bucket.average ? p->value : p->grad;
      packed = std::copy(t.begin(), t.end(), packed);
    }
    all_reduce_sum(flat_.data(), bucket.elements, comm_, options_.algorithm);
    // Unpack: the sum of the gradients; the mean of the running statistics.
    const float scale = bucket.average ? 1.0f / float(size_) : 1.0f;
    const float* sum = flat_.data();
    for (Parameter* p : bucket.parameters) {
      Tensor& t = bucket.average ? p->value : p->grad;
      for (float& x : t) x = *sum++ * scale;
    }
  }
  MPI_Wait(&numbers_summed, MPI_STATUS_IGNORE);
  result.loss = numbers[0];
  std::array<double, MetricSums::kTotals> summed{};
  std::copy(numbers.begin() + 1, numbers.end(), summed.begin());
  result.sums = MetricSums(batch.targets.kind, summed);
  seconds_ += clock.seconds();
}

}  // namespace dlfs
