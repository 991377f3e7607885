// Catch2's main for tests that run as several processes (mpirun -np 2 test-...): MPI starts before
// the tests and ends after them, every process runs every test case, and the job fails when the
// tests of any process fail. A test case does all its communication before its checks, so a
// failed REQUIRE on one process never leaves the others waiting inside a collective.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "09-distributed/mpi_job.hpp"

int main(int argc, char** argv) {
  dlfs::MpiJob job(argc, argv);
  const int failed = Catch::Session().run(argc, argv);
  int failed_anywhere = 0;
  MPI_Allreduce(&failed, &failed_anywhere, 1, MPI_INT, MPI_MAX, job.comm());
  return failed_anywhere > 0 ? 1 : 0;
}
