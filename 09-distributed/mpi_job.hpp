// One process of an MPI job: MPI's start and end, which process this is, and how a failure on one
// process ends the whole job instead of leaving the others waiting forever.
//
// `mpirun -np P program ...` starts P copies of the program, on this machine or on the machines of
// a hostfile (the README); MPI_Init connects them, and the communicator MPI_COMM_WORLD names all P,
// numbered 0 .. P - 1: the rank. Every copy runs the same code, and its rank decides what is its
// own: its share of each batch, and for rank 0 the printing and the files.
//
// Failure. The processes wait on one another (a receive waits for its send), so one that stops
// would leave the others waiting forever. Nothing here waits forever:
//   * an exception on any process ends the job (fail): the process prints what went wrong, naming
//     its rank, and calls MPI_Abort, on which mpirun kills every process and exits with an error;
//   * a process that dies without MPI_Finalize (a crash, a kill, an exit() half-way), mpirun sees
//     by itself: one of its children is gone, so it kills the others and says which one died;
//   * an error inside MPI (a lost connection) aborts the job too: MPI_ERRORS_ARE_FATAL, MPI's
//     default, is kept.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <string>

namespace dlfs {

class MpiJob {
 public:
  // MPI_Init_thread at MPI_THREAD_FUNNELED: OpenMP threads compute, only the main thread calls MPI.
  // Also works without mpirun, as a job of one process.
  MpiJob(int& argc, char**& argv);
  ~MpiJob();  // MPI_Finalize
  MpiJob(const MpiJob&) = delete;
  MpiJob& operator=(const MpiJob&) = delete;

  std::size_t rank() const { return rank_; }
  std::size_t size() const { return size_; }
  MPI_Comm comm() const { return MPI_COMM_WORLD; }

  // Prints "<program>: rank R of P: error: <what>" (just "<program>: error: <what>" alone) and ends
  // the job: MPI_Abort when there are other processes, which does not return; alone, it returns
  // the exit status 1 for main to return. An error that every process meets alike (a check whose
  // outcome they agreed on, a loss they all-reduced) is printed by rank 0 alone: the others wait
  // for its MPI_Abort to end them (and, should it not come within 10 s, print and abort themselves).
  int fail(const std::string& program, const std::string& what, bool on_every_process_alike = false) const;

 private:
  std::size_t rank_ = 0, size_ = 1;
};

}  // namespace dlfs
