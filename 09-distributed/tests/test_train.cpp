// The training example as whole jobs (jobs.hpp): two processes with one thread each train the same
// bits as one process with two threads, and a checkpoint written by two processes resumes in one.
#include <catch2/catch.hpp>
#include <string>

#include "09-distributed/tests/jobs.hpp"
#include "tests/support/tmp.hpp"

using Catch::Matchers::Contains;
using namespace dlfs::test;

TEST_CASE("The example trains the same bits as two processes as one process with two threads, and resumes a "
          "two-process checkpoint in one process",
          "[09-distributed][jobs][example]") {
  const std::string dir = dlfs::test::scratch_dir("09-distributed-jobs-example");
  const std::string flags = " --model mlp --hidden 32 --limit 512 --epochs 2 --batch 64";
  const Job two = run(dir, 2, DLFS_TRAIN_EXE, flags + " --threads 1");
  const Job one = run(dir, 0, DLFS_TRAIN_EXE, flags + " --threads 2");
  // Two processes stop after 12 updates, in epoch 2, with the checkpoint of epoch 1 written.
  const Job cut = run(dir, 2, DLFS_TRAIN_EXE, flags + " --threads 1 --steps 12 --checkpoint '" + dir + "/c.safetensors'");
  const Job resumed = run(dir, 0, DLFS_TRAIN_EXE, flags + " --threads 2 --resume '" + dir + "/c.safetensors'");
  // Stopped at the end of epoch 1 (8 steps of 64): the checksum a run cut at step 12 must not print.
  const Job epoch1 = run(dir, 0, DLFS_TRAIN_EXE, flags + " --threads 2 --steps 8");
  // Resumed at step 8 with a limit already passed: no update at all.
  const Job passed = run(dir, 2, DLFS_TRAIN_EXE, flags + " --threads 1 --steps 5 --resume '" + dir + "/c.safetensors'");
  for (const Job* job : {&two, &one, &cut, &resumed, &epoch1, &passed}) {
    INFO(job->out << job->err);
    REQUIRE(job->status == 0);
  }
  const auto r2 = result_line(two.out), r1 = result_line(one.out), rr = result_line(resumed.out);
  CHECK(r2.at("ranks") == "2");
  CHECK(r2.at("threads") == "1");
  CHECK(r1.at("ranks") == "1");
  CHECK(r1.at("threads") == "2");
  CHECK(r2.at("epochs") == "2");
  CHECK(r2.at("steps") == "16");
  CHECK(r2.at("checksum") == r1.at("checksum"));
  CHECK(r2.at("test_accuracy") == r1.at("test_accuracy"));
  CHECK(std::stod(r2.at("test_accuracy")) > 0.5);  // 10 classes: chance is 0.1
  CHECK_THAT(cut.out, Contains("stopped by --steps after 12 steps (1 complete epochs)"));
  CHECK_THAT(resumed.out, Contains("resumed"));
  CHECK(rr.at("checksum") == r2.at("checksum"));
  // The cut run's checksum is that of the weights it ended with, after step 12, not epoch 1's.
  CHECK(result_line(cut.out).at("steps") == "12");
  CHECK(result_line(cut.out).at("checksum") != result_line(epoch1.out).at("checksum"));
  CHECK(result_line(passed.out).at("steps") == "8");
  CHECK(result_line(passed.out).at("checksum") == result_line(epoch1.out).at("checksum"));
}
