// A two-process training run that goes wrong on purpose, for test_jobs.cpp: at its third update,
// rank 1 fails the way the argument says, while rank 0 waits for it inside the all-reduce.
//
//   fault exit    rank 1 leaves with exit status 0 without MPI_Finalize: a process that just stops
//   fault throw   rank 1 throws, as any error inside training would
//   fault kill    rank 1 is killed (SIGKILL), as the out-of-memory killer would
//   fault none    nothing goes wrong: trains 20 epochs, prints "fault: finished", exits 0
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "02-mlp/tests/blobs.hpp"
#include "02-mlp/mlp.hpp"
#include "02-mlp/train.hpp"
#include "09-distributed/data_parallel.hpp"
#include "09-distributed/mpi_job.hpp"

using namespace dlfs;

int main(int argc, char** argv) {
  MpiJob job(argc, argv);
  const std::string mode = argc > 1 ? argv[1] : "none";
  try {
    if (mode != "exit" && mode != "throw" && mode != "kill" && mode != "none")
      throw std::invalid_argument("unknown fault '" + mode + "' (exit, throw, kill or none)");
    const Examples data = test::blobs(300);
    Rng rng(42);
    Sequential model = make_mlp(2, {16}, 3, "relu", rng);
    SGD sgd(model.parameters(), 0.1f);
    DataParallel dp(job.comm());
    TrainOptions options;
    options.batch_size = 30;
    options.progress = false;
    options.processes = dp.share();
    std::size_t updates = 0;
    // The all-reduce, with the fault in front of it on rank 1.
    options.processes.all_reduce = [&](Layer& m, const Batch& batch, BatchResult& result) {
      if (job.rank() == 1 && ++updates == 3) {
        if (mode == "exit") std::_Exit(0);
        if (mode == "kill") std::raise(SIGKILL);
        if (mode == "throw") throw std::runtime_error("rank 1 fails on purpose at its third update");
      }
      dp.all_reduce(m, batch, result);
    };
    std::size_t step = 0;
    for (int epoch = 0; epoch < 20; ++epoch)
      train_epoch(model, sgd, softmax_cross_entropy, data, rng, constant_schedule(0.1f), step, options);
    if (job.rank() == 0) std::printf("fault: finished %zu steps\n", step);
  } catch (const std::exception& e) {
    return job.fail("fault", e.what());
  }
  return 0;
}
