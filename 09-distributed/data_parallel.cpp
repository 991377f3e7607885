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
// gradients, then the values of the others (running statistics). A gradient bucket owns a flat
// tensor, and each of its parameters' .grad becomes a view of its part (Tensor::part_view; parts
// start on 16-float boundaries), so backward writes the gradients straight into what is
// all-reduced: no copy in, no copy out (PyTorch's gradient_as_bucket_view). The running statistics
// stay where they are (the replicas' weights are views of them) and are copied through flat_.
void DataParallel::plan(const std::vector<Parameter*>& parameters) {
  // Built aside and kept only when complete: a plan cut short by an exception is never taken for
  // one that covers every parameter.
  std::vector<Bucket> buckets;
  auto aligned = [](std::size_t n) { return (n + Tensor::kAlignFloats - 1) / Tensor::kAlignFloats * Tensor::kAlignFloats; };
  for (const bool average : {false, true}) {
    Bucket bucket;
    bucket.average = average;
    auto close = [&] {
      if (bucket.parameters.empty()) return;
      if (!average) {
        bucket.flat = Tensor({bucket.elements});  // (elements,) zero between the parts
        for (std::size_t i = 0; i < bucket.parameters.size(); ++i) {
          Parameter* p = bucket.parameters[i];
          Tensor part = bucket.flat.part_view(bucket.offsets[i], p->grad.shape());
          part.copy_from(p->grad);  // the gradient so far, which the view takes over
          p->grad = std::move(part);
        }
      }
      buckets.push_back(std::move(bucket));
      bucket = Bucket();
      bucket.average = average;
    };
    for (auto it = parameters.rbegin(); it != parameters.rend(); ++it) {
      Parameter* p = *it;
      if (p->trainable == average) continue;
      const std::size_t n = p->value.size();
      // Gradients start on a 16-float boundary (a part view's alignment); running statistics pack tight.
      auto next_offset = [&] { return average ? bucket.elements : aligned(bucket.elements); };
      if (!bucket.parameters.empty() && (next_offset() + n) * sizeof(float) > options_.bucket_bytes) close();
      bucket.offsets.push_back(next_offset());
      bucket.parameters.push_back(p);
      bucket.elements = bucket.offsets.back() + n;
    }
    close();
  }
  std::size_t largest = 0;
  for (const Bucket& b : buckets)
    if (b.average) largest = std::max(largest, b.elements);
  flat_.assign(largest, 0.0f);
  buckets_ = std::move(buckets);
  planned_for_.clear();
  for (Parameter* p : parameters) planned_for_.emplace_back(p, p->value.size());
}

// Whether the buckets were planned for these parameters, and the gradients still live in them (a
// layer that replaced its .grad tensor instead of writing into it would have moved one out).
bool DataParallel::planned_for(const std::vector<Parameter*>& parameters) const {
  if (parameters.size() != planned_for_.size()) return false;
  for (std::size_t i = 0; i < parameters.size(); ++i)
    if (planned_for_[i] != std::make_pair(parameters[i], parameters[i]->value.size())) return false;
  for (const Bucket& bucket : buckets_)
    for (std::size_t i = 0; !bucket.average && i < bucket.parameters.size(); ++i)
      if (bucket.parameters[i]->grad.data() != bucket.flat.data() + bucket.offsets[i]) return false;
  return true;
}

void DataParallel::all_reduce(Layer& model, const Batch& batch, BatchResult& result) {
  Stopwatch clock;
  // The plan holds on to the parameters: made again for another model (or a new one that happens
  // to live at the same address as the last).
  const std::vector<Parameter*> parameters = model.parameters();
  if (!planned_for(parameters)) plan(parameters);
  // Wait for the slowest process, timed on its own: what follows is then the transfer alone, and
  // wait_seconds tells apart the two costs of a synchronous step (an empty barrier costs two
  // latencies, a microsecond here).
  const Stopwatch waiting;
  MPI_Barrier(comm_);
  wait_seconds_ += waiting.seconds();
  // The batch's loss (each process's share of it) and metric sums: six numbers, started now
  // and collected after the gradients, so that their latency hides behind the buckets' messages
  // (MPI progresses them inside the gradients' blocking calls).
  const std::array<double, MetricSums::kTotals> totals = result.sums.totals();
  std::array<double, 1 + MetricSums::kTotals> numbers{};
  numbers[0] = result.loss;
  std::copy(totals.begin(), totals.end(), numbers.begin() + 1);
  MPI_Request numbers_summed = MPI_REQUEST_NULL;
  MPI_Iallreduce(MPI_IN_PLACE, numbers.data(), int(numbers.size()), MPI_DOUBLE, MPI_SUM, comm_, &numbers_summed);
  // On every way out, an exception included, MPI finishes with `numbers` before it goes away
  // (MPI_Wait below leaves the request null, and then this does nothing).
  struct WaitOnExit {
    MPI_Request& request;
    ~WaitOnExit() {
      if (request != MPI_REQUEST_NULL) MPI_Wait(&request, MPI_STATUS_IGNORE);
    }
  } wait_on_exit{numbers_summed};

  for (Bucket& bucket : buckets_) {
    if (!bucket.average) {
      // The gradients are already in place: (elements,) summed as they lie.
      all_reduce_sum(bucket.flat.data(), bucket.elements, comm_, options_.algorithm);
      continue;
    }
    // Running statistics: the mean over the processes, each weighted by its share of the batch's
    // rows (n_p / N, as train_on_batch splits them), so that the running mean follows the whole
    // batch's mean exactly when the shares differ too (a batch of 128 on 3 processes: 42, 43, 43).
    const std::size_t N = batch.targets.size();
    const auto [first, last] = ProcessShare{rank_, size_, {}}.rows(N);
    const float share = float(double(last - first) / double(N));
    float* packed = flat_.data();
    for (Parameter* p : bucket.parameters)
      for (const float x : p->value) *packed++ = x * share;
    all_reduce_sum(flat_.data(), bucket.elements, comm_, options_.algorithm);
    const float* mean = flat_.data();
    for (Parameter* p : bucket.parameters) {
      std::copy(mean, mean + p->value.size(), p->value.begin());
      mean += p->value.size();
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
