// Faults and bad flags, as whole jobs (jobs.hpp): a process that throws, exits half-way or is
// killed ends the whole job within seconds; bad flags end a job with one message, from one process
// or from two.
#include <catch2/catch.hpp>
#include <string>

#include "09-distributed/tests/jobs.hpp"
#include "tests/support/tmp.hpp"

using Catch::Matchers::Contains;
using namespace dlfs::test;

TEST_CASE("Without a fault, the two-process run trains to its end", "[09-distributed][jobs]") {
  const std::string dir = dlfs::test::scratch_dir("09-distributed-jobs-none");
  const Job job = run(dir, 2, DLFS_FAULT_EXE, "none");
  INFO(job.out << job.err);
  CHECK(job.status == 0);
  CHECK_THAT(job.out, Contains("fault: finished 200 steps"));
}

TEST_CASE("A process that throws ends the whole job within seconds, with its rank and message",
          "[09-distributed][jobs][faults]") {
  const std::string dir = dlfs::test::scratch_dir("09-distributed-jobs-throw");
  const Job job = run(dir, 2, DLFS_FAULT_EXE, "throw");
  require_quick_failure(job);
  CHECK_THAT(job.err, Contains("fault: rank 1 of 2: error: rank 1 fails on purpose at its third update"));
}

TEST_CASE("A process that exits half-way, without finishing MPI, ends the whole job within seconds",
          "[09-distributed][jobs][faults]") {
  const std::string dir = dlfs::test::scratch_dir("09-distributed-jobs-exit");
  const Job job = run(dir, 2, DLFS_FAULT_EXE, "exit");
  require_quick_failure(job);
  CHECK_THAT(job.err, Contains("rank 1"));  // mpirun names the process that left
  CHECK(job.out.find("finished") == std::string::npos);
}

TEST_CASE("A process that is killed ends the whole job within seconds", "[09-distributed][jobs][faults]") {
  const std::string dir = dlfs::test::scratch_dir("09-distributed-jobs-kill");
  const Job job = run(dir, 2, DLFS_FAULT_EXE, "kill");
  require_quick_failure(job);
  CHECK_THAT(job.err, Contains("rank 1"));  // mpirun names the process that died
  CHECK(job.out.find("finished") == std::string::npos);
}

TEST_CASE("Bad flags end a job with one message, however many processes it has", "[09-distributed][jobs][flags]") {
  const std::string dir = dlfs::test::scratch_dir("09-distributed-jobs-flags");
  struct Case {
    std::size_t processes;  // 0: the program alone
    const char *args, *says;
  };
  const Case cases[] = {
      {2, "--model lenet --hidden 32", "--hidden: only for mlp"},
      {2, "--model resnet --batch 3", "--batch 3 leaves fewer than 2 examples for each of 2 processes"},
      {0, "--model gpt", "--model"},
      {0, "--batch 0", "--batch"},
      {0, "--model resnet --micro-batch 4", "batch norm"},
      {0, "--model mlp --hidden 32,x", "'x' is not a layer width from 1 to 100000"},
      {2, "--model resnet --limit 100", "--batch 128 is larger than the --limit 100 training examples"},
  };
  for (const Case& c : cases) {
    const Job job = run(dir, c.processes, DLFS_TRAIN_EXE, c.args);
    INFO(c.args << " on " << c.processes << "\nstdout: " << job.out << "\nstderr: " << job.err);
    CHECK(job.status != 0);
    CHECK(count(job.err, "train: error: ") == 1);
    CHECK_THAT(job.err, Contains(c.says));
    CHECK(job.out.find("result:") == std::string::npos);
  }
}

TEST_CASE("Processes given different data or settings stop before training, with one message, never a hang",
          "[09-distributed][jobs][faults]") {
  // Each an MPMD command line, rank 0's flags then rank 1's.
  struct Case {
    const char *name, *rank0, *rank1;
  };
  const Case cases[] = {
      // 1000 training images and 2000: with the batches per epoch unequal, rank 1 would wait at a
      // collective that rank 0 never reaches.
      {"data", "--limit 1000", "--limit 2000"},
      // Our ring and MPI_Allreduce: each would wait in a call the other never makes.
      {"allreduce", "--limit 1000 --allreduce ring", "--limit 1000 --allreduce mpi"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const std::string dir = dlfs::test::scratch_dir(std::string("09-distributed-jobs-") + c.name);
    const std::string rank1 = std::string(" : -np 1 '") + DLFS_TRAIN_EXE + "' --model mlp --epochs 1 " + c.rank1;
    const Job job = run(dir, 1, DLFS_TRAIN_EXE, std::string("--model mlp --epochs 1 ") + c.rank0 + rank1);
    require_quick_failure(job);
    CHECK(count(job.err, "error: ") == 1);
    CHECK_THAT(job.err, Contains("before training: the processes are not running the same training"));
  }
}

TEST_CASE("A run that diverges on two processes says so once", "[09-distributed][jobs][faults]") {
  // The loss is all-reduced, so both processes stop at the same step with the same verdict.
  const std::string dir = dlfs::test::scratch_dir("09-distributed-jobs-diverge");
  const Job job = run(dir, 2, DLFS_TRAIN_EXE, "--model mlp --epochs 1 --limit 1000 --lr 1e30");
  require_quick_failure(job);
  CHECK(count(job.err, "error: ") == 1);
  CHECK_THAT(job.err, Contains("training diverged at epoch 1"));
}
