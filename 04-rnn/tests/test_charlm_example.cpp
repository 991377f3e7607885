// The charlm example, run as a learner runs it, on a small made-up text: a run killed with
// SIGKILL and continued with --resume saves the very model the uninterrupted run saved, and writes
// the same validation rows.
#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "common/random.hpp"
#include "tests/support/example_runs.hpp"
#include "tests/support/tmp.hpp"

#ifndef DLFS_CHARLM_EXE
#error "DLFS_CHARLM_EXE must name the example program (04-rnn/meson.build passes it)"
#endif

using namespace dlfs;

namespace {

// 1000 lines of five words drawn from twelve: 136 batches per epoch, about a tenth of a second here.
std::string made_up_text() {
  const char* words[] = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "its", "bed"};
  Rng rng(4);
  std::string text;
  for (int line = 0; line < 1000; ++line) {
    for (int w = 0; w < 5; ++w) text += std::string(w ? " " : "") + words[rng.next_u64() % 12];
    text += ".\n";
  }
  return text;
}

}  // namespace

TEST_CASE("charlm killed with SIGKILL and resumed from its checkpoint saves the uninterrupted run's model, byte for byte",
          "[04-rnn][charlm][example][resume]") {
  const std::string dir = test::scratch_dir("04-rnn-charlm-resume");
  std::ofstream(dir + "/text.txt") << made_up_text();
  // Eight epochs (the time budget is far away), evaluated every 7 steps: a report's steps straddle
  // the epochs' ends, so the losses summed since the last one must survive the kill too.
  const std::string run = std::string("'") + DLFS_CHARLM_EXE + "' --text '" + dir + "/text.txt' --cell gru " +
                          "--hidden 24 --embedding 8 --seq 16 --batch 8 --epochs 8 --minutes 60 --eval-every 7 " +
                          "--eval-windows 16 --sample 0 --threads 1 --seed 3 ";
  const auto [whole, resumed] = test::check_kill_and_resume(run, dir, 8);
  CHECK(test::result_line(resumed.out).at("val_bits_per_char") == test::result_line(whole.out).at("val_bits_per_char"));
}

TEST_CASE("charlm refuses --checkpoint and --resume without training", "[04-rnn][charlm][example][resume]") {
  const std::string dir = test::scratch_dir("04-rnn-charlm-resume-flags");
  std::ofstream(dir + "/text.txt") << made_up_text();
  const test::Run r = test::run_program(std::string("'") + DLFS_CHARLM_EXE + "' --text '" + dir +
                                            "/text.txt' --minutes 0 --checkpoint '" + dir + "/c.safetensors'",
                                        dir);
  CHECK(r.status == 1);
  CHECK(r.err == "charlm: error: --checkpoint and --resume need training: --minutes 0 trains nothing\n");
}
