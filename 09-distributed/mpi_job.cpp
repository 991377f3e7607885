#include "09-distributed/mpi_job.hpp"

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>

namespace dlfs {

MpiJob::MpiJob(int& argc, char**& argv) {
  int provided = MPI_THREAD_SINGLE;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  if (provided < MPI_THREAD_FUNNELED) {
    MPI_Finalize();
    throw std::runtime_error("this MPI library does not allow threads beside the one that calls it");
  }
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  rank_ = std::size_t(rank), size_ = std::size_t(size);
}

MpiJob::~MpiJob() { MPI_Finalize(); }

int MpiJob::fail(const std::string& program, const std::string& what, bool on_every_process_alike) const {
  if (size_ == 1) {
    std::fprintf(stderr, "%s: error: %s\n", program.c_str(), what.c_str());
    return 1;
  }
  // Rank 0's MPI_Abort ends this process first; should it not come (rank 0 did not fail after all),
  // this process says why it ends the job itself.
  if (on_every_process_alike && rank_ != 0) std::this_thread::sleep_for(std::chrono::seconds(10));
  std::fprintf(stderr, "%s: rank %zu of %zu: error: %s\n", program.c_str(), rank_, size_, what.c_str());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 1);
  return 1;  // not reached: MPI_Abort ends this process too
}

}  // namespace dlfs
